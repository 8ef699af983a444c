/*
 * The last steps: handoff_prepare (the trampoline page), handoff_exit_boot_services, handoff_jump.
 * The trampoline puts the protocol's magic in EAX and its information's address in EBX: Pagoda's
 * boot info, or the Multiboot information (both versions: flat 32-bit segments, paging and
 * interrupts off).
 *
 * After ExitBootServices succeeds nothing may call the firmware: no printing, no allocation.
 * The trampoline page already holds everything the 32-bit side needs.
 */
#include "console.h"
#include "loader.h"
#include "multiboot.h"
#include "trampoline.h"

#include "pg_string.h"

#define HANDOFF_EBS_ATTEMPTS 8
#define HANDOFF_4G           0x100000000ull

/* Flat 4 GiB descriptors: base 0, limit 0xFFFFF in 4 KiB units. */
#define GDT_LIMIT_LOW      0x000000000000FFFFull
#define GDT_LIMIT_HIGH     0x000F000000000000ull
#define GDT_ACCESSED       (1ull << 40)
#define GDT_READ_WRITE     (1ull << 41) /* readable code / writable data */
#define GDT_EXECUTABLE     (1ull << 43)
#define GDT_CODE_OR_DATA   (1ull << 44) /* S: not a system descriptor */
#define GDT_PRESENT        (1ull << 47)
#define GDT_DEFAULT_32     (1ull << 54) /* D/B: 32-bit operands and stack */
#define GDT_GRANULARITY_4K (1ull << 55)
#define GDT_FLAT                                                                                   \
    (GDT_LIMIT_LOW | GDT_LIMIT_HIGH | GDT_ACCESSED | GDT_READ_WRITE | GDT_CODE_OR_DATA |           \
     GDT_PRESENT | GDT_DEFAULT_32 | GDT_GRANULARITY_4K)
#define GDT_FLAT_CODE32 (GDT_FLAT | GDT_EXECUTABLE)
#define GDT_FLAT_DATA   GDT_FLAT

_Static_assert(TRAMPOLINE_SEGMENT_MAX >= ELF_CHECK_MAX_SEGMENTS, "segment list too short");
_Static_assert(TRAMPOLINE_SEL_DATA == 2 * 8 && TRAMPOLINE_SEL_CODE32 == 1 * 8, "GDT layout");

static int handoff_below_4g(const char *what, uint64_t base, uint64_t size)
{
    if (base < HANDOFF_4G && size <= HANDOFF_4G - base)
        return 1;
    console_print("pagoda: %s [0x%llx+0x%llx) is not below 4 GiB\n", what, (unsigned long long)base,
                  (unsigned long long)size);
    return 0;
}

static int handoff_modules_below_4g(struct loader *ld)
{
    for (unsigned i = 0; i < ld->module_count; i++)
        if (!handoff_below_4g(ld->modules[i].name, ld->modules[i].base, ld->modules[i].size))
            return 0;
    return ld->modules_block == NULL ||
           handoff_below_4g("modules block", (UINTN)ld->modules_block, sizeof(*ld->modules_block));
}

static int handoff_all_below_4g(struct loader *ld)
{
    return handoff_modules_below_4g(ld) &&
           handoff_below_4g("trampoline", (UINTN)ld->trampoline, PAGODA_PAGE_SIZE) &&
           handoff_below_4g("stack", ld->stack, PAGODA_LOADER_STACK_SIZE) &&
           handoff_below_4g("memory map", (UINTN)ld->memory_map, ld->memory_map_capacity) &&
           handoff_below_4g("staging buffer", ld->staging, ld->kernel_file_size) &&
           handoff_below_4g("kernel", ld->elf.phys_start, ld->elf.phys_end - ld->elf.phys_start);
}

static void handoff_fill_params(struct loader *ld, struct trampoline_params *p)
{
    uint32_t page = (uint32_t)(UINTN)ld->trampoline;
    uint32_t gdt = page + TRAMPOLINE_PARAMS_OFFSET + TP_GDT;

    memset(p, 0, sizeof(*p));
    p->entry = ld->elf.entry_physical;
    switch (ld->protocol) {
    case LOADER_PROTOCOL_MULTIBOOT1:
        p->magic = MB1_BOOTLOADER_MAGIC;
        p->boot_info = (uint32_t)(UINTN)ld->multiboot_info;
        break;
    case LOADER_PROTOCOL_MULTIBOOT2:
        p->magic = MB2_BOOTLOADER_MAGIC;
        p->boot_info = (uint32_t)(UINTN)ld->multiboot_info;
        break;
    default:
        p->magic = PAGODA_BOOT_MAGIC;
        p->boot_info = (uint32_t)(UINTN)ld->boot_info;
        break;
    }
    p->stack_top = (uint32_t)(ld->stack + PAGODA_LOADER_STACK_SIZE); /* 16-byte aligned */
    p->segment_count = ld->elf.segment_count;
    p->gdt[0] = 0;
    p->gdt[TRAMPOLINE_SEL_CODE32 / 8] = GDT_FLAT_CODE32;
    p->gdt[TRAMPOLINE_SEL_DATA / 8] = GDT_FLAT_DATA;
    p->gdt[TRAMPOLINE_SEL_CODE32_COMPAT / 8] = GDT_FLAT_CODE32;
    p->gdtr_limit = sizeof(p->gdt) - 1;
    p->gdtr_base_low = gdt;
    p->gdtr_base_high = 0;
    p->idtr_limit = 0;
    for (uint32_t i = 0; i < ld->elf.segment_count; i++) {
        const struct elf_segment *s = &ld->elf.segments[i];
        p->segments[i].source = (uint32_t)ld->staging + s->file_offset;
        p->segments[i].destination = s->paddr;
        p->segments[i].file_size = s->file_size;
        p->segments[i].memory_size = s->mem_size;
    }
}

EFI_STATUS handoff_prepare(struct loader *ld)
{
    size_t code_size = (size_t)(trampoline_end - trampoline_start);

    if (!handoff_all_below_4g(ld))
        return LOADER_STATUS_BAD_DESTINATION;
    if (code_size > TRAMPOLINE_PARAMS_OFFSET || ld->elf.segment_count > TRAMPOLINE_SEGMENT_MAX) {
        console_print("pagoda: trampoline does not fit its page\n");
        return EFI_BAD_BUFFER_SIZE;
    }
    memcpy(ld->trampoline, trampoline_start, code_size);
    handoff_fill_params(ld,
                        (struct trampoline_params *)(ld->trampoline + TRAMPOLINE_PARAMS_OFFSET));
    return EFI_SUCCESS;
}

EFI_STATUS handoff_exit_boot_services(struct loader *ld)
{
    EFI_STATUS status = EFI_INVALID_PARAMETER;
    UINTN size = 0, key = 0, descriptor_size = 0;
    UINT32 descriptor_version = 0;

    /* A Multiboot kernel gets no log: it is shown here, while the firmware can still show it. */
    if (loader_is_multiboot(ld))
        console_go_live();
    console_print("loader: exiting boot services, jumping to kernel at 0x%08x\n",
                  ld->elf.entry_physical);
    if (ld->loader_log != NULL)
        console_copy_log(ld->loader_log, PAGODA_LOADER_LOG_PAGES * PAGODA_PAGE_SIZE);
    /* Only GetMemoryMap and ExitBootServices from here: anything else may change the map key. */
    for (int attempt = 0; attempt < HANDOFF_EBS_ATTEMPTS; attempt++) {
        size = ld->memory_map_capacity;
        status = ld->bs->GetMemoryMap(&size, ld->memory_map, &key, &descriptor_size,
                                      &descriptor_version);
        if (EFI_ERROR(status))
            break;
        status = ld->bs->ExitBootServices(ld->image_handle, key);
        if (status != EFI_INVALID_PARAMETER)
            break;
    }
    if (EFI_ERROR(status)) {
        /* The firmware may be half shut down: this message is a best effort. */
        console_go_live();
        console_print("pagoda: ExitBootServices failed: %s\n", console_status_text(status));
        return status;
    }
    console_shutdown();
    ld->st = NULL;
    ld->final_map_size = size;
    ld->final_descriptor_size = descriptor_size;
    ld->final_descriptor_version = descriptor_version;
    ld->tsc[PAGODA_PHASE_EXIT_BOOT_SERVICES] = tsc_read();
    return EFI_SUCCESS;
}

_Noreturn void handoff_jump(struct loader *ld)
{
    trampoline_entry_fn enter = (trampoline_entry_fn)(UINTN)ld->trampoline;
    enter(ld->trampoline);
    __builtin_unreachable();
}
