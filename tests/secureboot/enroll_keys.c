/*
 * Test-only UEFI application: enrols Secure Boot keys the way KeyTool does, through the
 * firmware's own SetVariable(). It reads db.auth, KEK.auth and PK.auth (signed updates made by
 * tools/make-secure-boot-key with efitools) from \EFI\BOOT\ on its own volume and writes them
 * in that order: PK last, because writing PK ends Setup Mode. Used by secureboot_test.py's
 * own-key case on OVMF started in Setup Mode; never part of a Pagoda disk.
 */
#include "../../loader/console.h"
#include "../../loader/uefi.h"

#define ENROLL_AUTH_MAX (64u * 1024u)
#define ENROLL_ATTRIBUTES                                                                          \
    (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS |   \
     EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS)

static EFI_GUID enroll_loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID enroll_file_system_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID enroll_global_guid = EFI_GLOBAL_VARIABLE;
/* UEFI 2.10 section 32.6.1: EFI_IMAGE_SECURITY_DATABASE_GUID, home of db and dbx. */
static EFI_GUID enroll_security_db_guid = {
    0xd719b2cb, 0x3d3a, 0x4596, {0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f}};

struct enroll_variable {
    CHAR16 *name;
    CHAR16 *file;
    EFI_GUID *guid;
};

static const struct enroll_variable enroll_order[] = {
    {L"db", L"\\EFI\\BOOT\\db.auth", &enroll_security_db_guid},
    {L"KEK", L"\\EFI\\BOOT\\KEK.auth", &enroll_global_guid},
    {L"PK", L"\\EFI\\BOOT\\PK.auth", &enroll_global_guid},
};

static UINT8 enroll_buffer[ENROLL_AUTH_MAX];

static EFI_STATUS enroll_open_root(EFI_HANDLE image, EFI_BOOT_SERVICES *bs, EFI_FILE_HANDLE *root)
{
    EFI_LOADED_IMAGE *loaded = NULL;
    EFI_FILE_IO_INTERFACE *volume = NULL;
    EFI_STATUS status = bs->HandleProtocol(image, &enroll_loaded_image_guid, (void **)&loaded);

    if (!EFI_ERROR(status))
        status =
            bs->HandleProtocol(loaded->DeviceHandle, &enroll_file_system_guid, (void **)&volume);
    if (!EFI_ERROR(status))
        status = volume->OpenVolume(volume, root);
    return status;
}

static EFI_STATUS enroll_one(EFI_SYSTEM_TABLE *st, EFI_FILE_HANDLE root,
                             const struct enroll_variable *v)
{
    EFI_FILE_HANDLE file = NULL;
    UINTN size = sizeof(enroll_buffer);
    EFI_STATUS status = root->Open(root, &file, v->file, EFI_FILE_MODE_READ, 0);

    if (EFI_ERROR(status))
        return status;
    status = file->Read(file, &size, enroll_buffer);
    file->Close(file);
    if (EFI_ERROR(status))
        return status;
    if (size == 0 || size == sizeof(enroll_buffer))
        return EFI_BAD_BUFFER_SIZE;
    return st->RuntimeServices->SetVariable(v->name, v->guid, ENROLL_ATTRIBUTES, size,
                                            enroll_buffer);
}

static unsigned enroll_read_byte(EFI_SYSTEM_TABLE *st, CHAR16 *name)
{
    UINT8 value = 0xff;
    UINTN size = sizeof(value);
    st->RuntimeServices->GetVariable(name, &enroll_global_guid, NULL, &size, &value);
    return value;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
    EFI_FILE_HANDLE root = NULL;
    EFI_STATUS status;
    unsigned failures = 0;

    st->BootServices->SetWatchdogTimer(0, 0, 0, NULL);
    console_init(st->ConOut, 1);
    console_print("\nenroll: SetupMode=%u before\n", enroll_read_byte(st, L"SetupMode"));
    status = enroll_open_root(image, st->BootServices, &root);
    if (EFI_ERROR(status)) {
        console_print("enroll: cannot open my volume: %s\n", console_status_text(status));
        return status;
    }
    for (UINTN i = 0; i < sizeof(enroll_order) / sizeof(enroll_order[0]); i++) {
        char name[8];
        console_char16_to_ascii(enroll_order[i].name, name, sizeof(name));
        status = enroll_one(st, root, &enroll_order[i]);
        failures += EFI_ERROR(status) ? 1 : 0;
        console_print("enroll: %s: %s\n", name, console_status_text(status));
    }
    root->Close(root);
    console_print("enroll: SetupMode=%u after; done, %u failure(s)\n",
                  enroll_read_byte(st, L"SetupMode"), failures);
    /* QEMU runs with -no-reboot: a reset ends it, and the variables are already in flash. */
    st->RuntimeServices->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, NULL);
    return EFI_SUCCESS;
}
