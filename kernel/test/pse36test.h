/* PSE-36 on the live machine (mode=test); listed with the paging self-tests in test/vmtest.h. */
#ifndef PAGODA_PSE36TEST_H
#define PAGODA_PSE36TEST_H

#include "ktest.h"

/* Two-level paging: 4 MiB of RAM above 4 GiB through one PSE-36 page, written and read back. */
enum ktest_result vmtest_pse36_high_ram(struct ktest_context *ctx);

#endif
