#include "testk.h"

#include "arch/qemu_exit.h"
#include "arch/x86.h"
#include "fmt.h"

#include <stdarg.h>

#define COM1 0x3F8u

#define EFLAGS_VM                  0x00020000u
#define AR_PRESENT                 0x00008000u
#define AR_S                       0x00001000u
#define AR_CODE                    0x00000800u
#define AR_RW                      0x00000200u /* readable code / writable data */
#define AR_DB                      0x00400000u /* 32-bit */
#define FLAT_LIMIT                 0xFFFFFFFFu
#define MB_AVAILABLE               1u
#define FOUR_GIB                   0x100000000ull
#define ONE_MIB                    0x100000ull
#define EFI_SYSTEM_TABLE_SIGNATURE 0x5453595320494249ull /* "IBI SYST" */

static unsigned testk_count, testk_failed;
static uint8_t testk_bss_probe[TESTK_PAGE];

static void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0x07); /* FIFO on, cleared */
    outb(COM1 + 4, 0x0B);
}

static void serial_putc(void *ctx, char c)
{
    (void)ctx;
    if (c == '\n')
        serial_putc(ctx, '\r');
    for (unsigned i = 0; i < 100000u && !(inb(COM1 + 5) & 0x20); i++)
        ;
    outb(COM1, (uint8_t)c);
}

void testk_print(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pg_vformat(serial_putc, NULL, fmt, ap);
    va_end(ap);
}

int testk_check(int pass, const char *fmt, ...)
{
    va_list ap;
    testk_print("%s %u - ", pass ? "ok" : "not ok", ++testk_count);
    va_start(ap, fmt);
    pg_vformat(serial_putc, NULL, fmt, ap);
    va_end(ap);
    testk_print("\n");
    if (!pass)
        testk_failed++;
    return pass;
}

_Noreturn void testk_finish(void)
{
    testk_print("1..%u\n", testk_count);
    testk_print("testk: %u of %u checks failed\n", testk_failed, testk_count);
    qemu_exit(testk_failed == 0 && testk_count > 0 ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Called by entry.S when a loader jumps to e_entry or to the EFI entry instead of the tag's. */
_Noreturn void testk_entered_wrong(void);
_Noreturn void testk_entered_wrong(void)
{
    serial_init();
    testk_check(0, "entered at e_entry or the EFI entry: the entry address tag was ignored");
    testk_finish();
}

_Noreturn void testk_main(uint32_t magic, uint32_t info, uint32_t eflags, uint32_t delta);
_Noreturn void testk_main(uint32_t magic, uint32_t info, uint32_t eflags, uint32_t delta)
{
    serial_init();
    testk_print("\ntestk: Multiboot %u test kernel, magic 0x%08x, information at 0x%08x\n",
                TESTK_MB, magic, info);
    testk_print("testk: image linked at 0x%08x, running at 0x%08x\n",
                (uint32_t)(uintptr_t)__image_start - testk_delta(),
                (uint32_t)(uintptr_t)__image_start);
    testk_check_entry_state(eflags);
    testk_check_bss_clear();
    testk_run(magic, info, delta);
    testk_finish();
}

/* ---- the machine state ---- */

struct segment_check {
    uint32_t selector, access, limit;
    int lar_ok, lsl_ok;
};

static struct segment_check segment_of(uint32_t selector)
{
    struct segment_check s = {selector, 0, 0, 0, 0};
    uint8_t ok = 0;
    __asm__ volatile("lar %2, %0\n\tsetz %1" : "=r"(s.access), "=q"(ok) : "r"(selector) : "cc");
    s.lar_ok = ok;
    __asm__ volatile("lsl %2, %0\n\tsetz %1" : "=r"(s.limit), "=q"(ok) : "r"(selector) : "cc");
    s.lsl_ok = ok;
    return s;
}

/* Reads the descriptor's base through GDTR: this loader's GDT is still in place at entry. */
static uint32_t segment_base(uint32_t selector)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } gdtr;
    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    const uint8_t *d = (const uint8_t *)(uintptr_t)(gdtr.base + (selector & ~7u));
    return (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 | (uint32_t)d[7] << 24;
}

static void check_segment(const char *name, uint32_t selector, int code)
{
    struct segment_check s = segment_of(selector);
    uint32_t want = AR_PRESENT | AR_S | AR_RW | AR_DB | (code ? AR_CODE : 0);
    testk_print("testk: %s = 0x%04x: access 0x%08x limit 0x%08x base 0x%08x\n", name, selector,
                s.access, s.limit, segment_base(selector));
    testk_check(s.lar_ok && s.lsl_ok && (s.access & (want | AR_CODE)) == want &&
                    s.limit == FLAT_LIMIT && segment_base(selector) == 0,
                "%s is a flat 32-bit %s segment (base 0, limit 0xffffffff)", name,
                code ? "read/execute code" : "read/write data");
}

void testk_check_entry_state(uint32_t eflags)
{
    uint32_t cr0, cs, ds, es, fs, gs, ss;
    cr0 = read_cr0();
    __asm__ volatile("mov %%cs, %0\n\tmov %%ds, %1\n\tmov %%es, %2" : "=r"(cs), "=r"(ds), "=r"(es));
    __asm__ volatile("mov %%fs, %0\n\tmov %%gs, %1\n\tmov %%ss, %2" : "=r"(fs), "=r"(gs), "=r"(ss));
    testk_print("testk: CR0 0x%08x, EFLAGS at entry 0x%08x\n", cr0, eflags);
    testk_check((cr0 & CR0_PE) && !(cr0 & CR0_PG), "CR0: protected mode on, paging off");
    testk_check(!(eflags & EFLAGS_IF), "EFLAGS.IF clear: interrupts off");
    testk_check(!(eflags & EFLAGS_VM), "EFLAGS.VM clear");
    check_segment("CS", cs & 0xffff, 1);
    check_segment("DS", ds & 0xffff, 0);
    check_segment("ES", es & 0xffff, 0);
    check_segment("FS", fs & 0xffff, 0);
    check_segment("GS", gs & 0xffff, 0);
    check_segment("SS", ss & 0xffff, 0);
}

void testk_check_bss_clear(void)
{
    unsigned nonzero = 0;
    for (unsigned i = 0; i < sizeof(testk_bss_probe); i++)
        nonzero += testk_bss_probe[i] != 0;
    testk_check(nonzero == 0, "bss is zero at entry (%u non-zero bytes of %u probed)", nonzero,
                (unsigned)sizeof(testk_bss_probe));
}

/* ---- the memory map ---- */

static int inside_available(const struct testk_info *info, uint64_t base, uint64_t length)
{
    uint64_t at = base, end = base + length;
    while (at < end) {
        int moved = 0;
        for (unsigned i = 0; i < info->map_count; i++) {
            const struct testk_range *r = &info->map[i];
            if (r->type == MB_AVAILABLE && r->base <= at && at < r->base + r->length) {
                at = r->base + r->length;
                moved = 1;
            }
        }
        if (!moved)
            return 0;
    }
    return 1;
}

static uint64_t available_run_end(const struct testk_info *info, uint64_t start)
{
    uint64_t end = start;
    for (int grew = 1; grew;) {
        grew = 0;
        for (unsigned i = 0; i < info->map_count; i++) {
            const struct testk_range *r = &info->map[i];
            if (r->type == MB_AVAILABLE && r->base <= end && end < r->base + r->length) {
                end = r->base + r->length;
                grew = 1;
            }
        }
    }
    return end;
}

static int overlaps(uint64_t a, uint64_t a_length, uint64_t b, uint64_t b_length)
{
    return a < b + b_length && b < a + a_length;
}

static int in_use(const struct testk_info *info, uint64_t base, uint64_t length)
{
    if (overlaps(base, length, (uintptr_t)__image_start,
                 (uintptr_t)__bss_end - (uintptr_t)__image_start) ||
        overlaps(base, length, info->info_start, info->info_end - info->info_start))
        return 1;
    for (unsigned i = 0; i < info->module_count; i++)
        if (overlaps(base, length, info->module_start[i],
                     info->module_end[i] - info->module_start[i] + TESTK_PAGE))
            return 1;
    return 0;
}

/* With A20 off, address bit 20 is forced to 0: a write below 1 MiB would show 1 MiB higher. */
static void check_a20(const struct testk_info *info)
{
    for (uint64_t low = TESTK_PAGE; low < ONE_MIB; low += TESTK_PAGE) {
        uint64_t high = low + ONE_MIB;
        if (!inside_available(info, low, TESTK_PAGE) || !inside_available(info, high, TESTK_PAGE) ||
            in_use(info, low, TESTK_PAGE) || in_use(info, high, TESTK_PAGE))
            continue;
        volatile uint32_t *a = (volatile uint32_t *)(uintptr_t)low;
        volatile uint32_t *b = (volatile uint32_t *)(uintptr_t)high;
        *b = 0x5a5a1234u;
        *a = 0xa5a54321u;
        testk_check(*b == 0x5a5a1234u && *a == 0xa5a54321u,
                    "A20 enabled: 0x%llx and 0x%llx are different memory", (unsigned long long)low,
                    (unsigned long long)high);
        return;
    }
    testk_check(0, "A20: no free available page below 1 MiB with a free one 1 MiB above it");
}

void testk_check_memory(const struct testk_info *info, const char *who)
{
    int sorted = 1;
    uint64_t available = 0;
    for (unsigned i = 0; i < info->map_count; i++) {
        const struct testk_range *r = &info->map[i];
        if (r->length == 0 || (i > 0 && info->map[i - 1].base + info->map[i - 1].length > r->base))
            sorted = 0;
        if (r->type == MB_AVAILABLE)
            available += r->length;
    }
    testk_print("testk: %s: %u ranges, %llu KiB available\n", who, info->map_count,
                (unsigned long long)(available / 1024));
    testk_check(info->have_map && info->map_count > 0, "%s: a memory map is given", who);
    testk_check(sorted, "%s: memory map sorted, no empty or overlapping entries", who);
    uint64_t lower = available_run_end(info, 0) / 1024;
    uint64_t upper = (available_run_end(info, ONE_MIB) - ONE_MIB) / 1024;
    if (lower > 640)
        lower = 640;
    testk_check(info->have_memory && info->mem_lower == lower && info->mem_upper == upper,
                "%s: mem_lower %u KiB and mem_upper %u KiB match the memory map (%llu, %llu)", who,
                info->mem_lower, info->mem_upper, (unsigned long long)lower,
                (unsigned long long)upper);
    testk_check(inside_available(info, (uintptr_t)__image_start,
                                 (uintptr_t)__bss_end - (uintptr_t)__image_start),
                "%s: the kernel image lies in available memory", who);
    testk_check(inside_available(info, info->info_start, info->info_end - info->info_start),
                "%s: the boot information lies in available memory", who);
    check_a20(info);
}

/* ---- the framebuffer ---- */

static uint32_t field(uint32_t value, uint8_t position, uint8_t size)
{
    uint32_t mask = size >= 32 ? 0xffffffffu : (1u << size) - 1;
    return (value & mask) << position;
}

void testk_check_framebuffer(const struct testk_info *info)
{
    if (!testk_check(info->have_framebuffer, "framebuffer information given"))
        return;
    testk_check(info->fb_type == 1 && info->fb_bpp == 32 && info->red_size == 8 &&
                    info->green_size == 8 && info->blue_size == 8,
                "framebuffer: direct RGB, 32 bits, 8 bits per colour");
    testk_check(
        info->fb_pitch >= info->fb_width * 4 && info->fb_width >= 64 && info->fb_height >= 64,
        "framebuffer: pitch %u covers %u pixels of 4 bytes", info->fb_pitch, info->fb_width);
    if (!testk_check(info->fb_addr + (uint64_t)info->fb_pitch * info->fb_height <= FOUR_GIB,
                     "framebuffer below 4 GiB, where paging-off code reaches it"))
        return;
    unsigned wrong = 0, drawn = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t y = 0; y < info->fb_height; y += 3) {
            volatile uint32_t *row =
                (volatile uint32_t *)(uintptr_t)(info->fb_addr + (uint64_t)y * info->fb_pitch);
            for (uint32_t x = 0; x < info->fb_width; x += 3) {
                uint32_t pixel = field(x * 255 / info->fb_width, info->red_pos, 8) |
                                 field(y * 255 / info->fb_height, info->green_pos, 8) |
                                 field(0x80, info->blue_pos, 8);
                if (pass == 0) {
                    row[x] = pixel;
                    drawn++;
                } else if ((row[x] & 0x00ffffffu) != (pixel & 0x00ffffffu)) {
                    wrong++;
                }
            }
        }
    }
    testk_check(wrong == 0, "framebuffer: %u pixels drawn as a gradient, all read back (%u wrong)",
                drawn, wrong);
}

/* ---- modules, ACPI, EFI ---- */

uint32_t testk_fnv1a(const uint8_t *data, uint32_t size)
{
    uint32_t hash = 0x811c9dc5u;
    for (uint32_t i = 0; i < size; i++)
        hash = (hash ^ data[i]) * 0x01000193u;
    return hash;
}

int testk_string_ok(const char *s, uint32_t max)
{
    for (uint32_t i = 0; i < max; i++)
        if (s[i] == '\0')
            return 1;
    return 0;
}

void testk_check_modules(const struct testk_info *info, int page_aligned)
{
    int aligned = 1, apart = 1;
    for (unsigned i = 0; i < info->module_count; i++) {
        if (info->module_start[i] % TESTK_PAGE != 0 || info->module_end[i] < info->module_start[i])
            aligned = 0;
        for (unsigned j = 0; j < i; j++)
            if (overlaps(info->module_start[i], info->module_end[i] - info->module_start[i] + 1,
                         info->module_start[j], info->module_end[j] - info->module_start[j] + 1))
                apart = 0;
        if (overlaps(info->module_start[i], info->module_end[i] - info->module_start[i] + 1,
                     (uintptr_t)__image_start, (uintptr_t)__bss_end - (uintptr_t)__image_start))
            apart = 0;
    }
    if (page_aligned)
        testk_check(aligned, "modules start on page boundaries, as the header asks");
    testk_check(apart, "modules overlap neither each other nor the kernel");
}

void testk_check_rsdp(const uint8_t *rsdp, uint32_t size, int extended)
{
    static const char signature[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
    uint8_t sum = 0;
    int same = size >= 20;
    for (int i = 0; i < 8 && same; i++)
        same = rsdp[i] == (uint8_t)signature[i];
    for (uint32_t i = 0; i < 20 && i < size; i++)
        sum += rsdp[i];
    testk_print("testk: RSDP copy of %u bytes, revision %u, OEM \"%.6s\"\n", size,
                size > 15 ? rsdp[15] : 0, (const char *)rsdp + 9);
    testk_check(same && sum == 0, "ACPI %s RSDP copy: signature and checksum of 20 bytes",
                extended ? "new" : "old");
    if (!extended)
        return;
    uint32_t length = size >= 24 ? (uint32_t)rsdp[20] | (uint32_t)rsdp[21] << 8 |
                                       (uint32_t)rsdp[22] << 16 | (uint32_t)rsdp[23] << 24
                                 : 0;
    uint8_t ext = 0;
    for (uint32_t i = 0; i < length && i < size; i++)
        ext += rsdp[i];
    testk_check(length >= 36 && length <= size && ext == 0,
                "ACPI new RSDP copy: length %u, extended checksum", length);
}

void testk_check_efi_system_table(uint64_t address)
{
    if (!testk_check(address != 0 && address + 8 <= FOUR_GIB, "EFI system table at 0x%llx",
                     (unsigned long long)address))
        return;
    const volatile uint32_t *p = (const volatile uint32_t *)(uintptr_t)address;
    uint64_t signature = (uint64_t)p[0] | (uint64_t)p[1] << 32;
    testk_check(signature == EFI_SYSTEM_TABLE_SIGNATURE,
                "EFI system table signature \"IBI SYST\" (0x%016llx)",
                (unsigned long long)signature);
}
