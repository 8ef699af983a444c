/*
 * Little-endian loads from bytes at any alignment: how the parsers of files and firmware tables
 * (ELF, Multiboot headers, UEFI memory maps) read their input, since a cast to a wider type of an
 * unaligned buffer is undefined behaviour. The same on the x64 and IA32 loaders, the i686 kernel
 * and the host tests.
 */
#ifndef PAGODA_LIB_BYTE_ORDER_H
#define PAGODA_LIB_BYTE_ORDER_H

#include <stdint.h>

static inline uint32_t load_le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

#endif
