/*
 * protocol_choose, the step after the kernel's hash: how the kernel is booted. With `protocol =
 * auto` (the default) the kernel file's own headers decide: a Multiboot 2 header first, then a
 * Multiboot 1 header, else Pagoda's protocol (pagoda.elf has neither). `protocol =
 * pagoda|multiboot1|multiboot2` forces one; a forced Multiboot protocol without its header is an
 * error. The header is checked completely here (multiboot_header.c), so a bad one stops the boot
 * before anything is placed, with a message naming the problem and the file; a good one is
 * described line by line.
 */
#include "console.h"
#include "loader.h"
#include "multiboot.h"

#define PROTOCOL_WHY_MAX 256

#if defined(__x86_64__)
#define PROTOCOL_FIRMWARE_BITS 64u
#else
#define PROTOCOL_FIRMWARE_BITS 32u
#endif

static const char *protocol_name(enum loader_protocol protocol)
{
    switch (protocol) {
    case LOADER_PROTOCOL_MULTIBOOT1:
        return "Multiboot 1";
    case LOADER_PROTOCOL_MULTIBOOT2:
        return "Multiboot 2";
    default:
        return "Pagoda";
    }
}

static void protocol_describe_request(const struct mb_kernel *k)
{
    if (k->required_request_count > 0)
        console_print("loader:   information request: %u required type(s), all of them given "
                      "by this loader\n",
                      k->required_request_count);
    if (k->wants_video)
        console_print("loader:   %s: %ux%u depth %u%s\n",
                      k->version == 1 ? "video mode (flag 2)" : "framebuffer tag", k->video_width,
                      k->video_height, k->video_depth,
                      k->video_width == 0 || k->video_height == 0 ? " (no size preference)" : "");
    if (k->version == 1 && k->wants_video && k->video_mode_type == MB1_MODE_EGA_TEXT)
        console_print("loader:   the kernel asks for EGA text mode, which UEFI cannot give: it "
                      "gets the framebuffer instead (flags bit 12)\n");
    else if (k->version == 1 && k->wants_video && k->video_mode_type != MB1_MODE_LINEAR)
        console_print("loader:   video mode_type %u is not defined by the specification: treated "
                      "as a linear framebuffer\n",
                      k->video_mode_type);
    if (k->version == 2 && (k->console_required || k->ega_text_supported))
        console_print("loader:   console flags: console %srequired, EGA text %ssupported\n",
                      k->console_required ? "" : "not ", k->ega_text_supported ? "" : "not ");
}

static void protocol_describe_efi(const struct mb_kernel *k)
{
    if (k->efi_boot_services_optional)
        console_print("loader:   EFI boot services tag (optional): ignored, boot services are "
                      "always left before the kernel starts\n");
    if (k->has_efi_i386_entry)
        console_print("loader:   EFI i386 entry 0x%08x: ignored, it applies only with boot "
                      "services kept\n",
                      k->efi_i386_entry);
    if (k->has_efi_amd64_entry)
        console_print("loader:   EFI amd64 entry 0x%08x: ignored, it applies only with boot "
                      "services kept\n",
                      k->efi_amd64_entry);
}

static void protocol_describe(const struct loader *ld)
{
    const struct mb_kernel *k = &ld->multiboot;

    if (k->version == 1)
        console_print("loader: Multiboot 1 header at offset 0x%x, flags 0x%08x, checksum ok\n",
                      k->header_offset, k->flags);
    else
        console_print("loader: Multiboot 2 header at offset 0x%x, %u bytes, architecture i386, "
                      "checksum ok\n",
                      k->header_offset, k->header_size);
    if (k->page_align_modules)
        console_print("loader:   modules page-aligned: %s\n",
                      k->version == 1 ? "flag 0" : "module alignment tag");
    if (k->version == 1 && k->wants_memory_info)
        console_print("loader:   memory information (flag 1): mem_lower, mem_upper and the "
                      "memory map are given\n");
    protocol_describe_request(k);
    protocol_describe_efi(k);
    if (k->address_fields)
        console_print("loader:   address fields: header_addr 0x%08x load_addr 0x%08x "
                      "load_end_addr 0x%08x bss_end_addr 0x%08x entry 0x%08x\n",
                      k->header_addr, k->load_addr, k->load_end_addr, k->bss_end_addr,
                      k->entry_address);
    else if (k->has_entry_address)
        console_print("loader:   entry address tag 0x%08x replaces the ELF entry\n",
                      k->entry_address);
    if (k->relocatable)
        console_print("loader:   relocatable: [0x%08x-0x%08x], align 0x%x, preference %u\n",
                      k->min_addr, k->max_addr, k->align, k->preference);
}

/* Parses VERSION's header; *found is 0 when the file has none (why then says so). */
static EFI_STATUS protocol_try(struct loader *ld, unsigned version, int *found, char *why)
{
    enum mb_error e =
        mb_header_parse((const void *)(UINTN)ld->staging, (size_t)ld->kernel_file_size, version,
                        PROTOCOL_FIRMWARE_BITS, &ld->multiboot, why, PROTOCOL_WHY_MAX);

    *found = e != MB_NOT_FOUND;
    if (e == MB_OK || e == MB_NOT_FOUND)
        return EFI_SUCCESS;
    console_print("pagoda: %s: bad Multiboot %u header: %s\n", ld->kernel_path, version, why);
    return LOADER_STATUS_BAD_KERNEL;
}

static void protocol_take_plan(struct loader *ld)
{
    const struct mb_kernel *k = &ld->multiboot;

    ld->protocol = k->version == 1 ? LOADER_PROTOCOL_MULTIBOOT1 : LOADER_PROTOCOL_MULTIBOOT2;
    ld->elf = k->image;
    ld->video_request = (struct loader_video_request){0};
    if (k->wants_video && k->video_mode_type != MB1_MODE_EGA_TEXT && k->video_width != 0 &&
        k->video_height != 0)
        ld->video_request =
            (struct loader_video_request){1, k->video_width, k->video_height, k->video_depth};
}

EFI_STATUS protocol_choose(struct loader *ld)
{
    enum config_protocol wanted = ld->config.protocol;
    char why[PROTOCOL_WHY_MAX];
    int found = 0;
    EFI_STATUS status = EFI_SUCCESS;

    ld->protocol = LOADER_PROTOCOL_PAGODA;
    if (wanted == CONFIG_PROTOCOL_PAGODA) {
        console_print("loader: protocol Pagoda (protocol = pagoda)\n");
        return EFI_SUCCESS;
    }
    if (wanted == CONFIG_PROTOCOL_AUTO || wanted == CONFIG_PROTOCOL_MULTIBOOT2)
        status = protocol_try(ld, 2, &found, why);
    if (!EFI_ERROR(status) && !found &&
        (wanted == CONFIG_PROTOCOL_AUTO || wanted == CONFIG_PROTOCOL_MULTIBOOT1))
        status = protocol_try(ld, 1, &found, why);
    if (EFI_ERROR(status))
        return status;
    if (!found && wanted != CONFIG_PROTOCOL_AUTO) {
        console_print("pagoda: %s: protocol = %s, but %s\n", ld->kernel_path,
                      config_protocol_name(wanted), why);
        return LOADER_STATUS_BAD_KERNEL;
    }
    if (found)
        protocol_take_plan(ld);
    console_print("loader: protocol %s (%s)\n", protocol_name(ld->protocol),
                  wanted == CONFIG_PROTOCOL_AUTO
                      ? (found ? "found its header" : "no Multiboot header: Pagoda's own")
                      : "forced by pagoda.cfg");
    if (found)
        protocol_describe(ld);
    return EFI_SUCCESS;
}
