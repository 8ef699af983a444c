/*
 * Secure Boot: the firmware has already checked this loader's signature before starting it; the
 * loader extends that trust to the kernel by comparing the kernel file with the SHA-256 values
 * that were compiled into it (trusted_hashes.h: Pagoda's kernel, generated at build time, and any
 * foreign kernels of -Dtrusted_kernels). With Secure Boot on a mismatch stops the boot; with it
 * off the mismatch is only reported, so a developer can still try a rebuilt kernel with an older
 * loader. Modules are checked the same way when they are read (modules.c).
 *
 * The hash is checked on the raw file, before the ELF parser sees it, so with Secure Boot on an
 * unknown file never reaches any parsing code.
 */
#include "console.h"
#include "fmt.h"
#include "loader.h"
#include "sha256.h"
#include "trusted_hashes.h"

/* UEFI 2.10 section 3.3: global variables, one byte each. */
static EFI_GUID secure_boot_global_guid = EFI_GLOBAL_VARIABLE;
#define SECURE_BOOT_VAR_SECURE_BOOT L"SecureBoot"
#define SECURE_BOOT_VAR_SETUP_MODE  L"SetupMode"
#define SECURE_BOOT_ENABLED         1 /* SecureBoot: images are verified */
#define SECURE_BOOT_SETUP_MODE      1 /* SetupMode: no Platform Key enrolled */

/* Reads a one-byte global variable; returns 0 and leaves *value alone when it cannot. */
static int secure_boot_read_byte(struct loader *ld, CHAR16 *name, uint8_t *value)
{
    uint8_t data = 0;
    UINTN size = sizeof(data);
    EFI_STATUS status =
        ld->st->RuntimeServices->GetVariable(name, &secure_boot_global_guid, NULL, &size, &data);

    if (EFI_ERROR(status) || size != sizeof(data))
        return 0;
    *value = data;
    return 1;
}

void secure_boot_detect(struct loader *ld)
{
    uint8_t secure_boot = 0, setup_mode = 0;
    int have_secure_boot = secure_boot_read_byte(ld, SECURE_BOOT_VAR_SECURE_BOOT, &secure_boot);
    int have_setup_mode = secure_boot_read_byte(ld, SECURE_BOOT_VAR_SETUP_MODE, &setup_mode);

    ld->secure_boot = have_secure_boot && secure_boot == SECURE_BOOT_ENABLED;
    if (!have_secure_boot) {
        console_print("loader: Secure Boot is off (this firmware has no SecureBoot variable)\n");
        return;
    }
    console_print("loader: Secure Boot is %s (SecureBoot=%u, SetupMode=%s%s)\n",
                  ld->secure_boot ? "on" : "off", secure_boot,
                  !have_setup_mode                       ? "absent"
                  : setup_mode == SECURE_BOOT_SETUP_MODE ? "1"
                                                         : "0",
                  !have_setup_mode                       ? ""
                  : setup_mode == SECURE_BOOT_SETUP_MODE ? ": no Platform Key enrolled"
                                                         : ": keys enrolled");
}

static void secure_boot_report_mismatch(struct loader *ld, const uint8_t *digest)
{
    char expected[SHA256_HEX_SIZE], got[SHA256_HEX_SIZE];
    char others[64] = "";

    sha256_to_hex(trusted_kernels[0].sha256, expected);
    sha256_to_hex(digest, got);
    if (trusted_kernels_count > 1)
        pg_snprintf(others, sizeof(others), " for %s, or one of %u other trusted kernels",
                    trusted_kernels[0].file_name, trusted_kernels_count - 1);
    if (!ld->secure_boot) {
        console_print("loader: warning: kernel %s does not match the SHA-256 built into this "
                      "loader (expected %s%s, got %s); booting it anyway because Secure Boot is "
                      "off\n",
                      ld->kernel_path, expected, others, got);
        return;
    }
    console_print("pagoda: kernel %s does not match the SHA-256 built into this loader (expected "
                  "%s%s, got %s); refusing to boot with Secure Boot on\n",
                  ld->kernel_path, expected, others, got);
}

EFI_STATUS kernel_verify_hash(struct loader *ld)
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    char hex[SHA256_HEX_SIZE];

    sha256_digest((const void *)(UINTN)ld->staging, (size_t)ld->kernel_file_size, digest);
    int match = trusted_hash_find(trusted_kernels, trusted_kernels_count, digest);
    sha256_to_hex(digest, hex);
    if (match == 0) {
        console_print("loader: kernel SHA-256 %s matches the one built into this loader\n", hex);
        return EFI_SUCCESS;
    }
    if (match > 0) {
        console_print("loader: kernel SHA-256 %s matches trusted kernel %s built into this "
                      "loader\n",
                      hex, trusted_kernels[match].file_name);
        return EFI_SUCCESS;
    }
    secure_boot_report_mismatch(ld, digest);
    return ld->secure_boot ? EFI_SECURITY_VIOLATION : EFI_SUCCESS;
}
