/* bootinfo_check and rawmap on host-built boot info blocks (ASan/UBSan). */
#include <stdio.h>
#include <string.h>

#include "boot/bootinfo.h"
#include "boot/loader_log.h"
#include "boot/rawmap.h"
#include "bootinfo_fixture.h"
#include "tap.h"

static char why[200];

static int check(struct fixture *f)
{
    return bootinfo_check(&f->info, UINT64_MAX, why, sizeof(why));
}

/* Expect rejection with a message containing needle. */
static void expect_reject(struct fixture *f, const char *needle, const char *what)
{
    int ok = check(f);
    TAP_CHECK(!ok && strstr(why, needle) != NULL, "rejects %s", what);
    if (ok || !strstr(why, needle))
        tap_diag("  why = \"%s\", wanted \"%s\"", why, needle);
}

static void test_valid(void)
{
    struct fixture f;
    fixture_init(&f);
    TAP_CHECK(check(&f), "a well-formed block (stride 48) is accepted");
    if (why[0])
        tap_diag("  why = %s", why);
    fixture_init_stride(&f, 40);
    TAP_CHECK(check(&f), "stride 40 (sizeof the descriptor) is accepted");
    f.info.cmdline = 0;
    f.info.cmdline_size = 0;
    f.info.range_count = 0;
    f.info.framebuffer.format = PAGODA_PIXEL_NONE;
    TAP_CHECK(check(&f), "no cmdline, no ranges, no framebuffer is accepted");
}

static void test_header_errors(void)
{
    struct fixture f;
    fixture_init(&f);
    f.info.magic ^= 1;
    expect_reject(&f, "magic", "a wrong magic");
    fixture_init(&f);
    f.info.version = PAGODA_BOOT_INFO_VERSION + 1;
    expect_reject(&f, "version 3", "an unknown version");
    fixture_init(&f);
    f.info.size = 100;
    expect_reject(&f, "size 100", "a short size");
    fixture_init(&f);
    f.info.firmware_kind = 7;
    expect_reject(&f, "firmware_kind 7", "an unknown firmware kind");
    fixture_init(&f);
    memset(f.info.firmware_vendor, 'A', sizeof(f.info.firmware_vendor));
    expect_reject(&f, "NUL", "an unterminated vendor");
}

static void test_memory_map_errors(void)
{
    struct fixture f;
    fixture_init(&f);
    f.info.descriptor_size = 32;
    expect_reject(&f, "descriptor_size 32", "descriptor_size below 40");
    fixture_init(&f);
    f.info.descriptor_size = 44;
    expect_reject(&f, "descriptor_size 44", "descriptor_size not a multiple of 8");
    fixture_init(&f);
    f.info.memory_map_size -= 8;
    expect_reject(&f, "not a multiple", "a map size that is not a multiple of the stride");
    fixture_init(&f);
    f.info.memory_map_size = 0;
    expect_reject(&f, "empty", "an empty map");
    fixture_init(&f);
    f.info.memory_map += 4;
    expect_reject(&f, "aligned", "a misaligned map");
    fixture_init(&f);
    f.info.memory_map = 0;
    expect_reject(&f, "null", "a null map");
    fixture_init(&f);
    fixture_add(&f, PAGODA_EFI_CONVENTIONAL, 0xFFFFFFFFFFFFF000ull, 2);
    expect_reject(&f, "past 2^64", "a descriptor that wraps");
    fixture_init(&f);
    fixture_add(&f, PAGODA_EFI_CONVENTIONAL, 0x123, 1);
    expect_reject(&f, "not on a 4 KiB page", "an unaligned descriptor");
    fixture_init(&f);
    TAP_CHECK(!bootinfo_check(&f.info, 1ull << 32, why, sizeof(why)) && strstr(why, "reachable"),
              "a map in host memory above the 4 GiB kernel limit is rejected (%s)", why);
}

static void test_other_errors(void)
{
    struct fixture f;
    fixture_init(&f);
    f.info.cmdline_size = 3;
    expect_reject(&f, "NUL after", "a cmdline longer than cmdline_size says");
    fixture_init(&f);
    f.info.cmdline_size = 20;
    expect_reject(&f, "NUL at byte 9", "a cmdline shorter than cmdline_size says");
    fixture_init(&f);
    f.info.cmdline = 0;
    expect_reject(&f, "null address", "a null cmdline with a size");
    fixture_init(&f);
    f.info.range_count = PAGODA_MAX_RANGES + 1;
    expect_reject(&f, "range_count 33", "too many ranges");
    fixture_init(&f);
    f.info.ranges[0].kind = 99;
    expect_reject(&f, "unknown kind 99", "an unknown range kind");
    fixture_init(&f);
    f.info.ranges[0].size = 0;
    expect_reject(&f, "empty or wraps", "an empty range");
    fixture_init(&f);
    /* Host pointers stay far below this limit, so only the range can break it. */
    f.info.ranges[0].base = UINT64_MAX - 0x1FFF;
    f.info.ranges[0].size = 0x1000;
    TAP_CHECK(!bootinfo_check(&f.info, UINT64_MAX - 0x1800, why, sizeof(why)) &&
                  strstr(why, "ranges: entry 0 (kernel image)") && strstr(why, "not reachable"),
              "a range past the address limit is rejected (%s)", why);
    fixture_init(&f);
    f.info.framebuffer.pitch = 100;
    expect_reject(&f, "pitch 100", "a framebuffer pitch shorter than a line");
    fixture_init(&f);
    f.info.framebuffer.size = 4096;
    expect_reject(&f, "size 4096", "a framebuffer smaller than pitch x height");
    fixture_init(&f);
    f.info.framebuffer.format = 9;
    expect_reject(&f, "format 9", "an unknown pixel format");
    fixture_init(&f);
    f.info.rsdp = (uintptr_t)f.rsdp;
    f.info.rsdp_revision = 1;
    expect_reject(&f, "revision 1", "RSDP revision 1");
}

static void test_rawmap(void)
{
    struct fixture f;
    fixture_init(&f);
    struct rawmap view = rawmap_of(&f.info);
    TAP_CHECK(view.count == 7 && view.stride == 48, "view: 7 descriptors of 48 bytes");
    struct rawmap_totals t;
    rawmap_totals(&view, &t);
    TAP_CHECK(t.usable_pages == 159 + 0x700 + 0x40000, "usable pages include memory above 4 GiB");
    TAP_CHECK(t.reclaimable_pages == 1 + 14, "reclaimable = BS code + loader data pages");
    TAP_CHECK(t.pages[PAGODA_EFI_RESERVED] == 0x10000 && t.entries[PAGODA_EFI_RESERVED] == 1,
              "per-type totals for Reserved");
    TAP_CHECK(t.highest_end == 0x100000000ull + 0x40000000ull, "highest end is 5 GiB");
    uint64_t sum = 0;
    for (int i = 0; i < RAWMAP_TYPE_SLOTS; i++)
        sum += t.pages[i];
    TAP_CHECK(sum == t.total_pages, "per-type pages add up to the total");

    /* 0x1000+159 pages ends at 0xa0000, not 0x100000: not merged. The two added at 5 GiB touch
     * each other and the 1 GiB entry before them: one run of three. */
    fixture_add(&f, PAGODA_EFI_CONVENTIONAL, 0x140000000ull, 16);
    fixture_add(&f, PAGODA_EFI_CONVENTIONAL, 0x140010000ull, 16);
    fixture_add(&f, PAGODA_EFI_CONVENTIONAL, 0x140030000ull, 16); /* gap: new run */
    fixture_add(&f, 77, 0x150000000ull, 1);                       /* unknown type */
    view = rawmap_of(&f.info);
    TAP_CHECK(view.count == 11, "11 descriptors after adding four");
    TAP_CHECK(rawmap_run_count(&view, RAWMAP_JOIN_TYPE) == 9,
              "touching same-type neighbours merge: 9 runs (got %zu)",
              rawmap_run_count(&view, RAWMAP_JOIN_TYPE));
    struct rawmap_run run;
    size_t next = rawmap_next_run(&view, 6, RAWMAP_JOIN_TYPE, &run);
    TAP_CHECK(next == 9 && run.pages == 0x40000 + 32 && run.entries == 3 &&
                  run.start == 0x100000000ull,
              "merged run: 3 entries, 0x40020 pages from 4 GiB");
    next = rawmap_next_run(&view, next, RAWMAP_JOIN_TYPE, &run);
    TAP_CHECK(next == 10 && run.start == 0x140030000ull && run.entries == 1,
              "a gap starts a new run");
    rawmap_totals(&view, &t);
    TAP_CHECK(t.entries[PAGODA_EFI_MEMORY_TYPE_COUNT] == 1,
              "unknown type counted in the 'other' slot");
}

/* Boot-services code and data pieces, interleaved the way firmwares leave them, with a loader
 * pair, a runtime piece and a gap among them. */
static void test_rawmap_join_by_use(void)
{
    struct fixture f;
    fixture_init_stride(&f, FIXTURE_STRIDE);
    f.count = 0;
    fixture_add(&f, PAGODA_EFI_BOOT_SERVICES_CODE, 0x100000, 2);
    fixture_add(&f, PAGODA_EFI_BOOT_SERVICES_DATA, 0x102000, 3);
    fixture_add(&f, PAGODA_EFI_BOOT_SERVICES_CODE, 0x105000, 1);
    fixture_add(&f, PAGODA_EFI_BOOT_SERVICES_DATA, 0x106000, 4);
    fixture_add(&f, PAGODA_EFI_RUNTIME_SERVICES_DATA, 0x10a000, 1); /* another use: a new run */
    fixture_add(&f, PAGODA_EFI_BOOT_SERVICES_DATA, 0x10b000, 1);
    fixture_add(&f, PAGODA_EFI_LOADER_CODE, 0x10c000, 1); /* the loader's pair is its own use */
    fixture_add(&f, PAGODA_EFI_LOADER_DATA, 0x10d000, 2);
    fixture_add(&f, PAGODA_EFI_LOADER_DATA, 0x200000, 1); /* a gap: a new run */
    struct rawmap view = rawmap_of(&f.info);
    TAP_CHECK(rawmap_run_count(&view, RAWMAP_JOIN_TYPE) == 9,
              "by type: every descriptor here is a run of its own (got %zu)",
              rawmap_run_count(&view, RAWMAP_JOIN_TYPE));
    TAP_CHECK(rawmap_run_count(&view, RAWMAP_JOIN_USE) == 5,
              "by use: boot-services code and data join, loader code and data join: 5 runs "
              "(got %zu)",
              rawmap_run_count(&view, RAWMAP_JOIN_USE));
    struct rawmap_run run;
    char name[RAWMAP_TYPE_NAME_SIZE];
    size_t next = rawmap_next_run(&view, 0, RAWMAP_JOIN_USE, &run);
    TAP_CHECK(
        next == 4 && run.mixed && run.entries == 4 && run.pages == 10 && run.start == 0x100000 &&
            strcmp(rawmap_run_type_name(&run, name), "BS_Code+Data") == 0,
        "first run: 4 boot-services pieces, 10 pages, named %s", rawmap_run_type_name(&run, name));
    next = rawmap_next_run(&view, next, RAWMAP_JOIN_USE, &run);
    TAP_CHECK(next == 5 && !run.mixed && strcmp(rawmap_run_type_name(&run, name), "RT_Data") == 0,
              "the runtime piece stays alone, named by its type");
    next = rawmap_next_run(&view, next, RAWMAP_JOIN_USE, &run);
    TAP_CHECK(next == 6 && !run.mixed && strcmp(rawmap_run_type_name(&run, name), "BS_Data") == 0,
              "a lone boot-services piece keeps its own type's name");
    next = rawmap_next_run(&view, next, RAWMAP_JOIN_USE, &run);
    TAP_CHECK(next == 8 && run.mixed && run.pages == 3 &&
                  strcmp(rawmap_run_type_name(&run, name), "LoaderCode+Data") == 0,
              "loader code and data join as %s, apart from the boot services",
              rawmap_run_type_name(&run, name));
    next = rawmap_next_run(&view, next, RAWMAP_JOIN_USE, &run);
    TAP_CHECK(next == 9 && run.start == 0x200000 && !run.mixed, "a gap still starts a new run");

    /* Attributes still must match: a runtime-attributed boot-services piece does not join. */
    f.count = 0;
    fixture_add(&f, PAGODA_EFI_BOOT_SERVICES_CODE, 0x100000, 1);
    fixture_add(&f, PAGODA_EFI_BOOT_SERVICES_DATA, 0x101000, 1);
    ((struct pagoda_efi_memory_descriptor *)(void *)(f.map + FIXTURE_STRIDE))->attribute |=
        PAGODA_EFI_MEMORY_RUNTIME;
    view = rawmap_of(&f.info);
    TAP_CHECK(rawmap_run_count(&view, RAWMAP_JOIN_USE) == 2, "different attributes do not join");

    /* A type the UEFI table has no name for is named by its number. */
    f.count = 0;
    fixture_add(&f, 0x80000001u, 0x100000, 1);
    view = rawmap_of(&f.info);
    rawmap_next_run(&view, 0, RAWMAP_JOIN_USE, &run);
    TAP_CHECK(strcmp(rawmap_run_type_name(&run, name), "0x80000001") == 0,
              "an OEM type is named by its number (%s)", rawmap_run_type_name(&run, name));
}

static void test_overlap_and_cover(void)
{
    struct fixture f;
    fixture_init(&f);
    struct rawmap view = rawmap_of(&f.info);
    size_t a = 99, b = 99;
    TAP_CHECK(!rawmap_find_overlap(&view, RAWMAP_LOADER_USABLE_MASK, &a, &b),
              "no overlap in fixture");
    fixture_add(&f, PAGODA_EFI_BOOT_SERVICES_DATA, 0x101000, 1); /* inside 0x100000.. */
    view = rawmap_of(&f.info);
    TAP_CHECK(rawmap_find_overlap(&view, RAWMAP_LOADER_USABLE_MASK, &a, &b) && a == 2 && b == 7,
              "overlap found regardless of order (entries %zu and %zu)", a, b);
    TAP_CHECK(!rawmap_find_overlap(&view, RAWMAP_TYPE_BIT(PAGODA_EFI_ACPI_NVS), &a, &b),
              "type mask restricts the overlap check");

    fixture_init(&f);
    view = rawmap_of(&f.info);
    uint64_t gap = 0;
    TAP_CHECK(rawmap_covers(&view, 0x100000, 0x12000, RAWMAP_LOADER_USABLE_MASK, &gap),
              "kernel range at 1 MiB is covered");
    TAP_CHECK(rawmap_covers(&view, 0x7FF000, 0x3000, RAWMAP_LOADER_USABLE_MASK, &gap) == 0 &&
                  gap == 0x800000,
              "range running into ACPI NVS is not covered, gap at 0x800000 (0x%llx)",
              (unsigned long long)gap);
    TAP_CHECK(!rawmap_covers(&view, 0xA0000, 0x1000, RAWMAP_LOADER_USABLE_MASK, &gap) &&
                  gap == 0xA0000,
              "hole at 0xA0000 is not covered");
    TAP_CHECK(rawmap_covers(&view, 0x0, 0xA0000, RAWMAP_LOADER_USABLE_MASK, &gap),
              "range spanning two adjacent descriptors is covered");
    TAP_CHECK(rawmap_covers(&view, 0x100000, 0, RAWMAP_LOADER_USABLE_MASK, &gap),
              "an empty range is covered");
    struct pagoda_efi_memory_descriptor wrap = {.physical_start = 0xFFFFFFFFFFFFF000ull,
                                                .number_of_pages = 5};
    TAP_CHECK(rawmap_desc_end(&wrap) == UINT64_MAX, "descriptor end saturates instead of wrapping");
}

/* A loader-log range over a host buffer: 4 pages, header then text. */
static _Alignas(16) unsigned char log_pages[LOADER_LOG_BYTES];
static char log_copy[LOADER_LOG_BYTES];

static struct pagoda_loader_log *log_fixture(struct fixture *f, const char *text)
{
    fixture_init(f);
    memset(log_pages, 0xAA, sizeof(log_pages));
    struct pagoda_loader_log *log = (struct pagoda_loader_log *)log_pages;
    log->magic = PAGODA_LOADER_LOG_MAGIC;
    log->size = (uint32_t)strlen(text);
    log->dropped = 0;
    memcpy(log->text, text, log->size);
    f->info.ranges[f->info.range_count++] = (struct pagoda_range){
        .base = (uintptr_t)log_pages, .size = sizeof(log_pages), .kind = PAGODA_RANGE_LOADER_LOG};
    return log;
}

static void test_loader_log(void)
{
    struct fixture f;
    const char *text = "\nPagoda loader x64 v0.1.0\nloader: a line\n";
    log_fixture(&f, text);
    TAP_CHECK(check(&f), "a loader-log range is a known range kind");
    struct loader_log_view v = loader_log_read(&f.info, log_copy, sizeof(log_copy));
    TAP_CHECK(v.text == log_copy && v.size == strlen(text) && !memcmp(v.text, text, v.size),
              "the loader's log is read whole, as written");
    TAP_CHECK(!strcmp(bootinfo_range_name(PAGODA_RANGE_LOADER_LOG), "loader log"),
              "its range is named \"loader log\"");

    struct pagoda_loader_log *log = log_fixture(&f, text);
    log->dropped = 123;
    v = loader_log_read(&f.info, log_copy, sizeof(log_copy));
    TAP_CHECK(v.text && v.dropped == 123, "the bytes that did not fit are passed on");

    /* The largest text that fits its range, and one byte more. */
    log = log_fixture(&f, "");
    log->size = (uint32_t)(LOADER_LOG_BYTES - sizeof(*log));
    v = loader_log_read(&f.info, log_copy, sizeof(log_copy));
    TAP_CHECK(v.text && v.size == LOADER_LOG_BYTES - sizeof(*log), "a full block is read");
    log->size++;
    v = loader_log_read(&f.info, log_copy, sizeof(log_copy));
    TAP_CHECK(!v.text && strstr(v.why, "runs past"), "a size past the range is refused (%s)",
              v.why ? v.why : "");
    log = log_fixture(&f, text);
    v = loader_log_read(&f.info, log_copy, 8);
    TAP_CHECK(!v.text && strstr(v.why, "runs past"), "a size past the kernel's copy is refused");

    log = log_fixture(&f, text);
    log->magic ^= 1;
    v = loader_log_read(&f.info, log_copy, sizeof(log_copy));
    TAP_CHECK(!v.text && strstr(v.why, "magic"), "a wrong magic is refused (%s)",
              v.why ? v.why : "");
    log_fixture(&f, text);
    f.info.ranges[f.info.range_count - 1].size = 8;
    v = loader_log_read(&f.info, log_copy, sizeof(log_copy));
    TAP_CHECK(!v.text && strstr(v.why, "header"), "a range smaller than the header is refused");
    fixture_init(&f);
    v = loader_log_read(&f.info, log_copy, sizeof(log_copy));
    TAP_CHECK(!v.text && strstr(v.why, "no log"), "no range: no log, said so");
}

int main(void)
{
    test_valid();
    test_header_errors();
    test_memory_map_errors();
    test_other_errors();
    test_rawmap();
    test_rawmap_join_by_use();
    test_overlap_and_cover();
    test_loader_log();
    return tap_done();
}
