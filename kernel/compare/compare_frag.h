/* Segmentation against paging on the real frame allocator (compare_frag.c). */
#ifndef PAGODA_COMPARE_FRAG_H
#define PAGODA_COMPARE_FRAG_H

/* Runs the churn of compare_churn.h twice over the same arena of real RAM, contiguously and in
 * pages, and writes the records and the time series. Needs no paging format of its own. */
void compare_frag_run(void);

#endif
