/*
 * Which paging format the kernel runs in, and the paging instance of each format.
 *
 * The choice is made first, before the memory layer starts, because the format decides which
 * frames the allocator may hold: vm_format_phys_limit() is the one answer to "how far does this
 * format reach", taken from the paging instance itself (two-level: 4 GiB; PAE: the CPU's
 * physical address width).
 */
#ifndef PAGODA_VM_FORMAT_H
#define PAGODA_VM_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "../paging/paging.h"

/* What paging= on the command line asks for. */
enum vm_paging_choice {
    VM_PAGING_AUTO,   /* PAE when CPUID has it, else two-level */
    VM_PAGING_2LEVEL, /* 32-bit two-level paging */
    VM_PAGING_PAE,    /* PAE; falls back to two-level (with a message) without CPU support */
};

struct vm_format_choice {
    enum vm_paging_choice asked;
    bool pae;      /* the format the kernel boots in */
    bool fallback; /* PAE asked on a CPU without PAE */
    const char *why;
};

/* Decides the boot format (auto = PAE when CPUID has it; pae without PAE falls back with a
 * message) and prepares its paging instance. */
const struct vm_format_choice *vm_format_choose(enum vm_paging_choice asked);
const struct vm_format_choice *vm_format_chosen(void);
/* The paging instance of a format, bound to the kernel's environment (vm/env.h); prepared on
 * first use. NULL if this CPU cannot run the format (PAE without CPUID.PAE). */
struct paging *vm_format_paging(bool pae);
/* The boot format's instance. */
struct paging *vm_format_boot(void);
/* First physical address the boot format cannot reach with 4 KiB pages: the frame pool's end. */
uint64_t vm_format_phys_limit(void);

#endif
