/*
 * Words for what the paging code returns: error names and a readable walk, for the kernel's
 * boot log and for test diagnostics.
 */
#include "paging.h"
#include "fmt.h"

static const char *const error_names[PAGING_ERR_COUNT] = {
    [PAGING_OK] = "ok",
    [PAGING_ERR_ALIGN] = "address or size not aligned to the page size",
    [PAGING_ERR_RANGE] = "empty range or range past 4 GiB",
    [PAGING_ERR_PHYS] = "physical address beyond the format's reach",
    [PAGING_ERR_NULL_PAGE] = "page 0 is never mapped without PAGING_MAP_ALLOW_NULL",
    [PAGING_ERR_EXISTS] = "part of the range is already mapped",
    [PAGING_ERR_NOT_MAPPED] = "part of the range is not mapped",
    [PAGING_ERR_NO_MEMORY] = "no frame for a page table",
    [PAGING_ERR_PAGE_SIZE] = "page size not supported",
    [PAGING_ERR_KERNEL_HALF] = "the kernel half is shared: change it through the kernel space",
    [PAGING_ERR_PROT] = "protection not allowed here",
    [PAGING_ERR_BUSY] = "address space is active or still shared",
    [PAGING_ERR_FEATURE] = "the CPU lacks a feature this format needs",
    [PAGING_ERR_ENV] = "a paging_env hook is missing",
};

const char *paging_error_name(int err)
{
    if (err < 0 || err >= PAGING_ERR_COUNT)
        return "unknown paging error";
    return error_names[err];
}

static const char *const cache_names[PAGING_CACHE_COUNT] = {"WB", "WT", "UC-", "UC", "WC"};

static const char *cache_name(uint32_t prot)
{
    unsigned cache = PAGING_PROT_CACHE_OF(prot);
    return cache < PAGING_CACHE_COUNT ? cache_names[cache] : "?";
}

/* Appends to buf at *used, never past size; keeps counting what it wanted, like snprintf. */
#define APPEND(...)                                                                                \
    used +=                                                                                        \
        pg_snprintf(buf + (used < size ? used : size), used < size ? size - used : 0, __VA_ARGS__)

int paging_walk_describe(const struct paging_walk *walk, char *buf, size_t size)
{
    size_t used = 0;
    APPEND("va 0x%08x  cr3 0x%08llx\n", walk->va, (unsigned long long)walk->cr3);
    for (unsigned i = 0; i < walk->count; i++) {
        const struct paging_walk_level *step = &walk->level[i];
        APPEND("  %-4s table 0x%09llx [%4u] = 0x%016llx  %s", step->name,
               (unsigned long long)step->table, step->index, (unsigned long long)step->entry,
               !step->present ? "not present"
               : step->leaf   ? "page"
                              : "table");
        if (step->present)
            APPEND("  so far %c%c%c", (step->prot_so_far & PAGING_PROT_WRITE) ? 'W' : '-',
                   (step->prot_so_far & PAGING_PROT_USER) ? 'U' : '-',
                   (step->prot_so_far & PAGING_PROT_EXEC) ? 'X' : '-');
        APPEND("\n");
    }
    if (walk->mapped)
        APPEND("  -> pa 0x%09llx, %llu KiB page, R%c%c%c%s %s\n", (unsigned long long)walk->pa,
               (unsigned long long)(walk->page_size >> 10),
               (walk->prot & PAGING_PROT_WRITE) ? 'W' : '-',
               (walk->prot & PAGING_PROT_USER) ? 'U' : '-',
               (walk->prot & PAGING_PROT_EXEC) ? 'X' : '-',
               (walk->prot & PAGING_PROT_GLOBAL) ? " global" : "", cache_name(walk->prot));
    else
        APPEND("  -> not mapped\n");
    return (int)used;
}
