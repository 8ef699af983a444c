#include "vm.h"

#include "../arch/cpu.h"
#include "../arch/tss.h"
#include "../arch/x86.h"
#include "../boot/units.h"
#include "../console/console.h"
#include "../panic.h"
#include "../paging/pte_bits.h"
#include "layout.h"
#include "vm_plan.h"
#include "window.h"

#define PAGE_SIZE 4096u
#define PAGE_MASK ((uint64_t)PAGE_SIZE - 1)

/* Linker script and entry.S. */
extern const char kernel_boot_start[], kernel_boot_end[];
extern const char kernel_text_start[], kernel_text_end[];
extern const char kernel_rodata_start[], kernel_rodata_end[];
extern const char kernel_data_start[], kernel_bss_end[];
extern const char boot_stack_guard[], double_fault_stack_guard[];
/* entry.S, in .boot: paging off, CR4 and CR3 loaded, paging (and WP) on, at its physical
 * address, touching no memory in between. */
void vm_switch_paging(uint32_t cr3, uint32_t cr4);

struct vm_state vm;
static struct mem_setup *mem;

/* The window slots point at this page while idle. */
static uint8_t window_idle_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* First activation: the CR3/CR4 values the paging layer wants, applied by vm_switch_paging. */
static struct {
    bool deferred;
    uint32_t cr3, cr4;
} pending;

static uint32_t page_round_up(uint32_t va)
{
    return (va + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* ---- what the direct map reaches ---- */

/* Before the switch the boot page directory maps all of DIRECT_MAP_MAX. */
static uint64_t direct_reach(void)
{
    return vm.active ? vm.direct_map_end : DIRECT_MAP_MAX;
}

bool vm_in_direct_map(uint64_t phys)
{
    return phys < direct_reach();
}

void *vm_phys_ptr(uint64_t phys)
{
    if (phys + PAGE_SIZE <= direct_reach())
        return (void *)KERNEL_VA(phys);
    uint8_t *first = window_map(WINDOW_SLOT_PHYS, phys);
    if (!first || !window_map(WINDOW_SLOT_PHYS2, (phys & ~PAGE_MASK) + PAGE_SIZE))
        return 0;
    return first;
}

void *vm_frame_map(uint64_t phys)
{
    if (vm_in_direct_map(phys))
        return (void *)KERNEL_VA(phys & ~PAGE_MASK);
    return window_map(WINDOW_SLOT_CLIENT, phys & ~PAGE_MASK);
}

/* ---- the page-table pool and the paging environment ---- */

static bool pool_owns(uint64_t phys)
{
    return vm.pool_phys && phys >= vm.pool_phys &&
           phys < vm.pool_phys + (uint64_t)VM_POOL_FRAMES * PAGE_SIZE;
}

static bool pool_take(uint64_t *phys)
{
    for (unsigned w = 0; w < sizeof(vm.pool_free_bits) / sizeof(vm.pool_free_bits[0]); w++) {
        if (!vm.pool_free_bits[w])
            continue;
        unsigned bit = (unsigned)__builtin_ctz(vm.pool_free_bits[w]);
        vm.pool_free_bits[w] &= ~(1u << bit);
        *phys = vm.pool_phys + (uint64_t)(w * 32 + bit) * PAGE_SIZE;
        return true;
    }
    return false;
}

static void pool_give_back(uint64_t phys)
{
    uint32_t index = (uint32_t)((phys - vm.pool_phys) >> 12);
    if (vm.pool_free_bits[index / 32] & (1u << (index % 32)))
        panic("vm: page-table frame 0x%llx freed twice", (unsigned long long)phys);
    vm.pool_free_bits[index / 32] |= 1u << (index % 32);
}

static bool env_alloc_table(void *ctx, bool below_4g, uint64_t *phys)
{
    (void)ctx;
    if (pool_take(phys))
        return true;
    uint64_t frame = frames_alloc(&mem->frames, below_4g ? FRAMES_BELOW_4G : FRAMES_ANYWHERE);
    if (frame == FRAMES_NONE)
        return false;
    *phys = frame;
    return true;
}

static void env_free_table(void *ctx, uint64_t phys)
{
    (void)ctx;
    if (pool_owns(phys))
        pool_give_back(phys);
    else
        frames_free(&mem->frames, phys);
}

static void *env_table_ptr(void *ctx, uint64_t phys)
{
    (void)ctx;
    if (phys + PAGE_SIZE <= direct_reach())
        return (void *)KERNEL_VA(phys);
    return window_map(WINDOW_SLOT_TABLE, phys);
}

static void env_write_cr3(void *ctx, uint32_t cr3)
{
    (void)ctx;
    if (pending.deferred)
        pending.cr3 = cr3;
    else
        __asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static void env_invlpg(void *ctx, uint32_t va)
{
    (void)ctx;
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static uint32_t env_read_cr4(void *ctx)
{
    (void)ctx;
    return pending.deferred ? pending.cr4 : read_cr4();
}

static void env_write_cr4(void *ctx, uint32_t cr4)
{
    (void)ctx;
    if (pending.deferred)
        pending.cr4 = cr4;
    else
        __asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

static uint64_t env_read_efer(void *ctx)
{
    (void)ctx;
    return rdmsr(MSR_IA32_EFER);
}

/* EFER.NXE may be set while two-level paging is still on: only PAE entries have an NX bit. */
static void env_write_efer(void *ctx, uint64_t efer)
{
    (void)ctx;
    wrmsr(MSR_IA32_EFER, efer);
}

static struct paging_env vm_env(void)
{
    return (struct paging_env){
        .alloc_table = env_alloc_table,
        .free_table = env_free_table,
        .table_ptr = env_table_ptr,
        .write_cr3 = env_write_cr3,
        .invlpg = env_invlpg,
        .read_cr4 = env_read_cr4,
        .write_cr4 = env_write_cr4,
        .read_efer = env_read_efer,
        .write_efer = env_write_efer,
        .pse_available = cpu.pse,
        .pse36_available = cpu.pse36,
        .pae_available = cpu.pae,
        .pge_available = cpu.pge,
        .nx_available = cpu.nx && cpu.has_efer,
        .pat_available = cpu.pat && cpu.msr,
        .phys_addr_bits = (uint8_t)cpu.physical_address_bits,
    };
}

/* ---- the choice ---- */

void vm_choose_mode(enum kernel_paging asked)
{
    vm.asked = asked;
    switch (asked) {
    case KERNEL_PAGING_2LEVEL:
        vm.pae = false;
        vm.why = "asked for: paging=2level";
        break;
    case KERNEL_PAGING_PAE:
        vm.pae = cpu.pae;
        vm.fallback = !cpu.pae;
        vm.why = cpu.pae ? "asked for: paging=pae"
                 : (cpu.cleared & CMDLINE_CPUID_PAE)
                     ? "paging=pae asked for, but PAE is hidden by clearcpuid=pae: "
                       "falling back to two-level paging"
                     : "paging=pae asked for, but this CPU has no PAE (CPUID.1:EDX bit 6): "
                       "falling back to two-level paging";
        break;
    case KERNEL_PAGING_AUTO:
    default:
        vm.pae = cpu.pae;
        vm.why = cpu.pae ? "auto: the CPU has PAE" : "auto: the CPU has no PAE";
        break;
    }
    if (vm.fallback) {
        console_set_color(CONSOLE_WARN);
        kprintf("pagoda: %s\n", vm.why);
        console_set_color(CONSOLE_NORMAL);
    }
}

uint64_t vm_pool_limit(void)
{
    if (!vm.pae)
        return PAGING_ADDR_SPACE;
    unsigned bits = cpu.physical_address_bits ? cpu.physical_address_bits : 36u;
    if (bits > PAE_MAX_PHYS_BITS)
        bits = PAE_MAX_PHYS_BITS;
    return 1ull << bits;
}

/* ---- building the address space ---- */

static void must(int rc, const char *what)
{
    if (rc != PAGING_OK)
        panic("vm: %s failed: %s", what, paging_error_name(rc));
}

/* VM_POOL_FRAMES free frames inside the direct map (vm_plan_pool), claimed from the allocator. */
static void pool_reserve(void)
{
    uint64_t base;
    if (!vm_plan_pool(&mem->map, vm.direct_map_end, mem->metadata_phys, VM_POOL_FRAMES, &base))
        return; /* every table then comes from the allocator, through the window if need be */
    uint64_t top = base + (uint64_t)VM_POOL_FRAMES * PAGE_SIZE;
    uint64_t claimed = frames_reserve(&mem->frames, base, top);
    if (claimed != VM_POOL_FRAMES)
        panic("vm: page-table pool at 0x%llx: only %llu of %u frames were free",
              (unsigned long long)base, (unsigned long long)claimed, VM_POOL_FRAMES);
    vm.pool_phys = base;
    for (unsigned f = 0; f < VM_POOL_FRAMES; f++)
        vm.pool_free_bits[f / 32] |= 1u << (f % 32);
}

static void map_direct(void)
{
    const struct paging_mode *m = vm.pg.mode;
    must(m->map(&vm.kernel_as, KERNEL_VIRT_BASE, 0, vm.direct_map_end,
                PAGING_PROT_READ | PAGING_PROT_WRITE | PAGING_PROT_GLOBAL, PAGING_SIZE_AUTO, 0),
         "mapping the direct map");
    for (unsigned level = 0; level < PAGING_MAX_LEVELS; level++)
        vm.direct_map_tables[level] = vm.pg.counters.tables[level];
}

static void protect_section(const char *start, const char *end, uint32_t prot, const char *what)
{
    uint32_t va = (uint32_t)(uintptr_t)start & ~(PAGE_SIZE - 1);
    uint32_t size = page_round_up((uint32_t)(uintptr_t)end) - va;
    if (size)
        must(vm.pg.mode->protect(&vm.kernel_as, va, size, prot | PAGING_PROT_GLOBAL), what);
}

static void protect_kernel_image(void)
{
    protect_section(kernel_text_start, kernel_text_end, PAGING_PROT_READ | PAGING_PROT_EXEC,
                    "protecting kernel text (R-X)");
    protect_section(kernel_rodata_start, kernel_rodata_end, PAGING_PROT_READ,
                    "protecting kernel rodata (R--)");
    /* data and bss keep the direct map's read-write, no-execute */
    const struct paging_mode *m = vm.pg.mode;
    must(m->unmap(&vm.kernel_as, (uint32_t)(uintptr_t)boot_stack_guard, PAGE_SIZE),
         "unmapping the boot stack's guard page");
    must(m->unmap(&vm.kernel_as, (uint32_t)(uintptr_t)double_fault_stack_guard, PAGE_SIZE),
         "unmapping the double-fault stack's guard page");
}

/* The window's page table must be reachable without the window: it comes from the pool. */
static volatile void *map_window(void)
{
    const struct paging_mode *m = vm.pg.mode;
    for (unsigned slot = 0; slot < VM_WINDOW_SLOTS; slot++)
        must(m->map(&vm.kernel_as, VM_WINDOW_BASE + slot * PAGE_SIZE, KERNEL_PA(window_idle_page),
                    PAGE_SIZE, PAGING_PROT_READ | PAGING_PROT_GLOBAL, PAGING_PAGE_SIZE, 0),
             "mapping the temporary window");
    struct paging_walk walk;
    m->translate(&vm.kernel_as, VM_WINDOW_BASE, &walk);
    const struct paging_walk_level *pt = &walk.level[walk.count - 1];
    if (!walk.mapped || pt->table + PAGE_SIZE > vm.direct_map_end)
        panic("vm: the window's page table at 0x%llx is outside the direct map",
              (unsigned long long)pt->table);
    unsigned entry_bytes = vm.pae ? 8u : 4u;
    return (volatile uint8_t *)KERNEL_VA(pt->table) + pt->index * entry_bytes;
}

static uint32_t transition_size(void)
{
    return page_round_up((uint32_t)(uintptr_t)kernel_boot_end) - KERNEL_PHYS_BASE;
}

/* vm_switch_paging turns paging off and on again while running at its physical address, so
 * the new tables map that page to itself for the moment of the switch. */
static void map_transition(void)
{
    must(vm.pg.mode->map(&vm.kernel_as, KERNEL_PHYS_BASE, KERNEL_PHYS_BASE, transition_size(),
                         PAGING_PROT_READ | PAGING_PROT_EXEC, PAGING_PAGE_SIZE, 0),
         "mapping the switch code at its physical address");
}

static void switch_to_kernel_space(volatile void *window_ptes)
{
    if (vm.pg.env.pat_available)
        wrmsr(MSR_IA32_PAT, PAGING_PAT_MSR_VALUE);
    pending.deferred = true;
    pending.cr4 = read_cr4();
    vm.pg.mode->activate(&vm.kernel_as);
    pending.deferred = false;
    /* Through a pointer: the callee is at its physical address, ~3 GiB below the caller. */
    void (*volatile do_switch)(uint32_t, uint32_t) = vm_switch_paging;
    do_switch(pending.cr3, pending.cr4);
    vm.active = true;
    window_use_table(window_ptes, vm.pae, vm.pg.nx_enforced);
    must(vm.pg.mode->unmap(&vm.kernel_as, KERNEL_PHYS_BASE, transition_size()),
         "removing the identity mapping of the switch code");
    tss_double_fault.cr3 = read_cr3();
}

void vm_init(struct mem_setup *setup)
{
    mem = setup;
    struct paging_env env = vm_env();
    const struct paging_mode *mode = vm.pae ? &paging_mode_pae : &paging_mode_2level;
    must(mode->init(&vm.pg, &env), "paging init");
    vm.direct_map_end = vm_plan_direct_map_end(&mem->map, DIRECT_MAP_MAX);
    if (vm.direct_map_end < (uint64_t)KERNEL_PA(kernel_bss_end))
        panic("vm: the memory map reports RAM only up to 0x%llx, below the kernel's end 0x%x",
              (unsigned long long)vm.direct_map_end, KERNEL_PA(kernel_bss_end));
    pool_reserve();
    must(mode->create(&vm.pg, &vm.kernel_as, PAGING_AS_KERNEL, 0), "creating the kernel space");
    map_direct();
    protect_kernel_image();
    volatile void *window_ptes = map_window();
    map_transition();
    vm.mmio_next = VM_MMIO_START;
    switch_to_kernel_space(window_ptes);
}

/* ---- MMIO ---- */

static bool phys_below(uint64_t base, uint64_t bytes, uint64_t limit)
{
    return base < limit && bytes <= limit - base;
}

/* Why [base, base+bytes) cannot be mapped at all, or NULL if it can (maybe only with large
 * pages: then *whole_large_pages is set). */
static const char *mmio_reach(uint64_t base, uint64_t bytes, bool *whole_large_pages)
{
    *whole_large_pages = false;
    if (phys_below(base, bytes, vm.pg.phys_limit))
        return 0;
    if (vm.pae)
        return "beyond the CPU's physical address width";
    if (!vm.pg.large_pages || !vm.pg.env.pse36_available)
        return "it is above 4 GiB and two-level paging without PSE-36 cannot reach it";
    uint64_t large = vm.pg.mode->large_page_size;
    uint64_t first = base & ~(large - 1);
    uint64_t last = (base + bytes + large - 1) & ~(large - 1);
    if (!phys_below(first, last - first, vm.pg.large_phys_limit))
        return "it is beyond the physical address bits PSE-36 reaches (40 at most)";
    *whole_large_pages = true;
    return 0;
}

void *vm_map_mmio(uint64_t phys, uint64_t size, enum paging_cache cache, const char **why)
{
    const struct paging_mode *m = vm.pg.mode;
    uint64_t offset = phys & PAGE_MASK;
    uint64_t base = phys - offset;
    uint64_t bytes = (size + offset + PAGE_MASK) & ~PAGE_MASK;
    uint64_t large = vm.pg.large_pages ? m->large_page_size : PAGE_SIZE;
    bool whole_large_pages;
    if (!vm.active) {
        *why = "the kernel's address space is not active yet";
        return 0;
    }
    *why = mmio_reach(base, bytes, &whole_large_pages);
    if (*why)
        return 0;
    if (whole_large_pages) {
        /* Two-level paging reaches above 4 GiB only with PSE-36 4 MiB pages: map the aligned
           4 MiB range that covers the device (SDM 4.3, table 4-4). */
        uint64_t first = base & ~(large - 1);
        offset += base - first;
        bytes = (base + bytes + large - 1) & ~(large - 1);
        base = first;
        bytes -= base;
    }
    uint32_t va = vm.mmio_next;
    if (bytes >= large && !(base & (large - 1)))
        va = (uint32_t)((va + large - 1) & ~(large - 1));
    if (cache == PAGING_CACHE_WC && !vm.pg.env.pat_available)
        cache = PAGING_CACHE_UC;
    if (bytes > VM_MMIO_END - va) {
        *why = "no room left in the MMIO region";
        return 0;
    }
    int rc =
        m->map(&vm.kernel_as, va, base, bytes,
               PAGING_PROT_READ | PAGING_PROT_WRITE | PAGING_PROT_GLOBAL | PAGING_PROT_CACHE(cache),
               PAGING_SIZE_AUTO, 0);
    if (rc != PAGING_OK) {
        *why = paging_error_name(rc);
        return 0;
    }
    /* bytes fits the MMIO region here, so 32-bit arithmetic suffices. */
    if (whole_large_pages)
        kprintf("vm: phys 0x%llx-0x%llx (above 4 GiB) mapped at 0x%08x with %u PSE-36 4 MiB "
                "pages\n",
                (unsigned long long)base, (unsigned long long)(base + bytes), va,
                (uint32_t)bytes / (uint32_t)large);
    vm.mmio_next = va + (uint32_t)bytes;
    vm.mmio_mappings++;
    return (void *)(uintptr_t)(va + (uint32_t)offset);
}

/* ---- reports ---- */

void vm_counters(struct paging_counters *out)
{
    vm.pg.mode->counters(&vm.pg, out);
}

void vm_print_walk(uint32_t va)
{
    char text[640];
    if (!vm.active) {
        kprintf("  (paging: the boot page directory is active; no walk)\n");
        return;
    }
    struct paging_walk walk;
    vm.pg.mode->translate(&vm.kernel_as, va, &walk);
    paging_walk_describe(&walk, text, sizeof(text));
    kprintf("  walk of 0x%08x through the %s tables (CR3 0x%08x):\n", va, vm.pg.mode->name,
            read_cr3());
    for (char *line = text; *line;) {
        char *end = line;
        while (*end && *end != '\n')
            end++;
        kprintf("  %.*s\n", (int)(end - line), line);
        line = *end ? end + 1 : end;
    }
}

static void print_tables(const char *label, const uint32_t *tables)
{
    kprintf("  %s:", label);
    uint32_t total = 0;
    for (unsigned level = 0; level < vm.pg.mode->levels; level++) {
        kprintf(" %s %u", vm.pg.mode->level_names[level], tables[level]);
        total += tables[level];
    }
    kprintf(" = %u pages (%u KiB)\n", total, total * 4u);
}

static void print_ms(const char *label, uint64_t cycles, uint64_t tsc_hz)
{
    uint64_t micro = tsc_hz ? cycles * 1000000ull / tsc_hz : 0;
    kprintf("%s%u.%03u", label, (unsigned)(micro / 1000), (unsigned)(micro % 1000));
}

void bootlog_vm(uint64_t tsc_hz)
{
    char size_text[24];
    struct paging_counters c;
    kheading("Paging");
    if (!vm.active) {
        kprintf("  not active\n");
        return;
    }
    vm_counters(&c);
    kprintf("  mode: %s (%s)\n", vm.pg.mode->name, vm.why);
    kprintf("  NX: %s; global pages: %s; CR0.WP: %s; PAT: %s\n",
            vm.pg.nx_enforced ? "enforced (EFER.NXE)"
            : vm.pae          ? "not available on this CPU"
                              : "not in this format (every page is executable)",
            vm.pg.global_enabled ? "on" : "off", (read_cr0() & CR0_WP) ? "on" : "off",
            vm.pg.env.pat_available ? "programmed (entry 4 = WC)" : "not available");
    units_format_size(vm.direct_map_end, size_text, sizeof(size_text));
    kprintf(
        "  direct map: phys 0x0-0x%llx (%s) at 0x%08x-0x%08x, %llu KiB pages\n",
        (unsigned long long)vm.direct_map_end, size_text, KERNEL_VIRT_BASE,
        (uint32_t)(KERNEL_VIRT_BASE + vm.direct_map_end),
        (unsigned long long)((vm.pg.large_pages ? vm.pg.mode->large_page_size : PAGE_SIZE) >> 10));
    print_tables("tables for the direct map", vm.direct_map_tables);
    print_tables("tables in use now", c.tables);
    char exec = vm.pg.nx_enforced ? '-' : 'X';
    kprintf("  kernel: text 0x%08x R-X, rodata 0x%08x R-%c, data 0x%08x RW%c, all global; "
            "guard pages at 0x%08x and 0x%08x\n",
            (unsigned)(uintptr_t)kernel_text_start, (unsigned)(uintptr_t)kernel_rodata_start, exec,
            (unsigned)(uintptr_t)kernel_data_start, exec, (unsigned)(uintptr_t)boot_stack_guard,
            (unsigned)(uintptr_t)double_fault_stack_guard);
    kprintf("  page 0 unmapped; identity mapping of the switch code removed; window %u slots at "
            "0x%08x; %u MMIO mappings up to 0x%08x\n",
            VM_WINDOW_SLOTS, VM_WINDOW_BASE, vm.mmio_mappings, vm.mmio_next);
    kprintf("  page-table pool: %u frames at 0x%llx\n", VM_POOL_FRAMES,
            (unsigned long long)vm.pool_phys);
    kprintf("  TLB: %u INVLPG (unmap/downgrade), %u CR3 reloads, %u window remaps; %u large "
            "pages split, %u empty tables freed\n",
            c.invlpg, c.cr3_reloads, window_remaps(), c.large_splits, c.empty_tables_freed);
    print_ms("  memory init (map, allocator, tables, switch): ", vm.init_cycles, tsc_hz);
    kprintf(" ms\n");
    uint32_t direct_total = 0;
    for (unsigned level = 0; level < PAGING_MAX_LEVELS; level++)
        direct_total += vm.direct_map_tables[level];
    print_ms("# bench mem_init_ms=", vm.init_cycles, tsc_hz);
    print_ms(" map_and_allocator_ms=", vm.setup_cycles, tsc_hz);
    print_ms(" tables_and_switch_ms=", vm.init_cycles - vm.setup_cycles, tsc_hz);
    kprintf(" raw_descriptors=%u map_entries=%u ram_frames=%llu paging=%s\n", vm.raw_descriptors,
            mem->map.count, (unsigned long long)frames_total(&mem->frames),
            vm.pae ? "pae" : "2level");
    kprintf("# bench direct_map_table_pages=%u direct_map_mib=%u paging=%s\n", direct_total,
            (unsigned)(vm.direct_map_end >> 20), vm.pae ? "pae" : "2level");
}
