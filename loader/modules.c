/*
 * modules_load: the modules, the files named by `module = FILE [string]` lines of pagoda.cfg (by
 * default the archive of user programs, programs.tar, when it is there). Each is read whole into
 * its own page-aligned range below 4 GiB, outside the kernel's destination, like the staging
 * copy of the kernel; the kernel finds them through the boot information (Pagoda's modules
 * block or the Multiboot module entries).
 *
 * Under Secure Boot every module must match a SHA-256 built into this loader
 * (trusted_hashes.h), as the kernel must: a swapped file is refused before anything reads it.
 * A module pagoda.cfg names that is missing or unreadable stops the boot like a missing kernel;
 * the default archive being absent is only said.
 */
#include "console.h"
#include "esp.h"
#include "sha256.h"
#include "trusted_hashes.h"

#include "pg_string.h"

#define MODULES_DEFAULT_NAME "programs.tar"
#define MODULES_FILE_MAX     (512ull * 1024 * 1024)
#define MODULES_HASH_PREFIX  8 /* hex digits of the SHA-256 in the log line */

static const char modules_no_string[] = "";

static EFI_STATUS modules_check_hash(struct loader *ld, const char *path,
                                     const struct loader_module *module, char *hex, int *trusted)
{
    uint8_t digest[SHA256_DIGEST_SIZE];

    sha256_digest((const void *)(UINTN)module->base, (size_t)module->size, digest);
    sha256_to_hex(digest, hex);
    int match = trusted_hash_find(trusted_modules, trusted_modules_count, digest);
    *trusted = match >= 0;
    if (match >= 0 || (!ld->secure_boot && trusted_modules_count == 0))
        return EFI_SUCCESS;
    if (!ld->secure_boot) {
        console_print("loader: warning: module %s (SHA-256 %s) is not one of the %u modules "
                      "trusted by this loader; loading it anyway because Secure Boot is off\n",
                      path, hex, trusted_modules_count);
        return EFI_SUCCESS;
    }
    console_print("pagoda: module %s (SHA-256 %s) does not match any of the %u module SHA-256 "
                  "built into this loader; refusing to boot with Secure Boot on\n",
                  path, hex, trusted_modules_count);
    return EFI_SECURITY_VIOLATION;
}

/* Reads the open file into pages below 4 GiB outside the kernel's range. */
static EFI_STATUS modules_read(struct loader *ld, EFI_FILE_HANDLE file, const char *path,
                               struct loader_module *module)
{
    EFI_STATUS status = esp_file_size(file, &module->size);

    if (EFI_ERROR(status)) {
        console_print("pagoda: module %s: cannot get its size: %s\n", path,
                      console_status_text(status));
        return status;
    }
    if (module->size > MODULES_FILE_MAX) {
        console_print("pagoda: module %s: %llu bytes, at most %llu allowed\n", path,
                      (unsigned long long)module->size, MODULES_FILE_MAX);
        return EFI_BAD_BUFFER_SIZE;
    }
    /* An empty file still gets its page: every module has an address of its own. */
    module->pages = (UINTN)(pagoda_page_up(module->size) / PAGODA_PAGE_SIZE);
    if (module->pages == 0)
        module->pages = 1;
    status = ledger_allocate_low(&ld->ledger, EfiLoaderData, module->pages, loader_kernel_range(ld),
                                 &module->base);
    if (EFI_ERROR(status)) {
        console_print("pagoda: module %s: no memory below 4 GiB outside the kernel for %llu "
                      "bytes: %s\n",
                      path, (unsigned long long)module->size, console_status_text(status));
        return status;
    }
    /* esp_read_all fills [0, size) or fails: only the last page's tail needs zeroing. */
    memset((void *)(UINTN)(module->base + module->size), 0,
           (UINTN)(module->pages * PAGODA_PAGE_SIZE - module->size));
    status = esp_read_all(file, (void *)(UINTN)module->base, module->size);
    if (EFI_ERROR(status))
        console_print("pagoda: module %s: read failed: %s\n", path, console_status_text(status));
    return status;
}

/* Loads one module; REQUIRED 0: a missing file is said and skipped (*loaded stays 0). */
static EFI_STATUS modules_load_one(struct loader *ld, const char *name, const char *string,
                                   int required, int *loaded)
{
    struct loader_module *module = &ld->modules[ld->module_count];
    char path[LOADER_PATH_CHARS], hex[SHA256_HEX_SIZE];
    int trusted = 0;
    EFI_FILE_HANDLE file = NULL;
    EFI_STATUS status = esp_open_file(ld, name, &file, path, sizeof(path));

    *loaded = 0;
    if (status == EFI_NOT_FOUND && !required) {
        console_print("loader: no module named in %s and no %s: booting without modules\n",
                      CONFIG_FILE_NAME, path);
        return EFI_SUCCESS;
    }
    if (EFI_ERROR(status)) {
        console_print("pagoda: cannot open module %s: %s\n", path, console_status_text(status));
        return status;
    }
    *module = (struct loader_module){.name = name, .string = string};
    status = modules_read(ld, file, path, module);
    file->Close(file);
    if (!EFI_ERROR(status))
        status = modules_check_hash(ld, path, module, hex, &trusted);
    if (EFI_ERROR(status))
        return status;
    ld->module_count++;
    *loaded = 1;
    console_print("loader: module %u: %s (%llu bytes) at 0x%llx, SHA-256 %.*s...%s%s%s%s\n",
                  ld->module_count, path, (unsigned long long)module->size,
                  (unsigned long long)module->base, MODULES_HASH_PREFIX, hex,
                  trusted ? " (trusted by this loader)" : "", string[0] ? " \"" : "", string,
                  string[0] ? "\"" : "");
    return EFI_SUCCESS;
}

EFI_STATUS modules_load(struct loader *ld)
{
    const struct loader_config *config = &ld->config;
    int loaded = 0;

    ld->module_count = 0;
    if (config->module_count == 0)
        return modules_load_one(ld, MODULES_DEFAULT_NAME, modules_no_string, 0, &loaded);
    for (unsigned i = 0; i < config->module_count; i++) {
        EFI_STATUS status =
            modules_load_one(ld, config->modules[i].name, config->modules[i].string, 1, &loaded);
        if (EFI_ERROR(status))
            return status;
    }
    return EFI_SUCCESS;
}
