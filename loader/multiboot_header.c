#include "multiboot_header.h"

#include "fmt.h"
#include "byte_order.h"
#include "multiboot.h"

#include <stdarg.h>

#define FOUR_GIB        0x100000000ull
#define NULL_PAGE_END   0x1000u
#define KLUDGE_FLAGS    7u /* PF_R | PF_W | PF_X: the kludge says nothing about permissions */
#define REQUEST_ENTRY   4u
#define TAG_UNSEEN      0
#define MB_EFI_BITS_32  32u
#define MB_EFI_BITS_64  64u
#define MB2_TAG_SIZE_ID 12u /* tags holding one u32 after the tag header */

struct parse {
    const uint8_t *file;
    uint64_t size;
    unsigned firmware_bits;
    struct mb_kernel *kernel;
    char *why;
    size_t why_size;
};

__attribute__((format(printf, 3, 4))) static enum mb_error fail(struct parse *p, enum mb_error e,
                                                                const char *fmt, ...)
{
    if (p->why && p->why_size) {
        va_list ap;
        va_start(ap, fmt);
        pg_vsnprintf(p->why, p->why_size, fmt, ap);
        va_end(ap);
    }
    return e;
}

static uint64_t align_up(uint64_t value, uint64_t alignment)
{
    return (value + alignment - 1) / alignment * alignment;
}

const char *mb2_tag_name(uint32_t type)
{
    static const char *const names[MB2_TAG_TYPE_COUNT] = {
        [MB2_TAG_END] = "end",
        [MB2_TAG_CMDLINE] = "command line",
        [MB2_TAG_LOADER_NAME] = "boot loader name",
        [MB2_TAG_MODULE] = "modules",
        [MB2_TAG_BASIC_MEMINFO] = "basic memory information",
        [MB2_TAG_BOOTDEV] = "BIOS boot device",
        [MB2_TAG_MMAP] = "memory map",
        [MB2_TAG_VBE] = "VBE information",
        [MB2_TAG_FRAMEBUFFER] = "framebuffer",
        [MB2_TAG_ELF_SECTIONS] = "ELF sections",
        [MB2_TAG_APM] = "APM table",
        [MB2_TAG_EFI32] = "EFI 32-bit system table",
        [MB2_TAG_EFI64] = "EFI 64-bit system table",
        [MB2_TAG_SMBIOS] = "SMBIOS tables",
        [MB2_TAG_ACPI_OLD] = "ACPI old RSDP",
        [MB2_TAG_ACPI_NEW] = "ACPI new RSDP",
        [MB2_TAG_NETWORK] = "networking information",
        [MB2_TAG_EFI_MMAP] = "EFI memory map",
        [MB2_TAG_EFI_BS] = "EFI boot services not terminated",
        [MB2_TAG_EFI32_IH] = "EFI 32-bit image handle",
        [MB2_TAG_EFI64_IH] = "EFI 64-bit image handle",
        [MB2_TAG_LOAD_BASE_ADDR] = "image load base address",
    };
    return type < MB2_TAG_TYPE_COUNT ? names[type] : "unknown";
}

/* ---- finding the header ---- */

struct search {
    uint32_t magic, align, limit, fields; /* fields: bytes the checksum covers */
};

static const struct search search_v1 = {MB1_HEADER_MAGIC, MB1_HEADER_ALIGN, MB1_SEARCH_BYTES,
                                        MB1_HEADER_MIN_SIZE};
static const struct search search_v2 = {MB2_HEADER_MAGIC, MB2_HEADER_ALIGN, MB2_SEARCH_BYTES,
                                        MB2_HEADER_SIZE};

/* The header's first fields, magic included, sum to 0 modulo 2^32. */
static int checksum_ok(const struct parse *p, const struct search *s, uint64_t at)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < s->fields; i += 4)
        sum += load_le32(p->file + at + i);
    return sum == 0;
}

static int magic_at(const struct parse *p, const struct search *s, uint64_t at)
{
    return at + s->fields <= p->size && load_le32(p->file + at) == s->magic;
}

/* Where a complete header sits that the search rules do not allow; explains it in why. */
static enum mb_error find_misplaced(struct parse *p, const struct search *s, unsigned version)
{
    uint64_t limit = p->size < s->limit ? p->size : s->limit;
    for (uint64_t at = 0; at + s->fields <= limit; at++)
        if (at % s->align != 0 && magic_at(p, s, at) && checksum_ok(p, s, at))
            return fail(p, MB_MISALIGNED,
                        "Multiboot %u header at offset 0x%llx is not %u-byte aligned: the "
                        "specification only looks at offsets that are multiples of %u",
                        version, (unsigned long long)at, s->align, s->align);
    for (uint64_t at = s->limit; at + s->fields <= p->size; at += s->align)
        if (magic_at(p, s, at) && checksum_ok(p, s, at))
            return fail(p, MB_BEYOND_SEARCH,
                        "Multiboot %u header at offset 0x%llx is past the first %u bytes of the "
                        "file, where the specification requires it",
                        version, (unsigned long long)at, s->limit);
    return fail(p, MB_NOT_FOUND, "no Multiboot %u header (magic 0x%08x) in the first %u bytes",
                version, s->magic, s->limit);
}

static enum mb_error find_header(struct parse *p, unsigned version, uint64_t *offset)
{
    const struct search *s = version == 1 ? &search_v1 : &search_v2;
    for (uint64_t at = 0; at < s->limit && at + s->fields <= p->size; at += s->align) {
        if (!magic_at(p, s, at))
            continue;
        if (!checksum_ok(p, s, at))
            return fail(p, MB_BAD_CHECKSUM,
                        "Multiboot %u header at offset 0x%llx has a bad checksum 0x%08x: the "
                        "first %u bytes must sum to 0 modulo 2^32",
                        version, (unsigned long long)at, load_le32(p->file + at + s->fields - 4),
                        s->fields);
        *offset = at;
        return MB_OK;
    }
    return find_misplaced(p, s, version);
}

/* ---- the load plan ---- */

struct kludge {
    uint64_t header_offset;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry;
    uint32_t header_size;
};

static enum mb_error plan_kludge_range(struct parse *p, const struct kludge *k,
                                       uint64_t *load_offset, uint64_t *load_size)
{
    if (k->load_addr > k->header_addr)
        return fail(p, MB_BAD_LOAD_ADDRESS,
                    "load_addr 0x%08x is above header_addr 0x%08x: loading must start at or "
                    "before the header",
                    k->load_addr, k->header_addr);
    uint64_t before_header = (uint64_t)k->header_addr - k->load_addr;
    if (before_header > k->header_offset)
        return fail(p, MB_BAD_LOAD_ADDRESS,
                    "load_addr 0x%08x is 0x%llx bytes before header_addr 0x%08x, but the header "
                    "is only 0x%llx bytes into the file",
                    k->load_addr, (unsigned long long)before_header, k->header_addr,
                    (unsigned long long)k->header_offset);
    *load_offset = k->header_offset - before_header;
    if (k->load_end_addr == 0) {
        *load_size = p->size - *load_offset; /* text and data are the rest of the file */
        return MB_OK;
    }
    if (k->load_end_addr <= k->load_addr)
        return fail(p, MB_BAD_LOAD_END, "load_end_addr 0x%08x is not above load_addr 0x%08x",
                    k->load_end_addr, k->load_addr);
    *load_size = (uint64_t)k->load_end_addr - k->load_addr;
    if (*load_offset + *load_size > p->size)
        return fail(p, MB_LOAD_PAST_FILE,
                    "load range [0x%08x-0x%08x) needs file bytes [0x%llx-0x%llx), past the end "
                    "of the %llu-byte file",
                    k->load_addr, k->load_end_addr, (unsigned long long)*load_offset,
                    (unsigned long long)(*load_offset + *load_size), (unsigned long long)p->size);
    return MB_OK;
}

/* The a.out kludge: one range [load_addr, load_end) from the file, then bss up to bss_end. */
static enum mb_error plan_kludge(struct parse *p, const struct kludge *k)
{
    uint64_t load_offset = 0, load_size = 0;
    enum mb_error e = plan_kludge_range(p, k, &load_offset, &load_size);
    if (e != MB_OK)
        return e;
    uint64_t load_end = (uint64_t)k->load_addr + load_size;
    if (load_end > FOUR_GIB)
        return fail(p, MB_PAST_4G, "loaded range [0x%08x-0x%08llx) ends above 4 GiB", k->load_addr,
                    (unsigned long long)load_end);
    if ((uint64_t)k->header_addr + k->header_size > load_end)
        return fail(p, MB_HEADER_NOT_LOADED,
                    "header_addr 0x%08x is not inside the loaded range [0x%08x-0x%08llx)",
                    k->header_addr, k->load_addr, (unsigned long long)load_end);
    uint64_t memory_end = load_end;
    if (k->bss_end_addr != 0) {
        if (k->bss_end_addr < load_end)
            return fail(p, MB_BAD_BSS,
                        "bss_end_addr 0x%08x is below the end 0x%llx of the loaded range",
                        k->bss_end_addr, (unsigned long long)load_end);
        memory_end = k->bss_end_addr;
    }
    if (k->load_addr < NULL_PAGE_END)
        return fail(p, MB_NULL_PAGE, "loaded range [0x%08x-0x%08llx) starts in the null page",
                    k->load_addr, (unsigned long long)memory_end);
    if (k->entry < k->load_addr || k->entry >= load_end)
        return fail(p, MB_ENTRY_OUTSIDE,
                    "entry 0x%08x is outside the loaded range [0x%08x-0x%08llx)%s", k->entry,
                    k->load_addr, (unsigned long long)load_end,
                    k->entry >= load_end && k->entry < memory_end ? " (it is in the bss)" : "");
    struct elf_image *image = &p->kernel->image;
    image->segment_count = 1;
    image->segments[0] = (struct elf_segment){
        .file_offset = (uint32_t)load_offset,
        .file_size = (uint32_t)load_size,
        .mem_size = (uint32_t)(memory_end - k->load_addr),
        .vaddr = k->load_addr,
        .paddr = k->load_addr,
        .flags = KLUDGE_FLAGS,
        .header_index = 0,
    };
    image->entry_virtual = image->entry_physical = k->entry;
    image->phys_start = k->load_addr;
    image->phys_end = memory_end;
    return MB_OK;
}

/* The entry address tag for an ELF image: inside the file-backed part of executable code. */
static enum mb_error plan_entry_tag(struct parse *p, uint32_t entry)
{
    struct elf_image *image = &p->kernel->image;
    for (uint32_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *s = &image->segments[i];
        if (entry < s->paddr || (uint64_t)entry >= (uint64_t)s->paddr + s->file_size)
            continue;
        if (!(s->flags & 1u))
            return fail(p, MB_ENTRY_OUTSIDE,
                        "entry address tag 0x%08x lies in segment %u, which is not executable",
                        entry, s->header_index);
        image->entry_physical = entry;
        image->entry_virtual = entry - s->paddr + s->vaddr;
        return MB_OK;
    }
    return fail(p, MB_ENTRY_OUTSIDE,
                "entry address tag 0x%08x is not inside the file-backed part of any segment's "
                "physical range",
                entry);
}

static enum mb_error plan_elf(struct parse *p, int entry_from_tag, uint32_t entry)
{
    struct mb_kernel *k = p->kernel;
    struct elf_rules rules = elf_rules_kernel;
    char elf_why[160];

    rules.ignore_entry = entry_from_tag;
    k->elf_error = elf_check(p->file, (size_t)p->size, &rules, &k->image, elf_why, sizeof(elf_why));
    if (k->elf_error != ELF_CHECK_OK)
        return fail(p, MB_ELF, "Multiboot %u kernel without address fields must be an ELF file: %s",
                    k->version, elf_why);
    return entry_from_tag ? plan_entry_tag(p, entry) : MB_OK;
}

static enum mb_error check_relocatable(struct parse *p)
{
    struct mb_kernel *k = p->kernel;
    uint64_t size = k->image.phys_end - k->image.phys_start;
    if (k->align != 0 && (k->align & (k->align - 1)) != 0)
        return fail(p, MB_BAD_RELOCATABLE, "relocatable tag: align 0x%x is not a power of two",
                    k->align);
    if (k->min_addr > k->max_addr || size > (uint64_t)k->max_addr - k->min_addr)
        return fail(p, MB_BAD_RELOCATABLE,
                    "relocatable tag: the 0x%llx-byte image cannot fit between min_addr 0x%08x "
                    "and max_addr 0x%08x",
                    (unsigned long long)size, k->min_addr, k->max_addr);
    return MB_OK;
}

/* ---- Multiboot 1 ---- */

static enum mb_error parse_v1(struct parse *p, uint64_t at)
{
    struct mb_kernel *k = p->kernel;
    const uint8_t *h = p->file + at;
    uint32_t flags = load_le32(h + MB1_H_FLAGS);
    uint32_t unknown = flags & MB1_FLAGS_REQUIRED_MASK & ~MB1_FLAGS_UNDERSTOOD;

    k->flags = flags;
    if (unknown != 0) {
        unsigned bit = 0;
        while (!(unknown & (1u << bit)))
            bit++;
        return fail(p, MB_UNSUPPORTED_FLAGS,
                    "Multiboot 1 flags 0x%08x require bit %u (0x%x), which this loader does not "
                    "know (bits 0-15 are requirements; it supports 0, 1, 2)",
                    flags, bit, unknown);
    }
    k->header_size = (flags & MB1_FLAG_VIDEO_MODE)       ? MB1_HEADER_VIDEO_SIZE
                     : (flags & MB1_FLAG_ADDRESS_FIELDS) ? MB1_HEADER_ADDR_SIZE
                                                         : MB1_HEADER_MIN_SIZE;
    uint64_t end = at + k->header_size;
    if (end > p->size || end > MB1_SEARCH_BYTES)
        return fail(p, MB_HEADER_TRUNCATED,
                    "Multiboot 1 header at offset 0x%llx needs %u bytes for flags 0x%08x, past the "
                    "%s",
                    (unsigned long long)at, k->header_size, flags,
                    end > p->size ? "end of the file" : "first 8192 bytes");
    k->page_align_modules = (flags & MB1_FLAG_PAGE_ALIGN_MODULES) != 0;
    k->wants_memory_info = (flags & MB1_FLAG_MEMORY_INFO) != 0;
    if (flags & MB1_FLAG_VIDEO_MODE) {
        k->wants_video = 1;
        k->video_mode_type = load_le32(h + MB1_H_MODE_TYPE);
        k->video_width = load_le32(h + MB1_H_WIDTH);
        k->video_height = load_le32(h + MB1_H_HEIGHT);
        k->video_depth = load_le32(h + MB1_H_DEPTH);
    }
    if (!(flags & MB1_FLAG_ADDRESS_FIELDS))
        return plan_elf(p, 0, 0);
    struct kludge kl = {
        .header_offset = at,
        .header_addr = load_le32(h + MB1_H_HEADER_ADDR),
        .load_addr = load_le32(h + MB1_H_LOAD_ADDR),
        .load_end_addr = load_le32(h + MB1_H_LOAD_END_ADDR),
        .bss_end_addr = load_le32(h + MB1_H_BSS_END_ADDR),
        .entry = load_le32(h + MB1_H_ENTRY_ADDR),
        .header_size = k->header_size,
    };
    k->address_fields = 1;
    k->header_addr = kl.header_addr, k->load_addr = kl.load_addr;
    k->load_end_addr = kl.load_end_addr, k->bss_end_addr = kl.bss_end_addr;
    k->entry_address = kl.entry;
    return plan_kludge(p, &kl);
}

/* ---- Multiboot 2 ---- */

struct tags {
    uint64_t header_offset, header_end;
    uint64_t address_tag, entry_tag, console_tag, framebuffer_tag, relocatable_tag; /* offsets */
    int requests_load_base;
};

/* The size each known header tag type has; 0 for "at least 8, then whole u32s" (requests). */
static uint32_t tag_size_of(uint32_t type)
{
    switch (type) {
    case MB2_HTAG_INFORMATION_REQUEST:
        return 0;
    case MB2_HTAG_ADDRESS:
    case MB2_HTAG_RELOCATABLE:
        return 24;
    case MB2_HTAG_ENTRY_ADDRESS:
    case MB2_HTAG_CONSOLE_FLAGS:
    case MB2_HTAG_EFI_I386_ENTRY:
    case MB2_HTAG_EFI_AMD64_ENTRY:
        return MB2_TAG_SIZE_ID;
    case MB2_HTAG_FRAMEBUFFER:
        return 20;
    default: /* end, module alignment, EFI boot services */
        return MB2_TAG_HEADER_SIZE;
    }
}

static int tag_known(uint32_t type)
{
    return type <= MB2_HTAG_RELOCATABLE;
}

/* Whether this loader gives tag TYPE when the kernel requires it (availability aside); *only_on
 * names the firmware width of the types that exist on one width only. */
static int request_supported(const struct parse *p, uint32_t type, unsigned *only_on)
{
    *only_on = 0;
    switch (type) {
    case MB2_TAG_END: /* GRUB's and Limine's reading: an empty request */
    case MB2_TAG_CMDLINE:
    case MB2_TAG_LOADER_NAME:
    case MB2_TAG_MODULE:
    case MB2_TAG_BASIC_MEMINFO:
    case MB2_TAG_MMAP:
    case MB2_TAG_FRAMEBUFFER:
    case MB2_TAG_ACPI_OLD:
    case MB2_TAG_ACPI_NEW:
    case MB2_TAG_EFI_MMAP:
    case MB2_TAG_LOAD_BASE_ADDR: /* checked once the relocatable tag is known */
        return 1;
    case MB2_TAG_EFI32:
    case MB2_TAG_EFI32_IH:
        *only_on = MB_EFI_BITS_32;
        return p->firmware_bits == MB_EFI_BITS_32;
    case MB2_TAG_EFI64:
    case MB2_TAG_EFI64_IH:
        *only_on = MB_EFI_BITS_64;
        return p->firmware_bits == MB_EFI_BITS_64;
    default:
        return 0;
    }
}

static enum mb_error parse_request(struct parse *p, struct tags *t, uint64_t at, uint32_t size,
                                   int required)
{
    struct mb_kernel *k = p->kernel;
    for (uint64_t entry = at + MB2_TAG_HEADER_SIZE; entry + REQUEST_ENTRY <= at + size;
         entry += REQUEST_ENTRY) {
        uint32_t type = load_le32(p->file + entry);
        unsigned only_on = 0;
        if (!required)
            continue;
        k->required_request_count++;
        if (!request_supported(p, type, &only_on)) {
            if (only_on)
                return fail(p, MB_REQUEST_UNSUPPORTED,
                            "information request (tag at offset 0x%llx) requires type %u (%s), "
                            "which only %u-bit UEFI firmware has; this is %u-bit firmware",
                            (unsigned long long)(at - t->header_offset), type, mb2_tag_name(type),
                            only_on, p->firmware_bits);
            return fail(p, MB_REQUEST_UNSUPPORTED,
                        "information request (tag at offset 0x%llx) requires type %u (%s), which "
                        "this loader does not provide",
                        (unsigned long long)(at - t->header_offset), type, mb2_tag_name(type));
        }
        k->requires_framebuffer |= type == MB2_TAG_FRAMEBUFFER;
        k->requires_acpi_old |= type == MB2_TAG_ACPI_OLD;
        k->requires_acpi_new |= type == MB2_TAG_ACPI_NEW;
        t->requests_load_base |= type == MB2_TAG_LOAD_BASE_ADDR;
    }
    return MB_OK;
}

static enum mb_error remember_once(struct parse *p, uint64_t *slot, uint64_t at, uint32_t type)
{
    if (*slot != TAG_UNSEEN)
        return fail(p, MB_TAG_DUPLICATE,
                    "header tag type %u appears twice (offsets 0x%llx and 0x%llx)", type,
                    (unsigned long long)*slot, (unsigned long long)at);
    *slot = at;
    return MB_OK;
}

static enum mb_error parse_tag(struct parse *p, struct tags *t, uint64_t at, uint32_t type,
                               uint32_t flags, uint32_t size)
{
    struct mb_kernel *k = p->kernel;
    const uint8_t *body = p->file + at + MB2_TAG_HEADER_SIZE;
    int required = !(flags & MB2_TAG_FLAG_OPTIONAL);

    switch (type) {
    case MB2_HTAG_INFORMATION_REQUEST:
        return parse_request(p, t, at, size, required);
    case MB2_HTAG_ADDRESS:
        return remember_once(p, &t->address_tag, at, type);
    case MB2_HTAG_ENTRY_ADDRESS:
        return remember_once(p, &t->entry_tag, at, type);
    case MB2_HTAG_CONSOLE_FLAGS:
        k->console_required = (load_le32(body) & MB2_CONSOLE_REQUIRED) != 0;
        k->ega_text_supported = (load_le32(body) & MB2_CONSOLE_EGA_TEXT) != 0;
        return remember_once(p, &t->console_tag, at, type);
    case MB2_HTAG_FRAMEBUFFER:
        k->wants_video = 1;
        k->video_mode_type = MB1_MODE_LINEAR;
        k->video_width = load_le32(body);
        k->video_height = load_le32(body + 4);
        k->video_depth = load_le32(body + 8);
        return remember_once(p, &t->framebuffer_tag, at, type);
    case MB2_HTAG_MODULE_ALIGN:
        k->page_align_modules = 1;
        return MB_OK;
    case MB2_HTAG_EFI_BOOT_SERVICES:
        if (required)
            return fail(p, MB_EFI_BOOT_SERVICES,
                        "the EFI boot services tag (type 7) is required, but this loader always "
                        "leaves boot services before the kernel starts");
        k->efi_boot_services_optional = 1;
        return MB_OK;
    case MB2_HTAG_EFI_I386_ENTRY:
        k->has_efi_i386_entry = 1;
        k->efi_i386_entry = load_le32(body);
        return MB_OK;
    case MB2_HTAG_EFI_AMD64_ENTRY:
        k->has_efi_amd64_entry = 1;
        k->efi_amd64_entry = load_le32(body);
        return MB_OK;
    case MB2_HTAG_RELOCATABLE:
        k->relocatable = 1;
        k->min_addr = load_le32(body);
        k->max_addr = load_le32(body + 4);
        k->align = load_le32(body + 8);
        k->preference = load_le32(body + 12);
        return remember_once(p, &t->relocatable_tag, at, type);
    default:
        if (required)
            return fail(p, MB_TAG_UNKNOWN,
                        "header tag type %u (at offset 0x%llx) is not one this loader knows, and "
                        "it is not marked optional",
                        type, (unsigned long long)(at - t->header_offset));
        return MB_OK;
    }
}

static enum mb_error check_tag_shape(struct parse *p, const struct tags *t, uint64_t at,
                                     uint32_t type, uint32_t size)
{
    uint64_t offset = at - t->header_offset;
    if (size < MB2_TAG_HEADER_SIZE)
        return fail(p, MB_TAG_BAD_SIZE,
                    "header tag type %u at offset 0x%llx has size %u, less "
                    "than its own 8-byte header",
                    type, (unsigned long long)offset, size);
    if (at + size > t->header_end)
        return fail(p, MB_TAG_PAST_HEADER,
                    "header tag type %u at offset 0x%llx has size %u and runs past the end of "
                    "the %llu-byte header",
                    type, (unsigned long long)offset, size,
                    (unsigned long long)(t->header_end - t->header_offset));
    if (!tag_known(type))
        return MB_OK;
    uint32_t want = tag_size_of(type);
    if (want == 0 && (size - MB2_TAG_HEADER_SIZE) % REQUEST_ENTRY != 0)
        return fail(p, MB_TAG_BAD_SIZE,
                    "information request tag at offset 0x%llx has size %u: 8 plus whole 4-byte "
                    "entries expected",
                    (unsigned long long)offset, size);
    if (want != 0 && size != want)
        return fail(p, MB_TAG_BAD_SIZE,
                    "header tag type %u at offset 0x%llx has size %u, "
                    "expected %u",
                    type, (unsigned long long)offset, size, want);
    return MB_OK;
}

static enum mb_error walk_tags(struct parse *p, struct tags *t)
{
    uint64_t at = t->header_offset + MB2_HEADER_SIZE;
    while (at + MB2_TAG_HEADER_SIZE <= t->header_end) {
        uint32_t type = load_le16(p->file + at);
        uint32_t flags = load_le16(p->file + at + 2);
        uint32_t size = load_le32(p->file + at + 4);
        enum mb_error e = check_tag_shape(p, t, at, type, size);
        if (e != MB_OK)
            return e;
        if (type == MB2_HTAG_END)
            return MB_OK;
        e = parse_tag(p, t, at, type, flags, size);
        if (e != MB_OK)
            return e;
        at += align_up(size, MB2_TAG_ALIGN);
    }
    return fail(p, MB_NO_END_TAG, "the header tags end at offset 0x%llx without an end tag",
                (unsigned long long)(t->header_end - t->header_offset));
}

static enum mb_error plan_v2(struct parse *p, const struct tags *t)
{
    struct mb_kernel *k = p->kernel;
    if (t->entry_tag != TAG_UNSEEN) {
        k->has_entry_address = 1;
        k->entry_address = load_le32(p->file + t->entry_tag + MB2_TAG_HEADER_SIZE);
    }
    if (t->address_tag == TAG_UNSEEN)
        return plan_elf(p, k->has_entry_address, k->entry_address);
    if (!k->has_entry_address)
        return fail(p, MB_ADDRESS_WITHOUT_ENTRY,
                    "the address tag (type 2) needs an entry address tag (type 3): nothing else "
                    "says where the loaded code starts");
    const uint8_t *body = p->file + t->address_tag + MB2_TAG_HEADER_SIZE;
    struct kludge kl = {
        .header_offset = t->header_offset,
        .header_addr = load_le32(body),
        .load_addr = load_le32(body + 4),
        .load_end_addr = load_le32(body + 8),
        .bss_end_addr = load_le32(body + 12),
        .entry = k->entry_address,
        .header_size = MB2_HEADER_SIZE,
    };
    k->address_fields = 1;
    k->header_addr = kl.header_addr, k->load_addr = kl.load_addr;
    k->load_end_addr = kl.load_end_addr, k->bss_end_addr = kl.bss_end_addr;
    if (kl.load_addr == MB2_LOAD_ADDR_FILE_START) {
        if (kl.header_addr < t->header_offset)
            return fail(p, MB_BAD_LOAD_ADDRESS,
                        "load_addr -1 (load from the file's start) puts the header at offset "
                        "0x%llx below address 0, as header_addr is 0x%08x",
                        (unsigned long long)t->header_offset, kl.header_addr);
        kl.load_addr = kl.header_addr - (uint32_t)t->header_offset;
    }
    return plan_kludge(p, &kl);
}

static enum mb_error parse_v2(struct parse *p, uint64_t at)
{
    struct mb_kernel *k = p->kernel;
    const uint8_t *h = p->file + at;
    uint32_t architecture = load_le32(h + MB2_H_ARCHITECTURE);
    uint32_t length = load_le32(h + MB2_H_HEADER_LENGTH);

    if (architecture != MB2_ARCH_I386)
        return fail(p, MB_BAD_ARCHITECTURE,
                    "Multiboot 2 architecture %u (%s), expected 0 (i386 protected mode)",
                    architecture, architecture == MB2_ARCH_MIPS32 ? "MIPS32" : "unknown");
    if (length < MB2_HEADER_SIZE + MB2_TAG_HEADER_SIZE)
        return fail(p, MB_BAD_HEADER_LENGTH,
                    "Multiboot 2 header_length %u is less than the %u bytes of the fixed part and "
                    "the end tag",
                    length, MB2_HEADER_SIZE + MB2_TAG_HEADER_SIZE);
    uint64_t end = at + length;
    if (end > p->size || end > MB2_SEARCH_BYTES)
        return fail(p, MB_HEADER_TRUNCATED,
                    "Multiboot 2 header at offset 0x%llx with header_length %u runs past the %s",
                    (unsigned long long)at, length,
                    end > p->size ? "end of the file" : "first 32768 bytes");
    k->header_size = length;
    struct tags t = {.header_offset = at, .header_end = end};
    enum mb_error e = walk_tags(p, &t);
    if (e == MB_OK && t.requests_load_base && !k->relocatable)
        e = fail(p, MB_REQUEST_UNSUPPORTED,
                 "information request requires type 21 (image load base address), which is "
                 "given only to kernels with a relocatable tag");
    if (e == MB_OK)
        e = plan_v2(p, &t);
    if (e == MB_OK && k->relocatable)
        e = check_relocatable(p);
    return e;
}

enum mb_error mb_header_parse(const void *file, size_t size, unsigned version,
                              unsigned firmware_bits, struct mb_kernel *kernel, char *why,
                              size_t why_size)
{
    struct mb_kernel scratch;
    struct parse p = {file, file ? size : 0, firmware_bits, kernel ? kernel : &scratch,
                      why,  why_size};
    uint64_t at = 0;

    *p.kernel = (struct mb_kernel){0};
    if (why && why_size)
        why[0] = '\0';
    if (version != 1 && version != 2)
        return fail(&p, MB_NOT_FOUND, "Multiboot version %u does not exist", version);
    p.kernel->version = version;
    enum mb_error e = find_header(&p, version, &at);
    if (e == MB_OK) {
        p.kernel->header_offset = (uint32_t)at;
        e = version == 1 ? parse_v1(&p, at) : parse_v2(&p, at);
    }
    if (e != MB_OK) {
        enum elf_check_error elf_error = p.kernel->elf_error;
        *p.kernel = (struct mb_kernel){0}; /* a half-filled plan must not look usable */
        p.kernel->elf_error = elf_error;
    }
    return e;
}

enum mb_error mb_check_available(const struct mb_kernel *k, const struct mb_available *have,
                                 char *why, size_t why_size)
{
    struct parse p = {.why = why, .why_size = why_size};
    if (why && why_size)
        why[0] = '\0';
    if (k->requires_framebuffer && !have->framebuffer)
        return fail(&p, MB_REQUEST_UNAVAILABLE,
                    "information request requires type 8 (framebuffer), but the firmware's GOP "
                    "has no linear framebuffer");
    if (k->requires_acpi_old && !have->acpi_old)
        return fail(&p, MB_REQUEST_UNAVAILABLE,
                    "information request requires type 14 (ACPI old RSDP), but the firmware has "
                    "no ACPI 1.0 table");
    if (k->requires_acpi_new && !have->acpi_new)
        return fail(&p, MB_REQUEST_UNAVAILABLE,
                    "information request requires type 15 (ACPI new RSDP), but the firmware has "
                    "no ACPI 2.0 table");
    if (!k->console_required)
        return MB_OK;
    /* A framebuffer tag says the kernel can draw; EGA text does not exist on UEFI. */
    if (k->wants_video && have->framebuffer)
        return MB_OK;
    return fail(&p, MB_CONSOLE_UNAVAILABLE, "console flags require a console, but %s",
                k->wants_video
                    ? "the firmware's GOP has no linear framebuffer"
                    : "the kernel supports only EGA text (no framebuffer tag), which UEFI does "
                      "not have");
}

const char *mb_error_name(enum mb_error e)
{
    static const char *const names[MB_ERROR_COUNT] = {
        [MB_OK] = "MB_OK",
        [MB_NOT_FOUND] = "MB_NOT_FOUND",
        [MB_BAD_CHECKSUM] = "MB_BAD_CHECKSUM",
        [MB_MISALIGNED] = "MB_MISALIGNED",
        [MB_BEYOND_SEARCH] = "MB_BEYOND_SEARCH",
        [MB_HEADER_TRUNCATED] = "MB_HEADER_TRUNCATED",
        [MB_UNSUPPORTED_FLAGS] = "MB_UNSUPPORTED_FLAGS",
        [MB_BAD_ARCHITECTURE] = "MB_BAD_ARCHITECTURE",
        [MB_BAD_HEADER_LENGTH] = "MB_BAD_HEADER_LENGTH",
        [MB_TAG_PAST_HEADER] = "MB_TAG_PAST_HEADER",
        [MB_TAG_BAD_SIZE] = "MB_TAG_BAD_SIZE",
        [MB_TAG_UNKNOWN] = "MB_TAG_UNKNOWN",
        [MB_TAG_DUPLICATE] = "MB_TAG_DUPLICATE",
        [MB_NO_END_TAG] = "MB_NO_END_TAG",
        [MB_REQUEST_UNSUPPORTED] = "MB_REQUEST_UNSUPPORTED",
        [MB_REQUEST_UNAVAILABLE] = "MB_REQUEST_UNAVAILABLE",
        [MB_CONSOLE_UNAVAILABLE] = "MB_CONSOLE_UNAVAILABLE",
        [MB_EFI_BOOT_SERVICES] = "MB_EFI_BOOT_SERVICES",
        [MB_ADDRESS_WITHOUT_ENTRY] = "MB_ADDRESS_WITHOUT_ENTRY",
        [MB_BAD_LOAD_ADDRESS] = "MB_BAD_LOAD_ADDRESS",
        [MB_BAD_LOAD_END] = "MB_BAD_LOAD_END",
        [MB_LOAD_PAST_FILE] = "MB_LOAD_PAST_FILE",
        [MB_HEADER_NOT_LOADED] = "MB_HEADER_NOT_LOADED",
        [MB_BAD_BSS] = "MB_BAD_BSS",
        [MB_PAST_4G] = "MB_PAST_4G",
        [MB_NULL_PAGE] = "MB_NULL_PAGE",
        [MB_ENTRY_OUTSIDE] = "MB_ENTRY_OUTSIDE",
        [MB_ELF] = "MB_ELF",
        [MB_BAD_RELOCATABLE] = "MB_BAD_RELOCATABLE",
    };
    if ((unsigned)e >= MB_ERROR_COUNT || !names[e])
        return "MB_?";
    return names[e];
}
