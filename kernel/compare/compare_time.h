/* Timing metrics: valid only for the machine they ran on (compare_time.c). */
#ifndef PAGODA_COMPARE_TIME_H
#define PAGODA_COMPARE_TIME_H

#include "compare_side.h"

void compare_time_setup(void);
/* Timing metrics of the live mode, one round. */
void compare_time_round(enum compare_mode mode);
/* Pools every round's samples per series and writes the timing records. */
void compare_time_report(void);

#endif
