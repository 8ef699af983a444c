/*
 * The Multiboot 2 test kernel: walks every tag of the information (specification 2.0, section
 * 3.6), prints its fields and checks them, then checks the tags against each other: the memory
 * map against the basic memory information and against the EFI memory map it was made from.
 */
#include "testk.h"

#define MB2_MAGIC      0x36D76289u
#define STRING_MAX     4096u
#define WANTED_WIDTH   1024u /* entry.S asks for 1024x768x32 */
#define WANTED_HEIGHT  768u
#define TAG_TYPE_LIMIT 32u
#define EFI_MAP_MAX    (64u * 1024u)

/* UEFI memory types that are usable once boot services are gone (the loader's rules). */
#define EFI_LOADER_CODE  1u
#define EFI_LOADER_DATA  2u
#define EFI_BS_CODE      3u
#define EFI_BS_DATA      4u
#define EFI_CONVENTIONAL 7u
#define EFI_UNUSABLE     8u
#define EFI_ACPI_RECLAIM 9u
#define EFI_ACPI_NVS     10u

static struct testk_info testk;
static unsigned seen[TAG_TYPE_LIMIT];
static uint32_t efi_map_at, efi_map_size, efi_descriptor_size;
static uint64_t system_table, image_handle;
static uint32_t load_base;
static int have_load_base;

static const char *tag_name(uint32_t type)
{
    switch (type) {
    case 0:
        return "end";
    case 1:
        return "command line";
    case 2:
        return "boot loader name";
    case 3:
        return "module";
    case 4:
        return "basic memory information";
    case 6:
        return "memory map";
    case 8:
        return "framebuffer";
    case 11:
        return "EFI 32-bit system table";
    case 12:
        return "EFI 64-bit system table";
    case 14:
        return "ACPI old RSDP";
    case 15:
        return "ACPI new RSDP";
    case 17:
        return "EFI memory map";
    case 19:
        return "EFI 32-bit image handle";
    case 20:
        return "EFI 64-bit image handle";
    case 21:
        return "image load base";
    default:
        return "unexpected";
    }
}

static void tag_string(uint32_t type, uint32_t at, uint32_t size)
{
    const char *s = (const char *)(uintptr_t)(at + 8);
    int ok = size > 8 && testk_string_ok(s, size - 8) && s[size - 9] == '\0';
    testk_print("mb2:   \"%s\"\n", ok ? s : "(unterminated)");
    testk_check(ok, "tag %u: string fills the tag and ends in NUL", type);
}

static void tag_module(uint32_t at, uint32_t size)
{
    uint32_t start = testk_u32(at + 8), end = testk_u32(at + 12);
    const char *s = (const char *)(uintptr_t)(at + 16);
    int ok = size > 16 && testk_string_ok(s, size - 16);
    testk_print("mb2:   module [0x%08x-0x%08x) %u bytes, fnv1a 0x%08x, string \"%s\"\n", start, end,
                end - start, testk_fnv1a((const uint8_t *)(uintptr_t)start, end - start),
                ok ? s : "(unterminated)");
    testk_check(ok && end >= start, "module tag: range and string");
    if (testk.module_count < 16) {
        testk.module_start[testk.module_count] = start;
        testk.module_end[testk.module_count++] = end;
    }
}

static void tag_mmap(uint32_t at, uint32_t size)
{
    uint32_t entry_size = testk_u32(at + 8), version = testk_u32(at + 12);
    testk_print("mb2:   entry_size %u entry_version %u\n", entry_size, version);
    testk_check(entry_size == 24 && version == 0 && (size - 16) % 24 == 0,
                "memory map: 24-byte entries, version 0");
    if (entry_size < 24)
        return;
    testk.have_map = 1;
    for (uint32_t e = at + 16; e + entry_size <= at + size && testk.map_count < TESTK_MAX_RANGES;
         e += entry_size) {
        struct testk_range *r = &testk.map[testk.map_count++];
        r->base = testk_u64(e);
        r->length = testk_u64(e + 8);
        r->type = testk_u32(e + 16);
        testk_print("mb2:   mmap %u: base 0x%012llx length 0x%012llx type %u reserved %u\n",
                    testk.map_count - 1, (unsigned long long)r->base, (unsigned long long)r->length,
                    r->type, testk_u32(e + 20));
    }
}

static void tag_framebuffer(uint32_t at, uint32_t size)
{
    testk.have_framebuffer = 1;
    testk.fb_addr = testk_u64(at + 8);
    testk.fb_pitch = testk_u32(at + 16);
    testk.fb_width = testk_u32(at + 20);
    testk.fb_height = testk_u32(at + 24);
    testk.fb_bpp = testk_u8(at + 28);
    testk.fb_type = testk_u8(at + 29);
    testk.red_pos = testk_u8(at + 32), testk.red_size = testk_u8(at + 33);
    testk.green_pos = testk_u8(at + 34), testk.green_size = testk_u8(at + 35);
    testk.blue_pos = testk_u8(at + 36), testk.blue_size = testk_u8(at + 37);
    testk_print("mb2:   0x%llx pitch %u %ux%u bpp %u type %u red %u/%u green %u/%u blue %u/%u\n",
                (unsigned long long)testk.fb_addr, testk.fb_pitch, testk.fb_width, testk.fb_height,
                testk.fb_bpp, testk.fb_type, testk.red_pos, testk.red_size, testk.green_pos,
                testk.green_size, testk.blue_pos, testk.blue_size);
    testk_check(size >= 38, "framebuffer tag holds the RGB field positions (size %u)", size);
    testk_check(testk.fb_width == WANTED_WIDTH && testk.fb_height == WANTED_HEIGHT,
                "framebuffer has the %ux%u the framebuffer tag asks for", WANTED_WIDTH,
                WANTED_HEIGHT);
}

static void tag_fields(uint32_t type, uint32_t at, uint32_t size)
{
    switch (type) {
    case 1:
    case 2:
        tag_string(type, at, size);
        break;
    case 3:
        tag_module(at, size);
        break;
    case 4:
        testk.mem_lower = testk_u32(at + 8);
        testk.mem_upper = testk_u32(at + 12);
        testk.have_memory = 1;
        testk_print("mb2:   mem_lower %u KiB mem_upper %u KiB\n", testk.mem_lower, testk.mem_upper);
        break;
    case 6:
        tag_mmap(at, size);
        break;
    case 8:
        tag_framebuffer(at, size);
        break;
    case 11:
    case 19:
        if (type == 11)
            system_table = testk_u32(at + 8);
        else
            image_handle = testk_u32(at + 8);
        testk_print("mb2:   0x%08x\n", testk_u32(at + 8));
        break;
    case 12:
    case 20:
        if (type == 12)
            system_table = testk_u64(at + 8);
        else
            image_handle = testk_u64(at + 8);
        testk_print("mb2:   0x%016llx\n", (unsigned long long)testk_u64(at + 8));
        break;
    case 14:
    case 15:
        testk_check_rsdp((const uint8_t *)(uintptr_t)(at + 8), size - 8, type == 15);
        break;
    case 17:
        efi_descriptor_size = testk_u32(at + 8);
        efi_map_at = at + 16;
        efi_map_size = size - 16;
        testk_print("mb2:   descriptor_size %u descriptor_version %u, %u descriptors\n",
                    efi_descriptor_size, testk_u32(at + 12),
                    efi_descriptor_size ? efi_map_size / efi_descriptor_size : 0);
        break;
    case 21:
        load_base = testk_u32(at + 8);
        have_load_base = 1;
        testk_print("mb2:   load_base_addr 0x%08x\n", load_base);
        break;
    default:
        break;
    }
}

static uint32_t expected_type(uint32_t efi_type)
{
    switch (efi_type) {
    case EFI_LOADER_CODE:
    case EFI_LOADER_DATA:
    case EFI_BS_CODE:
    case EFI_BS_DATA:
    case EFI_CONVENTIONAL:
        return 1;
    case EFI_ACPI_RECLAIM:
        return 3;
    case EFI_ACPI_NVS:
        return 4;
    case EFI_UNUSABLE:
        return 5;
    default:
        return 2;
    }
}

static uint32_t map_type_at(uint64_t address)
{
    for (unsigned i = 0; i < testk.map_count; i++)
        if (testk.map[i].base <= address && address < testk.map[i].base + testk.map[i].length)
            return testk.map[i].type;
    return 0;
}

/* Every EFI descriptor appears in the memory map with the type the loader's rules give it. */
static void check_against_efi_map(void)
{
    if (!testk_check(efi_descriptor_size >= 40 && efi_map_size % efi_descriptor_size == 0 &&
                         efi_map_size <= EFI_MAP_MAX,
                     "EFI memory map: whole descriptors of at least 40 bytes"))
        return;
    unsigned count = efi_map_size / efi_descriptor_size, wrong = 0;
    uint64_t efi_available = 0, mb_available = 0;
    for (unsigned i = 0; i < count; i++) {
        uint32_t d = efi_map_at + i * efi_descriptor_size;
        uint32_t type = expected_type(testk_u32(d));
        uint64_t start = testk_u64(d + 8), pages = testk_u64(d + 24);
        if (pages == 0)
            continue;
        uint64_t end = start + pages * TESTK_PAGE;
        if (type == 1)
            efi_available += end - start;
        if (map_type_at(start) != type || map_type_at(end - 1) != type)
            wrong++;
    }
    for (unsigned i = 0; i < testk.map_count; i++)
        if (testk.map[i].type == 1)
            mb_available += testk.map[i].length;
    testk_check(wrong == 0,
                "every one of %u EFI descriptors has the memory map type its EFI type "
                "gives (%u differ)",
                count, wrong);
    testk_check(efi_available == mb_available,
                "available bytes: %llu in the memory map, %llu in the EFI map",
                (unsigned long long)mb_available, (unsigned long long)efi_available);
}

static void check_tags_present(void)
{
    static const uint8_t required[] = {1, 2, 4, 6, 8, 17};
    for (unsigned i = 0; i < sizeof(required); i++)
        testk_check(seen[required[i]] == 1, "tag %u (%s) given exactly once", required[i],
                    tag_name(required[i]));
    testk_check(seen[11] + seen[12] == 1 && seen[19] + seen[20] == 1 && seen[11] == seen[19],
                "one EFI system table and one image handle, of the same width");
    testk_check(seen[18] == 0, "no 'boot services not terminated' tag");
    testk_check(seen[14] + seen[15] >= 1, "an ACPI RSDP is given");
    testk_check(image_handle != 0, "EFI image handle 0x%llx is not null",
                (unsigned long long)image_handle);
    testk_check_efi_system_table(system_table);
}

static void check_load_base(uint32_t delta_from_load_base)
{
#if TESTK_ADDRESS_FIELDS
    (void)delta_from_load_base;
    testk_check(!have_load_base && testk_delta() == 0,
                "not relocatable: no load base tag, runs where linked");
#else
    uint32_t start = (uint32_t)(uintptr_t)__image_start;
    testk_check(have_load_base && load_base == start,
                "load base 0x%08x is where the image runs (0x%08x)", load_base, start);
    testk_check(testk_delta() == delta_from_load_base && testk_delta() != 0,
                "relocated by 0x%08x, as the load base says", testk_delta());
    testk_check(load_base >= 0x01000000u &&
                    (uint64_t)load_base + (uint32_t)(__bss_end - __image_start) <= 0x40000000ull &&
                    load_base % TESTK_PAGE == 0,
                "load base inside the relocatable tag's [16 MiB, 1 GiB], page-aligned");
#endif
}

void testk_run(uint32_t magic, uint32_t info, uint32_t delta_from_load_base)
{
    testk_check(magic == MB2_MAGIC, "EAX holds the Multiboot 2 magic 0x36D76289 (got 0x%08x)",
                magic);
    testk_check(info % 8 == 0 && info != 0, "EBX holds the information, 8-byte aligned");
    uint32_t total = testk_u32(info), at = info + 8, end = info + total;
    testk.info_start = info;
    testk.info_end = end;
    testk_print("mb2: total_size %u reserved %u\n", total, testk_u32(info + 4));
    int ended = 0, aligned = 1;
    while (at + 8 <= end) {
        uint32_t type = testk_u32(at), size = testk_u32(at + 4);
        testk_print("mb2: tag %u (%s) size %u\n", type, tag_name(type), size);
        if (type < TAG_TYPE_LIMIT && type != 3)
            seen[type]++;
        if (type == 0) {
            ended = size == 8 && at + 8 == end;
            break;
        }
        if (size < 8 || at + size > end)
            break;
        tag_fields(type, at, size);
        at += (size + 7) & ~7u;
        aligned &= at % 8 == 0;
    }
    testk_check(ended && aligned, "tags 8-aligned, the end tag last, total_size exact");
    check_tags_present();
    check_load_base(delta_from_load_base);
    testk_check_memory(&testk, "mb2");
    check_against_efi_map();
    testk_check_modules(&testk, 1);
    testk_check_framebuffer(&testk);
}
