/*
 * kernel_read and kernel_validate: read the kernel file into a staging buffer below 4 GiB, then
 * validate it with elf_check() before anything is placed anywhere. A Multiboot kernel was already
 * checked with its header (protocol.c); its plan is only shown here.
 */
#include "console.h"
#include "esp.h"

#include "pg_string.h"

#define KERNEL_FILE_MAX (64ull * 1024 * 1024)
#define KERNEL_WHY_MAX  160

/* ELF p_flags bits, for the segment listing. */
#define KERNEL_PF_X 0x1u
#define KERNEL_PF_W 0x2u
#define KERNEL_PF_R 0x4u

static UINTN kernel_pages(uint64_t bytes)
{
    return (UINTN)EFI_SIZE_TO_PAGES(bytes);
}

static EFI_STATUS kernel_read_open_file(struct loader *ld, EFI_FILE_HANDLE file)
{
    EFI_STATUS status = esp_file_size(file, &ld->kernel_file_size);

    if (EFI_ERROR(status)) {
        console_print("pagoda: %s: cannot get its size: %s\n", ld->kernel_path,
                      console_status_text(status));
        return status;
    }
    if (ld->kernel_file_size == 0 || ld->kernel_file_size > KERNEL_FILE_MAX) {
        console_print("pagoda: %s: size %llu bytes, expected 1 to %llu\n", ld->kernel_path,
                      (unsigned long long)ld->kernel_file_size, KERNEL_FILE_MAX);
        return LOADER_STATUS_BAD_KERNEL;
    }
    /* Below 4 GiB because the 32-bit trampoline copies from here with paging off. */
    ld->staging_pages = kernel_pages(ld->kernel_file_size);
    ld->staging = LOADER_BELOW_4G;
    status = ledger_allocate_pages(&ld->ledger, AllocateMaxAddress, EfiLoaderData,
                                   ld->staging_pages, &ld->staging);
    if (EFI_ERROR(status)) {
        console_print("pagoda: %s: no memory below 4 GiB for %llu bytes: %s\n", ld->kernel_path,
                      (unsigned long long)ld->kernel_file_size, console_status_text(status));
        ld->staging = 0;
        return status;
    }
    status = esp_read_all(file, (void *)(UINTN)ld->staging, ld->kernel_file_size);
    if (EFI_ERROR(status))
        console_print("pagoda: %s: read failed: %s\n", ld->kernel_path,
                      console_status_text(status));
    return status;
}

EFI_STATUS kernel_read(struct loader *ld)
{
    EFI_FILE_HANDLE file = NULL;
    EFI_STATUS status =
        esp_open_file(ld, ld->config.kernel, &file, ld->kernel_path, sizeof(ld->kernel_path));

    if (EFI_ERROR(status)) {
        console_print("pagoda: cannot open kernel %s: %s\n", ld->kernel_path,
                      console_status_text(status));
        return status;
    }
    status = kernel_read_open_file(ld, file);
    file->Close(file);
    if (!EFI_ERROR(status))
        console_print("loader: read %s (%llu bytes) to 0x%llx\n", ld->kernel_path,
                      (unsigned long long)ld->kernel_file_size, (unsigned long long)ld->staging);
    return status;
}

static void kernel_print_segments(const struct elf_image *elf)
{
    for (uint32_t i = 0; i < elf->segment_count; i++) {
        const struct elf_segment *s = &elf->segments[i];
        console_print("loader:   segment %u: paddr 0x%08x vaddr 0x%08x file 0x%x mem 0x%x %c%c%c\n",
                      i, s->paddr, s->vaddr, s->file_size, s->mem_size,
                      (s->flags & KERNEL_PF_R) ? 'r' : '-', (s->flags & KERNEL_PF_W) ? 'w' : '-',
                      (s->flags & KERNEL_PF_X) ? 'x' : '-');
    }
}

EFI_STATUS kernel_validate(struct loader *ld)
{
    char why[KERNEL_WHY_MAX];

    if (!loader_is_multiboot(ld)) {
        enum elf_check_error error =
            elf_check((const void *)(UINTN)ld->staging, (size_t)ld->kernel_file_size,
                      &elf_rules_kernel, &ld->elf, why, sizeof(why));
        if (error != ELF_CHECK_OK) {
            console_print("pagoda: %s: %s\n", ld->kernel_path, why);
            return LOADER_STATUS_BAD_KERNEL;
        }
    }
    console_print(
        "loader: kernel ok: %u segment(s) at [0x%llx-0x%llx), entry 0x%08x (phys 0x%08x)\n",
        ld->elf.segment_count, (unsigned long long)ld->elf.phys_start,
        (unsigned long long)ld->elf.phys_end, ld->elf.entry_virtual, ld->elf.entry_physical);
    kernel_print_segments(&ld->elf);
    return EFI_SUCCESS;
}
