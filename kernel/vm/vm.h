/*
 * The kernel's address space: which paging format, the tables built through kernel/paging, and
 * everything that needs to know where physical memory is visible.
 *
 * vm_choose_mode (from the command line and CPUID) runs before the memory layer starts, because
 * the format decides which frames the allocator may hand out (two-level paging cannot reach
 * memory above 4 GiB). vm_init then builds the real kernel address space with frames from the
 * allocator and switches to it from the boot page directory entry.S built:
 *   - the direct map of low RAM (up to 896 MiB, large pages, read-write, no-execute under PAE),
 *   - the kernel image inside it with per-section rights: text R-X, rodata R--, data/bss RW-,
 *     all global,
 *   - guard pages below the boot stack and the double-fault stack left unmapped,
 *   - the temporary mapping window (vm/window.h), MMIO mappings on demand (vm_map_mmio),
 *   - page 0 never mapped, the identity mapping of the switch code removed right after the
 *     switch, CR0.WP on.
 */
#ifndef PAGODA_VM_H
#define PAGODA_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../boot/cmdline.h"
#include "../mem/mem_setup.h"
#include "../paging/paging.h"

/* Page-table pages reserved from the direct map at boot, so tables are reachable without the
 * window; more tables come from the allocator (through the window when outside the direct map). */
#define VM_POOL_FRAMES 64u

struct vm_state {
    /* the choice */
    bool pae;
    bool fallback; /* PAE asked on a CPU without PAE */
    enum kernel_paging asked;
    const char *why;
    /* the address space */
    bool active; /* the kernel's own tables are loaded */
    struct paging pg;
    struct paging_as kernel_as;
    uint64_t direct_map_end; /* physical end of the direct map */
    uint32_t direct_map_tables[PAGING_MAX_LEVELS];
    uint64_t pool_phys;
    uint32_t pool_free_bits[(VM_POOL_FRAMES + 31) / 32];
    uint32_t mmio_next;
    uint64_t init_cycles;     /* memory layer + address space, TSC cycles */
    uint64_t setup_cycles;    /* of which: normalized map + frame allocator */
    uint32_t raw_descriptors; /* in the loader's map, for the benchmark line */
    uint32_t mmio_mappings;
};

extern struct vm_state vm;

/* Decides the format: auto = PAE when CPUID has it; pae without PAE falls back to two-level. */
void vm_choose_mode(enum kernel_paging asked);
/* First physical address the chosen format cannot reach: frames from here on stay out of the
 * allocator's pool. */
uint64_t vm_pool_limit(void);
/* Builds the kernel address space over mem (whose allocator supplies the tables) and switches to
 * it. Panics with the reason if it cannot. */
void vm_init(struct mem_setup *mem);

/* Maps [phys, phys+size) at a fresh virtual address above the direct map, read-write,
 * no-execute, global, with the given cache type. NULL (and why in *why) if it cannot. Under
 * two-level paging a range above 4 GiB is mapped with PSE-36 4 MiB pages (the aligned 4 MiB
 * range covering it) when the CPU has PSE-36; without it *why says so. */
void *vm_map_mmio(uint64_t phys, uint64_t size, enum paging_cache cache, const char **why);

/* A pointer to phys: the direct map, or the window (valid until the next call that maps
 * outside the direct map). At most a page-crossing structure; NULL if unreachable. */
void *vm_phys_ptr(uint64_t phys);
/* The 4 KiB frame at phys through the direct map, or the window's client slot. */
void *vm_frame_map(uint64_t phys);
bool vm_in_direct_map(uint64_t phys);

/* Table pages per level and TLB counters, from the paging layer. */
void vm_counters(struct paging_counters *out);

/* For the #PF report: the walk of va through the active tables, printed level by level. */
void vm_print_walk(uint32_t va);

/* "== Paging ==" section of the boot log, and "# bench" lines for the harness. */
void bootlog_vm(uint64_t tsc_hz);

#endif
