/*
 * The boot ABI: what the loader hands the kernel.
 *
 * At kernel entry the CPU is in 32-bit protected mode with a flat GDT (code 0x08, data 0x10),
 * paging off, interrupts off, CR4 = 0, EFER = 0 where it exists, caches on. EAX holds
 * PAGODA_BOOT_MAGIC, EBX the physical address of a struct pagoda_boot_info, ESP a 16-byte aligned
 * stack of at least PAGODA_LOADER_STACK_SIZE bytes. Everything the block points at lies below
 * 4 GiB except the framebuffer, which may be anywhere.
 *
 * The layout is fixed: every field has a fixed width and an explicit offset, so the x64 loader,
 * the IA32 loader, the i686 kernel and the host tests agree on it whatever their alignment rules.
 */
#ifndef PAGODA_BOOT_INFO_H
#define PAGODA_BOOT_INFO_H

#include <stddef.h>
#include <stdint.h>

#define PAGODA_BOOT_MAGIC        0x41444750u /* "PGDA" */
#define PAGODA_BOOT_INFO_VERSION 2u
#define PAGODA_LOADER_STACK_SIZE (64u * 1024u)

enum pagoda_firmware_kind {
    PAGODA_FIRMWARE_UEFI_X64 = 1,
    PAGODA_FIRMWARE_UEFI_IA32 = 2,
};

enum pagoda_pixel_format {
    PAGODA_PIXEL_NONE = 0, /* no framebuffer: GOP missing or BltOnly */
    PAGODA_PIXEL_RGBX = 1, /* byte 0 red, 1 green, 2 blue */
    PAGODA_PIXEL_BGRX = 2, /* byte 0 blue, 1 green, 2 red */
    PAGODA_PIXEL_BITMASK = 3,
};

struct pagoda_framebuffer {
    uint64_t base; /* physical, may be above 4 GiB */
    uint64_t size; /* bytes */
    uint32_t width;
    uint32_t height;
    uint32_t pitch;  /* bytes per scanline */
    uint32_t format; /* enum pagoda_pixel_format */
    uint32_t red_mask;
    uint32_t green_mask;
    uint32_t blue_mask;
    uint32_t reserved_mask;
    uint32_t bits_per_pixel;
    uint32_t pad;
};

/* A physical range the loader left in use for the kernel. */
enum pagoda_range_kind {
    PAGODA_RANGE_KERNEL = 1,     /* the kernel image, PT_LOAD segments incl. bss */
    PAGODA_RANGE_BOOT_INFO = 2,  /* this block */
    PAGODA_RANGE_MEMORY_MAP = 3, /* the raw UEFI memory map */
    PAGODA_RANGE_CMDLINE = 4,
    PAGODA_RANGE_STACK = 5,      /* the stack the kernel entered on */
    PAGODA_RANGE_TRAMPOLINE = 6, /* mode-switch code; dead once the kernel runs */
    PAGODA_RANGE_STAGING = 7,    /* kernel file copy; dead once the kernel runs */
    PAGODA_RANGE_MODULE = 8,     /* a module file, or the struct pagoda_modules block */
    PAGODA_RANGE_LOADER_LOG = 9, /* struct pagoda_loader_log: what the loader printed */
};

/*
 * The loader's log: every line it printed, in order, as ASCII with "\n" line ends. The loader
 * shows only its banner on the firmware console while it works (each character costs a
 * firmware text render and a serial write) and hands the rest over here, for the kernel to
 * print in its own boot log; on a failure, or with `live_log = yes` in pagoda.cfg, it shows
 * everything on the console itself. text[] holds size bytes, no NUL; bytes that did not fit
 * are counted in dropped.
 */
#define PAGODA_LOADER_LOG_MAGIC 0x474C4750u /* "PGLG" */
#define PAGODA_LOADER_LOG_PAGES 4u

struct pagoda_loader_log {
    uint32_t magic;   /* PAGODA_LOADER_LOG_MAGIC */
    uint32_t size;    /* bytes of text[] in use */
    uint32_t dropped; /* bytes printed after text[] was full */
    uint32_t pad;
    char text[];
};

struct pagoda_range {
    uint64_t base;
    uint64_t size;
    uint32_t kind; /* enum pagoda_range_kind */
    uint32_t pad;
};

/* TSC stamps taken by the loader (and the kernel for the last ones), in order. */
enum pagoda_phase {
    PAGODA_PHASE_LOADER_ENTRY = 0,
    PAGODA_PHASE_CONFIG_READ = 1,
    PAGODA_PHASE_KERNEL_READ = 2,
    PAGODA_PHASE_KERNEL_CHECKED = 3,
    PAGODA_PHASE_FIRMWARE_INFO = 4, /* GOP, RSDP collected */
    PAGODA_PHASE_EXIT_BOOT_SERVICES = 5,
    PAGODA_PHASE_KERNEL_ENTRY = 6, /* stamped by the kernel's entry code */
    PAGODA_PHASE_KERNEL_READY = 7, /* stamped by the kernel when its boot log is done */
    PAGODA_PHASE_COUNT = 8,
};

#define PAGODA_MAX_RANGES        32
#define PAGODA_FIRMWARE_NAME_LEN 64

/*
 * Modules: the files named by `module = FILE [string]` lines of pagoda.cfg (by default the
 * archive of user programs), each read whole into its own page-aligned range below 4 GiB and
 * listed in this block, which has a version of its own so it can grow without moving the boot
 * info. Each file and the block are also listed as PAGODA_RANGE_MODULE ranges.
 */
#define PAGODA_MODULES_MAGIC     0x4D444750u /* "PGDM" */
#define PAGODA_MODULES_VERSION   1u
#define PAGODA_MAX_MODULES       16
#define PAGODA_MODULE_NAME_LEN   64  /* file name as pagoda.cfg wrote it, NUL-terminated */
#define PAGODA_MODULE_STRING_LEN 128 /* the rest of the line, NUL-terminated, "" if none */

struct pagoda_module {
    uint64_t base; /* physical, page-aligned, below 4 GiB */
    uint64_t size; /* bytes of the file */
    char name[PAGODA_MODULE_NAME_LEN];
    char string[PAGODA_MODULE_STRING_LEN];
};

struct pagoda_modules {
    uint32_t magic;   /* PAGODA_MODULES_MAGIC */
    uint32_t version; /* PAGODA_MODULES_VERSION */
    uint32_t size;    /* sizeof(struct pagoda_modules) as the loader built it */
    uint32_t count;   /* entries of module[] in use */
    struct pagoda_module module[PAGODA_MAX_MODULES];
};

struct pagoda_boot_info {
    uint32_t magic;   /* PAGODA_BOOT_MAGIC */
    uint32_t version; /* PAGODA_BOOT_INFO_VERSION */
    uint32_t size;    /* sizeof(struct pagoda_boot_info) as the loader built it */
    uint32_t firmware_kind;

    /* The raw UEFI memory map as GetMemoryMap returned it before ExitBootServices. */
    uint64_t memory_map;      /* physical address of the first descriptor */
    uint64_t memory_map_size; /* bytes of valid descriptors */
    uint32_t descriptor_size; /* stride: walk by this, never by sizeof */
    uint32_t descriptor_version;

    struct pagoda_framebuffer framebuffer;

    uint64_t rsdp;          /* physical address, 0 if none */
    uint32_t rsdp_revision; /* 0 for ACPI 1.0, 2 for 2.0+ */
    uint32_t cmdline_size;  /* bytes, without the terminating NUL */
    uint64_t cmdline;       /* physical address of a NUL-terminated ASCII string */

    uint64_t kernel_entry;  /* physical address jumped to */
    uint64_t loader_tsc_hz; /* TSC rate the loader measured with BS->Stall, 0 if unknown */
    uint64_t tsc[PAGODA_PHASE_COUNT];

    uint32_t firmware_revision;
    uint32_t uefi_revision;                         /* SystemTable->Hdr.Revision */
    char firmware_vendor[PAGODA_FIRMWARE_NAME_LEN]; /* ASCII, NUL-terminated */

    uint32_t range_count;
    uint32_t pad;
    uint64_t modules; /* physical address of a struct pagoda_modules below 4 GiB, 0 if none */
    struct pagoda_range ranges[PAGODA_MAX_RANGES];
};

#define PAGODA_ASSERT_OFFSET(type, field, offset)                                                  \
    _Static_assert(offsetof(type, field) == (offset), #type "." #field " moved")

_Static_assert(sizeof(struct pagoda_framebuffer) == 56, "framebuffer block size changed");
_Static_assert(sizeof(struct pagoda_range) == 24, "range size changed");
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, memory_map, 16);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, descriptor_size, 32);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, framebuffer, 40);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, rsdp, 96);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, cmdline, 112);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, kernel_entry, 120);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, tsc, 136);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, firmware_revision, 200);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, firmware_vendor, 208);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, range_count, 272);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, modules, 280);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, ranges, 288);
_Static_assert(sizeof(struct pagoda_boot_info) == 288 + 24 * PAGODA_MAX_RANGES,
               "boot info size changed: bump PAGODA_BOOT_INFO_VERSION");
_Static_assert(sizeof(struct pagoda_module) == 208, "module entry size changed");
PAGODA_ASSERT_OFFSET(struct pagoda_modules, module, 16);
PAGODA_ASSERT_OFFSET(struct pagoda_loader_log, text, 16);
_Static_assert(sizeof(struct pagoda_modules) == 16 + 208 * PAGODA_MAX_MODULES,
               "modules block size changed: bump PAGODA_MODULES_VERSION");

#endif
