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

    /* The kernel file as read (staging) and what elf_check() found in it. */
    EFI_PHYSICAL_ADDRESS staging;
    UINTN staging_pages;
    uint64_t kernel_file_size;
    char kernel_path[LOADER_PATH_CHARS]; /* ASCII, for messages */
    struct elf_image elf;

    /* The modules as read: each its own page-aligned range below 4 GiB, outside the kernel. */
    struct loader_module modules[PAGODA_MAX_MODULES];
    unsigned module_count;

    /* Buffers the 32-bit side touches; all below 4 GiB, none inside the kernel's range. */
    struct pagoda_boot_info *boot_info;
    struct pagoda_modules *modules_block; /* NULL when there are no modules */
    char *cmdline;
    UINTN cmdline_pages;
    uint8_t *trampoline;
    EFI_PHYSICAL_ADDRESS stack;
    void *memory_map;
    UINTN memory_map_capacity;

    struct ledger ledger;
};

/* Error statuses the loader itself chooses (the firmware's own ones are passed through). */
#define LOADER_STATUS_BAD_KERNEL      EFI_LOAD_ERROR
#define LOADER_STATUS_BAD_DESTINATION EFI_OUT_OF_RESOURCES

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
EFI_STATUS kernel_validate(struct loader *ld);
EFI_STATUS destination_check(struct loader *ld);
EFI_STATUS modules_load(struct loader *ld);
EFI_STATUS low_memory_allocate(struct loader *ld);
EFI_GRAPHICS_OUTPUT_PROTOCOL *gop_select(struct loader *ld);
void firmware_info_collect(struct loader *ld);
void boot_info_fill(struct loader *ld);
EFI_STATUS handoff_prepare(struct loader *ld);
EFI_STATUS handoff_exit_boot_services(struct loader *ld);
_Noreturn void handoff_jump(struct loader *ld);

#endif
