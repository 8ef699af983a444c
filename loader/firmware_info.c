/*
 * firmware_info_collect: what the firmware knows that the kernel cannot find by itself once boot
 * services are gone: the GOP framebuffer (in the mode gop.c chose), the ACPI RSDP and who made the
 * firmware. Nothing here is fatal: a missing piece is recorded as absent and said on screen.
 */
#include "console.h"
#include "loader.h"

#include "pg_string.h"

#define FIRMWARE_RSDP_REVISION_OFFSET 15 /* ACPI 6.5, 5.2.5.3: byte 15 of the RSDP */
#define FIRMWARE_BYTES_PER_PIXEL_8BIT 4

static EFI_GUID firmware_acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID firmware_acpi10_guid = ACPI_TABLE_GUID;

static uint32_t firmware_mask_bits(uint32_t mask)
{
    uint32_t top = 0;
    for (uint32_t bit = 0; bit < 32; bit++)
        if (mask & (1u << bit))
            top = bit + 1;
    return top;
}

static void firmware_fill_pixels(struct pagoda_framebuffer *fb,
                                 const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info)
{
    const EFI_PIXEL_BITMASK *m = &info->PixelInformation;

    switch (info->PixelFormat) {
    case PixelRedGreenBlueReserved8BitPerColor:
        fb->format = PAGODA_PIXEL_RGBX;
        fb->red_mask = 0x000000ff, fb->green_mask = 0x0000ff00, fb->blue_mask = 0x00ff0000;
        fb->reserved_mask = 0xff000000;
        fb->bits_per_pixel = 32;
        break;
    case PixelBlueGreenRedReserved8BitPerColor:
        fb->format = PAGODA_PIXEL_BGRX;
        fb->blue_mask = 0x000000ff, fb->green_mask = 0x0000ff00, fb->red_mask = 0x00ff0000;
        fb->reserved_mask = 0xff000000;
        fb->bits_per_pixel = 32;
        break;
    case PixelBitMask:
        fb->format = PAGODA_PIXEL_BITMASK;
        fb->red_mask = m->RedMask, fb->green_mask = m->GreenMask, fb->blue_mask = m->BlueMask;
        fb->reserved_mask = m->ReservedMask;
        /* Whole bytes per pixel: a 24-bit mask still occupies 3 bytes, a 15-bit one 2. */
        fb->bits_per_pixel =
            (firmware_mask_bits(m->RedMask | m->GreenMask | m->BlueMask | m->ReservedMask) + 7) /
            8 * 8;
        break;
    default:
        fb->format = PAGODA_PIXEL_NONE;
        break;
    }
}

static void firmware_collect_framebuffer(struct loader *ld, struct pagoda_framebuffer *fb)
{
    EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = gop_select(ld);

    memset(fb, 0, sizeof(*fb));
    if (gop == NULL)
        return;
    const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;
    firmware_fill_pixels(fb, info);
    if (fb->format == PAGODA_PIXEL_NONE) {
        console_print("loader: GOP mode %u is blit-only: no framebuffer\n", gop->Mode->Mode);
        return;
    }
    fb->base = gop->Mode->FrameBufferBase;
    fb->size = gop->Mode->FrameBufferSize;
    fb->width = info->HorizontalResolution;
    fb->height = info->VerticalResolution;
    fb->pitch = info->PixelsPerScanLine * (fb->format == PAGODA_PIXEL_BITMASK
                                               ? fb->bits_per_pixel / 8
                                               : FIRMWARE_BYTES_PER_PIXEL_8BIT);
    console_print("loader: framebuffer 0x%llx (%llu bytes) %ux%u pitch %u format %u bpp %u\n",
                  (unsigned long long)fb->base, (unsigned long long)fb->size, fb->width, fb->height,
                  fb->pitch, fb->format, fb->bits_per_pixel);
}

static int firmware_guid_equal(const EFI_GUID *a, const EFI_GUID *b)
{
    return memcmp(a, b, sizeof(EFI_GUID)) == 0;
}

static void firmware_collect_rsdp(struct loader *ld, struct loader_firmware *info)
{
    const void *acpi10 = NULL, *acpi20 = NULL;

    for (UINTN i = 0; i < ld->st->NumberOfTableEntries; i++) {
        const EFI_CONFIGURATION_TABLE *t = &ld->st->ConfigurationTable[i];
        if (firmware_guid_equal(&t->VendorGuid, &firmware_acpi20_guid))
            acpi20 = t->VendorTable;
        else if (firmware_guid_equal(&t->VendorGuid, &firmware_acpi10_guid))
            acpi10 = t->VendorTable;
    }
    info->rsdp_v1 = acpi10;
    info->rsdp_v2 = acpi20;
    const UINT8 *rsdp = acpi20 != NULL ? acpi20 : acpi10;
    if (rsdp == NULL) {
        console_print("loader: no ACPI RSDP in the configuration table\n");
        return;
    }
    info->rsdp = (uint64_t)(UINTN)rsdp;
    info->rsdp_revision = rsdp[FIRMWARE_RSDP_REVISION_OFFSET];
    console_print("loader: ACPI RSDP 0x%llx revision %u (%s table)\n",
                  (unsigned long long)info->rsdp, info->rsdp_revision,
                  acpi20 != NULL ? "ACPI 2.0" : "ACPI 1.0");
}

static void firmware_collect_identity(struct loader *ld, struct loader_firmware *info)
{
    console_char16_to_ascii(ld->st->FirmwareVendor, info->vendor, sizeof(info->vendor));
    info->firmware_revision = ld->st->FirmwareRevision;
    info->uefi_revision = ld->st->Hdr.Revision;
    console_print("loader: firmware \"%s\" revision 0x%x, UEFI %u.%u, %s\n", info->vendor,
                  info->firmware_revision, info->uefi_revision >> 16,
                  (info->uefi_revision & 0xffff) / 10, LOADER_ARCH_NAME);
}

void firmware_info_collect(struct loader *ld)
{
    ld->firmware = (struct loader_firmware){0};
    firmware_collect_framebuffer(ld, &ld->firmware.framebuffer);
    firmware_collect_rsdp(ld, &ld->firmware);
    firmware_collect_identity(ld, &ld->firmware);
}
