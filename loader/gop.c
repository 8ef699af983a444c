/*
 * gop_select, called by firmware_info_collect: choose the graphics mode the kernel will draw in
 * (rules in gop_choice.h), set it, and return the GOP to read the framebuffer from. The mode is set
 * here, just before ExitBootServices, so the firmware's own screen (and the boot menu) keep the
 * mode the firmware picked, and a mode the monitor rejects is only seen once the kernel is up.
 *
 * The native size comes from the EDID the firmware read from the display: EDID_ACTIVE (what the
 * display accepted) first, EDID_DISCOVERED (what it reported) otherwise, both on the GOP's handle
 * (UEFI 2.10, 12.9). Any GOP handle with an EDID will do when the console's GOP has none, as on
 * firmware whose console GOP is a splitter over the real ones.
 *
 * The size looked for first is pagoda.cfg's `resolution`, else the one a Multiboot kernel's
 * header prefers (Multiboot 1 video fields, Multiboot 2 framebuffer tag).
 */
#include "console.h"
#include "gop_choice.h"
#include "loader.h"

#define GOP_MAX_MODES     128u /* real firmware lists 10-60; more are ignored, with a note */
#define GOP_LIST_PER_LINE 6u
#define GOP_KERNEL_SOURCE "the kernel's Multiboot header"

static EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
static EFI_GUID gop_edid_active_guid = EFI_EDID_ACTIVE_PROTOCOL_GUID;
static EFI_GUID gop_edid_discovered_guid = EFI_EDID_DISCOVERED_PROTOCOL_GUID;

static struct gop_mode gop_modes[GOP_MAX_MODES];

/* The EDID on HANDLE (active first); returns 1 and the native size, naming where it came from. */
static int gop_edid_on(EFI_BOOT_SERVICES *bs, EFI_HANDLE handle, struct gop_size *native,
                       const char **source)
{
    static EFI_GUID *const guids[] = {&gop_edid_active_guid, &gop_edid_discovered_guid};
    static const char *const names[] = {"EDID_ACTIVE", "EDID_DISCOVERED"};

    for (UINTN i = 0; i < sizeof(guids) / sizeof(guids[0]); i++) {
        EFI_EDID_ACTIVE_PROTOCOL *edid = NULL; /* both protocols have this layout */
        if (EFI_ERROR(bs->HandleProtocol(handle, guids[i], (void **)&edid)) || edid == NULL)
            continue;
        if (edid_preferred_size(edid->Edid, edid->SizeOfEdid, native)) {
            *source = names[i];
            return 1;
        }
        console_print("loader: %s: %u bytes without a usable preferred timing\n", names[i],
                      edid->SizeOfEdid);
    }
    return 0;
}

/* Looks on the GOP's own handle first, then on every other GOP handle. */
static int gop_find_native(struct loader *ld, EFI_GRAPHICS_OUTPUT_PROTOCOL *gop,
                           struct gop_size *native)
{
    EFI_HANDLE *handles = NULL;
    UINTN count = 0;
    const char *source = NULL;
    int found = 0;

    if (EFI_ERROR(ld->bs->LocateHandleBuffer(ByProtocol, &gop_guid, NULL, &count, &handles)))
        return 0;
    for (int pass = 0; pass < 2 && !found; pass++) {
        for (UINTN i = 0; i < count && !found; i++) {
            void *other = NULL;
            ld->bs->HandleProtocol(handles[i], &gop_guid, &other);
            if ((other == (void *)gop) == (pass == 0))
                found = gop_edid_on(ld->bs, handles[i], native, &source);
        }
    }
    ld->bs->FreePool(handles);
    if (found)
        console_print("loader: display's native mode %ux%u (%s)\n", native->width, native->height,
                      source);
    else
        console_print("loader: no EDID from the firmware (%u GOP handle%s)\n", (unsigned)count,
                      count == 1 ? "" : "s");
    return found;
}

static UINTN gop_list_modes(EFI_BOOT_SERVICES *bs, EFI_GRAPHICS_OUTPUT_PROTOCOL *gop)
{
    UINTN count = 0;

    for (UINT32 number = 0; number < gop->Mode->MaxMode && count < GOP_MAX_MODES; number++) {
        EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = NULL;
        UINTN size = 0;
        if (EFI_ERROR(gop->QueryMode(gop, number, &size, &info)) || info == NULL)
            continue;
        gop_modes[count].number = number;
        gop_modes[count].size.width = info->HorizontalResolution;
        gop_modes[count].size.height = info->VerticalResolution;
        gop_modes[count].has_framebuffer =
            info->PixelFormat != PixelBltOnly && info->PixelFormat < PixelFormatMax;
        count++;
        bs->FreePool(info);
    }
    if (gop->Mode->MaxMode > GOP_MAX_MODES)
        console_print("loader: the GOP lists %u modes; only the first %u are considered\n",
                      gop->Mode->MaxMode, GOP_MAX_MODES);
    return count;
}

static void gop_print_modes(UINTN count, UINT32 current)
{
    console_print("loader: GOP modes (* = current, b = blit-only: no framebuffer):");
    for (UINTN i = 0; i < count; i++) {
        if (i % GOP_LIST_PER_LINE == 0)
            console_print("\n ");
        console_print(" %c%c%2u %4ux%-4u", gop_modes[i].number == current ? '*' : ' ',
                      gop_modes[i].has_framebuffer ? ' ' : 'b', gop_modes[i].number,
                      gop_modes[i].size.width, gop_modes[i].size.height);
    }
    console_print("\n");
}

static void gop_report_pick(const struct gop_size *wanted, int from_kernel, struct gop_pick pick,
                            const struct gop_size *native)
{
    const char *source = from_kernel ? GOP_KERNEL_SOURCE : CONFIG_FILE_NAME;

    if (pick.config_not_offered)
        console_print("loader: resolution %ux%u from %s is not offered by the firmware: "
                      "choosing automatically\n",
                      wanted->width, wanted->height, source);
    if (pick.edid_not_offered)
        console_print("loader: the native %ux%u is not in the mode list\n", native->width,
                      native->height);
    if (pick.index < 0) {
        console_print("loader: no GOP mode has a linear framebuffer (all blit-only): "
                      "the kernel gets no screen, serial only\n");
        return;
    }
    const struct gop_mode *mode = &gop_modes[pick.index];
    if (pick.reason == GOP_REASON_CONFIG && from_kernel)
        console_print("loader: GOP mode %u, %ux%u: the size %s prefers\n", mode->number,
                      mode->size.width, mode->size.height, source);
    else
        console_print("loader: GOP mode %u, %ux%u: %s\n", mode->number, mode->size.width,
                      mode->size.height, gop_reason_text(pick.reason));
}

/* The size to look for first: pagoda.cfg's, else the kernel's Multiboot header's, else none. */
static const struct gop_size *gop_wanted(const struct loader *ld, struct gop_size *size,
                                         int *from_kernel)
{
    *from_kernel = 0;
    if (ld->config.has_resolution) {
        *size = (struct gop_size){ld->config.resolution_width, ld->config.resolution_height};
        return size;
    }
    if (!ld->video_request.has_size)
        return NULL;
    *size = (struct gop_size){ld->video_request.width, ld->video_request.height};
    *from_kernel = 1;
    if (ld->video_request.depth != 0 && ld->video_request.depth != 32)
        console_print("loader: the kernel prefers depth %u; GOP framebuffers have 32 bits per "
                      "pixel here\n",
                      ld->video_request.depth);
    return size;
}

/* Returns the GOP with the chosen mode set, or NULL when there is no GOP at all. */
EFI_GRAPHICS_OUTPUT_PROTOCOL *gop_select(struct loader *ld)
{
    EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
    EFI_STATUS status = ld->bs->LocateProtocol(&gop_guid, NULL, (void **)&gop);
    struct gop_size wanted_size = {0, 0}, native = {0, 0};
    int from_kernel = 0;

    if (EFI_ERROR(status) || gop == NULL || gop->Mode == NULL || gop->Mode->Info == NULL) {
        console_print("loader: no GOP (%s): no framebuffer\n", console_status_text(status));
        return NULL;
    }
    int has_native = gop_find_native(ld, gop, &native);
    UINTN count = gop_list_modes(ld->bs, gop);
    gop_print_modes(count, gop->Mode->Mode);
    const struct gop_size *wanted = gop_wanted(ld, &wanted_size, &from_kernel);
    struct gop_pick pick = gop_choose(gop_modes, count, wanted, has_native ? &native : NULL);
    gop_report_pick(&wanted_size, from_kernel, pick, &native);
    if (pick.index < 0 || gop_modes[pick.index].number == gop->Mode->Mode)
        return gop;
    status = gop->SetMode(gop, gop_modes[pick.index].number);
    if (EFI_ERROR(status))
        console_print("loader: setting GOP mode %u failed (%s): keeping mode %u\n",
                      gop_modes[pick.index].number, console_status_text(status), gop->Mode->Mode);
    return gop;
}
