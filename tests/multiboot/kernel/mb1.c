/*
 * The Multiboot 1 test kernel: prints every field of the information (specification 0.6.96,
 * section 3.3) and checks it. Offsets are written out here from the specification.
 */
#include "testk.h"

#define MB1_MAGIC      0x2BADB002u
#define FLAG_MEMORY    (1u << 0)
#define FLAG_CMDLINE   (1u << 2)
#define FLAG_MODULES   (1u << 3)
#define FLAG_MMAP      (1u << 6)
#define FLAG_NAME      (1u << 9)
#define FLAG_FB        (1u << 12)
#define FLAGS_EXPECTED (FLAG_MEMORY | FLAG_CMDLINE | FLAG_MODULES | FLAG_MMAP | FLAG_NAME)
#define STRING_MAX     4096u
#define WANTED_WIDTH   800u /* entry.S asks for 800x600x32 */
#define WANTED_HEIGHT  600u

static struct testk_info testk;

static const char *text(uint32_t address)
{
    return (const char *)(uintptr_t)address;
}

static void walk_mmap(uint32_t info)
{
    uint32_t length = testk_u32(info + 44), at = testk_u32(info + 48);
    testk_print("mb1: mmap_length %u, mmap_addr 0x%08x\n", length, at);
    testk.have_map = 1;
    for (uint32_t end = at + length; at < end && testk.map_count < TESTK_MAX_RANGES;) {
        uint32_t size = testk_u32(at);
        struct testk_range *r = &testk.map[testk.map_count++];
        r->base = testk_u64(at + 4);
        r->length = testk_u64(at + 12);
        r->type = testk_u32(at + 20);
        testk_print("mb1: mmap %u: size %u base 0x%012llx length 0x%012llx type %u\n",
                    testk.map_count - 1, size, (unsigned long long)r->base,
                    (unsigned long long)r->length, r->type);
        if (!testk_check(size >= 20, "mmap entry %u: size field %u covers the 20-byte entry",
                         testk.map_count - 1, size))
            break;
        at += size + 4;
    }
}

static void walk_modules(uint32_t info)
{
    uint32_t count = testk_u32(info + 20), at = testk_u32(info + 24);
    testk_print("mb1: mods_count %u, mods_addr 0x%08x\n", count, at);
    for (uint32_t i = 0; i < count && i < 16; i++, at += 16) {
        uint32_t start = testk_u32(at), end = testk_u32(at + 4), string = testk_u32(at + 8);
        int string_ok = testk_string_ok(text(string), STRING_MAX);
        testk_print("mb1: module %u: [0x%08x-0x%08x) %u bytes, fnv1a 0x%08x, string \"%s\"\n", i,
                    start, end, end - start,
                    testk_fnv1a((const uint8_t *)(uintptr_t)start, end - start),
                    string_ok ? text(string) : "(unterminated)");
        testk_check(string_ok && testk_u32(at + 12) == 0,
                    "module %u: string terminated, reserved 0", i);
        testk.module_start[testk.module_count] = start;
        testk.module_end[testk.module_count++] = end;
    }
}

static void walk_framebuffer(uint32_t info)
{
    testk.have_framebuffer = 1;
    testk.fb_addr = testk_u64(info + 88);
    testk.fb_pitch = testk_u32(info + 96);
    testk.fb_width = testk_u32(info + 100);
    testk.fb_height = testk_u32(info + 104);
    testk.fb_bpp = testk_u8(info + 108);
    testk.fb_type = testk_u8(info + 109);
    testk.red_pos = testk_u8(info + 110), testk.red_size = testk_u8(info + 111);
    testk.green_pos = testk_u8(info + 112), testk.green_size = testk_u8(info + 113);
    testk.blue_pos = testk_u8(info + 114), testk.blue_size = testk_u8(info + 115);
    testk_print("mb1: framebuffer 0x%llx pitch %u %ux%u bpp %u type %u red %u/%u green %u/%u "
                "blue %u/%u\n",
                (unsigned long long)testk.fb_addr, testk.fb_pitch, testk.fb_width, testk.fb_height,
                testk.fb_bpp, testk.fb_type, testk.red_pos, testk.red_size, testk.green_pos,
                testk.green_size, testk.blue_pos, testk.blue_size);
    testk_check(testk.fb_width == WANTED_WIDTH && testk.fb_height == WANTED_HEIGHT,
                "framebuffer has the %ux%u the video fields ask for", WANTED_WIDTH, WANTED_HEIGHT);
}

void testk_run(uint32_t magic, uint32_t info, uint32_t delta_from_load_base)
{
    (void)delta_from_load_base;
    testk_check(magic == MB1_MAGIC, "EAX holds the Multiboot 1 magic 0x2BADB002 (got 0x%08x)",
                magic);
    testk_check(info % 4 == 0 && info != 0, "EBX holds the information, 4-byte aligned");
    testk_check(testk_delta() == 0, "runs where it was linked");
    uint32_t flags = testk_u32(info);
    testk.info_start = info;
    testk.info_end = info + 116;
    testk_print("mb1: flags 0x%08x\n", flags);
    testk_check((flags & FLAGS_EXPECTED) == FLAGS_EXPECTED &&
                    (flags & ~(FLAGS_EXPECTED | FLAG_FB)) == 0,
                "flags: memory, cmdline, modules, mmap, loader name (and framebuffer), nothing "
                "else");
    if (flags & FLAG_MEMORY) {
        testk.mem_lower = testk_u32(info + 4);
        testk.mem_upper = testk_u32(info + 8);
        testk.have_memory = 1;
        testk_print("mb1: mem_lower %u KiB, mem_upper %u KiB\n", testk.mem_lower, testk.mem_upper);
    }
    if (flags & FLAG_CMDLINE)
        testk_print("mb1: cmdline \"%s\"\n", text(testk_u32(info + 16)));
    if (flags & FLAG_NAME)
        testk_print("mb1: boot_loader_name \"%s\"\n", text(testk_u32(info + 64)));
    if (flags & FLAG_MODULES)
        walk_modules(info);
    if (flags & FLAG_MMAP)
        walk_mmap(info);
    if (flags & FLAG_FB)
        walk_framebuffer(info);
    testk_check_memory(&testk, "mb1");
    testk_check_modules(&testk, 1);
    testk_check_framebuffer(&testk);
}
