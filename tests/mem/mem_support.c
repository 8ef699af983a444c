#include "mem_support.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/panic.h"

jmp_buf *mem_panic_jump;
char mem_panic_message[256];
unsigned mem_panic_count;

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mem_panic_message, sizeof mem_panic_message, fmt, ap);
    va_end(ap);
    mem_panic_count++;
    if (mem_panic_jump)
        longjmp(*mem_panic_jump, 1);
    fprintf(stderr, "unexpected panic: %s\n", mem_panic_message);
    abort();
}

/* ---- parsing ---- */

/* Linux's formatted names (3.18+ and the newer short ones) to EFI type numbers. */
static const struct {
    const char *name;
    uint32_t type;
} mem_linux_names[] = {
    {"Reserved", PAGODA_EFI_RESERVED},
    {"Loader Code", PAGODA_EFI_LOADER_CODE},
    {"Loader Data", PAGODA_EFI_LOADER_DATA},
    {"Boot Code", PAGODA_EFI_BOOT_SERVICES_CODE},
    {"Boot Data", PAGODA_EFI_BOOT_SERVICES_DATA},
    {"Runtime Code", PAGODA_EFI_RUNTIME_SERVICES_CODE},
    {"Runtime Data", PAGODA_EFI_RUNTIME_SERVICES_DATA},
    {"Conventional Memory", PAGODA_EFI_CONVENTIONAL},
    {"Conventional", PAGODA_EFI_CONVENTIONAL},
    {"Unusable Memory", PAGODA_EFI_UNUSABLE},
    {"Unusable", PAGODA_EFI_UNUSABLE},
    {"ACPI Reclaim Memory", PAGODA_EFI_ACPI_RECLAIM},
    {"ACPI Reclaim", PAGODA_EFI_ACPI_RECLAIM},
    {"ACPI Memory NVS", PAGODA_EFI_ACPI_NVS},
    {"ACPI Mem NVS", PAGODA_EFI_ACPI_NVS},
    {"Memory Mapped I/O", PAGODA_EFI_MMIO},
    {"MMIO", PAGODA_EFI_MMIO},
    {"MMIO Port Space", PAGODA_EFI_MMIO_PORT_SPACE},
    {"MMIO Port", PAGODA_EFI_MMIO_PORT_SPACE},
    {"PAL Code", PAGODA_EFI_PAL_CODE},
    {"Persistent Memory", PAGODA_EFI_PERSISTENT},
    {"Persistent", PAGODA_EFI_PERSISTENT},
    {"Unaccepted", PAGODA_EFI_UNACCEPTED},
};

static bool mem_type_from_linux_name(const char *name, uint32_t *type)
{
    for (size_t i = 0; i < sizeof mem_linux_names / sizeof mem_linux_names[0]; i++) {
        if (strcmp(name, mem_linux_names[i].name) == 0) {
            *type = mem_linux_names[i].type;
            return true;
        }
    }
    return false;
}

static bool mem_type_from_shell_name(const char *name, uint32_t *type)
{
    for (uint32_t t = 0; t < PAGODA_EFI_MEMORY_TYPE_COUNT; t++) {
        if (strcmp(name, pagoda_efi_memory_type_name(t)) == 0) {
            *type = t;
            return true;
        }
    }
    return false;
}

static void mem_trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, n - lead + 1);
}

/* "1,234,567" -> 1234567 */
static uint64_t mem_parse_grouped(const char *s)
{
    uint64_t v = 0;
    for (; *s && (isdigit((unsigned char)*s) || *s == ','); s++)
        if (*s != ',')
            v = v * 10 + (uint64_t)(*s - '0');
    return v;
}

static void mem_add_efi(struct mem_file *out, uint32_t type, uint64_t start, uint64_t end,
                        uint64_t attribute)
{
    if (out->efi_count >= MEM_FILE_MAX_EFI)
        return;
    struct pagoda_efi_memory_descriptor *d = &out->efi[out->efi_count++];
    memset(d, 0, sizeof *d);
    d->type = type;
    d->physical_start = start;
    d->number_of_pages = (end - start) >> 12;
    d->attribute = attribute;
    if (((end - start) & 0xfff) != 0)
        out->size_mismatches++;
}

/* The "range=[0xS-0xE) (NMB)" tail of both Linux formats; ']' means an inclusive end. */
static bool mem_parse_linux_range(struct mem_file *out, const char *text, uint64_t *start,
                                  uint64_t *end)
{
    const char *r = strstr(text, "range=[");
    unsigned long long s, e, mb;
    char close;
    if (r == NULL || sscanf(r, "range=[0x%llx-0x%llx%c (%lluMB)", &s, &e, &close, &mb) != 4)
        return false;
    if (close == ']')
        e++;
    else if (close != ')')
        return false;
    *start = s;
    *end = e;
    if (((e - s) >> 20) != mb)
        out->size_mismatches++;
    return true;
}

static uint64_t mem_formatted_attributes(const char *bracket)
{
    uint64_t attr = 0;
    static const struct {
        const char *flag;
        uint64_t bit;
    } flags[] = {{"|RUN|", PAGODA_EFI_MEMORY_RUNTIME},
                 {"|WB|", PAGODA_EFI_MEMORY_WB},
                 {"|WT|", PAGODA_EFI_MEMORY_WT},
                 {"|WC|", PAGODA_EFI_MEMORY_WC},
                 {"|UC]", PAGODA_EFI_MEMORY_UC}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strstr(bracket, flags[i].flag))
            attr |= flags[i].bit;
    return attr;
}

static bool mem_parse_linux_efi(struct mem_file *out, const char *line)
{
    const char *p = strstr(line, "efi: mem");
    if (p == NULL)
        return false;
    uint64_t start, end;
    if (!mem_parse_linux_range(out, p, &start, &end))
        return false;
    unsigned type;
    unsigned long long attr;
    const char *numeric = strstr(p, "type=");
    if (numeric && sscanf(numeric, "type=%u, attr=0x%llx", &type, &attr) == 2) {
        mem_add_efi(out, type, start, end, attr);
        return true;
    }
    const char *open = strchr(p, '[');
    const char *bar = open ? strchr(open, '|') : NULL;
    if (bar == NULL || bar - open > 64)
        return false;
    char name[80];
    memcpy(name, open + 1, (size_t)(bar - open - 1));
    name[bar - open - 1] = '\0';
    mem_trim(name);
    uint32_t t;
    if (!mem_type_from_linux_name(name, &t))
        return false;
    mem_add_efi(out, t, start, end, mem_formatted_attributes(open));
    return true;
}

static bool mem_parse_e820(struct mem_file *out, const char *line)
{
    const char *p = strstr(line, "BIOS-e820: [mem ");
    unsigned long long s, e;
    int used = 0;
    if (p == NULL || sscanf(p, "BIOS-e820: [mem 0x%llx-0x%llx]%n", &s, &e, &used) != 2 || !used)
        return false;
    char type_text[64];
    snprintf(type_text, sizeof type_text, "%s", p + used);
    mem_trim(type_text);
    uint32_t type;
    unsigned n;
    if (strcmp(type_text, "usable") == 0)
        type = MEM_E820_USABLE;
    else if (strcmp(type_text, "reserved") == 0)
        type = MEM_E820_RESERVED;
    else if (strcmp(type_text, "ACPI data") == 0)
        type = MEM_E820_ACPI;
    else if (strcmp(type_text, "ACPI NVS") == 0)
        type = MEM_E820_NVS;
    else if (strcmp(type_text, "unusable") == 0)
        type = MEM_E820_UNUSABLE;
    else if (strncmp(type_text, "persistent", 10) == 0)
        type = MEM_E820_PERSISTENT;
    else if (sscanf(type_text, "type %u", &n) == 1)
        type = n;
    else
        return false;
    if (out->e820_count < MEM_FILE_MAX_E820)
        out->e820[out->e820_count++] = (struct mem_e820_entry){s, e + 1, type};
    return true;
}

static bool mem_parse_shell_descriptor(struct mem_file *out, const char *line)
{
    char name[32];
    unsigned long long s, e, pages, attr;
    if (sscanf(line, "%31s %16llx-%16llx %16llx %16llx", name, &s, &e, &pages, &attr) != 5)
        return false;
    uint32_t type;
    if (!mem_type_from_shell_name(name, &type))
        return false;
    if (e + 1 - s != pages * 4096)
        out->size_mismatches++;
    mem_add_efi(out, type, s, e + 1, attr);
    return true;
}

static bool mem_parse_shell_summary(struct mem_file *out, const char *line)
{
    char name[32];
    const char *colon = strchr(line, ':');
    if (colon == NULL || colon - line >= (long)sizeof name)
        return false;
    memcpy(name, line, (size_t)(colon - line));
    name[colon - line] = '\0';
    mem_trim(name);
    const char *rest = colon + 1 + strspn(colon + 1, " ");
    if (strcmp(name, "Total Memory") == 0) {
        const char *paren = strchr(rest, '(');
        if (paren == NULL)
            return false;
        out->summary_total_bytes = mem_parse_grouped(paren + 1);
        out->has_summary = true;
        return true;
    }
    uint32_t type;
    if (!mem_type_from_shell_name(name, &type) || strstr(rest, "Pages") == NULL)
        return false;
    out->summary_pages[type] = mem_parse_grouped(rest);
    out->has_summary = true;
    return true;
}

static bool mem_is_ignorable(const char *line)
{
    size_t blank = strspn(line, " \t\r\n");
    return line[blank] == '\0' || line[0] == '#' || strncmp(line, "Type ", 5) == 0 ||
           strstr(line, "--------") != NULL;
}

bool mem_file_parse(const char *path, struct mem_file *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return false;
    }
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (mem_is_ignorable(line))
            continue;
        if (mem_parse_linux_efi(out, line) || mem_parse_e820(out, line) ||
            mem_parse_shell_descriptor(out, line) || mem_parse_shell_summary(out, line))
            continue;
        out->skipped_lines++;
    }
    fclose(f);
    return true;
}

uint32_t mem_e820_kind(uint32_t e820_type)
{
    switch (e820_type) {
    case MEM_E820_USABLE:
        return MEMMAP_USABLE;
    case MEM_E820_ACPI:
        return MEMMAP_ACPI_RECLAIM;
    case MEM_E820_NVS:
        return MEMMAP_ACPI_NVS;
    case MEM_E820_UNUSABLE:
        return MEMMAP_UNUSABLE;
    default: /* reserved, persistent, GRUB's 20 and anything unknown */
        return MEMMAP_RESERVED;
    }
}

size_t mem_build_raw_map(const struct pagoda_efi_memory_descriptor *d, uint32_t count,
                         uint32_t stride, uint8_t *buf, size_t buf_size)
{
    size_t bytes = (size_t)count * stride;
    if (bytes > buf_size || stride < sizeof *d)
        return 0;
    memset(buf, 0xA5, bytes);
    for (uint32_t i = 0; i < count; i++)
        memcpy(buf + (size_t)i * stride, &d[i], sizeof *d);
    return bytes;
}

/* ---- checks ---- */

static char mem_check_buf[256];

__attribute__((format(printf, 1, 2))) static const char *mem_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mem_check_buf, sizeof mem_check_buf, fmt, ap);
    va_end(ap);
    return mem_check_buf;
}

const char *mem_check_structure(const struct memmap *map)
{
    for (uint32_t i = 0; i < map->count; i++) {
        const struct memmap_entry *e = &map->entries[i];
        if (e->start >= e->end)
            return mem_fail("entry %u empty [%#llx, %#llx)", i, (unsigned long long)e->start,
                            (unsigned long long)e->end);
        if ((e->start | e->end) & 0xfff)
            return mem_fail("entry %u not page-aligned [%#llx, %#llx)", i,
                            (unsigned long long)e->start, (unsigned long long)e->end);
        if (e->kind >= MEMMAP_KIND_COUNT)
            return mem_fail("entry %u kind %u", i, e->kind);
        if (i == 0)
            continue;
        const struct memmap_entry *p = &map->entries[i - 1];
        if (e->start < p->end)
            return mem_fail("entry %u at %#llx overlaps or precedes entry %u ending %#llx", i,
                            (unsigned long long)e->start, i - 1, (unsigned long long)p->end);
        if (e->start == p->end && e->kind == p->kind)
            return mem_fail("entries %u and %u touch with the same kind: not merged", i - 1, i);
    }
    return NULL;
}

int mem_kind_at(const struct memmap *map, uint64_t a)
{
    uint32_t lo = 0, hi = map->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct memmap_entry *e = &map->entries[mid];
        if (a < e->start)
            hi = mid;
        else if (a >= e->end)
            lo = mid + 1;
        else
            return (int)e->kind;
    }
    return -1;
}

/* The test's own statement of the classification and rounding rules (not the kernel's code). */
static int mem_oracle_efi_kind(uint32_t type)
{
    static const int kinds[PAGODA_EFI_MEMORY_TYPE_COUNT] = {
        MEMMAP_RESERVED,    MEMMAP_RECLAIMABLE,  MEMMAP_RECLAIMABLE, MEMMAP_RECLAIMABLE,
        MEMMAP_RECLAIMABLE, MEMMAP_RESERVED,     MEMMAP_RESERVED,    MEMMAP_USABLE,
        MEMMAP_UNUSABLE,    MEMMAP_ACPI_RECLAIM, MEMMAP_ACPI_NVS,    MEMMAP_MMIO,
        MEMMAP_MMIO,        MEMMAP_RESERVED,     MEMMAP_RESERVED,    MEMMAP_RESERVED,
    };
    return type < PAGODA_EFI_MEMORY_TYPE_COUNT ? kinds[type] : MEMMAP_RESERVED;
}

struct mem_oracle_range {
    uint64_t start, end; /* rounded, may be empty */
    int kind;
};

static struct mem_oracle_range mem_oracle_round(uint64_t start, uint64_t end, int kind)
{
    struct mem_oracle_range r = {.kind = kind};
    bool inward = kind == MEMMAP_USABLE || kind == MEMMAP_RECLAIMABLE;
    if (inward) {
        r.start = (start + 0xfff) / 0x1000 * 0x1000;
        r.end = end / 0x1000 * 0x1000;
    } else {
        r.start = start / 0x1000 * 0x1000;
        r.end = (end + 0xfff) / 0x1000 * 0x1000;
    }
    if (r.end < r.start || start >= end)
        r.end = r.start;
    return r;
}

static uint32_t mem_oracle_inputs(const struct memmap_input *in, struct mem_oracle_range *out,
                                  uint32_t max)
{
    uint32_t n = 0;
    uint32_t efi = in->efi_map_size ? (uint32_t)(in->efi_map_size / in->descriptor_size) : 0;
    for (uint32_t i = 0; i < efi && n < max; i++) {
        struct pagoda_efi_memory_descriptor d;
        memcpy(&d, (const uint8_t *)in->efi_map + (size_t)i * in->descriptor_size, sizeof d);
        out[n++] = mem_oracle_round(d.physical_start, d.physical_start + d.number_of_pages * 4096,
                                    mem_oracle_efi_kind(d.type));
    }
    for (uint32_t i = 0; i < in->loader_range_count && n < max; i++) {
        const struct pagoda_range *r = &in->loader_ranges[i];
        out[n++] =
            mem_oracle_round(r->base, r->base + r->size,
                             r->kind == PAGODA_RANGE_KERNEL ? MEMMAP_KERNEL : MEMMAP_LOADER_IN_USE);
    }
    for (uint32_t i = 0; i < in->extra_count && n < max; i++)
        out[n++] = mem_oracle_round(in->extra[i].start, in->extra[i].end, (int)in->extra[i].kind);
    return n;
}

static int mem_oracle_kind_at(const struct mem_oracle_range *r, uint32_t n, uint64_t a)
{
    int kind = -1;
    for (uint32_t i = 0; i < n; i++)
        if (r[i].start <= a && a < r[i].end && r[i].kind > kind)
            kind = r[i].kind;
    return kind;
}

static const char *mem_probe(const struct memmap *map, const struct mem_oracle_range *r, uint32_t n,
                             uint64_t a)
{
    int want = mem_oracle_kind_at(r, n, a), got = mem_kind_at(map, a);
    if (want != got)
        return mem_fail("at %#llx the map says %s, the inputs say %s", (unsigned long long)a,
                        got < 0 ? "hole" : memmap_kind_name((uint32_t)got),
                        want < 0 ? "hole" : memmap_kind_name((uint32_t)want));
    return NULL;
}

const char *mem_check_pointwise(const struct memmap *map, const struct memmap_input *in)
{
    enum { MAX = 8192 };
    static struct mem_oracle_range r[MAX];
    uint32_t n = mem_oracle_inputs(in, r, MAX);
    const char *err;
    for (uint32_t i = 0; i < n; i++) {
        if (r[i].start >= r[i].end)
            continue;
        uint64_t probes[3] = {r[i].start, r[i].end - 1, r[i].start + (r[i].end - r[i].start) / 2};
        for (int k = 0; k < 3; k++)
            if ((err = mem_probe(map, r, n, probes[k])))
                return err;
    }
    for (uint32_t i = 0; i < map->count; i++) {
        if ((err = mem_probe(map, r, n, map->entries[i].start)) ||
            (err = mem_probe(map, r, n, map->entries[i].end - 1)))
            return err;
        if (map->entries[i].start > 0 && (err = mem_probe(map, r, n, map->entries[i].start - 1)))
            return err;
        if ((err = mem_probe(map, r, n, map->entries[i].end)))
            return err;
    }
    return NULL;
}
