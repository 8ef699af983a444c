/* Structural metrics: exact, the same on every machine (compare_struct.c). */
#ifndef PAGODA_COMPARE_STRUCT_H
#define PAGODA_COMPARE_STRUCT_H

#include "compare_side.h"

/* Structural metrics of the live mode. */
void compare_struct_run(enum compare_mode mode);

#endif
