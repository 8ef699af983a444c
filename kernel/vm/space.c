#include "space.h"

#include "../arch/layout.h"
#include "../arch/paging_switch.h"
#include "../arch/tss.h"
#include "../panic.h"
#include "env.h"
#include "pagoda/page.h"
#include "phys.h"
#include "window.h"

static struct vm_space *current;

/* ---- create, destroy ---- */

int vm_space_create_kernel(struct vm_space *s, struct paging *pg)
{
    *s = (struct vm_space){0};
    return pg->mode->create(pg, &s->as, PAGING_AS_KERNEL, 0);
}

int vm_space_create_user(struct vm_space *s, struct vm_space *kernel)
{
    *s = (struct vm_space){.kernel = kernel};
    return kernel->as.pg->mode->create(kernel->as.pg, &s->as, PAGING_AS_USER, &kernel->as);
}

int vm_space_create_scratch(struct vm_space *s, struct paging *pg)
{
    *s = (struct vm_space){0};
    return pg->mode->create(pg, &s->as, PAGING_AS_FULL, 0);
}

int vm_space_destroy(struct vm_space *s)
{
    if (s == current)
        return PAGING_ERR_BUSY;
    return s->as.pg->mode->destroy(&s->as);
}

/* ---- the paging operations ---- */

int vm_space_map(struct vm_space *s, uint32_t va, uint64_t pa, uint64_t size, uint32_t prot,
                 uint64_t page_size, uint32_t flags)
{
    return s->as.pg->mode->map(&s->as, va, pa, size, prot, page_size, flags);
}

int vm_space_unmap(struct vm_space *s, uint32_t va, uint64_t size)
{
    return s->as.pg->mode->unmap(&s->as, va, size);
}

int vm_space_protect(struct vm_space *s, uint32_t va, uint64_t size, uint32_t prot)
{
    return s->as.pg->mode->protect(&s->as, va, size, prot);
}

void vm_space_translate(const struct vm_space *s, uint32_t va, struct paging_walk *walk)
{
    s->as.pg->mode->translate(&s->as, va, walk);
}

struct paging *vm_space_paging(const struct vm_space *s)
{
    return s->as.pg;
}

const uint32_t *vm_space_tables(const struct vm_space *s)
{
    return s->as.tables;
}

volatile void *vm_space_entry(const struct vm_space *s, const struct paging_walk_level *step)
{
    uint64_t phys = paging_entry_phys(s->as.pg, step);
    uint8_t *table = vm_table_map(pagoda_page_down(phys));
    return table ? table + (phys & PAGODA_PAGE_MASK) : 0;
}

uint32_t vm_space_cr3(const struct vm_space *s)
{
    return paging_as_cr3(&s->as);
}

struct vm_space *vm_space_current(void)
{
    return current;
}

/* ---- switching ---- */

struct vm_space *vm_space_kernel_half(struct vm_space *s)
{
    return s->kernel ? s->kernel : s;
}

/* The switch code's page(s), at their physical address: kernel image start to .boot's end. */
static uint32_t identity_size(void)
{
    return (uint32_t)pagoda_page_up((uint32_t)(uintptr_t)kernel_boot_end) - KERNEL_PHYS_BASE;
}

static void map_identity(struct vm_space *s)
{
    int rc = vm_space_map(s, KERNEL_PHYS_BASE, KERNEL_PHYS_BASE, identity_size(),
                          PAGING_PROT_READ | PAGING_PROT_EXEC, PAGODA_PAGE_SIZE, 0);
    if (rc != PAGING_OK)
        panic("vm: mapping the switch code at its physical address: %s", paging_error_name(rc));
}

static void unmap_identity(struct vm_space *s)
{
    int rc = vm_space_unmap(s, KERNEL_PHYS_BASE, identity_size());
    if (rc != PAGING_OK)
        panic("vm: removing the identity mapping of the switch code: %s", paging_error_name(rc));
}

/* What the CPU sees of the kernel half changed: the window and the double-fault task (which
 * loads CR3 but keeps CR4) must use the new kernel half's tables. */
static void follow_kernel_half(struct vm_space *s)
{
    struct vm_space *k = vm_space_kernel_half(s);
    if (!k->window_ptes)
        panic("vm: switch to a kernel half without a window");
    window_use_table(k->window_ptes, paging_entry_bytes(k->as.pg), k->as.pg->nx_enforced);
    tss_set_double_fault_cr3(vm_space_cr3(k));
}

void vm_space_switch(struct vm_space *to)
{
    struct vm_space *from = current;
    if (to == from)
        return;
    if (to->as.kind == PAGING_AS_FULL)
        panic("vm: switch to a scratch space");
    /* From the boot page directory (from == NULL) the format may change too: it is two-level
     * with 4 MiB pages, and it identity-maps the first 4 MiB where the switch code lies. */
    bool format_change = !from || from->as.pg != to->as.pg;
    if (format_change) {
        if (from)
            map_identity(from);
        map_identity(to);
        if (from)
            from->as.pg->mode->deactivate(from->as.pg);
        vm_env_allow_format_switch(true);
    }
    to->as.pg->mode->activate(&to->as);
    current = to;
    if (!from || vm_space_kernel_half(from) != vm_space_kernel_half(to))
        follow_kernel_half(to);
    if (format_change) {
        vm_env_allow_format_switch(false);
        unmap_identity(to);
        if (from)
            unmap_identity(from);
    }
}
