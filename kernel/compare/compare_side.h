/*
 * The two paging formats side by side in one boot: the kernel space the kernel booted in and
 * the kernel space of the other format, both built by kernel/vm from the same table of kernel
 * regions, and the switch between them (vm_space_switch: paging off at an identity-mapped page,
 * CR4.PAE and CR3 changed, paging on).
 */
#ifndef PAGODA_COMPARE_SIDE_H
#define PAGODA_COMPARE_SIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "../vm/space.h"

enum compare_mode {
    COMPARE_2LEVEL = 0,
    COMPARE_PAE = 1,
    COMPARE_MODES = 2,
    COMPARE_NO_MODE = 2, /* for records of neither format: "-" */
};

struct compare_side {
    const char *name; /* "2level", "pae" */
    bool pae;
    bool booted; /* the format the kernel booted in */
    struct vm_space *space;
};

extern struct compare_side compare_sides[COMPARE_MODES];

/* Builds the other format's kernel space. False (and why) if it cannot: no PAE, no memory. */
bool compare_sides_init(char *why, size_t why_size);
/* Makes mode's space the one the CPU uses. Interrupts must be off. */
void compare_enter(enum compare_mode mode);
enum compare_mode compare_current(void);
/* The paging instance of a side: its mode, reach, NX, counters. */
struct paging *compare_paging(enum compare_mode mode);
/* Back to the boot format; the other format's space is destroyed. */
void compare_sides_finish(void);

#endif
