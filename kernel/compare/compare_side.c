#include "compare_side.h"

#include "../arch/tss.h"
#include "../arch/x86.h"
#include "../vm/layout.h"
#include "../vm/vm.h"
#include "../vm/window.h"
#include "fmt.h"

#define PAGE_SIZE 4096u

/* entry.S (.boot, at its physical address): paging off, CR4, CR3, paging on. */
void vm_switch_paging(uint32_t cr3, uint32_t cr4);
extern const char kernel_boot_end[];

struct compare_side compare_sides[COMPARE_MODES];
struct compare_run compare_kernel_runs[COMPARE_MAX_RUNS];
unsigned compare_kernel_run_count;

static struct paging other_pg;
static struct paging_as other_as;
static enum compare_mode current;

/* The other format's activate() must not touch CR3/CR4 while the boot format is live: its
 * values are captured and applied by vm_switch_paging. */
static struct {
    bool on;
    uint32_t cr3, cr4;
} capture;

static void other_write_cr3(void *ctx, uint32_t cr3)
{
    (void)ctx;
    if (capture.on)
        capture.cr3 = cr3;
    else
        __asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static uint32_t other_read_cr4(void *ctx)
{
    (void)ctx;
    return capture.on ? capture.cr4 : read_cr4();
}

static void other_write_cr4(void *ctx, uint32_t cr4)
{
    (void)ctx;
    if (capture.on)
        capture.cr4 = cr4;
    else
        __asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

static void activate_captured(struct compare_side *side)
{
    capture.on = true;
    capture.cr4 = side->cr4 ? side->cr4 : read_cr4();
    side->pg->mode->activate(side->as);
    capture.on = false;
    side->cr3 = capture.cr3;
    side->cr4 = capture.cr4;
}

static uint32_t transition_size(void)
{
    uint32_t end = ((uint32_t)(uintptr_t)kernel_boot_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    return end - KERNEL_PHYS_BASE;
}

/* Size of what a non-present entry at this level leaves unmapped. */
static uint64_t hole_size(const struct paging_mode *mode, unsigned level)
{
    if (level == mode->levels - 1)
        return PAGE_SIZE;
    if (mode->levels == 3 && level == 0)
        return 1ull << 30;
    return mode->large_page_size;
}

static bool run_extends(const struct compare_run *run, uint64_t va, uint64_t pa, uint32_t prot)
{
    return run->size && run->va + run->size == va && run->pa + run->size == pa && run->prot == prot;
}

/* Walks the boot format's kernel half into runs (what the copy maps). */
static bool collect_kernel_runs(const struct compare_side *boot, char *why, size_t why_size)
{
    struct compare_run run = {0};
    compare_kernel_run_count = 0;
    for (uint64_t va = PAGING_KERNEL_BASE; va < PAGING_ADDR_SPACE;) {
        struct paging_walk w;
        boot->pg->mode->translate(boot->as, (uint32_t)va, &w);
        if (!w.mapped) {
            uint64_t hole = hole_size(boot->pg->mode, w.count ? w.count - 1 : 0);
            va = (va & ~(hole - 1)) + hole;
            continue;
        }
        uint64_t base_va = va & ~(w.page_size - 1);
        uint64_t base_pa = w.pa - (va - base_va);
        uint32_t prot = w.prot & (PAGING_PROT_FLAGS | PAGING_PROT_CACHE_MASK);
        if (run_extends(&run, base_va, base_pa, prot)) {
            run.size += w.page_size;
        } else {
            if (run.size) {
                if (compare_kernel_run_count == COMPARE_MAX_RUNS) {
                    pg_snprintf(why, why_size, "the kernel half has more than %u runs",
                                COMPARE_MAX_RUNS);
                    return false;
                }
                compare_kernel_runs[compare_kernel_run_count++] = run;
            }
            run = (struct compare_run){(uint32_t)base_va, base_pa, w.page_size, prot};
        }
        va = base_va + w.page_size;
    }
    if (run.size && compare_kernel_run_count < COMPARE_MAX_RUNS)
        compare_kernel_runs[compare_kernel_run_count++] = run;
    return true;
}

static bool fail(char *why, size_t why_size, const char *what, int rc)
{
    pg_snprintf(why, why_size, "%s: %s", what, paging_error_name(rc));
    return false;
}

static bool copy_kernel_half(struct compare_side *side, char *why, size_t why_size)
{
    const struct paging_mode *m = side->pg->mode;
    for (unsigned i = 0; i < compare_kernel_run_count; i++) {
        const struct compare_run *r = &compare_kernel_runs[i];
        /* From two-level every page reads as executable: the copy cannot know better. */
        int rc = m->map(side->as, r->va, r->pa, r->size, r->prot, PAGING_SIZE_AUTO, 0);
        if (rc != PAGING_OK)
            return fail(why, why_size, "copying the kernel half", rc);
    }
    return true;
}

/* The window's PTEs in side's tables, reachable through the direct map. */
static bool find_window(struct compare_side *side, char *why, size_t why_size)
{
    struct paging_walk w;
    side->pg->mode->translate(side->as, VM_WINDOW_BASE, &w);
    const struct paging_walk_level *pt = &w.level[w.count - 1];
    if (!w.mapped || w.page_size != PAGE_SIZE || !vm_in_direct_map(pt->table + PAGE_SIZE - 1)) {
        pg_snprintf(why, why_size, "the %s window table is outside the direct map", side->name);
        return false;
    }
    side->window_ptes =
        (volatile uint8_t *)KERNEL_VA(pt->table) + pt->index * (side->pae ? 8u : 4u);
    return true;
}

static int map_transition(struct compare_side *side)
{
    return side->pg->mode->map(side->as, KERNEL_PHYS_BASE, KERNEL_PHYS_BASE, transition_size(),
                               PAGING_PROT_READ | PAGING_PROT_EXEC, PAGING_PAGE_SIZE, 0);
}

bool compare_sides_init(char *why, size_t why_size)
{
    enum compare_mode boot_mode = vm.pae ? COMPARE_PAE : COMPARE_2LEVEL;
    struct compare_side *boot = &compare_sides[boot_mode];
    struct compare_side *other = &compare_sides[!boot_mode];
    *boot = (struct compare_side){.name = vm.pae ? "pae" : "2level",
                                  .pae = vm.pae,
                                  .booted = true,
                                  .pg = &vm.pg,
                                  .as = &vm.kernel_as,
                                  .cr3 = read_cr3(),
                                  .cr4 = read_cr4()};
    *other = (struct compare_side){
        .name = vm.pae ? "2level" : "pae", .pae = !vm.pae, .pg = &other_pg, .as = &other_as};
    current = boot_mode;
    if (!vm.pg.env.pae_available) {
        pg_snprintf(why, why_size, "this CPU has no PAE: only two-level paging can be measured");
        return false;
    }
    struct paging_env env = vm.pg.env;
    env.write_cr3 = other_write_cr3;
    env.read_cr4 = other_read_cr4;
    env.write_cr4 = other_write_cr4;
    const struct paging_mode *mode = other->pae ? &paging_mode_pae : &paging_mode_2level;
    int rc = mode->init(&other_pg, &env);
    if (rc == PAGING_OK)
        rc = mode->create(&other_pg, &other_as, PAGING_AS_KERNEL, 0);
    if (rc != PAGING_OK)
        return fail(why, why_size, "creating the second address space", rc);
    if (!collect_kernel_runs(boot, why, why_size) || !copy_kernel_half(other, why, why_size) ||
        !find_window(other, why, why_size) || !find_window(boot, why, why_size))
        return false;
    if ((rc = map_transition(other)) != PAGING_OK || (rc = map_transition(boot)) != PAGING_OK)
        return fail(why, why_size, "mapping the switch code at its physical address", rc);
    activate_captured(other);
    other_pg.mode->deactivate(&other_pg);
    return true;
}

enum compare_mode compare_current(void)
{
    return current;
}

void compare_enter(enum compare_mode mode)
{
    if (mode == current)
        return;
    struct compare_side *from = &compare_sides[current], *to = &compare_sides[mode];
    if (!from->booted)
        from->pg->mode->deactivate(from->pg);
    /* Through a pointer: the callee runs at its physical address, ~3 GiB below. */
    void (*volatile do_switch)(uint32_t, uint32_t) = vm_switch_paging;
    do_switch(to->cr3, to->cr4);
    current = mode;
    window_use_table(to->window_ptes, to->pae, to->pg->nx_enforced);
    if (!to->booted)
        activate_captured(to);
    tss_double_fault.cr3 = to->cr3;
}

void compare_sides_finish(void)
{
    struct compare_side *boot = &compare_sides[vm.pae ? COMPARE_PAE : COMPARE_2LEVEL];
    compare_enter(vm.pae ? COMPARE_PAE : COMPARE_2LEVEL);
    boot->pg->mode->unmap(boot->as, KERNEL_PHYS_BASE, transition_size());
    other_pg.mode->destroy(&other_as); /* its tables go back to the allocator */
}
