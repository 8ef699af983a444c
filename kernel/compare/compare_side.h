/*
 * The two paging formats side by side in one boot. The kernel booted in one format (vm.c); this
 * builds a second kernel address space in the other format with the same kernel-half mappings
 * (direct map, image, MMIO, window) and switches between them at runtime: paging off at an
 * identity-mapped page (vm_switch_paging in .boot), CR4.PAE and CR3 changed, paging on.
 */
#ifndef PAGODA_COMPARE_SIDE_H
#define PAGODA_COMPARE_SIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../paging/paging.h"

enum compare_mode {
    COMPARE_2LEVEL = 0,
    COMPARE_PAE = 1,
    COMPARE_MODES = 2,
};

#define COMPARE_MAX_RUNS 48

/* A maximal run of kernel-half pages with contiguous frames and the same rights. */
struct compare_run {
    uint32_t va;
    uint64_t pa;
    uint64_t size;
    uint32_t prot;
};

struct compare_side {
    const char *name; /* "2level", "pae" */
    bool pae;
    bool booted; /* the format the kernel booted in (vm.pg) */
    struct paging *pg;
    struct paging_as *as;
    uint32_t cr3, cr4;
    volatile void *window_ptes;
};

extern struct compare_side compare_sides[COMPARE_MODES];
/* The kernel half as found at start: the runs the copy was made from. */
extern struct compare_run compare_kernel_runs[COMPARE_MAX_RUNS];
extern unsigned compare_kernel_run_count;

/* Builds the other format's space. False (and why) if it cannot: no PAE, no memory. */
bool compare_sides_init(char *why, size_t why_size);
/* Makes mode's space the one the CPU uses. Interrupts must be off. */
void compare_enter(enum compare_mode mode);
enum compare_mode compare_current(void);
/* Back to the boot format; the identity mapping of the switch code removed again and the other
 * format's space destroyed. */
void compare_sides_finish(void);

#endif
