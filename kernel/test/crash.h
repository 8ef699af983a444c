/* crash=NAME on the command line: raise one exception on purpose, to show (and test) the
 * decoded exception report. Never returns: the report halts or fails the test run. */
#ifndef PAGODA_CRASH_H
#define PAGODA_CRASH_H

#include "../boot/cmdline.h"

void crash_on_purpose(enum kernel_crash crash);

#endif
