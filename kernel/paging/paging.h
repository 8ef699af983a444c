/*
 * Page tables: one interface, two formats chosen at boot.
 *
 *   paging_mode_2level  32-bit paging: PD -> PT, 4 KiB and 4 MiB (PSE) pages, physical < 4 GiB,
 *                       no execute-disable (every present page is executable).
 *   paging_mode_pae     PAE paging: PDPT -> PD -> PT, 4 KiB and 2 MiB pages, NX (bit 63) when
 *                       EFER.NXE is available, frames up to the CPU's physical address width.
 *
 * Shape after Haiku's X86PagingMethod32Bit / X86PagingMethodPAE and FreeBSD's pmap_nopae /
 * pmap_pae: the caller picks a struct paging_mode once and then only talks to its function
 * pointers. The code never touches memory or the CPU directly: everything goes through a
 * struct paging_env, so the same code runs in the kernel (direct map, real CR3/INVLPG) and in
 * host tests (simulated physical memory, counted TLB operations).
 *
 * Rules the implementation keeps (tests check them):
 *  - A range is mapped only if it is entirely unmapped (PAGING_ERR_EXISTS otherwise) and the
 *    call is all-or-nothing: on failure nothing is left changed and no table is leaked.
 *  - protect() needs the range entirely mapped (PAGING_ERR_NOT_MAPPED otherwise); unmap()
 *    accepts holes, like munmap().
 *  - A large page that is only partly covered by unmap/protect is split into a 4 KiB table
 *    first (same frames, same attributes), then the piece is changed.
 *  - A page table that becomes empty is freed, and its parent entry cleared.
 *  - TLB: after unmapping or downgrading (anything but only adding W/U/X) a page that the CPU
 *    can currently see, one INVLPG of that page; after a PAE PDPT entry of the active space
 *    changes, one CR3 reload (the CPU caches the four PDPTEs at CR3 load). Upgrades need none.
 *    Switching to a space with a different kernel half also drops global entries (CR4.PGE
 *    toggle), since a CR3 load keeps them.
 *  - Page 0 is never mapped unless PAGING_MAP_ALLOW_NULL is passed.
 *  - Kernel/user split (3 GiB / 1 GiB): a PAGING_AS_USER space changes only its user half and
 *    never maps GLOBAL pages; the kernel half is changed through its PAGING_AS_KERNEL space,
 *    where USER pages are refused above PAGING_KERNEL_BASE and GLOBAL ones below it.
 *  - unmap() and protect() may need one table to split a large page: they can fail with
 *    PAGING_ERR_NO_MEMORY, with no mapping changed. A two-level PSE-36 page above 4 GiB cannot
 *    be split (4 KiB pages cannot reach it): cutting into it fails with PAGING_ERR_PHYS.
 *  - Physical reach: every page must end at or below paging.phys_limit, except that a range
 *    mapped entirely with large pages (va, pa and size aligned to large_page_size, page_size
 *    AUTO or large) may reach paging.large_phys_limit (higher only with PSE-36).
 *  - Execute-disable: a mapping without PAGING_PROT_EXEC asks for no-execute. It is enforced
 *    only when struct paging.nx_enforced is true (PAE with env.nx_available). Otherwise the
 *    request is IGNORED, not refused: the page is executable and translate() reports it so.
 *
 * The code never keeps a pointer from env.table_ptr across another call to it (every entry
 * access asks again), so one temporary mapping window is enough when there is no direct map.
 *
 * Turning paging on, in the kernel: init(), create() a space, map() the kernel and what it
 * touches (the direct map), activate() (sets EFER.NXE as the format needs, then asks
 * env.load_tables to load CR4 with the format's PSE/PAE/PGE bits and CR3; the kernel's
 * environment does that with paging off at an identity-mapped page and sets CR0.PG and CR0.WP). The
 * PAT layout assumed for cache types is in arch/pte_bits.h (PAGING_PAT_MSR_VALUE); only
 * PAGING_CACHE_WC needs it programmed.
 */
#ifndef PAGODA_PAGING_H
#define PAGODA_PAGING_H

#include <stdbool.h>
#include "pagoda/page.h"
#include <stddef.h>
#include <stdint.h>

#include "pagoda/user_layout.h"

#define PAGING_MAX_LEVELS 3u
#define PAGING_ADDR_SPACE 0x100000000ull /* 4 GiB of virtual addresses, both formats */
/* The kernel/user split: user half below, kernel half (shared by every space) from here. */
#define PAGING_KERNEL_BASE ((uint32_t)PAGODA_USER_END)

enum paging_error {
    PAGING_OK = 0,
    PAGING_ERR_ALIGN,       /* va, pa or size not aligned to the page size asked for */
    PAGING_ERR_RANGE,       /* empty range, or it runs past 4 GiB */
    PAGING_ERR_PHYS,        /* physical address beyond what the format can reach */
    PAGING_ERR_NULL_PAGE,   /* range covers page 0 without PAGING_MAP_ALLOW_NULL */
    PAGING_ERR_EXISTS,      /* map: part of the range is already mapped */
    PAGING_ERR_NOT_MAPPED,  /* protect: part of the range is not mapped */
    PAGING_ERR_NO_MEMORY,   /* env.alloc_table failed */
    PAGING_ERR_PAGE_SIZE,   /* page size not supported by this format / this CPU */
    PAGING_ERR_KERNEL_HALF, /* a user space touched the shared kernel half */
    PAGING_ERR_PROT,        /* prot not allowed here (user in kernel half, global in user half,
                               unknown cache type, WC without PAT; create: a user space
                               without a kernel space or the other way round) */
    PAGING_ERR_BUSY,        /* destroy of the active space or of a kernel space still shared */
    PAGING_ERR_FEATURE,     /* the CPU lacks something the format needs (PAE, PSE) */
    PAGING_ERR_ENV,         /* a paging_env hook is missing */
    PAGING_ERR_COUNT,
};
const char *paging_error_name(int err);

/* prot: what the caller wants. READ is implied by any mapping (x86 cannot map unreadable). */
#define PAGING_PROT_READ   (1u << 0)
#define PAGING_PROT_WRITE  (1u << 1)
#define PAGING_PROT_EXEC   (1u << 2)
#define PAGING_PROT_USER   (1u << 3)
#define PAGING_PROT_GLOBAL (1u << 4)
#define PAGING_PROT_FLAGS                                                                          \
    (PAGING_PROT_READ | PAGING_PROT_WRITE | PAGING_PROT_EXEC | PAGING_PROT_USER |                  \
     PAGING_PROT_GLOBAL)
/* Cache type, in bits 8-10 of prot; see the PAT layout in arch/pte_bits.h. */
enum paging_cache {
    PAGING_CACHE_WB = 0,
    PAGING_CACHE_WT = 1,
    PAGING_CACHE_UC_MINUS = 2,
    PAGING_CACHE_UC = 3,
    PAGING_CACHE_WC = 4, /* needs env.pat_available and PAGING_PAT_MSR_VALUE in IA32_PAT */
    PAGING_CACHE_COUNT,
};
#define PAGING_PROT_CACHE_SHIFT 8u
#define PAGING_PROT_CACHE_MASK  (7u << PAGING_PROT_CACHE_SHIFT)
#define PAGING_PROT_CACHE(c)    ((uint32_t)(c) << PAGING_PROT_CACHE_SHIFT)
#define PAGING_PROT_CACHE_OF(p) (((p)&PAGING_PROT_CACHE_MASK) >> PAGING_PROT_CACHE_SHIFT)

/* map() flags. */
#define PAGING_MAP_ALLOW_NULL (1u << 0)

/* page_size argument of map(): 0 picks large pages wherever va, pa and size allow. */
#define PAGING_SIZE_AUTO 0u

struct paging_env {
    void *ctx;
    /*
     * A 4 KiB-aligned frame for a page table, any content (the code clears it). below_4g asks
     * for a frame under 4 GiB (32-bit tables, the PAE PDPT). Returns false when out of memory.
     */
    bool (*alloc_table)(void *ctx, bool below_4g, uint64_t *phys);
    void (*free_table)(void *ctx, uint64_t phys);
    /* A pointer to the 4 KiB table at phys: the direct map or a temporary window. */
    void *(*table_ptr)(void *ctx, uint64_t phys);
    /* Reloads CR3 with the value it holds (the PAE PDPT is read again). */
    void (*write_cr3)(void *ctx, uint32_t cr3);
    /* Makes the CPU use these tables: CR4 then CR3, for real. When the CR4 format bits change
     * the environment must turn paging off around the load (the kernel does it at an
     * identity-mapped page); the paging code only says what to load. */
    void (*load_tables)(void *ctx, uint32_t cr3, uint32_t cr4);
    void (*invlpg)(void *ctx, uint32_t va);
    uint32_t (*read_cr4)(void *ctx);
    void (*write_cr4)(void *ctx, uint32_t cr4);
    /* Only called when nx_available. */
    uint64_t (*read_efer)(void *ctx);
    void (*write_efer)(void *ctx, uint64_t efer);
    /* What the CPU offers (CPUID). */
    bool pse_available;   /* 4 MiB pages in 32-bit paging */
    bool pse36_available; /* ... whose PDE carries physical bits 39:32 (needs pse_available) */
    bool pae_available;
    bool pge_available;     /* global pages; without it PAGING_PROT_GLOBAL is ignored */
    bool nx_available;      /* EFER.NXE can be set */
    bool pat_available;     /* PAGING_CACHE_WC possible */
    uint8_t phys_addr_bits; /* MAXPHYADDR; 36 if CPUID does not say */
};

enum paging_as_kind {
    PAGING_AS_FULL = 0, /* all 4 GiB private: no kernel/user split */
    PAGING_AS_KERNEL,   /* owns the kernel half [PAGING_KERNEL_BASE, 4 GiB) that users share */
    PAGING_AS_USER,     /* private user half; kernel half shared from a PAGING_AS_KERNEL space */
};

struct paging;

/* An address space. The caller provides the storage (no allocator here). */
struct paging_as {
    struct paging *pg;
    enum paging_as_kind kind;
    uint64_t root;               /* the PD (32-bit) or PDPT (PAE): what CR3 points at */
    struct paging_as *kernel;    /* PAGING_AS_USER: the space whose kernel half it shares */
    struct paging_as *next_user; /* PAGING_AS_KERNEL: list of its users (to copy kernel PDEs) */
    uint32_t users;              /* PAGING_AS_KERNEL: how many user spaces share it */
    uint32_t tables[PAGING_MAX_LEVELS]; /* table pages this space owns, per level (0 = root) */
};

struct paging_counters {
    uint32_t tables[PAGING_MAX_LEVELS]; /* table pages in use, all spaces, per level */
    uint32_t table_allocs;
    uint32_t table_frees;
    uint32_t empty_tables_freed; /* frees because unmap emptied a table */
    uint32_t large_splits;
    uint32_t invlpg;
    uint32_t cr3_reloads;
    uint32_t global_flushes; /* CR4.PGE toggles on switches to a different kernel half */
    /* Sharing the kernel half (two-level copies root entries, PAE shares one PD): */
    uint32_t kernel_entries_copied; /* kernel-half root entries copied into new user spaces */
    uint32_t kernel_entries_synced; /* copies into user spaces after a kernel space changed one */
};

/* One step of a walk. */
struct paging_walk_level {
    const char *name; /* "PD", "PT"; "PDPT", "PD", "PT" */
    uint64_t table;   /* physical address of the table read */
    uint32_t index;
    uint64_t entry; /* raw entry */
    bool present;
    bool leaf;            /* maps a page (PT entry, or a PS=1 PDE) */
    uint32_t prot_so_far; /* PAGING_PROT_WRITE/USER/EXEC still allowed after this level */
};

struct paging_walk {
    uint32_t va;
    uint64_t cr3;
    unsigned count; /* levels visited */
    struct paging_walk_level level[PAGING_MAX_LEVELS];
    bool mapped;
    uint64_t pa;
    uint64_t page_size;
    uint32_t prot; /* effective: READ|WRITE|EXEC|USER|GLOBAL + cache, 0 if not mapped */
};

struct paging_mode {
    const char *name;
    unsigned levels;
    const char *const *level_names;
    /* Page sizes: 4 KiB always; large_page_size too when paging.large_pages (PSE, or PAE). */
    uint64_t large_page_size; /* 4 MiB or 2 MiB */
    int (*init)(struct paging *pg, const struct paging_env *env);
    int (*create)(struct paging *pg, struct paging_as *as, enum paging_as_kind kind,
                  struct paging_as *kernel);
    int (*destroy)(struct paging_as *as);
    /* page_size: PAGING_SIZE_AUTO, PAGODA_PAGE_SIZE or large_page_size. */
    int (*map)(struct paging_as *as, uint32_t va, uint64_t pa, uint64_t size, uint32_t prot,
               uint64_t page_size, uint32_t flags);
    int (*unmap)(struct paging_as *as, uint32_t va, uint64_t size);
    int (*protect)(struct paging_as *as, uint32_t va, uint64_t size, uint32_t prot);
    void (*translate)(const struct paging_as *as, uint32_t va, struct paging_walk *walk);
    /* Sets EFER.NXE if the format enforces NX, drops global entries when the kernel half
     * changes (CR4.PGE toggle), then has env.load_tables load CR4 and CR3. */
    void (*activate)(struct paging_as *as);
    /* Forgets the active space (paging turned off, or before the last space is destroyed). */
    void (*deactivate)(struct paging *pg);
    void (*counters)(const struct paging *pg, struct paging_counters *out);
};

extern const struct paging_mode paging_mode_2level;
extern const struct paging_mode paging_mode_pae;

/* Internal description of one format; defined by paging_2level.c and paging_pae.c. */
struct paging_format;

/* One paging instance: a format bound to an environment. */
struct paging {
    const struct paging_mode *mode;
    const struct paging_format *format;
    struct paging_env env;
    struct paging_as *active;
    bool nx_enforced;
    bool global_enabled;
    bool large_pages;
    uint64_t phys_limit;       /* first physical address the format cannot reach */
    uint64_t large_phys_limit; /* the same for a range mapped only with large pages (PSE-36) */
    struct paging_counters counters;
};

/* The format as data, for callers that read or poke entries the walk found. */
unsigned paging_entry_bytes(const struct paging *pg);                /* 4 or 8 */
uint64_t paging_level_span(const struct paging *pg, unsigned level); /* bytes one entry covers */
/* What CR3 holds while the CPU uses this space. */
uint32_t paging_as_cr3(const struct paging_as *as);
/* Physical address of the entry a walk step read. */
uint64_t paging_entry_phys(const struct paging *pg, const struct paging_walk_level *step);

/*
 * Turns global pages on or off for every space of pg (nothing changes without env.pge_available).
 * Off clears CR4.PGE now if a space of pg is active, which drops every TLB entry, global ones
 * included (SDM 4.10.4.1), and keeps it clear on every later activate(): the G bits already in
 * the tables are then ignored, and new leaves get none. On sets CR4.PGE again.
 */
void paging_set_global(struct paging *pg, bool enabled);

/* Writes a multi-line, human-readable account of a walk (for the kernel's paging demo). */
int paging_walk_describe(const struct paging_walk *walk, char *buf, size_t size);

#endif
