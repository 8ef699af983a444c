/* The ACPI RSDP (ACPI 6.5, 5.2.5.3): signature and checksums. Pure code. */
#ifndef PAGODA_RSDP_H
#define PAGODA_RSDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSDP_V1_LENGTH       20u
#define RSDP_V2_LENGTH       36u
#define RSDP_OFFSET_REVISION 15u
#define RSDP_OFFSET_LENGTH   20u
#define RSDP_OFFSET_OEM_ID   9u

struct rsdp_result {
    bool signature_ok;
    bool checksum_ok;          /* first 20 bytes sum to 0 */
    bool extended_checksum_ok; /* whole table (revision >= 2) sums to 0; true for revision 0 */
    uint8_t revision;
    uint32_t length; /* from the table (revision >= 2), else 20 */
    char oem_id[7];
};

/* Check the RSDP at bytes; available is how many bytes may be read (>= 20). */
struct rsdp_result rsdp_check(const uint8_t *bytes, size_t available);
bool rsdp_valid(const struct rsdp_result *r);

#endif
