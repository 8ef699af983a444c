/* Physical address -> pointer. With paging off the kernel runs identity mapped, so this is a cast;
 * the host tests store real host pointers in the same uint64_t fields. One place to change when
 * paging arrives. */
#ifndef PAGODA_PHYS_H
#define PAGODA_PHYS_H

#include <stdint.h>

static inline const void *phys_to_ptr(uint64_t phys)
{
    return (const void *)(uintptr_t)phys;
}

#endif
