/*
 * The boot_info_fill step for the Multiboot protocols: the boot information a Multiboot kernel
 * finds through EBX.
 *
 * Before ExitBootServices (multiboot_info_fill): everything the information will hold is
 * gathered (command line, modules, framebuffer, copies of the ACPI RSDPs, the EFI system table
 * and image handle, the load base), the kernel's required information and console are checked
 * against what this machine has, and one buffer below 4 GiB outside the kernel is allocated for
 * the worst case (mb_info_capacity()). A dry run with the memory map as it is then shows on
 * screen and serial what the kernel will get, the converted memory map included.
 *
 * After ExitBootServices (multiboot_info_finish): the same builder runs once more with the map
 * ExitBootServices accepted. It is pure code that cannot run out of room: the map fitted the
 * buffer the capacity was computed from.
 */
#include "console.h"
#include "loader.h"
#include "multiboot.h"
#include "multiboot_memory.h"

#include "pg_string.h"

#define MB_BOOT_WHY_MAX      256
#define MB_BOOT_LOADER_NAME  "Pagoda loader " LOADER_ARCH_NAME " v" LOADER_VERSION " (UEFI)"
#define MB_BOOT_RSDP_LENGTH  20 /* ACPI 6.5, 5.2.5.3: the XSDP's length field */
#define MB_BOOT_EFI_BITS     (sizeof(UINTN) * 8)
#define MB_BOOT_MAP_MAX_SHOW 64

static const char *mb_boot_type_name(uint32_t type)
{
    switch (type) {
    case MB_MEMORY_AVAILABLE:
        return "available";
    case MB_MEMORY_ACPI:
        return "ACPI reclaimable";
    case MB_MEMORY_NVS:
        return "ACPI NVS";
    case MB_MEMORY_BAD:
        return "defective";
    default:
        return "reserved";
    }
}

static void mb_boot_copy_rsdp(struct mb_info_input *in, const struct loader_firmware *fw)
{
    if (fw->rsdp_v1 != NULL) {
        in->has_rsdp_v1 = 1;
        memcpy(in->rsdp_v1, fw->rsdp_v1, MB_RSDP_V1_SIZE);
    }
    if (fw->rsdp_v2 != NULL) {
        const uint8_t *p = fw->rsdp_v2 + MB_BOOT_RSDP_LENGTH;
        uint32_t length =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        in->has_rsdp_v2 = 1;
        in->rsdp_v2_size = length < MB_RSDP_V1_SIZE    ? MB_RSDP_V1_SIZE
                           : length > MB_RSDP_MAX_SIZE ? MB_RSDP_MAX_SIZE
                                                       : length;
        memcpy(in->rsdp_v2, fw->rsdp_v2, in->rsdp_v2_size);
    }
}

static void mb_boot_gather(struct loader *ld, struct mb_info_input *in)
{
    memset(in, 0, sizeof(*in));
    in->version = ld->multiboot.version;
    in->cmdline = ld->config.cmdline;
    in->loader_name = MB_BOOT_LOADER_NAME;
    in->module_count = ld->module_count;
    for (unsigned i = 0; i < ld->module_count; i++) {
        const struct loader_module *m = &ld->modules[i];
        in->modules[i].start = (uint32_t)m->base;
        in->modules[i].end = (uint32_t)(m->base + m->size);
        /* With no string of its own a module is named by its file, so kernels can tell. */
        in->modules[i].string = m->string[0] != '\0' ? m->string : m->name;
    }
    in->framebuffer = ld->firmware.framebuffer;
    mb_boot_copy_rsdp(in, &ld->firmware);
    in->firmware_bits = MB_BOOT_EFI_BITS;
    in->system_table = (UINTN)ld->st;
    in->image_handle = (UINTN)ld->image_handle;
    in->relocatable = ld->multiboot.relocatable;
    in->load_base = (uint32_t)ld->elf.phys_start;
}

static EFI_STATUS mb_boot_check_available(struct loader *ld)
{
    struct mb_available have = {
        .framebuffer = ld->firmware.framebuffer.format != PAGODA_PIXEL_NONE,
        .acpi_old = ld->firmware.rsdp_v1 != NULL,
        .acpi_new = ld->firmware.rsdp_v2 != NULL,
    };
    char why[MB_BOOT_WHY_MAX];

    if (mb_check_available(&ld->multiboot, &have, why, sizeof(why)) == MB_OK)
        return EFI_SUCCESS;
    console_print("pagoda: %s: %s\n", ld->kernel_path, why);
    return LOADER_STATUS_BAD_KERNEL;
}

/* The current map into the hand-off buffer: what the dry run uses. */
static EFI_STATUS mb_boot_current_map(struct loader *ld, struct mb_info_input *in)
{
    UINTN size = ld->memory_map_capacity, key = 0, descriptor_size = 0;
    UINT32 version = 0;
    EFI_STATUS status =
        ld->bs->GetMemoryMap(&size, ld->memory_map, &key, &descriptor_size, &version);

    if (EFI_ERROR(status)) {
        console_print("pagoda: GetMemoryMap failed: %s\n", console_status_text(status));
        return status;
    }
    in->efi_map = ld->memory_map;
    in->efi_map_size = size;
    in->efi_descriptor_size = descriptor_size;
    in->efi_descriptor_version = version;
    return EFI_SUCCESS;
}

static void mb_boot_show_map(struct loader *ld, const struct mb_info_input *in)
{
    size_t capacity = 2 * (in->efi_map_size / in->efi_descriptor_size);
    struct mb_memory_entry *entries = NULL;
    uint32_t lower = 0, upper = 0;

    if (EFI_ERROR(
            ld->bs->AllocatePool(EfiLoaderData, capacity * sizeof(*entries), (void **)&entries)))
        return;
    long count = mb_memory_convert(in->efi_map, in->efi_map_size, in->efi_descriptor_size, entries,
                                   capacity);
    if (count >= 0) {
        mb_memory_basic(entries, (size_t)count, &lower, &upper);
        console_print("loader: memory map for the kernel (%ld entries from %u EFI descriptors, "
                      "as of now), mem_lower %u KiB, mem_upper %u KiB:\n",
                      count, (unsigned)(in->efi_map_size / in->efi_descriptor_size), lower, upper);
    }
    for (long i = 0; i < count && i < MB_BOOT_MAP_MAX_SHOW; i++)
        console_print("loader:   [0x%012llx-0x%012llx) %u %s\n",
                      (unsigned long long)entries[i].base,
                      (unsigned long long)(entries[i].base + entries[i].length), entries[i].type,
                      mb_boot_type_name(entries[i].type));
    if (count > MB_BOOT_MAP_MAX_SHOW)
        console_print("loader:   ... %ld more\n", count - MB_BOOT_MAP_MAX_SHOW);
    ld->bs->FreePool(entries);
}

static EFI_STATUS mb_boot_allocate(struct loader *ld, struct mb_info_input *in)
{
    EFI_PHYSICAL_ADDRESS address = 0;
    size_t capacity = mb_info_capacity(in, ld->memory_map_capacity);
    UINTN pages = (UINTN)(pagoda_page_up(capacity) / PAGODA_PAGE_SIZE);
    EFI_STATUS status =
        ledger_allocate_low(&ld->ledger, EfiLoaderData, pages, loader_kernel_range(ld), &address);

    if (EFI_ERROR(status)) {
        console_print("pagoda: no memory below 4 GiB outside the kernel for the %u-byte "
                      "Multiboot information: %s\n",
                      (unsigned)capacity, console_status_text(status));
        return status;
    }
    ld->multiboot_info = (uint8_t *)(UINTN)address;
    ld->multiboot_info_capacity = pages * PAGODA_PAGE_SIZE;
    in->buffer_base = address;
    return EFI_SUCCESS;
}

EFI_STATUS multiboot_info_fill(struct loader *ld)
{
    struct mb_info_input *in = &ld->multiboot_input;
    EFI_STATUS status = mb_boot_check_available(ld);

    if (EFI_ERROR(status))
        return status;
    mb_boot_gather(ld, in);
    status = mb_boot_current_map(ld, in); /* the descriptor size, for the capacity */
    if (!EFI_ERROR(status))
        status = mb_boot_allocate(ld, in);
    if (!EFI_ERROR(status))
        status = mb_boot_current_map(ld, in); /* again: the allocation changed it */
    if (EFI_ERROR(status))
        return status;
    size_t used = mb_info_build(in, ld->multiboot_info, ld->multiboot_info_capacity);
    if (used == 0) {
        console_print("pagoda: the Multiboot information does not fit its %u bytes\n",
                      (unsigned)ld->multiboot_info_capacity);
        return EFI_BAD_BUFFER_SIZE;
    }
    console_print(
        "loader: Multiboot %u information at 0x%llx: %u bytes now, room for %u; "
        "modules %u, framebuffer %s, ACPI %s%s, loader name \"%s\"\n",
        in->version, (unsigned long long)in->buffer_base, (unsigned)used,
        (unsigned)ld->multiboot_info_capacity, in->module_count,
        in->framebuffer.format != PAGODA_PIXEL_NONE ? "yes" : "no", in->has_rsdp_v1 ? "old" : "",
        in->has_rsdp_v2 ? (in->has_rsdp_v1 ? "+new" : "new") : (in->has_rsdp_v1 ? "" : "none"),
        in->loader_name);
    mb_boot_show_map(ld, in);
    return EFI_SUCCESS;
}

void multiboot_info_finish(struct loader *ld)
{
    struct mb_info_input *in = &ld->multiboot_input;

    in->efi_map = ld->memory_map;
    in->efi_map_size = ld->final_map_size;
    in->efi_descriptor_size = ld->final_descriptor_size;
    in->efi_descriptor_version = ld->final_descriptor_version;
    if (mb_info_build(in, ld->multiboot_info, ld->multiboot_info_capacity) != 0)
        return;
    /* Unreachable: the final map fitted the buffer the capacity was computed for. Boot services
     * are gone, so there is no firmware to return to and no console to say it on. */
    for (;;)
        __asm__ volatile("cli; hlt");
}
