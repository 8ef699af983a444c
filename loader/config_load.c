/*
 * config_load: read pagoda.cfg next to the loader. A missing or unreadable file means defaults; a
 * bad line is named with its line number and skipped. None of this stops the boot.
 */
#include "console.h"
#include "esp.h"

static void config_load_report(void *ctx, unsigned line, const char *what)
{
    const char *path = ctx;
    console_print("%s:%u: %s (line ignored)\n", path, line, what);
}

static void config_load_file(struct loader *ld, EFI_FILE_HANDLE file, const char *path)
{
    uint64_t size = 0;
    void *text = NULL;
    EFI_STATUS status = esp_file_size(file, &size);

    if (EFI_ERROR(status)) {
        console_print("loader: %s: cannot get its size (%s), using defaults\n", path,
                      console_status_text(status));
        return;
    }
    if (size > CONFIG_FILE_MAX) {
        console_print("loader: %s: %llu bytes, more than %u: using defaults\n", path,
                      (unsigned long long)size, CONFIG_FILE_MAX);
        return;
    }
    if (size == 0)
        return;
    status = ld->bs->AllocatePool(EfiLoaderData, (UINTN)size, &text);
    if (EFI_ERROR(status)) {
        console_print("loader: %s: no memory to read it (%s), using defaults\n", path,
                      console_status_text(status));
        return;
    }
    status = esp_read_all(file, text, size);
    if (EFI_ERROR(status))
        console_print("loader: %s: read failed (%s), using defaults\n", path,
                      console_status_text(status));
    else
        config_parse(text, (size_t)size, &ld->config, config_load_report, (void *)path);
    ld->bs->FreePool(text);
}

EFI_STATUS config_load(struct loader *ld)
{
    EFI_FILE_HANDLE file = NULL;
    char path[LOADER_PATH_CHARS];
    EFI_STATUS status;

    config_defaults(&ld->config);
    status = esp_open_file(ld, CONFIG_FILE_NAME, &file, path, sizeof(path));
    if (status == EFI_NOT_FOUND) {
        console_print("loader: %s not found, using defaults\n", path);
    } else if (EFI_ERROR(status)) {
        console_print("loader: %s: cannot open (%s), using defaults\n", path,
                      console_status_text(status));
    } else {
        config_load_file(ld, file, path);
        file->Close(file);
    }
    if (ld->config.live_log)
        console_go_live();
    console_print("loader: kernel=%s cmdline=\"%s\" debug_occupy_kernel_range=%s protocol=%s\n",
                  ld->config.kernel, ld->config.cmdline,
                  ld->config.debug_occupy_kernel_range ? "yes" : "no",
                  config_protocol_name(ld->config.protocol));
    if (ld->config.has_resolution)
        console_print("loader: resolution=%ux%u\n", ld->config.resolution_width,
                      ld->config.resolution_height);
    if (ld->config.menu_timeout > 0 || ld->config.has_default_action || ld->config.has_paging)
        console_print("loader: menu_timeout=%u default=%s paging=%s\n", ld->config.menu_timeout,
                      ld->config.has_default_action ? menu_action_name(ld->config.default_action)
                                                    : "(unset)",
                      ld->config.has_paging ? menu_paging_name(ld->config.paging) : "(unset)");
    return EFI_SUCCESS;
}
