#include "inspect.h"

#include "../arch/pte_bits.h"
#include "../mem/heap.h"
#include "../vm/env.h"
#include "../vm/format.h"
#include "../vm/kernel_half.h"
#include "../vm/kheap.h"
#include "pagoda/page.h"

static uint32_t format_of(const struct paging *pg)
{
    return pg->mode == &paging_mode_pae ? PAGODA_VM_PAE : PAGODA_VM_2LEVEL;
}

static uint32_t state_of(const struct task *t)
{
    switch (t->state) {
    case TASK_RUNNABLE:
        return PAGODA_PROC_RUNNABLE;
    case TASK_RUNNING:
        return PAGODA_PROC_RUNNING;
    case TASK_SLEEPING:
        return PAGODA_PROC_SLEEPING;
    case TASK_BLOCKED:
        return t->wants_input ? PAGODA_PROC_READING : PAGODA_PROC_WAITING;
    case TASK_ZOMBIE:
        return PAGODA_PROC_ZOMBIE;
    }
    return 0;
}

void inspect_process(const struct task *t, const struct task *holder, struct pagoda_proc_info *out)
{
    *out = (struct pagoda_proc_info){
        .pid = (uint32_t)t->pid,
        .parent = t->parent ? (uint32_t)t->parent->pid : 0,
        .state = state_of(t),
        .flags = (t == holder ? PAGODA_PROC_FOREGROUND : 0) | (t->killed ? PAGODA_PROC_KILLED : 0),
        .switches = t->switches_in,
    };
    for (unsigned i = 0; i < sizeof(out->name) - 1 && t->name[i]; i++)
        out->name[i] = t->name[i];
    if (t->state == TASK_ZOMBIE)
        return;
    const struct paging *pg = vm_space_paging(&t->uvm.space);
    const uint32_t *tables = vm_space_tables(&t->uvm.space);
    out->resident_pages = t->uvm.resident;
    for (unsigned level = 0; level < pg->mode->levels; level++)
        out->table_pages += tables[level];
}

/* The entry's bits in the ABI's names; bit 7 is PS only in a directory entry (in a page table it
 * is the PAT bit), and only PAE entries have NX. */
static uint32_t entry_bits(uint64_t entry, bool pae, bool directory)
{
    static const struct {
        uint64_t pte;
        uint32_t abi;
    } same[] = {
        {PTE_P, PAGODA_PTE_PRESENT}, {PTE_RW, PAGODA_PTE_WRITE}, {PTE_US, PAGODA_PTE_USER},
        {PTE_PWT, PAGODA_PTE_PWT},   {PTE_PCD, PAGODA_PTE_PCD},  {PTE_A, PAGODA_PTE_ACCESSED},
        {PTE_D, PAGODA_PTE_DIRTY},   {PTE_G, PAGODA_PTE_GLOBAL},
    };
    uint32_t bits = 0;
    for (unsigned i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        if (entry & same[i].pte)
            bits |= same[i].abi;
    if (directory && (entry & PTE_PS))
        bits |= PAGODA_PTE_LARGE;
    if (pae && (entry & PTE_NX))
        bits |= PAGODA_PTE_NX;
    return bits;
}

void inspect_walk(const struct task *t, uint32_t va, struct pagoda_walk *out)
{
    const struct vm_space *space = &t->uvm.space;
    const struct paging *pg = vm_space_paging(space);
    bool pae = pg->mode == &paging_mode_pae;
    struct paging_walk w;
    vm_space_translate(space, va, &w);
    *out = (struct pagoda_walk){
        .pid = (uint32_t)t->pid,
        .va = va,
        .format = format_of(pg),
        .entry_bytes = paging_entry_bytes(pg),
        .cr3 = vm_space_cr3(space),
        .steps = w.count,
        .end = w.mapped ? PAGODA_WALK_MAPPED : PAGODA_WALK_NOT_PRESENT,
        .nx_enforced = pg->nx_enforced,
    };
    unsigned levels = pg->mode->levels;
    for (unsigned i = 0; i < w.count && i < PAGODA_WALK_MAX_LEVELS; i++) {
        const struct paging_walk_level *step = &w.level[i];
        uint32_t level = PAGODA_LEVEL_PT - (levels - 1 - i);
        out->step[i] = (struct pagoda_walk_step){
            .table = step->table,
            .entry = step->entry,
            .level = level,
            .index = step->index,
            .bits = entry_bits(step->entry, pae, level != PAGODA_LEVEL_PT),
            .leaf = step->leaf,
        };
    }
    if (w.mapped) {
        out->pa = w.pa;
        out->page_size = w.page_size;
        out->prot = PAGODA_PROT_READ | ((w.prot & PAGING_PROT_WRITE) ? PAGODA_PROT_WRITE : 0) |
                    ((w.prot & PAGING_PROT_EXEC) ? PAGODA_PROT_EXEC : 0);
        out->user = !!(w.prot & PAGING_PROT_USER);
        out->global = !!(w.prot & PAGING_PROT_GLOBAL);
    }
    if (va >= PAGODA_USER_END) {
        out->region_kind = PAGODA_REGION_KERNEL;
        return;
    }
    const struct region *r = region_find_const(&t->uvm.regions, va);
    if (r) {
        out->region_kind = r->kind;
        out->region_prot = r->prot;
    }
}

void inspect_tlb(struct pagoda_tlb_info *out)
{
    const struct paging *pg = vm_format_boot();
    struct paging_counters c;
    pg->mode->counters(pg, &c);
    *out = (struct pagoda_tlb_info){
        .format = format_of(pg),
        .global_pages = pg->global_enabled,
        .invlpg = c.invlpg,
        .cr3_reloads = c.cr3_reloads,
        .global_flushes = c.global_flushes,
    };
}

void inspect_memory(struct pagoda_mem_info *out)
{
    const struct paging *pg = vm_format_boot();
    const struct frames *frames = vm_env_frames();
    struct paging_counters c;
    pg->mode->counters(pg, &c);
    *out = (struct pagoda_mem_info){.format = format_of(pg), .levels = pg->mode->levels};
    for (unsigned z = 0; z < PAGODA_MEM_ZONES && z < FRAMES_ZONE_COUNT; z++)
        out->zone[z] = (struct pagoda_mem_zone){frames->zone[z].total, frames->zone[z].free};
    const uint32_t *kernel_tables = vm_space_tables(vm_kernel_space());
    for (unsigned level = 0; level < pg->mode->levels && level < PAGODA_VM_MAX_LEVELS; level++) {
        out->table_pages[level] = c.tables[level];
        out->kernel_table_pages[level] = kernel_tables[level];
    }
    struct heap_stats hs;
    heap_stats(vm_kheap(), &hs);
    _Static_assert(HEAP_CLASS_COUNT <= PAGODA_MEM_MAX_CLASSES, "meminfo holds every size class");
    out->heap_region_pages = hs.region_pages;
    out->heap_backed_pages = hs.backed_pages;
    out->heap_peak_pages = hs.peak_backed_pages;
    out->heap_class_count = HEAP_CLASS_COUNT;
    out->large_blocks = hs.large_in_use;
    out->large_pages = hs.large_pages;
    out->large_bytes = hs.large_bytes;
    for (unsigned i = 0; i < HEAP_CLASS_COUNT; i++) {
        const struct heap_class_stats *s = &hs.cls[i];
        out->heap_class[i] = (struct pagoda_heap_class){
            .size = s->size,
            .objects_per_slab = s->objects_per_slab,
            .pages_per_slab = s->pages_per_slab,
            .slabs = s->slabs,
            .in_use = s->in_use,
            .peak_in_use = s->peak_in_use,
            .allocs = s->allocs,
            .frees = s->frees,
        };
    }
}
