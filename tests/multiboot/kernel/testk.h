/*
 * What the two Multiboot test kernels share: serial output, TAP results, the exit through QEMU's
 * isa-debug-exit port, and the checks that do not depend on the Multiboot version: the machine
 * state at entry, the memory map against mem_lower/mem_upper (and against the EFI map), the
 * framebuffer drawn and read back, ACPI RSDP copies, and module contents.
 *
 * These kernels read the boot information with their own definitions of the layouts, written
 * from the specifications, so that a layout mistake in the loader cannot hide behind a shared
 * header. They are freestanding i686 code, position-independent (the Multiboot 2 kernel is
 * relocated by the loader): no table of pointers anywhere.
 */
#ifndef PAGODA_TESTK_H
#define PAGODA_TESTK_H

#include <stddef.h>
#include <stdint.h>

/* Everything is in this one image: no symbol needs a GOT entry, which would hold a link-time
 * address that relocation does not fix. */
#pragma GCC visibility push(hidden)

#define TESTK_PAGE 4096u

/* Layout of the image (testk.ld) and of the entry stub (entry.S). */
extern char __image_start[], __data_end[], __bss_end[];

struct testk_range {
    uint64_t base, length;
    uint32_t type; /* Multiboot memory type */
};

#define TESTK_MAX_RANGES 512

/* What both versions hand over, gathered while the information is printed. */
struct testk_info {
    uint32_t mem_lower, mem_upper; /* KiB */
    int have_memory;
    struct testk_range map[TESTK_MAX_RANGES];
    unsigned map_count;
    int have_map;
    uint64_t fb_addr;
    uint32_t fb_pitch, fb_width, fb_height;
    uint8_t fb_bpp, fb_type;
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
    int have_framebuffer;
    uint32_t module_start[16], module_end[16];
    unsigned module_count;
    uint64_t info_start, info_end; /* the information itself, to avoid */
};

void testk_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int testk_check(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void testk_finish(void);

/* The checks that both kernels run. */
void testk_check_entry_state(uint32_t eflags);
void testk_check_memory(const struct testk_info *info, const char *who);
void testk_check_framebuffer(const struct testk_info *info);
void testk_check_modules(const struct testk_info *info, int page_aligned);
void testk_check_rsdp(const uint8_t *rsdp, uint32_t size, int extended);
void testk_check_efi_system_table(uint64_t address);
void testk_check_bss_clear(void);
/* The image runs DELTA bytes from where it was linked (0 unless relocated). */
uint32_t testk_delta(void);

/* FNV-1a, 32 bits: what the harness compares module contents by. */
uint32_t testk_fnv1a(const uint8_t *data, uint32_t size);

/* The printed form of a string from the information: bounded, NUL-checked. */
int testk_string_ok(const char *s, uint32_t max);

/* Reads of the information, which may sit at any alignment. */
static inline uint32_t testk_u32(uint32_t address)
{
    const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)address;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t testk_u64(uint32_t address)
{
    return (uint64_t)testk_u32(address) | (uint64_t)testk_u32(address + 4) << 32;
}

static inline uint8_t testk_u8(uint32_t address)
{
    return *(const volatile uint8_t *)(uintptr_t)address;
}

/* The version-specific walks (mb1.c, mb2.c). */
void testk_run(uint32_t magic, uint32_t info, uint32_t delta_from_load_base);

#pragma GCC visibility pop

#endif
