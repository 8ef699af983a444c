/* Structural metrics: exact, the same on every machine (compare_struct.c). */
#ifndef PAGODA_COMPARE_STRUCT_H
#define PAGODA_COMPARE_STRUCT_H

#include "compare_side.h"

#include <stdint.h>

/* One piece of the sparse user-like layout (docs/03-pae-vs-2level.md), in address order. */
struct compare_piece {
    uint32_t va;
    uint32_t size;
};
const struct compare_piece *compare_sparse_layout(unsigned *count);

/* Structural metrics of the live mode. */
void compare_struct_run(enum compare_mode mode);

#endif
