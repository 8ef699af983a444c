/* Sizes of the data arch/boot_data.S reserves; C sees the symbols through extern declarations. */
#ifndef PAGODA_ARCH_BOOT_DATA_H
#define PAGODA_ARCH_BOOT_DATA_H

#include "pagoda/page.h"

#define BOOT_STACK_SIZE         16384
#define DOUBLE_FAULT_STACK_SIZE 8192

#endif
