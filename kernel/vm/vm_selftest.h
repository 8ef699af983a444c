/* Self-tests of kernel/vm that need the live machine (mode=test); listed in test/vmtest.h. */
#ifndef PAGODA_VM_SELFTEST_H
#define PAGODA_VM_SELFTEST_H

#include "../test/ktest.h"

/* Two-level paging: 4 MiB of RAM above 4 GiB through one PSE-36 page, written and read back. */
enum ktest_result vm_selftest_pse36_high_ram(struct ktest_context *ctx);

#endif
