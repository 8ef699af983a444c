/*
 * The SHA-256 of every file this loader trusts under Secure Boot, generated at build time by
 * loader/trusted_hashes.py into trusted_hashes.c (its own object, so a loader variant with other
 * hashes links the same code). trusted_kernels[0] is Pagoda's kernel built with this loader.
 */
#ifndef PAGODA_LOADER_TRUSTED_HASHES_H
#define PAGODA_LOADER_TRUSTED_HASHES_H

#include "sha256.h"

#include <stdint.h>

#define TRUSTED_HASH_SIZE SHA256_DIGEST_SIZE

struct trusted_hash {
    const char *file_name; /* the base name it was built from, for messages */
    uint8_t sha256[TRUSTED_HASH_SIZE];
};

extern const struct trusted_hash trusted_kernels[];
extern const unsigned trusted_kernels_count; /* at least 1 */
extern const struct trusted_hash trusted_modules[];
extern const unsigned trusted_modules_count; /* may be 0 */

/* The index of the entry of TABLE[0..count) whose digest is DIGEST, or -1. */
static inline int trusted_hash_find(const struct trusted_hash *table, unsigned count,
                                    const uint8_t digest[TRUSTED_HASH_SIZE])
{
    for (unsigned i = 0; i < count; i++)
        if (sha256_equal(table[i].sha256, digest))
            return (int)i;
    return -1;
}

#endif
