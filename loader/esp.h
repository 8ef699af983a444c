/*
 * Files next to the loader on the volume it was started from (normally the ESP).
 */
#ifndef PAGODA_LOADER_ESP_H
#define PAGODA_LOADER_ESP_H

#include "loader.h"

/* Opens <loader directory>\<name> for reading; ascii_path receives the full path for messages. */
EFI_STATUS esp_open_file(struct loader *ld, const char *name, EFI_FILE_HANDLE *file,
                         char *ascii_path, size_t ascii_path_size);
EFI_STATUS esp_file_size(EFI_FILE_HANDLE file, uint64_t *size);
/* Reads exactly size bytes from the start of the file. */
EFI_STATUS esp_read_all(EFI_FILE_HANDLE file, void *buffer, uint64_t size);

#endif
