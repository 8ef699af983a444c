/* The boot log's memory sections: what the takeover built (kernel/boot/takeover.h). */
#include "bootlog.h"

#include "../arch/layout.h"
#include "../arch/x86.h"
#include "../console/console.h"
#include "../vm/env.h"
#include "../vm/format.h"
#include "../vm/kernel_half.h"
#include "../vm/mmio.h"
#include "../vm/window.h"
#include "pagoda/page.h"
#include "takeover.h"
#include "fmt.h"
#include "units.h"

#define SIZE_TEXT 24

static void print_kind_totals(const struct memmap *map)
{
    uint64_t totals[MEMMAP_KIND_COUNT];
    char size_text[SIZE_TEXT];
    memmap_totals(map, totals);
    for (uint32_t kind = 0; kind < MEMMAP_KIND_COUNT; kind++) {
        if (totals[kind] == 0)
            continue;
        units_format_size(totals[kind], size_text, sizeof(size_text));
        kprintf("    %-14s %12s\n", memmap_kind_name(kind), size_text);
    }
}

static void print_pool_limit(const struct mem_setup *mem)
{
    char size_text[SIZE_TEXT];
    if (mem->withheld_bytes) {
        units_format_size(mem->withheld_bytes, size_text, sizeof(size_text));
        console_set_color(CONSOLE_WARN);
        kprintf("  two-level paging cannot use the %s of RAM at or above 4 GiB: those frames were "
                "not added to the pool\n",
                size_text);
        console_set_color(CONSOLE_NORMAL);
        return;
    }
    uint64_t high = frames_total(&mem->frames) - mem->frames.zone[FRAMES_ZONE_LOW].total;
    units_format_size(high * PAGODA_PAGE_SIZE, size_text, sizeof(size_text));
    if (high)
        kprintf("  usable above 4 GiB: %s (%llu frames), in the pool\n", size_text,
                (unsigned long long)high);
}

void bootlog_memory_layer(void)
{
    const struct mem_setup *mem = takeover_memory_state();
    const struct takeover_report *t = takeover_report();
    char size_text[SIZE_TEXT];
    kheading("Memory layer (normalized map, frame allocator)");
    if (t->status != MEM_SETUP_OK) {
        console_set_color(CONSOLE_BAD);
        kprintf("  not started: %s", mem_setup_status_text(t->status));
        if (t->status == MEM_SETUP_ERR_MEMMAP)
            kprintf(" (%s)", memmap_status_text(mem->memmap_status));
        kprintf("\n");
        console_set_color(CONSOLE_NORMAL);
        return;
    }
    kprintf("  %u normalized ranges; per kind:\n", mem->map.count);
    print_kind_totals(&mem->map);
    uint32_t millibits = frames_metadata_millibits_per_frame(&mem->frames);
    units_format_size(mem->metadata_bytes, size_text, sizeof(size_text));
    kprintf("  allocator: %llu frames in the pool, %llu free; metadata %s at 0x%llx "
            "(%u.%03u bits per frame)\n",
            (unsigned long long)frames_total(&mem->frames),
            (unsigned long long)frames_free_count(&mem->frames), size_text,
            (unsigned long long)mem->metadata_phys, millibits / 1000, millibits % 1000);
    units_format_size(t->reclaimed_frames * PAGODA_PAGE_SIZE, size_text, sizeof(size_text));
    kprintf("  boot-services and loader memory joined the pool after the switch: %s (%llu "
            "frames)\n",
            size_text, (unsigned long long)t->reclaimed_frames);
    print_pool_limit(mem);
}

static void print_tables(const struct paging *pg, const char *label, const uint32_t *tables)
{
    kprintf("  %s:", label);
    uint32_t total = 0;
    for (unsigned level = 0; level < pg->mode->levels; level++) {
        kprintf(" %s %u", pg->mode->level_names[level], tables[level]);
        total += tables[level];
    }
    kprintf(" = %u pages (%u KiB)\n", total, total * (PAGODA_PAGE_SIZE / 1024u));
}

static void print_ms(const char *label, uint64_t cycles, uint64_t tsc_hz)
{
    uint64_t micro = tsc_hz ? cycles * 1000000ull / tsc_hz : 0;
    kprintf("%s%u.%03u", label, (unsigned)(micro / 1000), (unsigned)(micro % 1000));
}

/* Where the kernel image's pieces are, from the table of kernel regions. */
static void print_kernel_regions(void)
{
    const struct vm_kernel_region *r;
    unsigned count = vm_kernel_regions(&r);
    kprintf("  kernel half (%u regions, all global):\n", count);
    for (unsigned i = 0; i < count; i++) {
        char size_text[SIZE_TEXT], where[40];
        units_format_size(r[i].size, size_text, sizeof(size_text));
        if (r[i].populated)
            pg_snprintf(where, sizeof(where), "page by page");
        else
            pg_snprintf(where, sizeof(where), "phys 0x%llx", (unsigned long long)r[i].pa);
        kprintf("    0x%08x-0x%08x %c%c%c %-24s %s (%s)\n", r[i].va,
                (uint32_t)(r[i].va + r[i].size - 1), 'R',
                (r[i].prot & PAGING_PROT_WRITE) ? 'W' : '-',
                (r[i].prot & PAGING_PROT_EXEC) ? 'X' : '-', r[i].name, where, size_text);
    }
}

void bootlog_vm(uint64_t tsc_hz)
{
    char size_text[SIZE_TEXT];
    const struct vm_format_choice *choice = vm_format_chosen();
    const struct paging *pg = vm_format_boot();
    const struct vm_kernel_half_report *half = vm_kernel_half_report();
    const struct takeover_report *t = takeover_report();
    const struct mem_setup *mem = takeover_memory_state();
    struct paging_counters c;
    pg->mode->counters(pg, &c);
    kheading("Paging");
    kprintf("  mode: %s (%s)\n", pg->mode->name, choice->why);
    kprintf("  NX: %s; global pages: %s; CR0.WP: %s; PAT: %s\n",
            pg->nx_enforced ? "enforced (EFER.NXE)"
            : choice->pae   ? "not available on this CPU"
                            : "not in this format (every page is executable)",
            pg->global_enabled ? "on" : "off", (read_cr0() & CR0_WP) ? "on" : "off",
            pg->env.pat_available ? "programmed (entry 4 = WC)" : "not available");
    units_format_size(half->direct_map_end, size_text, sizeof(size_text));
    kprintf("  direct map: phys 0x0-0x%llx (%s) at 0x%08x-0x%08x, %llu KiB pages\n",
            (unsigned long long)half->direct_map_end, size_text, KERNEL_VIRT_BASE,
            (uint32_t)KERNEL_VA(half->direct_map_end),
            (unsigned long long)((pg->large_pages ? pg->mode->large_page_size : PAGODA_PAGE_SIZE) >>
                                 10));
    print_kernel_regions();
    print_tables(pg, "tables for the kernel half", half->built_tables);
    print_tables(pg, "tables in use now", c.tables);
    kprintf("  page 0 unmapped; identity mapping of the switch code removed; window %u slots at "
            "0x%08x; %u MMIO mappings up to 0x%08x\n",
            VM_WINDOW_SLOTS, VM_WINDOW_BASE, vm_mmio_count(), vm_mmio_next());
    kprintf("  page-table pool: %u frames at 0x%llx\n", VM_POOL_FRAMES,
            (unsigned long long)vm_env_pool_phys());
    kprintf("  TLB: %u INVLPG (unmap/downgrade), %u CR3 reloads, %u window remaps; %u large "
            "pages split, %u empty tables freed\n",
            c.invlpg, c.cr3_reloads, window_remaps(), c.large_splits, c.empty_tables_freed);
    print_ms("  memory init (map, allocator, tables, switch): ", t->total_cycles, tsc_hz);
    kprintf(" ms\n");
    uint32_t kernel_half_total = 0;
    for (unsigned level = 0; level < PAGING_MAX_LEVELS; level++)
        kernel_half_total += half->built_tables[level];
    print_ms("# bench mem_init_ms=", t->total_cycles, tsc_hz);
    print_ms(" map_and_allocator_ms=", t->setup_cycles, tsc_hz);
    print_ms(" tables_and_switch_ms=", t->total_cycles - t->setup_cycles, tsc_hz);
    kprintf(" raw_descriptors=%u map_entries=%u ram_frames=%llu paging=%s\n", t->raw_descriptors,
            mem->map.count, (unsigned long long)frames_total(&mem->frames),
            choice->pae ? "pae" : "2level");
    kprintf("# bench kernel_half_table_pages=%u direct_map_mib=%u paging=%s\n", kernel_half_total,
            (unsigned)(half->direct_map_end >> 20), choice->pae ? "pae" : "2level");
}
