/*
 * The loader's state, shared by the steps main.c runs in order.
 *
 * Every allocation the loader makes goes through the ledger (ledger.h) so that an error in any
 * step can give all of it back before returning to the firmware.
 */
#ifndef PAGODA_LOADER_LOADER_H
#define PAGODA_LOADER_LOADER_H

#include "uefi.h"

#include "config.h"
#include "elf_check.h"
#include "ledger.h"
#include "multiboot_header.h"
#include "multiboot_info.h"
#include <pagoda/boot_info.h>
#include <pagoda/page.h>

#define LOADER_VERSION    "0.1.0"
#define LOADER_PATH_CHARS 256
#define LOADER_BELOW_4G   LEDGER_BELOW_4G

struct loader_module {
    EFI_PHYSICAL_ADDRESS base;
    UINTN pages;
    uint64_t size;      /* bytes of the file */
    const char *name;   /* as pagoda.cfg wrote it */
    const char *string; /* the rest of its line, "" if none */
};

enum loader_protocol {
    LOADER_PROTOCOL_PAGODA,     /* include/pagoda/boot_info.h */
    LOADER_PROTOCOL_MULTIBOOT1, /* Multiboot 0.6.96 */
    LOADER_PROTOCOL_MULTIBOOT2, /* Multiboot 2.0 */
};

/* What the firmware knows that the kernel cannot find by itself once boot services are gone. */
struct loader_firmware {
    struct pagoda_framebuffer framebuffer; /* format PAGODA_PIXEL_NONE: none */
    const uint8_t *rsdp_v1;                /* ACPI 1.0 table of the configuration table, or NULL */
    const uint8_t *rsdp_v2;                /* ACPI 2.0 table, or NULL */
    uint64_t rsdp;                         /* the one the kernel gets: 2.0 if there is one */
    uint32_t rsdp_revision;
    char vendor[PAGODA_FIRMWARE_NAME_LEN];
    uint32_t firmware_revision, uefi_revision;
};

/* A screen size the kernel asked for (Multiboot header), used when pagoda.cfg sets none. */
struct loader_video_request {
    int has_size;
    uint32_t width, height, depth;
};

struct loader {
    EFI_HANDLE image_handle;
    EFI_SYSTEM_TABLE *st;
    EFI_BOOT_SERVICES *bs;

    EFI_FILE_HANDLE root;                /* the volume the loader was started from */
    CHAR16 directory[LOADER_PATH_CHARS]; /* the loader's folder, ending in a backslash */
    struct loader_config config;
    int secure_boot; /* the firmware verified this loader: the kernel must match its hash */

    uint64_t tsc[PAGODA_PHASE_COUNT];
    uint64_t tsc_hz;

    /* The kernel file as read (staging), its protocol, and the plan of what the trampoline
     * copies where (from elf_check() or the Multiboot header). */
    EFI_PHYSICAL_ADDRESS staging;
    UINTN staging_pages;
    uint64_t kernel_file_size;
    char kernel_path[LOADER_PATH_CHARS]; /* ASCII, for messages */
    enum loader_protocol protocol;
    struct mb_kernel multiboot; /* the Multiboot header, for the Multiboot protocols */
    struct elf_image elf;
    struct loader_video_request video_request;

    /* The modules as read: each its own page-aligned range below 4 GiB, outside the kernel. */
    struct loader_module modules[PAGODA_MAX_MODULES];
    unsigned module_count;

    struct loader_firmware firmware;

    /* Buffers the 32-bit side touches; all below 4 GiB, none inside the kernel's range.
     * Pagoda's protocol: boot_info, modules_block, cmdline. Multiboot: multiboot_info. */
    struct pagoda_boot_info *boot_info;
    struct pagoda_modules *modules_block; /* NULL when there are no modules */
    char *cmdline;
    struct pagoda_loader_log *loader_log; /* Pagoda's protocol: the log's copy for the kernel */
    uint8_t *multiboot_info;
    UINTN multiboot_info_capacity;
    struct mb_info_input multiboot_input;
    uint8_t *trampoline;
    EFI_PHYSICAL_ADDRESS stack;
    void *memory_map;
    UINTN memory_map_capacity;

    /* The memory map ExitBootServices accepted. */
    UINTN final_map_size, final_descriptor_size;
    UINT32 final_descriptor_version;

    struct ledger ledger;
};

/* Error statuses the loader itself chooses (the firmware's own ones are passed through). */
#define LOADER_STATUS_BAD_KERNEL      EFI_LOAD_ERROR
#define LOADER_STATUS_BAD_DESTINATION EFI_OUT_OF_RESOURCES

static inline int loader_is_multiboot(const struct loader *ld)
{
    return ld->protocol != LOADER_PROTOCOL_PAGODA;
}

/* The kernel's physical destination, in whole pages: what the low allocations stay out of. */
static inline struct ledger_avoid loader_kernel_range(const struct loader *ld)
{
    return (struct ledger_avoid){pagoda_page_down(ld->elf.phys_start),
                                 pagoda_page_up(ld->elf.phys_end)};
}

/* The steps, in the order main.c runs them. Each prints its own detailed error. */
void tsc_stamp(struct loader *ld, enum pagoda_phase phase);
uint64_t tsc_read(void);
void tsc_measure(struct loader *ld);
EFI_STATUS esp_open(struct loader *ld);
EFI_STATUS config_load(struct loader *ld);
void menu_choose(struct loader *ld);
void secure_boot_detect(struct loader *ld);
EFI_STATUS kernel_read(struct loader *ld);
EFI_STATUS kernel_verify_hash(struct loader *ld);
EFI_STATUS protocol_choose(struct loader *ld);
EFI_STATUS kernel_validate(struct loader *ld);
EFI_STATUS destination_check(struct loader *ld);
EFI_STATUS modules_load(struct loader *ld);
EFI_STATUS low_memory_allocate(struct loader *ld);
EFI_GRAPHICS_OUTPUT_PROTOCOL *gop_select(struct loader *ld);
void firmware_info_collect(struct loader *ld);
void pagoda_info_fill(struct loader *ld);
void pagoda_info_finish(struct loader *ld);
EFI_STATUS multiboot_info_fill(struct loader *ld);
void multiboot_info_finish(struct loader *ld);
EFI_STATUS handoff_prepare(struct loader *ld);
EFI_STATUS handoff_exit_boot_services(struct loader *ld);
_Noreturn void handoff_jump(struct loader *ld);

#endif
