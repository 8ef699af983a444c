/*
 * Pagoda loader: loads a 32-bit kernel from the folder this loader was started from and hands
 * over in 32-bit protected mode, paging off: Pagoda's own kernel by Pagoda's protocol (see
 * include/pagoda/boot_info.h for the contract), other kernels by Multiboot 1 or 2.
 *
 * efi_main is the list of steps; each step lives in its own file and prints its own detailed
 * error. Any failure before ExitBootServices frees everything, waits so a person can read the
 * screen, and returns the status to the firmware.
 *
 * With Secure Boot on, the kernel file and every module must match a SHA-256 built into this
 * loader (secure_boot.c, modules.c, docs/secure-boot.md). The boot menu (menu.c) runs only if
 * pagoda.cfg asks, and only for Pagoda's kernel.
 */
#include "console.h"
#include "loader.h"

#define MAIN_ERROR_PAUSE_US 3000000u

static struct loader loader_state;

static EFI_STATUS loader_fail(struct loader *ld, const char *step, EFI_STATUS status)
{
    console_go_live(); /* the lines that led here, then the failure */
    console_print("pagoda: %s failed (%s), returning to the firmware\n", step,
                  console_status_text(status));
    ledger_free_all(&ld->ledger);
    if (ld->root != NULL)
        ld->root->Close(ld->root);
    ld->bs->Stall(MAIN_ERROR_PAUSE_US);
    return status;
}

/* The boot information of the kernel's protocol: all of it before ExitBootServices... */
static EFI_STATUS boot_info_fill(struct loader *ld)
{
    if (loader_is_multiboot(ld))
        return multiboot_info_fill(ld);
    pagoda_info_fill(ld);
    return EFI_SUCCESS;
}

/* ...and the final memory map after it, without the firmware. */
static void boot_info_finish(struct loader *ld)
{
    if (loader_is_multiboot(ld))
        multiboot_info_finish(ld);
    else
        pagoda_info_finish(ld);
}

#define LOADER_STEP(ld, name, call)                                                                \
    do {                                                                                           \
        EFI_STATUS step_status_ = (call);                                                          \
        if (EFI_ERROR(step_status_))                                                               \
            return loader_fail((ld), (name), step_status_);                                        \
    } while (0)

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image_handle, EFI_SYSTEM_TABLE *system_table)
{
    struct loader *ld = &loader_state;

    ld->image_handle = image_handle;
    ld->st = system_table;
    ld->bs = system_table->BootServices;
    ledger_init(&ld->ledger, ld->bs);
    tsc_stamp(ld, PAGODA_PHASE_LOADER_ENTRY);
    /* Without this the firmware resets the machine 5 minutes after starting us. */
    ld->bs->SetWatchdogTimer(0, 0, 0, NULL);
    console_init(system_table->ConOut, 0);
    console_print_shown("\nPagoda loader %s v%s\n", LOADER_ARCH_NAME, LOADER_VERSION);
    /* First after the banner: it shows the image base at once, for a debugger. */
    LOADER_STEP(ld, "opening the boot volume", esp_open(ld));
    tsc_measure(ld);
    secure_boot_detect(ld);
    LOADER_STEP(ld, "reading the configuration", config_load(ld));
    tsc_stamp(ld, PAGODA_PHASE_CONFIG_READ);
    LOADER_STEP(ld, "reading the kernel", kernel_read(ld));
    tsc_stamp(ld, PAGODA_PHASE_KERNEL_READ);
    LOADER_STEP(ld, "checking the kernel's SHA-256", kernel_verify_hash(ld));
    LOADER_STEP(ld, "choosing the boot protocol", protocol_choose(ld));
    menu_choose(ld);
    LOADER_STEP(ld, "validating the kernel", kernel_validate(ld));
    LOADER_STEP(ld, "checking the kernel's destination", destination_check(ld));
    tsc_stamp(ld, PAGODA_PHASE_KERNEL_CHECKED);
    LOADER_STEP(ld, "loading the modules", modules_load(ld));
    LOADER_STEP(ld, "allocating hand-off memory", low_memory_allocate(ld));
    firmware_info_collect(ld);
    tsc_stamp(ld, PAGODA_PHASE_FIRMWARE_INFO);
    LOADER_STEP(ld, "filling the boot information", boot_info_fill(ld));
    LOADER_STEP(ld, "preparing the trampoline", handoff_prepare(ld));
    ld->root->Close(ld->root);
    ld->root = NULL;

    EFI_STATUS status = handoff_exit_boot_services(ld);
    if (EFI_ERROR(status))
        return status; /* after a failed ExitBootServices only GetMemoryMap may be called */
    boot_info_finish(ld);
    handoff_jump(ld);
}
