/*
 * The regions of a process's user half, as plain data: what each range is (code, data, heap,
 * stack, guard gap) and what it allows. The process's memory (proc/uvm.c) keeps them; the pointer
 * check before every copy from or to user memory (region_check_access) and the fault handler
 * (uvm_fault, through region_find) decide from them alone, so what they decide is pure code,
 * host-tested over every boundary.
 *
 * A region's range is [start, end), page-aligned. Pages inside it are either mapped already or
 * mapped on first touch (heap, stack: "demand" regions, zero-filled); a guard region is never
 * mapped. Regions never overlap and are kept in address order.
 */
#ifndef PAGODA_PROC_REGION_H
#define PAGODA_PROC_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "pagoda/syscall.h"

#define REGION_MAX PAGODA_VM_MAX_REGIONS

struct region {
    uint32_t start, end;
    uint32_t kind;     /* enum pagoda_vm_region_kind */
    uint32_t prot;     /* PAGODA_PROT_*: what the region allows */
    uint32_t resident; /* pages of it mapped now */
};

struct region_list {
    struct region item[REGION_MAX];
    unsigned count;
};

/* What an access wants. */
#define REGION_WANT_READ  PAGODA_PROT_READ
#define REGION_WANT_WRITE PAGODA_PROT_WRITE
#define REGION_WANT_EXEC  PAGODA_PROT_EXEC

/* Pages of a demand region are mapped on first touch; others are mapped whole at creation. */
bool region_is_demand(const struct region *r);
/* The region holding va, or NULL. */
struct region *region_find(struct region_list *list, uint32_t va);
const struct region *region_find_const(const struct region_list *list, uint32_t va);
/* Inserts r in address order. False (nothing changed) if it overlaps one, is empty or unaligned,
 * or the list is full. */
bool region_insert(struct region_list *list, const struct region *r);
/* Removes the region at index (the list stays in order). */
void region_remove(struct region_list *list, unsigned index);

/*
 * Whether every byte of [va, va + len) lies in regions that allow want (and none in a guard):
 * 0, or -PAGODA_EFAULT for a range that wraps, reaches the kernel half, leaves every region or
 * crosses one that refuses the access. len 0 touches nothing and is always allowed.
 */
int region_check_access(const struct region_list *list, uint32_t va, uint32_t len, uint32_t want);

#endif
