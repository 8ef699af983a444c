#include "rsdp.h"

static uint8_t byte_sum(const uint8_t *bytes, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + bytes[i]);
    return sum;
}

struct rsdp_result rsdp_check(const uint8_t *bytes, size_t available)
{
    static const char signature[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
    struct rsdp_result r = {0};
    if (available < RSDP_V1_LENGTH)
        return r;
    r.signature_ok = true;
    for (int i = 0; i < 8; i++)
        r.signature_ok = r.signature_ok && bytes[i] == (uint8_t)signature[i];
    r.checksum_ok = byte_sum(bytes, RSDP_V1_LENGTH) == 0;
    r.revision = bytes[RSDP_OFFSET_REVISION];
    for (int i = 0; i < 6; i++) {
        uint8_t c = bytes[RSDP_OFFSET_OEM_ID + i];
        r.oem_id[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '.';
    }
    r.oem_id[6] = '\0';
    r.length = RSDP_V1_LENGTH;
    r.extended_checksum_ok = true;
    if (r.revision >= 2) {
        if (available < RSDP_V2_LENGTH) {
            r.extended_checksum_ok = false;
            return r;
        }
        r.length = (uint32_t)bytes[RSDP_OFFSET_LENGTH] |
                   (uint32_t)bytes[RSDP_OFFSET_LENGTH + 1] << 8 |
                   (uint32_t)bytes[RSDP_OFFSET_LENGTH + 2] << 16 |
                   (uint32_t)bytes[RSDP_OFFSET_LENGTH + 3] << 24;
        r.extended_checksum_ok =
            r.length >= RSDP_V2_LENGTH && r.length <= available && byte_sum(bytes, r.length) == 0;
    }
    return r;
}

bool rsdp_valid(const struct rsdp_result *r)
{
    return r->signature_ok && r->checksum_ok && r->extended_checksum_ok;
}
