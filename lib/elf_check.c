#include "elf_check.h"

#include "fmt.h"
#include "byte_order.h"

#include <pagoda/page.h>
#include <pagoda/user_layout.h>

#include <stdarg.h>

/* ELF32 layout and values (System V ABI, Intel386 supplement). */
#define ELF_HEADER_SIZE 52u
#define ELF_PHDR_SIZE   32u

#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define ELFCLASS32  1u
#define ELFCLASS64  2u
#define ELFDATA2LSB 1u
#define ELFDATA2MSB 2u
#define EV_CURRENT  1u
#define ET_EXEC     2u
#define EM_386      3u

#define E_TYPE      16
#define E_MACHINE   18
#define E_VERSION   20
#define E_ENTRY     24
#define E_PHOFF     28
#define E_EHSIZE    40
#define E_PHENTSIZE 42
#define E_PHNUM     44

#define P_TYPE   0
#define P_OFFSET 4
#define P_VADDR  8
#define P_PADDR  12
#define P_FILESZ 16
#define P_MEMSZ  20
#define P_FLAGS  24

#define PT_LOAD    1u
#define PT_DYNAMIC 2u
#define PT_INTERP  3u

#define PF_X 1u
#define PF_W 2u
#define PF_R 4u

#define FOUR_GIB 0x100000000ull

const struct elf_rules elf_rules_kernel = {
    .subject = "the kernel",
    .physical = 1,
    .vaddr_start = 0,
    .vaddr_end = FOUR_GIB,
    .vaddr_area = "the 32-bit address space",
    .allow_write_execute = 1,
};

const struct elf_rules elf_rules_user = {
    .subject = "a user program",
    .physical = 0,
    .vaddr_start = PAGODA_USER_IMAGE_START,
    .vaddr_end = PAGODA_USER_END,
    .vaddr_area = "the user image area",
    .allow_write_execute = 0,
};

struct elf_header {
    uint32_t type, machine, version, entry, phoff, ehsize, phentsize, phnum;
};

struct elf_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags;
};

struct check_context {
    const uint8_t *file;
    uint64_t file_size;
    const struct elf_rules *rules;
    struct elf_image *image;
    char *why;
    size_t why_size;
};

__attribute__((format(printf, 3, 4))) static enum elf_check_error
fail(struct check_context *ctx, enum elf_check_error error, const char *fmt, ...)
{
    if (ctx->why && ctx->why_size) {
        va_list ap;
        va_start(ap, fmt);
        pg_vsnprintf(ctx->why, ctx->why_size, fmt, ap);
        va_end(ap);
    }
    return error;
}

static const char *machine_name(uint32_t machine)
{
    switch (machine) {
    case 0:
        return "none";
    case EM_386:
        return "i386";
    case 8:
        return "MIPS";
    case 20:
        return "PowerPC";
    case 21:
        return "PowerPC64";
    case 40:
        return "ARM";
    case 50:
        return "IA-64";
    case 62:
        return "x86-64";
    case 183:
        return "AArch64";
    case 243:
        return "RISC-V";
    default:
        return "unknown";
    }
}

static const char *flags_text(uint32_t flags)
{
    static const char *const names[8] = {"---", "--X", "-W-", "-WX", "R--", "R-X", "RW-", "RWX"};
    return names[flags & (PF_R | PF_W | PF_X)];
}

static enum elf_check_error check_ident(struct check_context *ctx)
{
    const uint8_t *id = ctx->file;
    if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
        return fail(ctx, ELF_CHECK_BAD_MAGIC,
                    "bad magic %02x %02x %02x %02x, expected 7f 45 4c 46 (\"\\x7fELF\"): "
                    "not an ELF file",
                    id[0], id[1], id[2], id[3]);
    if (id[EI_CLASS] != ELFCLASS32)
        return fail(ctx, ELF_CHECK_NOT_ELF32,
                    "ELF class %u (%s), expected %u (ELF32): %s must be a 32-bit i686 ELF",
                    id[EI_CLASS], id[EI_CLASS] == ELFCLASS64 ? "ELF64" : "invalid", ELFCLASS32,
                    ctx->rules->subject);
    if (id[EI_DATA] != ELFDATA2LSB)
        return fail(ctx, ELF_CHECK_NOT_LITTLE_ENDIAN,
                    "ELF data encoding %u (%s), expected %u "
                    "(little-endian)",
                    id[EI_DATA], id[EI_DATA] == ELFDATA2MSB ? "big-endian" : "invalid",
                    ELFDATA2LSB);
    if (id[EI_VERSION] != EV_CURRENT)
        return fail(ctx, ELF_CHECK_BAD_VERSION, "ELF identification version %u, expected %u",
                    id[EI_VERSION], EV_CURRENT);
    return ELF_CHECK_OK;
}

static void read_header(const uint8_t *f, struct elf_header *h)
{
    h->type = load_le16(f + E_TYPE);
    h->machine = load_le16(f + E_MACHINE);
    h->version = load_le32(f + E_VERSION);
    h->entry = load_le32(f + E_ENTRY);
    h->phoff = load_le32(f + E_PHOFF);
    h->ehsize = load_le16(f + E_EHSIZE);
    h->phentsize = load_le16(f + E_PHENTSIZE);
    h->phnum = load_le16(f + E_PHNUM);
}

static enum elf_check_error check_header(struct check_context *ctx, const struct elf_header *h)
{
    if (h->version != EV_CURRENT)
        return fail(ctx, ELF_CHECK_BAD_VERSION, "e_version %u, expected %u", h->version,
                    EV_CURRENT);
    if (h->type != ET_EXEC)
        return fail(ctx, ELF_CHECK_NOT_EXECUTABLE,
                    "e_type %u, expected %u (ET_EXEC): %s must be a static executable "
                    "linked at its load address",
                    h->type, ET_EXEC, ctx->rules->subject);
    if (h->machine != EM_386)
        return fail(ctx, ELF_CHECK_WRONG_MACHINE, "machine %u (%s), expected %u (i386)", h->machine,
                    machine_name(h->machine), EM_386);
    if (h->ehsize != ELF_HEADER_SIZE)
        return fail(ctx, ELF_CHECK_BAD_HEADER_SIZE, "e_ehsize %u, expected %u", h->ehsize,
                    ELF_HEADER_SIZE);
    if (h->phentsize != ELF_PHDR_SIZE)
        return fail(ctx, ELF_CHECK_BAD_PHENTSIZE, "e_phentsize %u, expected %u", h->phentsize,
                    ELF_PHDR_SIZE);
    if (h->phnum == 0 || h->phoff == 0)
        return fail(ctx, ELF_CHECK_NO_PROGRAM_HEADERS,
                    "no program headers (e_phnum %u, e_phoff 0x%x): nothing to load", h->phnum,
                    h->phoff);
    uint64_t table_end = (uint64_t)h->phoff + (uint64_t)h->phnum * ELF_PHDR_SIZE;
    if (table_end > ctx->file_size)
        return fail(ctx, ELF_CHECK_PHDRS_OUTSIDE_FILE,
                    "program header table [0x%llx-0x%llx) (%u entries) runs past the end of the "
                    "%llu-byte file",
                    (unsigned long long)h->phoff, (unsigned long long)table_end, h->phnum,
                    (unsigned long long)ctx->file_size);
    return ELF_CHECK_OK;
}

static void read_phdr(const struct check_context *ctx, const struct elf_header *h, uint32_t index,
                      struct elf_phdr *p)
{
    const uint8_t *raw = ctx->file + h->phoff + (uint64_t)index * ELF_PHDR_SIZE;
    p->type = load_le32(raw + P_TYPE);
    p->offset = load_le32(raw + P_OFFSET);
    p->vaddr = load_le32(raw + P_VADDR);
    p->paddr = load_le32(raw + P_PADDR);
    p->filesz = load_le32(raw + P_FILESZ);
    p->memsz = load_le32(raw + P_MEMSZ);
    p->flags = load_le32(raw + P_FLAGS);
}

/* The rules' area and permissions, for images mapped at their virtual addresses. */
static enum elf_check_error check_virtual_range(struct check_context *ctx, uint32_t index,
                                                const struct elf_phdr *p)
{
    const struct elf_rules *rules = ctx->rules;
    uint64_t virt_end = (uint64_t)p->vaddr + p->memsz;
    if (!rules->physical && p->vaddr < PAGODA_PAGE_SIZE)
        return fail(ctx, ELF_CHECK_NULL_PAGE,
                    "segment %u virtual range [0x%08x-0x%08llx) starts in page 0 (below 0x%x), "
                    "which stays unmapped so that null pointers fault",
                    index, p->vaddr, (unsigned long long)virt_end, PAGODA_PAGE_SIZE);
    if (p->vaddr < rules->vaddr_start || virt_end > rules->vaddr_end)
        return fail(ctx, ELF_CHECK_OUTSIDE_AREA,
                    "segment %u virtual range [0x%08x-0x%08llx) is outside %s "
                    "[0x%08x-0x%08llx)",
                    index, p->vaddr, (unsigned long long)virt_end, rules->vaddr_area,
                    rules->vaddr_start, (unsigned long long)rules->vaddr_end);
    if (!rules->allow_write_execute && (p->flags & PF_W) && (p->flags & PF_X))
        return fail(ctx, ELF_CHECK_WRITE_EXECUTE,
                    "segment %u [0x%08x-0x%08llx) is both writable and executable (flags %s): "
                    "%s may not have memory that is both",
                    index, p->vaddr, (unsigned long long)virt_end, flags_text(p->flags),
                    rules->subject);
    return ELF_CHECK_OK;
}

static enum elf_check_error check_load_segment(struct check_context *ctx, uint32_t index,
                                               const struct elf_phdr *p)
{
    uint64_t file_end = (uint64_t)p->offset + p->filesz;
    if (file_end > ctx->file_size)
        return fail(ctx, ELF_CHECK_SEGMENT_OUTSIDE_FILE,
                    "segment %u file range [0x%llx-0x%llx) runs past the end of the %llu-byte file",
                    index, (unsigned long long)p->offset, (unsigned long long)file_end,
                    (unsigned long long)ctx->file_size);
    if (p->filesz > p->memsz)
        return fail(ctx, ELF_CHECK_FILESZ_EXCEEDS_MEMSZ,
                    "segment %u p_filesz 0x%x exceeds p_memsz 0x%x", index, p->filesz, p->memsz);
    if (p->memsz == 0)
        return ELF_CHECK_OK;
    uint64_t phys_end = (uint64_t)p->paddr + p->memsz;
    if (ctx->rules->physical && phys_end > FOUR_GIB)
        return fail(ctx, ELF_CHECK_PADDR_OVERFLOW,
                    "segment %u physical range [0x%08x-0x%llx) ends above 4 GiB", index, p->paddr,
                    (unsigned long long)phys_end);
    uint64_t virt_end = (uint64_t)p->vaddr + p->memsz;
    if (virt_end > FOUR_GIB)
        return fail(ctx, ELF_CHECK_VADDR_OVERFLOW,
                    "segment %u virtual range [0x%08x-0x%llx) ends above 4 GiB", index, p->vaddr,
                    (unsigned long long)virt_end);
    if (ctx->rules->physical && p->paddr < ELF_CHECK_LOWEST_PADDR)
        return fail(ctx, ELF_CHECK_NULL_PAGE,
                    "segment %u physical range [0x%08x-0x%08llx) starts in the null page "
                    "(below 0x%x)",
                    index, p->paddr, (unsigned long long)phys_end, ELF_CHECK_LOWEST_PADDR);
    return check_virtual_range(ctx, index, p);
}

static enum elf_check_error add_segment(struct check_context *ctx, uint32_t index,
                                        const struct elf_phdr *p)
{
    struct elf_image *image = ctx->image;
    if (image->segment_count == ELF_CHECK_MAX_SEGMENTS)
        return fail(ctx, ELF_CHECK_TOO_MANY_SEGMENTS,
                    "segment %u is PT_LOAD number %u; at most %u are supported", index,
                    ELF_CHECK_MAX_SEGMENTS + 1u, ELF_CHECK_MAX_SEGMENTS);
    image->segments[image->segment_count++] = (struct elf_segment){
        .file_offset = p->offset,
        .file_size = p->filesz,
        .mem_size = p->memsz,
        .vaddr = p->vaddr,
        .paddr = p->paddr,
        .flags = p->flags,
        .header_index = index,
    };
    return ELF_CHECK_OK;
}

static enum elf_check_error collect_segments(struct check_context *ctx, const struct elf_header *h)
{
    for (uint32_t i = 0; i < h->phnum; i++) {
        struct elf_phdr p;
        read_phdr(ctx, h, i, &p);
        if (p.type == PT_DYNAMIC)
            return fail(ctx, ELF_CHECK_DYNAMIC,
                        "segment %u is PT_DYNAMIC: %s must be linked static, "
                        "nothing relocates it",
                        i, ctx->rules->subject);
        if (p.type == PT_INTERP)
            return fail(ctx, ELF_CHECK_INTERP,
                        "segment %u is PT_INTERP: %s must be linked static, "
                        "there is no dynamic linker",
                        i, ctx->rules->subject);
        if (p.type != PT_LOAD)
            continue;
        enum elf_check_error e = check_load_segment(ctx, i, &p);
        if (e == ELF_CHECK_OK && p.memsz > 0)
            e = add_segment(ctx, i, &p);
        if (e != ELF_CHECK_OK)
            return e;
    }
    if (ctx->image->segment_count == 0)
        return fail(ctx, ELF_CHECK_NO_LOADABLE_SEGMENT,
                    "none of the %u program headers is a PT_LOAD with p_memsz > 0", h->phnum);
    return ELF_CHECK_OK;
}

/* Half-open ranges [a, a+a_size) and [b, b+b_size) with 64-bit ends: no wrap possible. */
static int ranges_overlap(uint32_t a, uint32_t a_size, uint32_t b, uint32_t b_size)
{
    return (uint64_t)a < (uint64_t)b + b_size && (uint64_t)b < (uint64_t)a + a_size;
}

static enum elf_check_error check_overlaps(struct check_context *ctx)
{
    const struct elf_image *image = ctx->image;
    for (uint32_t later = 1; later < image->segment_count; later++) {
        const struct elf_segment *b = &image->segments[later];
        for (uint32_t earlier = 0; earlier < later; earlier++) {
            const struct elf_segment *a = &image->segments[earlier];
            if (ctx->rules->physical &&
                ranges_overlap(a->paddr, a->mem_size, b->paddr, b->mem_size))
                return fail(ctx, ELF_CHECK_OVERLAP,
                            "segment %u [0x%08x-0x%08llx) overlaps segment %u [0x%08x-0x%08llx)",
                            b->header_index, b->paddr, (unsigned long long)b->paddr + b->mem_size,
                            a->header_index, a->paddr, (unsigned long long)a->paddr + a->mem_size);
            if (ranges_overlap(a->vaddr, a->mem_size, b->vaddr, b->mem_size))
                return fail(ctx, ELF_CHECK_VIRTUAL_OVERLAP,
                            "segment %u virtual [0x%08x-0x%08llx) overlaps segment %u virtual "
                            "[0x%08x-0x%08llx)",
                            b->header_index, b->vaddr, (unsigned long long)b->vaddr + b->mem_size,
                            a->header_index, a->vaddr, (unsigned long long)a->vaddr + a->mem_size);
        }
    }
    return ELF_CHECK_OK;
}

/* Virtual ranges are disjoint by now, so at most one segment holds the entry. */
static enum elf_check_error check_entry(struct check_context *ctx, uint32_t entry)
{
    struct elf_image *image = ctx->image;
    for (uint32_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *s = &image->segments[i];
        if (!ranges_overlap(entry, 1, s->vaddr, s->mem_size))
            continue;
        if (!(s->flags & PF_X))
            return fail(ctx, ELF_CHECK_ENTRY_OUTSIDE_CODE,
                        "entry 0x%08x lies in segment %u [0x%08x-0x%08llx) which is not "
                        "executable (flags %s)",
                        entry, s->header_index, s->vaddr,
                        (unsigned long long)s->vaddr + s->mem_size, flags_text(s->flags));
        /* The zero-filled tail holds no code: jumping there would run 00 00 (add [eax], al). */
        if ((uint64_t)entry >= (uint64_t)s->vaddr + s->file_size)
            return fail(ctx, ELF_CHECK_ENTRY_IN_BSS,
                        "entry 0x%08x lies in the zero-filled part [0x%08llx-0x%08llx) of "
                        "segment %u",
                        entry, (unsigned long long)s->vaddr + s->file_size,
                        (unsigned long long)s->vaddr + s->mem_size, s->header_index);
        image->entry_virtual = entry;
        image->entry_physical = ctx->rules->physical ? entry - s->vaddr + s->paddr : 0;
        return ELF_CHECK_OK;
    }
    return fail(ctx, ELF_CHECK_ENTRY_OUTSIDE_CODE,
                "entry 0x%08x is not inside any PT_LOAD segment's virtual range", entry);
}

static void compute_physical_span(struct elf_image *image)
{
    image->phys_start = UINT64_MAX;
    image->phys_end = 0;
    for (uint32_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *s = &image->segments[i];
        uint64_t end = (uint64_t)s->paddr + s->mem_size;
        if (s->paddr < image->phys_start)
            image->phys_start = s->paddr;
        if (end > image->phys_end)
            image->phys_end = end;
    }
}

static enum elf_check_error check_file(struct check_context *ctx)
{
    if (!ctx->file || ctx->file_size < ELF_HEADER_SIZE)
        return fail(ctx, ELF_CHECK_TRUNCATED_HEADER,
                    "file is %llu bytes, smaller than the %u-byte ELF header",
                    (unsigned long long)ctx->file_size, ELF_HEADER_SIZE);
    enum elf_check_error e = check_ident(ctx);
    if (e != ELF_CHECK_OK)
        return e;
    struct elf_header h;
    read_header(ctx->file, &h);
    e = check_header(ctx, &h);
    if (e == ELF_CHECK_OK)
        e = collect_segments(ctx, &h);
    if (e == ELF_CHECK_OK)
        e = check_overlaps(ctx);
    if (e == ELF_CHECK_OK && !ctx->rules->ignore_entry)
        e = check_entry(ctx, h.entry);
    if (e == ELF_CHECK_OK && ctx->rules->physical)
        compute_physical_span(ctx->image);
    return e;
}

enum elf_check_error elf_check(const void *file, size_t file_size, const struct elf_rules *rules,
                               struct elf_image *image, char *why, size_t why_size)
{
    struct elf_image scratch;
    struct check_context ctx = {
        .file = file,
        .file_size = file_size,
        .rules = rules,
        .image = image ? image : &scratch,
        .why = why,
        .why_size = why_size,
    };
    *ctx.image = (struct elf_image){0};
    if (why && why_size)
        why[0] = '\0';
    enum elf_check_error e = check_file(&ctx);
    if (e != ELF_CHECK_OK)
        *ctx.image = (struct elf_image){0}; /* a half-filled image must not look usable */
    return e;
}

const char *elf_check_error_name(enum elf_check_error e)
{
    static const char *const names[ELF_CHECK_ERROR_COUNT] = {
        [ELF_CHECK_OK] = "ELF_CHECK_OK",
        [ELF_CHECK_TRUNCATED_HEADER] = "ELF_CHECK_TRUNCATED_HEADER",
        [ELF_CHECK_BAD_MAGIC] = "ELF_CHECK_BAD_MAGIC",
        [ELF_CHECK_NOT_ELF32] = "ELF_CHECK_NOT_ELF32",
        [ELF_CHECK_NOT_LITTLE_ENDIAN] = "ELF_CHECK_NOT_LITTLE_ENDIAN",
        [ELF_CHECK_BAD_VERSION] = "ELF_CHECK_BAD_VERSION",
        [ELF_CHECK_NOT_EXECUTABLE] = "ELF_CHECK_NOT_EXECUTABLE",
        [ELF_CHECK_WRONG_MACHINE] = "ELF_CHECK_WRONG_MACHINE",
        [ELF_CHECK_BAD_HEADER_SIZE] = "ELF_CHECK_BAD_HEADER_SIZE",
        [ELF_CHECK_BAD_PHENTSIZE] = "ELF_CHECK_BAD_PHENTSIZE",
        [ELF_CHECK_NO_PROGRAM_HEADERS] = "ELF_CHECK_NO_PROGRAM_HEADERS",
        [ELF_CHECK_PHDRS_OUTSIDE_FILE] = "ELF_CHECK_PHDRS_OUTSIDE_FILE",
        [ELF_CHECK_TOO_MANY_SEGMENTS] = "ELF_CHECK_TOO_MANY_SEGMENTS",
        [ELF_CHECK_DYNAMIC] = "ELF_CHECK_DYNAMIC",
        [ELF_CHECK_INTERP] = "ELF_CHECK_INTERP",
        [ELF_CHECK_SEGMENT_OUTSIDE_FILE] = "ELF_CHECK_SEGMENT_OUTSIDE_FILE",
        [ELF_CHECK_FILESZ_EXCEEDS_MEMSZ] = "ELF_CHECK_FILESZ_EXCEEDS_MEMSZ",
        [ELF_CHECK_PADDR_OVERFLOW] = "ELF_CHECK_PADDR_OVERFLOW",
        [ELF_CHECK_VADDR_OVERFLOW] = "ELF_CHECK_VADDR_OVERFLOW",
        [ELF_CHECK_NULL_PAGE] = "ELF_CHECK_NULL_PAGE",
        [ELF_CHECK_OVERLAP] = "ELF_CHECK_OVERLAP",
        [ELF_CHECK_VIRTUAL_OVERLAP] = "ELF_CHECK_VIRTUAL_OVERLAP",
        [ELF_CHECK_ENTRY_OUTSIDE_CODE] = "ELF_CHECK_ENTRY_OUTSIDE_CODE",
        [ELF_CHECK_ENTRY_IN_BSS] = "ELF_CHECK_ENTRY_IN_BSS",
        [ELF_CHECK_NO_LOADABLE_SEGMENT] = "ELF_CHECK_NO_LOADABLE_SEGMENT",
        [ELF_CHECK_OUTSIDE_AREA] = "ELF_CHECK_OUTSIDE_AREA",
        [ELF_CHECK_WRITE_EXECUTE] = "ELF_CHECK_WRITE_EXECUTE",
    };
    if ((unsigned)e >= ELF_CHECK_ERROR_COUNT || !names[e])
        return "ELF_CHECK_?";
    return names[e];
}
