#include "kernel_half.h"

#include "../arch/cpu.h"
#include "../arch/layout.h"
#include "../arch/pte_bits.h"
#include "../arch/x86.h"
#include "../panic.h"
#include "env.h"
#include "format.h"
#include "pagoda/page.h"
#include "phys.h"
#include "vm_plan.h"
#include "window.h"

/* Linker script and arch/boot_data.S. */
extern const char kernel_text_start[], kernel_text_end[];
extern const char kernel_rodata_start[], kernel_rodata_end[];
extern const char kernel_data_start[], kernel_bss_end[];
extern const char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];
extern const char double_fault_stack_guard[], double_fault_stack_bottom[], double_fault_stack_top[];

#define KERNEL_RW (PAGING_PROT_READ | PAGING_PROT_WRITE | PAGING_PROT_GLOBAL)

static struct vm_kernel_region regions[VM_KERNEL_MAX_REGIONS];
static unsigned region_count;
static struct vm_space spaces[2]; /* [pae]: the kernel space of each format */
static bool built[2];
static struct vm_kernel_half_report report;

/* The window slots point at this page while idle. */
static uint8_t window_idle_page[PAGODA_PAGE_SIZE] __attribute__((aligned(PAGODA_PAGE_SIZE)));

/* ---- the region table ---- */

static uint32_t va_of(const char *symbol)
{
    return (uint32_t)(uintptr_t)symbol;
}

static void append(const char *name, uint32_t va, uint64_t size, uint32_t prot)
{
    if (!size)
        return;
    if (region_count == VM_KERNEL_MAX_REGIONS)
        panic("vm: more than %u kernel regions", VM_KERNEL_MAX_REGIONS);
    const struct vm_kernel_region *last = region_count ? &regions[region_count - 1] : 0;
    if (last && va < last->va + last->size)
        panic("vm: kernel region %s at 0x%08x overlaps %s", name, va, last->name);
    regions[region_count++] = (struct vm_kernel_region){
        .name = name, .va = va, .pa = KERNEL_PA(va), .size = size, .prot = prot};
}

/* The image's own pieces inside the direct map, in address order; guards are left unmapped. */
static const struct {
    const char *name;
    const char *start, *end; /* end rounded up to a page */
    uint32_t prot;           /* 0: a hole */
} image_pieces[] = {
    {"kernel text", kernel_text_start, kernel_text_end, PAGING_PROT_READ | PAGING_PROT_EXEC},
    {"kernel rodata", kernel_rodata_start, kernel_rodata_end, PAGING_PROT_READ},
    {"kernel data and bss", kernel_data_start, boot_stack_guard,
     PAGING_PROT_READ | PAGING_PROT_WRITE},
    {"boot stack guard", boot_stack_guard, boot_stack_bottom, 0},
    {"boot stack", boot_stack_bottom, boot_stack_top, PAGING_PROT_READ | PAGING_PROT_WRITE},
    {"double-fault stack guard", double_fault_stack_guard, double_fault_stack_bottom, 0},
    {"double-fault stack", double_fault_stack_bottom, double_fault_stack_top,
     PAGING_PROT_READ | PAGING_PROT_WRITE},
};

/* The direct map with the image's pieces cut out of it and put in with their own rights. */
static void plan_regions(uint64_t direct_end)
{
    uint32_t cursor = KERNEL_VIRT_BASE;
    for (unsigned i = 0; i < sizeof(image_pieces) / sizeof(image_pieces[0]); i++) {
        uint32_t start = (uint32_t)pagoda_page_down(va_of(image_pieces[i].start));
        uint32_t end = (uint32_t)pagoda_page_up(va_of(image_pieces[i].end));
        append("direct map", cursor, start - cursor, KERNEL_RW);
        if (image_pieces[i].prot)
            append(image_pieces[i].name, start, end - start,
                   image_pieces[i].prot | PAGING_PROT_GLOBAL);
        cursor = end;
    }
    append("direct map", cursor, KERNEL_VA(direct_end) - cursor, KERNEL_RW);
}

static void append_populated(const char *name, uint32_t va, uint32_t end)
{
    append(name, va, end - va, KERNEL_RW);
    regions[region_count - 1].populated = true;
}

unsigned vm_kernel_regions(const struct vm_kernel_region **out)
{
    *out = regions;
    return region_count;
}

/* ---- building a kernel space ---- */

/* A populated region in a new kernel space: the pages the boot format's space has now. */
static int copy_populated(struct vm_space *s, const struct vm_kernel_region *r)
{
    struct vm_space *boot = vm_kernel_space();
    for (uint64_t offset = 0; offset < r->size; offset += PAGODA_PAGE_SIZE) {
        struct paging_walk w;
        vm_space_translate(boot, r->va + (uint32_t)offset, &w);
        if (!w.mapped)
            continue;
        int rc = vm_space_map(s, r->va + (uint32_t)offset, pagoda_page_down(w.pa), PAGODA_PAGE_SIZE,
                              r->prot, PAGODA_PAGE_SIZE, 0);
        if (rc != PAGING_OK)
            return rc;
    }
    return PAGING_OK;
}

static int map_region(struct vm_space *s, const struct vm_kernel_region *r)
{
    if (r->populated)
        return s == vm_kernel_space() ? PAGING_OK : copy_populated(s, r);
    return vm_space_map(s, r->va, r->pa, r->size, r->prot, PAGING_SIZE_AUTO, 0);
}

/* Maps the window's slots at the idle page and finds their entries, which must be reachable
 * through the direct map: the window cannot edit its own table. */
static const char *map_window(struct vm_space *s)
{
    for (unsigned slot = 0; slot < VM_WINDOW_SLOTS; slot++) {
        int rc = vm_space_map(s, VM_WINDOW_BASE + slot * PAGODA_PAGE_SIZE,
                              KERNEL_PA(window_idle_page), PAGODA_PAGE_SIZE,
                              PAGING_PROT_READ | PAGING_PROT_GLOBAL, PAGODA_PAGE_SIZE, 0);
        if (rc != PAGING_OK)
            return paging_error_name(rc);
    }
    struct paging_walk walk;
    vm_space_translate(s, VM_WINDOW_BASE, &walk);
    const struct paging_walk_level *pt = &walk.level[walk.count - 1];
    uint64_t entry = paging_entry_phys(vm_space_paging(s), pt);
    if (!walk.mapped || walk.page_size != PAGODA_PAGE_SIZE || !vm_in_direct_map(entry))
        return "the window's page table lies outside the direct map";
    s->window_ptes = (volatile void *)KERNEL_VA(entry);
    return 0;
}

static const char *build(struct vm_space *s, struct paging *pg)
{
    int rc = vm_space_create_kernel(s, pg);
    if (rc != PAGING_OK)
        return paging_error_name(rc);
    for (unsigned i = 0; i < region_count; i++) {
        rc = map_region(s, &regions[i]);
        if (rc != PAGING_OK) {
            vm_space_destroy(s);
            return paging_error_name(rc);
        }
    }
    const char *why = map_window(s);
    if (why)
        vm_space_destroy(s);
    return why;
}

struct vm_space *vm_kernel_space(void)
{
    return &spaces[vm_format_chosen()->pae];
}

struct vm_space *vm_kernel_space_of(bool pae, const char **why)
{
    if (built[pae])
        return &spaces[pae];
    struct paging *pg = vm_format_paging(pae);
    if (!pg) {
        *why = "this CPU has no PAE";
        return 0;
    }
    *why = build(&spaces[pae], pg);
    if (*why)
        return 0;
    built[pae] = true;
    return &spaces[pae];
}

void vm_kernel_space_release(bool pae)
{
    if (pae == vm_format_chosen()->pae || !built[pae])
        return;
    int rc = vm_space_destroy(&spaces[pae]);
    if (rc != PAGING_OK)
        panic("vm: the %s kernel space cannot be released: %s", vm_format_paging(pae)->mode->name,
              paging_error_name(rc));
    built[pae] = false;
}

int vm_kernel_half_add(const struct vm_kernel_region *region)
{
    if (region_count == VM_KERNEL_MAX_REGIONS)
        return PAGING_ERR_RANGE;
    for (unsigned pae = 0; pae < 2; pae++) {
        if (!built[pae])
            continue;
        int rc = map_region(&spaces[pae], region);
        if (rc != PAGING_OK) {
            for (unsigned undo = 0; undo < pae; undo++)
                if (built[undo])
                    vm_space_unmap(&spaces[undo], region->va, region->size);
            return rc;
        }
    }
    unsigned at = region_count++;
    while (at > 0 && regions[at - 1].va > region->va) {
        regions[at] = regions[at - 1];
        at--;
    }
    regions[at] = *region;
    return PAGING_OK;
}

static const struct vm_kernel_region *populated_region_of(uint32_t va, uint64_t size)
{
    for (unsigned i = 0; i < region_count; i++) {
        const struct vm_kernel_region *r = &regions[i];
        if (r->populated && va >= r->va && size <= r->size && va - r->va <= r->size - size)
            return r;
    }
    return 0;
}

void vm_kernel_depopulate(uint32_t va, uint64_t size)
{
    if (!populated_region_of(va, size))
        panic("vm: depopulating 0x%08x+0x%llx outside the populated regions", va,
              (unsigned long long)size);
    for (unsigned pae = 0; pae < 2; pae++)
        if (built[pae])
            vm_space_unmap(&spaces[pae], va, size);
}

int vm_kernel_populate(uint32_t va, uint64_t pa, uint64_t size)
{
    const struct vm_kernel_region *r = populated_region_of(va, size);
    if (!r)
        return PAGING_ERR_RANGE;
    for (unsigned pae = 0; pae < 2; pae++) {
        if (!built[pae])
            continue;
        int rc = vm_space_map(&spaces[pae], va, pa, size, r->prot, PAGODA_PAGE_SIZE, 0);
        if (rc != PAGING_OK) {
            for (unsigned undo = 0; undo < pae; undo++)
                if (built[undo])
                    vm_space_unmap(&spaces[undo], va, size);
            return rc;
        }
    }
    return PAGING_OK;
}

enum frames_where vm_kernel_populate_where(void)
{
    for (unsigned pae = 0; pae < 2; pae++)
        if (built[pae] && vm_space_paging(&spaces[pae])->phys_limit <= FRAMES_LOW_LIMIT_PFN
                                                                           << PAGODA_PAGE_SHIFT)
            return FRAMES_BELOW_4G;
    return FRAMES_ANYWHERE;
}

uint32_t vm_kernel_half_tables(void)
{
    return vm_kernel_half_tables_of(vm_kernel_space());
}

uint32_t vm_kernel_half_tables_of(const struct vm_space *kernel)
{
    const struct paging *pg = vm_space_paging(kernel);
    unsigned leaf_level = pg->mode->levels - 1;
    uint64_t span = paging_level_span(pg, leaf_level - 1); /* what one page table maps */
    /* PAE: the kernel half is one page directory of its own. */
    uint32_t tables = leaf_level == 2 ? 1 : 0;
    for (uint64_t va = PAGING_KERNEL_BASE; va < PAGING_ADDR_SPACE; va += span) {
        struct paging_walk w;
        vm_space_translate(kernel, (uint32_t)va, &w);
        tables += w.count == pg->mode->levels; /* the walk reached a page table */
    }
    return tables;
}

const struct vm_kernel_half_report *vm_kernel_half_report(void)
{
    return &report;
}

/* ---- the boot switch ---- */

/* VM_POOL_FRAMES free frames inside the direct map (vm_plan_pool), claimed from the allocator. */
static uint64_t claim_pool(struct mem_setup *mem, uint64_t direct_end)
{
    uint64_t base;
    if (!vm_plan_pool(&mem->map, direct_end, mem->metadata_phys, VM_POOL_FRAMES, &base))
        return 0; /* every table then comes from the allocator, through the window if need be */
    uint64_t top = base + (uint64_t)VM_POOL_FRAMES * PAGODA_PAGE_SIZE;
    uint64_t claimed = frames_reserve(&mem->frames, base, top);
    if (claimed != VM_POOL_FRAMES)
        panic("vm: page-table pool at 0x%llx: only %llu of %u frames were free",
              (unsigned long long)base, (unsigned long long)claimed, VM_POOL_FRAMES);
    return base;
}

void vm_init(struct mem_setup *mem)
{
    bool pae = vm_format_chosen()->pae;
    uint64_t direct_end = vm_plan_direct_map_end(&mem->map, DIRECT_MAP_MAX);
    if (direct_end < KERNEL_PA(kernel_bss_end))
        panic("vm: the memory map reports RAM only up to 0x%llx, below the kernel's end 0x%x",
              (unsigned long long)direct_end, KERNEL_PA(kernel_bss_end));
    vm_env_init(&mem->frames, claim_pool(mem, direct_end));
    plan_regions(direct_end);
    append_populated("kernel heap", VM_HEAP_START, VM_HEAP_END);
    append_populated("kernel stacks", VM_KSTACK_START, VM_KSTACK_END);
    struct paging *pg = vm_format_boot();
    const char *why = build(&spaces[pae], pg);
    if (why)
        panic("vm: building the kernel's %s address space: %s", pg->mode->name, why);
    built[pae] = true;
    report.direct_map_end = direct_end;
    for (unsigned level = 0; level < PAGING_MAX_LEVELS; level++)
        report.built_tables[level] = spaces[pae].as.tables[level];
    if (pg->env.pat_available)
        wrmsr(MSR_IA32_PAT, PAGING_PAT_MSR_VALUE);
    vm_space_switch(&spaces[pae]);
    vm_phys_set_direct_end(direct_end);
    write_cr0(read_cr0() | CR0_WP);
}
