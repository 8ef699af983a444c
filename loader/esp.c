/*
 * esp_open: find the loader's own folder and open its volume.
 *
 * The folder comes from LoadedImage->FilePath: the MEDIA_FILEPATH_DP nodes of the device path
 * spell "\EFI\BOOT\BOOTX64.EFI" (possibly split over several nodes); everything up to the last
 * backslash is the folder the kernel and pagoda.cfg are looked up in.
 */
#include "esp.h"

#include "console.h"

#define ESP_MEDIA_DEVICE_PATH  0x04
#define ESP_MEDIA_FILEPATH_DP  0x04
#define ESP_END_DEVICE_PATH    0x7f
#define ESP_DEVICE_PATH_HEADER 4
#define ESP_FALLBACK_DIRECTORY L"\\EFI\\BOOT\\"
#define ESP_FILE_INFO_BUFFER   512

static EFI_GUID esp_loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID esp_file_system_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID esp_file_info_guid = EFI_FILE_INFO_ID;

static UINTN esp_strlen16(const CHAR16 *s)
{
    UINTN n = 0;
    while (s[n] != 0)
        n++;
    return n;
}

/* Appends the node's path text; device path nodes are byte-packed, so read it bytewise. */
static int esp_append_node_path(CHAR16 *path, UINTN *used, const UINT8 *node, UINTN node_length)
{
    UINTN chars = (node_length - ESP_DEVICE_PATH_HEADER) / sizeof(CHAR16);

    if (*used > 0 && path[*used - 1] != L'\\')
        path[(*used)++] = L'\\';
    for (UINTN i = 0; i < chars; i++) {
        const UINT8 *p = node + ESP_DEVICE_PATH_HEADER + i * sizeof(CHAR16);
        CHAR16 c = (CHAR16)(p[0] | (p[1] << 8));
        if (c == 0)
            break;
        if (*used + 2 >= LOADER_PATH_CHARS)
            return 0;
        if (c == L'\\' && *used > 0 && path[*used - 1] == L'\\')
            continue;
        path[(*used)++] = c;
    }
    path[*used] = 0;
    return 1;
}

/* Writes the loader's full file path into path; returns 0 if the device path has none. */
static int esp_image_file_path(const EFI_DEVICE_PATH *device_path, CHAR16 *path)
{
    const UINT8 *node = (const UINT8 *)device_path;
    UINTN used = 0;

    path[0] = 0;
    while (node != NULL && node[0] != ESP_END_DEVICE_PATH) {
        UINTN length = (UINTN)node[2] | ((UINTN)node[3] << 8);
        if (length < ESP_DEVICE_PATH_HEADER)
            return 0; /* malformed: stop rather than loop forever */
        if (node[0] == ESP_MEDIA_DEVICE_PATH && node[1] == ESP_MEDIA_FILEPATH_DP &&
            !esp_append_node_path(path, &used, node, length))
            return 0;
        node += length;
    }
    return used > 0;
}

static void esp_set_directory(struct loader *ld, const EFI_DEVICE_PATH *file_path)
{
    CHAR16 *dir = ld->directory;
    UINTN cut = 0;

    if (!esp_image_file_path(file_path, dir)) {
        UINTN i = 0;
        for (const CHAR16 *f = ESP_FALLBACK_DIRECTORY; f[i] != 0; i++)
            dir[i] = f[i];
        dir[i] = 0;
        console_print("loader: own file path unknown, using folder \\EFI\\BOOT\\\n");
        return;
    }
    for (UINTN i = 0; dir[i] != 0; i++)
        if (dir[i] == L'\\')
            cut = i + 1;
    if (cut == 0) /* "BOOTX64.EFI" without any folder: the volume root */
        dir[cut++] = L'\\';
    dir[cut] = 0;
}

EFI_STATUS esp_open(struct loader *ld)
{
    EFI_LOADED_IMAGE *image = NULL;
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *file_system = NULL;
    EFI_STATUS status;
    char ascii[LOADER_PATH_CHARS];

    status = ld->bs->HandleProtocol(ld->image_handle, &esp_loaded_image_guid, (void **)&image);
    if (EFI_ERROR(status)) {
        console_print("pagoda: no LoadedImage protocol on the loader's handle: %s\n",
                      console_status_text(status));
        return status;
    }
    /* Where the firmware put this image: gdb relocates the loader's symbols by it
       (tools/pagoda_gdb.py, command "pagoda loader"), while the loader runs: shown at once. */
    console_print_shown("loader: image base 0x%llx (%llu bytes)\n",
                        (unsigned long long)(UINTN)image->ImageBase,
                        (unsigned long long)image->ImageSize);
    esp_set_directory(ld, image->FilePath);
    status =
        ld->bs->HandleProtocol(image->DeviceHandle, &esp_file_system_guid, (void **)&file_system);
    if (EFI_ERROR(status)) {
        console_print("pagoda: the loader's device has no file system: %s\n",
                      console_status_text(status));
        return status;
    }
    status = file_system->OpenVolume(file_system, &ld->root);
    if (EFI_ERROR(status)) {
        console_print("pagoda: cannot open the loader's volume: %s\n", console_status_text(status));
        ld->root = NULL;
        return status;
    }
    console_char16_to_ascii(ld->directory, ascii, sizeof(ascii));
    console_print("loader: folder %s\n", ascii);
    return EFI_SUCCESS;
}

EFI_STATUS esp_open_file(struct loader *ld, const char *name, EFI_FILE_HANDLE *file,
                         char *ascii_path, size_t ascii_path_size)
{
    CHAR16 path[LOADER_PATH_CHARS];
    UINTN used = esp_strlen16(ld->directory);

    for (UINTN i = 0; i <= used; i++)
        path[i] = ld->directory[i];
    for (const char *c = name; *c != '\0'; c++) {
        if (used + 1 >= LOADER_PATH_CHARS) {
            console_char16_to_ascii(path, ascii_path, ascii_path_size);
            return EFI_BAD_BUFFER_SIZE;
        }
        path[used++] = *c == '/' ? L'\\' : (CHAR16)(unsigned char)*c;
    }
    path[used] = 0;
    console_char16_to_ascii(path, ascii_path, ascii_path_size);
    return ld->root->Open(ld->root, file, path, EFI_FILE_MODE_READ, 0);
}

EFI_STATUS esp_file_size(EFI_FILE_HANDLE file, uint64_t *size)
{
    UINT64 buffer[ESP_FILE_INFO_BUFFER / sizeof(UINT64)];
    UINTN buffer_size = sizeof(buffer);
    EFI_STATUS status = file->GetInfo(file, &esp_file_info_guid, &buffer_size, buffer);

    if (EFI_ERROR(status))
        return status;
    *size = ((EFI_FILE_INFO *)buffer)->FileSize;
    return EFI_SUCCESS;
}

EFI_STATUS esp_read_all(EFI_FILE_HANDLE file, void *buffer, uint64_t size)
{
    uint64_t done = 0;

    while (done < size) {
        UINTN chunk = (UINTN)(size - done);
        EFI_STATUS status = file->Read(file, &chunk, (UINT8 *)buffer + done);
        if (EFI_ERROR(status))
            return status;
        if (chunk == 0)
            return EFI_END_OF_FILE; /* the file shrank since GetInfo */
        done += chunk;
    }
    return EFI_SUCCESS;
}
