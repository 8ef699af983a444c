/*
 * SHA-256 (FIPS 180-4), pure C with no library calls: the loader uses it freestanding to compare
 * the kernel file with the hash built into it, and tests/secureboot runs it on the host against
 * the NIST vectors.
 */
#ifndef PAGODA_LOADER_SHA256_H
#define PAGODA_LOADER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE  64
#define SHA256_HEX_SIZE    (2 * SHA256_DIGEST_SIZE + 1) /* hex digits and the NUL */

struct sha256 {
    uint32_t state[8];
    uint64_t total_bytes;
    uint8_t block[SHA256_BLOCK_SIZE];
    size_t block_used;
};

void sha256_init(struct sha256 *ctx);
void sha256_update(struct sha256 *ctx, const void *data, size_t size);
void sha256_final(struct sha256 *ctx, uint8_t digest[SHA256_DIGEST_SIZE]);

/* One-shot hash of data[0..size). */
void sha256_digest(const void *data, size_t size, uint8_t digest[SHA256_DIGEST_SIZE]);

/* Lower-case hex, NUL-terminated. */
void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE]);

/* Constant-time comparison: returns 1 when equal. */
int sha256_equal(const uint8_t a[SHA256_DIGEST_SIZE], const uint8_t b[SHA256_DIGEST_SIZE]);

#endif
