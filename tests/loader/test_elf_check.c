/*
 * Unit tests for lib/elf_check.c: a valid in-memory i686 kernel image, then one mutation per
 * rejection, under the kernel rules; then a user program under the user rules. Images are
 * serialised into a buffer of exactly their file size, one byte off alignment, so ASan catches any
 * read past the end and UBSan any misaligned load.
 */
#include "elf_check.h"
#include "tap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PT_LOAD      1u
#define PT_DYNAMIC   2u
#define PT_INTERP    3u
#define PT_GNU_STACK 0x6474e551u
#define PF_X         1u
#define PF_W         2u
#define PF_R         4u
#define MAX_PHDRS    40

struct test_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

struct test_elf {
    uint8_t ident[16];
    uint32_t type, machine, version, entry, phoff, ehsize, phentsize, phnum;
    struct test_phdr ph[MAX_PHDRS];
    size_t file_size;
};

static struct test_phdr load(uint32_t offset, uint32_t addr, uint32_t filesz, uint32_t memsz,
                             uint32_t flags)
{
    return (struct test_phdr){PT_LOAD, offset, addr, addr, filesz, memsz, flags, 0x1000};
}

/* text [1 MiB, +12 KiB) R-X, rodata 4 KiB R--, data 2 KiB + bss 10 KiB RW-, GNU_STACK. */
static struct test_elf base_image(void)
{
    struct test_elf e = {
        .ident = {0x7f, 'E', 'L', 'F', 1, 1, 1},
        .type = 2,
        .machine = 3,
        .version = 1,
        .entry = 0x100010,
        .phoff = 52,
        .ehsize = 52,
        .phentsize = 32,
        .phnum = 4,
        .file_size = 0x5800,
    };
    e.ph[0] = load(0x1000, 0x100000, 0x3000, 0x3000, PF_R | PF_X);
    e.ph[1] = load(0x4000, 0x103000, 0x1000, 0x1000, PF_R);
    e.ph[2] = load(0x5000, 0x104000, 0x800, 0x3000, PF_R | PF_W);
    e.ph[3] = (struct test_phdr){.type = PT_GNU_STACK, .flags = PF_R | PF_W, .align = 16};
    return e;
}

struct buffer {
    uint8_t *base; /* what malloc returned */
    uint8_t *data; /* base + 1: deliberately misaligned */
    size_t size;
};

static void put(struct buffer *b, uint64_t offset, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        if (offset + i < b->size)
            b->data[offset + i] = (uint8_t)(value >> (8 * i));
}

static struct buffer serialize(const struct test_elf *e)
{
    struct buffer b = {malloc(e->file_size + 1), NULL, e->file_size};
    b.data = b.base + 1;
    for (size_t i = 0; i < b.size; i++)
        b.data[i] = (uint8_t)(i * 7 + 3); /* segment contents: any pattern */
    for (unsigned i = 0; i < 16; i++)
        put(&b, i, e->ident[i], 1);
    put(&b, 16, e->type, 2);
    put(&b, 18, e->machine, 2);
    put(&b, 20, e->version, 4);
    put(&b, 24, e->entry, 4);
    put(&b, 28, e->phoff, 4);
    put(&b, 32, 0, 4); /* e_shoff: no section headers, the loader ignores them */
    put(&b, 36, 0, 4);
    put(&b, 40, e->ehsize, 2);
    put(&b, 42, e->phentsize, 2);
    put(&b, 44, e->phnum, 2);
    put(&b, 46, 40, 2);
    put(&b, 48, 0, 2);
    put(&b, 50, 0, 2);
    /* e_phoff 0 means "no table": writing one there would overwrite the header itself. */
    for (unsigned i = 0; e->phoff != 0 && i < e->phnum && i < MAX_PHDRS; i++) {
        const struct test_phdr *p = &e->ph[i];
        uint64_t at = (uint64_t)e->phoff + 32ull * i;
        const uint32_t fields[8] = {p->type,   p->offset, p->vaddr, p->paddr,
                                    p->filesz, p->memsz,  p->flags, p->align};
        for (unsigned f = 0; f < 8; f++)
            put(&b, at + 4 * f, fields[f], 4);
    }
    return b;
}

static char why[256];
static struct elf_image image;
static const struct elf_rules *rules = &elf_rules_kernel;

static enum elf_check_error run(const struct test_elf *e)
{
    struct buffer b = serialize(e);
    memset(&image, 0xa5, sizeof image);
    enum elf_check_error got = elf_check(b.data, b.size, rules, &image, why, sizeof why);
    free(b.base);
    return got;
}

static void expect(const struct test_elf *e, enum elf_check_error want, const char *label)
{
    enum elf_check_error got = run(e);
    TAP_CHECK(got == want, "%s -> %s", label, elf_check_error_name(want));
    if (got != want)
        tap_diag("  got %s: %s", elf_check_error_name(got), why);
    else if (want != ELF_CHECK_OK)
        tap_diag("  why: %s", why);
    if (want != ELF_CHECK_OK) {
        TAP_CHECK(why[0] != '\0', "%s: a reason is given", label);
        TAP_CHECK(image.segment_count == 0, "%s: image cleared on failure", label);
    }
}

static void expect_why(const struct test_elf *e, enum elf_check_error want, const char *text,
                       const char *label)
{
    expect(e, want, label);
    TAP_CHECK(strcmp(why, text) == 0, "%s: reason is \"%s\"", label, text);
    if (strcmp(why, text) != 0)
        tap_diag("  reason was \"%s\"", why);
}

static void test_valid_base(void)
{
    struct test_elf e = base_image();
    expect(&e, ELF_CHECK_OK, "base image (3 PT_LOAD + GNU_STACK)");
    TAP_CHECK(why[0] == '\0', "valid: reason left empty");
    TAP_CHECK(image.segment_count == 3, "valid: 3 segments (got %u)", image.segment_count);
    TAP_CHECK(image.entry_virtual == 0x100010 && image.entry_physical == 0x100010,
              "valid: entry 0x%x / 0x%x", image.entry_virtual, image.entry_physical);
    TAP_CHECK(image.phys_start == 0x100000 && image.phys_end == 0x107000,
              "valid: physical span [0x%llx-0x%llx)", (unsigned long long)image.phys_start,
              (unsigned long long)image.phys_end);
    const struct elf_segment *d = &image.segments[2];
    TAP_CHECK(d->file_offset == 0x5000 && d->file_size == 0x800 && d->mem_size == 0x3000 &&
                  d->vaddr == 0x104000 && d->paddr == 0x104000 && d->flags == (PF_R | PF_W),
              "valid: data segment fields copied");
    TAP_CHECK(image.segments[0].flags == (PF_R | PF_X), "valid: text flags R-X");
}

static void test_valid_variants(void)
{
    struct test_elf e = base_image();
    e.phnum = 1;
    e.file_size = 0x4000;
    expect(&e, ELF_CHECK_OK, "single segment");
    TAP_CHECK(image.segment_count == 1 && image.phys_end == 0x103000, "single: span ends 0x103000");

    e = base_image();
    for (unsigned i = 0; i < 3; i++)
        e.ph[i].vaddr += 0xc0000000u;
    e.entry = 0xc0100020u;
    expect(&e, ELF_CHECK_OK, "higher-half vaddr, low paddr");
    TAP_CHECK(image.entry_virtual == 0xc0100020u && image.entry_physical == 0x100020,
              "higher-half: entry 0x%x translated to 0x%x", image.entry_virtual,
              image.entry_physical);
    TAP_CHECK(image.phys_start == 0x100000 && image.phys_end == 0x107000,
              "higher-half: physical span stays low");

    e = base_image();
    e.ph[3] = load(0, 0x107000, 0, 0x2000, PF_R | PF_W);
    expect(&e, ELF_CHECK_OK, "bss-only tail segment (p_filesz 0)");
    TAP_CHECK(image.segment_count == 4 && image.phys_end == 0x109000,
              "bss-only: counted, span ends 0x109000");

    e = base_image();
    e.ph[3] = load(0x5800, 0x200000, 0, 0, PF_R);
    expect(&e, ELF_CHECK_OK, "PT_LOAD with p_memsz 0 is skipped");
    TAP_CHECK(image.segment_count == 3, "empty PT_LOAD not counted");

    e = base_image();
    e.ph[0].paddr = 0x300000; /* text moved above data physically: span uses min/max */
    e.entry = 0x100000;
    expect(&e, ELF_CHECK_OK, "segments out of physical order");
    TAP_CHECK(image.phys_start == 0x103000 && image.phys_end == 0x303000 &&
                  image.entry_physical == 0x300000,
              "out of order: span [0x%llx-0x%llx), entry 0x%x",
              (unsigned long long)image.phys_start, (unsigned long long)image.phys_end,
              image.entry_physical);

    e = base_image();
    e.ph[2] = load(0x5000, 0xfffff000u, 0x800, 0x1000, PF_R | PF_W);
    expect(&e, ELF_CHECK_OK, "segment ending exactly at 4 GiB");
    TAP_CHECK(image.phys_end == 0x100000000ull, "4 GiB end: phys_end 0x%llx",
              (unsigned long long)image.phys_end);

    e = base_image();
    e.entry = 0x102fff;
    expect(&e, ELF_CHECK_OK, "entry on the last byte of code");

    e = base_image();
    e.phnum = 16;
    e.file_size = 0x10000;
    for (unsigned i = 0; i < 16; i++)
        e.ph[i] = load(0x1000, 0x100000 + 0x1000 * i, 0x800, 0x1000, PF_R | PF_X);
    expect(&e, ELF_CHECK_OK, "exactly 16 PT_LOAD segments");
    TAP_CHECK(image.segment_count == 16, "16 segments kept");
}

static void test_null_outputs(void)
{
    struct test_elf e = base_image();
    struct buffer b = serialize(&e);
    TAP_CHECK(elf_check(b.data, b.size, &elf_rules_kernel, NULL, NULL, 0) == ELF_CHECK_OK,
              "image and why may be NULL");
    char small[8];
    e.machine = 62;
    free(b.base);
    b = serialize(&e);
    TAP_CHECK(elf_check(b.data, b.size, &elf_rules_kernel, &image, small, sizeof small) ==
                      ELF_CHECK_WRONG_MACHINE &&
                  strlen(small) == sizeof small - 1,
              "reason truncated to why_size (\"%s\")", small);
    free(b.base);
    TAP_CHECK(elf_check(NULL, 0, &elf_rules_kernel, &image, why, sizeof why) ==
                  ELF_CHECK_TRUNCATED_HEADER,
              "NULL file of size 0 -> TRUNCATED_HEADER");
}

static void test_header_rejections(void)
{
    struct test_elf e = base_image();
    e.file_size = 51;
    e.phnum = 0;
    expect_why(&e, ELF_CHECK_TRUNCATED_HEADER,
               "file is 51 bytes, smaller than the 52-byte ELF header", "51-byte file");

    e = base_image();
    e.ident[1] = 'X';
    expect(&e, ELF_CHECK_BAD_MAGIC, "bad magic");
    e = base_image();
    e.ident[0] = 'M';
    e.ident[1] = 'Z';
    expect(&e, ELF_CHECK_BAD_MAGIC, "PE file (MZ)");

    e = base_image();
    e.ident[4] = 2;
    expect_why(&e, ELF_CHECK_NOT_ELF32,
               "ELF class 2 (ELF64), expected 1 (ELF32): the kernel must be a 32-bit i686 ELF",
               "ELFCLASS64");
    e.ident[4] = 0;
    expect(&e, ELF_CHECK_NOT_ELF32, "ELFCLASSNONE");

    e = base_image();
    e.ident[5] = 2;
    expect(&e, ELF_CHECK_NOT_LITTLE_ENDIAN, "big-endian");

    e = base_image();
    e.ident[6] = 0;
    expect(&e, ELF_CHECK_BAD_VERSION, "EI_VERSION 0");
    e = base_image();
    e.version = 2;
    expect(&e, ELF_CHECK_BAD_VERSION, "e_version 2");

    e = base_image();
    e.type = 3;
    expect(&e, ELF_CHECK_NOT_EXECUTABLE, "ET_DYN");
    e.type = 1;
    expect(&e, ELF_CHECK_NOT_EXECUTABLE, "ET_REL");

    e = base_image();
    e.machine = 62;
    expect_why(&e, ELF_CHECK_WRONG_MACHINE, "machine 62 (x86-64), expected 3 (i386)", "EM_X86_64");
    e.machine = 40;
    expect_why(&e, ELF_CHECK_WRONG_MACHINE, "machine 40 (ARM), expected 3 (i386)", "EM_ARM");

    e = base_image();
    e.ehsize = 64;
    expect(&e, ELF_CHECK_BAD_HEADER_SIZE, "e_ehsize 64");
    e = base_image();
    e.phentsize = 56;
    expect(&e, ELF_CHECK_BAD_PHENTSIZE, "e_phentsize 56");
}

static void test_program_header_rejections(void)
{
    struct test_elf e = base_image();
    e.phnum = 0;
    expect(&e, ELF_CHECK_NO_PROGRAM_HEADERS, "e_phnum 0");
    e = base_image();
    e.phoff = 0;
    expect(&e, ELF_CHECK_NO_PROGRAM_HEADERS, "e_phoff 0");

    e = base_image();
    e.phoff = (uint32_t)e.file_size - 100; /* 4 headers need 128 bytes */
    expect(&e, ELF_CHECK_PHDRS_OUTSIDE_FILE, "table runs past the end");
    e = base_image();
    e.phoff = 0xfffffff0u;
    e.phnum = 0xffff;
    expect(&e, ELF_CHECK_PHDRS_OUTSIDE_FILE, "phoff + phnum*32 past 32 bits");
    e = base_image();
    e.file_size = 52 + 3 * 32 + 31; /* last header one byte short */
    expect(&e, ELF_CHECK_PHDRS_OUTSIDE_FILE, "table one byte short");

    e = base_image();
    e.phnum = 17;
    e.file_size = 0x10000;
    for (unsigned i = 0; i < 17; i++)
        e.ph[i] = load(0x1000, 0x100000 + 0x1000 * i, 0x800, 0x1000, PF_R | PF_X);
    expect(&e, ELF_CHECK_TOO_MANY_SEGMENTS, "17 PT_LOAD segments");

    e = base_image();
    e.ph[3] = (struct test_phdr){.type = PT_DYNAMIC, .offset = 0x5000, .filesz = 0x80};
    expect(&e, ELF_CHECK_DYNAMIC, "PT_DYNAMIC");
    e = base_image();
    e.ph[3] = (struct test_phdr){.type = PT_INTERP, .offset = 0x5000, .filesz = 0x13};
    expect(&e, ELF_CHECK_INTERP, "PT_INTERP");
}

static void test_segment_rejections(void)
{
    struct test_elf e = base_image();
    e.ph[2].filesz = 0x801; /* 0x5000 + 0x801 > 0x5800 */
    expect_why(&e, ELF_CHECK_SEGMENT_OUTSIDE_FILE,
               "segment 2 file range [0x5000-0x5801) runs past the end of the 22528-byte file",
               "segment one byte past the file");
    e = base_image();
    e.ph[1].offset = 0xffffffffu;
    e.ph[1].filesz = 0x10;
    expect(&e, ELF_CHECK_SEGMENT_OUTSIDE_FILE, "p_offset + p_filesz wraps 32 bits");
    e = base_image();
    e.ph[3] = load(0x6000, 0x200000, 0x10, 0x10, PF_R);
    expect(&e, ELF_CHECK_SEGMENT_OUTSIDE_FILE, "segment wholly past the file");

    e = base_image();
    e.ph[1].memsz = 0x800;
    expect_why(&e, ELF_CHECK_FILESZ_EXCEEDS_MEMSZ,
               "segment 1 p_filesz 0x1000 exceeds p_memsz 0x800", "p_filesz > p_memsz");

    e = base_image();
    e.ph[2].paddr = 0xfffff000u;
    expect(&e, ELF_CHECK_PADDR_OVERFLOW, "paddr + memsz past 4 GiB");
    e = base_image();
    e.ph[2].vaddr = 0xffffe000u;
    expect(&e, ELF_CHECK_VADDR_OVERFLOW, "vaddr + memsz past 4 GiB");

    e = base_image();
    e.ph[1].paddr = 0;
    expect(&e, ELF_CHECK_NULL_PAGE, "segment at physical 0");
    e = base_image();
    e.ph[1].paddr = 0xfff;
    expect(&e, ELF_CHECK_NULL_PAGE, "segment at physical 0xfff");
    e = base_image();
    e.ph[1].paddr = 0x1000;
    e.ph[1].vaddr = 0x1000;
    expect(&e, ELF_CHECK_OK, "segment at physical 0x1000 is allowed");
}

static void test_overlap_and_entry_rejections(void)
{
    struct test_elf e = base_image();
    e.ph[2].paddr = 0x102000;
    e.ph[2].vaddr = 0x202000;
    expect_why(&e, ELF_CHECK_OVERLAP,
               "segment 2 [0x00102000-0x00105000) overlaps segment 0 [0x00100000-0x00103000)",
               "physical overlap");
    e = base_image();
    e.ph[2].paddr = 0x200000;
    e.ph[2].vaddr = 0x103800;
    expect_why(&e, ELF_CHECK_VIRTUAL_OVERLAP,
               "segment 2 virtual [0x00103800-0x00106800) overlaps segment 1 virtual "
               "[0x00103000-0x00104000)",
               "virtual overlap only");
    e = base_image();
    e.ph[3] = load(0x1000, 0x100000, 0x1000, 0x1000, PF_R | PF_X);
    expect(&e, ELF_CHECK_OVERLAP, "duplicate segment");
    e = base_image();
    e.ph[3] = load(0, 0x106fff, 0, 0x10, PF_R | PF_W);
    expect(&e, ELF_CHECK_OVERLAP, "bss segment overlapping the last byte");

    e = base_image();
    e.entry = 0x200000;
    expect(&e, ELF_CHECK_ENTRY_OUTSIDE_CODE, "entry outside every segment");
    e = base_image();
    e.entry = 0x103000;
    expect(&e, ELF_CHECK_ENTRY_OUTSIDE_CODE, "entry in rodata (just past code)");
    e = base_image();
    e.entry = 0xfffff;
    expect(&e, ELF_CHECK_ENTRY_OUTSIDE_CODE, "entry just below code");
    e = base_image();
    e.ph[2].flags = PF_R | PF_W | PF_X;
    e.entry = 0x104800;
    expect(&e, ELF_CHECK_ENTRY_IN_BSS, "entry in the zero-filled tail of an X segment");
    e = base_image();
    e.ph[0].paddr = 0x300000;
    e.entry = 0x300010; /* the physical address: wrong, e_entry is virtual */
    expect(&e, ELF_CHECK_ENTRY_OUTSIDE_CODE, "entry given as physical address");

    e = base_image();
    e.phnum = 1;
    e.ph[0] = e.ph[3]; /* only GNU_STACK */
    expect(&e, ELF_CHECK_NO_LOADABLE_SEGMENT, "no PT_LOAD at all");
    e = base_image();
    for (unsigned i = 0; i < 3; i++)
        e.ph[i].filesz = e.ph[i].memsz = 0;
    expect(&e, ELF_CHECK_NO_LOADABLE_SEGMENT, "only empty PT_LOAD segments");
}

/* text [4 MiB, +12 KiB) R-X, rodata R--, data + bss RW-: how user/user.ld lays a program out. */
static struct test_elf user_image(void)
{
    struct test_elf e = base_image();
    for (unsigned i = 0; i < 3; i++) {
        e.ph[i].vaddr += 0x300000; /* 0x100000 -> 0x400000 */
        e.ph[i].paddr = 0;         /* meaningless for a user program: must be ignored */
    }
    e.entry = 0x400010;
    return e;
}

static void test_user_rules(void)
{
    rules = &elf_rules_user;
    struct test_elf e = user_image();
    expect(&e, ELF_CHECK_OK, "user: program at 0x400000 (paddr 0 ignored)");
    TAP_CHECK(image.segment_count == 3 && image.entry_virtual == 0x400010 &&
                  image.entry_physical == 0 && image.phys_start == 0 && image.phys_end == 0,
              "user: entry 0x%x, no physical fields", image.entry_virtual);

    e = user_image();
    e.ph[1].paddr = e.ph[0].paddr; /* physical overlap means nothing here */
    expect(&e, ELF_CHECK_OK, "user: equal p_paddr values are not an overlap");

    e = user_image();
    e.ph[1].vaddr = 0;
    expect_why(&e, ELF_CHECK_NULL_PAGE,
               "segment 1 virtual range [0x00000000-0x00001000) starts in page 0 (below 0x1000), "
               "which stays unmapped so that null pointers fault",
               "user: segment at virtual 0");
    e = user_image();
    e.ph[1].vaddr = 0xfff;
    expect(&e, ELF_CHECK_NULL_PAGE, "user: segment at virtual 0xfff");

    e = user_image();
    e.ph[1].vaddr = 0x3ff000;
    expect_why(&e, ELF_CHECK_OUTSIDE_AREA,
               "segment 1 virtual range [0x003ff000-0x00400000) is outside the user image area "
               "[0x00400000-0xc0000000)",
               "user: segment just below 0x400000");
    e = user_image();
    e.ph[1].vaddr = 0x1000;
    expect(&e, ELF_CHECK_OUTSIDE_AREA, "user: segment in page 1");

    e = user_image();
    e.ph[2].vaddr = 0xbffff000u; /* memsz 0x3000: runs into the kernel half */
    expect_why(&e, ELF_CHECK_OUTSIDE_AREA,
               "segment 2 virtual range [0xbffff000-0xc0002000) is outside the user image area "
               "[0x00400000-0xc0000000)",
               "user: segment straddling 0xC0000000");
    e = user_image();
    e.ph[2].vaddr = 0xbfffd000u;
    expect(&e, ELF_CHECK_OK, "user: segment ending exactly at 0xC0000000");
    e = user_image();
    e.ph[2].vaddr = 0xc0100000u;
    expect(&e, ELF_CHECK_OUTSIDE_AREA, "user: segment in the kernel half");

    e = base_image(); /* the kernel's layout at 1 MiB */
    expect(&e, ELF_CHECK_OUTSIDE_AREA, "user: a kernel linked at 1 MiB is refused");

    e = user_image();
    e.ph[2].flags = PF_R | PF_W | PF_X;
    expect_why(&e, ELF_CHECK_WRITE_EXECUTE,
               "segment 2 [0x00404000-0x00407000) is both writable and executable (flags RWX): "
               "a user program may not have memory that is both",
               "user: RWX data segment");
    e = user_image();
    e.ph[0].flags = PF_W | PF_X;
    expect(&e, ELF_CHECK_WRITE_EXECUTE, "user: -WX text segment");

    e = user_image();
    e.entry = 0x403000;
    expect(&e, ELF_CHECK_ENTRY_OUTSIDE_CODE, "user: entry in rodata");
    e = user_image();
    e.entry = 0x100010;
    expect(&e, ELF_CHECK_ENTRY_OUTSIDE_CODE, "user: entry outside every segment");

    e = user_image();
    e.type = 3;
    expect_why(&e, ELF_CHECK_NOT_EXECUTABLE,
               "e_type 3, expected 2 (ET_EXEC): a user program must be a static executable "
               "linked at its load address",
               "user: ET_DYN names the program");

    rules = &elf_rules_kernel;
    e = base_image();
    e.ph[2].flags = PF_R | PF_W | PF_X;
    expect(&e, ELF_CHECK_OK, "kernel rules still allow an RWX segment");
}

static void test_error_names(void)
{
    int distinct = 1;
    for (int a = 0; a < ELF_CHECK_ERROR_COUNT; a++) {
        const char *name = elf_check_error_name((enum elf_check_error)a);
        if (strncmp(name, "ELF_CHECK_", 10) != 0 || strcmp(name, "ELF_CHECK_?") == 0)
            distinct = 0;
        for (int b = 0; b < a; b++)
            if (strcmp(name, elf_check_error_name((enum elf_check_error)b)) == 0)
                distinct = 0;
    }
    TAP_CHECK(distinct, "every error value has its own name");
    TAP_CHECK(strcmp(elf_check_error_name(ELF_CHECK_ERROR_COUNT), "ELF_CHECK_?") == 0,
              "out-of-range value -> ELF_CHECK_?");
}

int main(void)
{
    test_valid_base();
    test_valid_variants();
    test_null_outputs();
    test_header_rejections();
    test_program_header_rejections();
    test_segment_rejections();
    test_overlap_and_entry_rejections();
    test_user_rules();
    test_error_names();
    return tap_done();
}
