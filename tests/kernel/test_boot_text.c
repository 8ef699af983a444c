/* Pure kernel helpers on the host: command line, phase times, sizes, RSDP, exception decoding,
 * pixel packing (ASan/UBSan). */
#include <stdio.h>
#include <string.h>

#include "exc_decode.h"
#include "boot/cmdline.h"
#include "boot/phase.h"
#include "boot/rsdp.h"
#include "boot/units.h"
#include "console/fb_pixel.h"
#include "tap.h"

static void test_cmdline(void)
{
    struct cmdline_options o;
    cmdline_parse(NULL, &o);
    TAP_CHECK(o.mode == KERNEL_MODE_BOOT && o.problem_count == 0, "NULL cmdline: boot mode");
    cmdline_parse("", &o);
    TAP_CHECK(o.mode == KERNEL_MODE_BOOT && o.problem_count == 0, "empty cmdline: boot mode");
    cmdline_parse("mode=test", &o);
    TAP_CHECK(o.mode == KERNEL_MODE_TEST && o.problem_count == 0, "mode=test");
    cmdline_parse("  \tmode=test   mode=boot ", &o);
    TAP_CHECK(o.mode == KERNEL_MODE_BOOT && o.problem_count == 0, "last mode wins, spaces/tabs");
    cmdline_parse("mode=tests", &o);
    TAP_CHECK(o.mode == KERNEL_MODE_BOOT && o.problem_count == 1 &&
                  strstr(o.problems[0], "'mode=tests'"),
              "mode=tests is reported and ignored (%s)", o.problems[0]);
    cmdline_parse("mode= quiet foo=bar mode=test", &o);
    TAP_CHECK(o.mode == KERNEL_MODE_TEST && o.problem_count == 3, "three problems, mode still set");
    TAP_CHECK(strstr(o.problems[1], "unknown word 'quiet'") != NULL, "bare word named (%s)",
              o.problems[1]);
    TAP_CHECK(strstr(o.problems[2], "unknown option 'foo=bar'") != NULL, "unknown key named (%s)",
              o.problems[2]);
    cmdline_parse("a b c d e f mode=test", &o);
    TAP_CHECK(o.problem_count == 6 && o.mode == KERNEL_MODE_TEST,
              "more problems than slots are counted, not stored");
    cmdline_parse("crash=gp mode=test", &o);
    TAP_CHECK(o.crash == KERNEL_CRASH_GP && o.mode == KERNEL_MODE_TEST && o.problem_count == 0,
              "crash=gp parsed");
    TAP_CHECK(strcmp(cmdline_crash_name(o.crash), "gp") == 0, "crash name round-trips");
    cmdline_parse("crash=pf", &o);
    TAP_CHECK(o.crash == KERNEL_CRASH_PF && o.problem_count == 0, "crash=pf parsed");
    cmdline_parse("crash=nmi", &o);
    TAP_CHECK(o.crash == KERNEL_CRASH_NONE && o.problem_count == 1, "crash=nmi is refused (%s)",
              o.problems[0]);
    cmdline_parse("mode=test", &o);
    TAP_CHECK(o.paging == VM_PAGING_AUTO, "paging defaults to auto");
    cmdline_parse("paging=pae mode=test", &o);
    TAP_CHECK(o.paging == VM_PAGING_PAE && o.problem_count == 0, "paging=pae parsed");
    cmdline_parse("paging=2level", &o);
    TAP_CHECK(o.paging == VM_PAGING_2LEVEL && strcmp(cmdline_paging_name(o.paging), "2level") == 0,
              "paging=2level parsed and named");
    cmdline_parse("paging=4level", &o);
    TAP_CHECK(o.paging == VM_PAGING_AUTO && o.problem_count == 1, "paging=4level is refused (%s)",
              o.problems[0]);
    cmdline_parse("mode=test", &o);
    TAP_CHECK(!o.memmap_full, "memmap defaults to grouped");
    cmdline_parse("memmap=full mode=test", &o);
    TAP_CHECK(o.memmap_full && o.problem_count == 0, "memmap=full parsed");
    cmdline_parse("memmap=full memmap=grouped", &o);
    TAP_CHECK(!o.memmap_full && o.problem_count == 0, "the last memmap= wins");
    cmdline_parse("memmap=raw", &o);
    TAP_CHECK(!o.memmap_full && o.problem_count == 1 && strstr(o.problems[0], "memmap=raw"),
              "memmap=raw is refused (%s)", o.problems[0]);
    cmdline_parse("clearcpuid=pae,nx mode=test", &o);
    TAP_CHECK(o.clear_cpuid == (CPU_FEATURE_PAE | CPU_FEATURE_NX) && o.problem_count == 0,
              "clearcpuid=pae,nx parsed (0x%x)", o.clear_cpuid);
    cmdline_parse("clearcpuid=pae,sse", &o);
    TAP_CHECK(o.clear_cpuid == 0 && o.problem_count == 1,
              "clearcpuid with an unknown name is refused");
    cmdline_parse("clearcpuid=", &o);
    TAP_CHECK(o.clear_cpuid == 0 && o.problem_count == 1, "empty clearcpuid is refused");
    char longtok[300];
    memset(longtok, 'x', sizeof(longtok) - 1);
    longtok[sizeof(longtok) - 1] = '\0';
    cmdline_parse(longtok, &o);
    TAP_CHECK(o.problem_count == 1 && strlen(o.problems[0]) < CMDLINE_PROBLEM_LEN,
              "a long token is truncated in the message");
}

static void test_phase(void)
{
    TAP_CHECK(phase_tenths_of_ms(2600000000ull, 2600000000ull) == 10000, "1 s = 1000.0 ms");
    TAP_CHECK(phase_tenths_of_ms(260000, 2600000000ull) == 1, "0.1 ms");
    TAP_CHECK(phase_tenths_of_ms(129999, 2600000000ull) == 0 &&
                  phase_tenths_of_ms(130000, 2600000000ull) == 1,
              "rounds to nearest tenth");
    TAP_CHECK(phase_tenths_of_ms(12345, 0) == 0, "unknown rate gives 0");
    TAP_CHECK(phase_tenths_of_ms(1ull << 60, 1000000000ull) == ((1ull << 60) / 100000),
              "large deltas do not overflow");
    TAP_CHECK(strcmp(phase_name(PAGODA_PHASE_EXIT_BOOT_SERVICES), "exit_boot_services") == 0 &&
                  strcmp(phase_name(PAGODA_PHASE_COUNT), "?") == 0,
              "phase names");
    uint64_t tsc[PAGODA_PHASE_COUNT] = {10, 20, 0, 30, 30, 40, 50, 60};
    unsigned bad = 99;
    TAP_CHECK(phase_stamps_monotonic(tsc, &bad), "equal and missing stamps are allowed");
    tsc[5] = 25;
    TAP_CHECK(!phase_stamps_monotonic(tsc, &bad) && bad == 5, "a stamp going back is caught (%u)",
              bad);
}

static void test_units(void)
{
    char buf[32];
    TAP_CHECK(strcmp(units_format_size(0, buf, sizeof(buf)), "0 B") == 0, "0 B");
    TAP_CHECK(strcmp(units_format_size(1023, buf, sizeof(buf)), "1023 B") == 0, "1023 B");
    TAP_CHECK(strcmp(units_format_size(4096, buf, sizeof(buf)), "4 KiB") == 0, "4 KiB");
    TAP_CHECK(strcmp(units_format_size(1536 * 1024, buf, sizeof(buf)), "1.5 MiB") == 0,
              "1.5 MiB (%s)", buf);
    TAP_CHECK(strcmp(units_format_size(4096ull << 20, buf, sizeof(buf)), "4.0 GiB") == 0,
              "4.0 GiB (%s)", buf);
    TAP_CHECK(strcmp(units_format_size(UINT64_MAX, buf, sizeof(buf)), "15.9 EiB") == 0,
              "UINT64_MAX (%s)", buf);
    TAP_CHECK(strcmp(units_format_size(70000, buf, sizeof(buf)), "68.3 KiB") == 0, "68.3 KiB (%s)",
              buf);
}

static void rsdp_fix_checksums(unsigned char *r)
{
    unsigned char sum = 0;
    r[8] = 0;
    for (int i = 0; i < 20; i++)
        sum += r[i];
    r[8] = (unsigned char)-sum;
    r[32] = 0;
    sum = 0;
    for (int i = 0; i < 36; i++)
        sum += r[i];
    r[32] = (unsigned char)-sum;
}

static void test_rsdp(void)
{
    unsigned char r[36] = "RSD PTR ";
    memcpy(r + 9, "BOCHS ", 6);
    r[15] = 2;
    r[20] = 36;
    rsdp_fix_checksums(r);
    struct rsdp_result res = rsdp_check(r, sizeof(r));
    TAP_CHECK(rsdp_valid(&res) && res.revision == 2 && res.length == 36 &&
                  strcmp(res.oem_id, "BOCHS ") == 0,
              "a good ACPI 2.0 RSDP passes");
    r[25] ^= 0x40; /* XSDT address byte: only the extended checksum covers it */
    res = rsdp_check(r, sizeof(r));
    TAP_CHECK(res.checksum_ok && !res.extended_checksum_ok && !rsdp_valid(&res),
              "extended checksum catches a change past byte 20");
    r[25] ^= 0x40;
    r[3] ^= 1;
    res = rsdp_check(r, sizeof(r));
    TAP_CHECK(!res.signature_ok && !res.checksum_ok, "signature and checksum both fail");
    r[3] ^= 1;
    r[15] = 0;
    rsdp_fix_checksums(r);
    r[32] ^= 0xFF; /* revision 0: extended part is ignored */
    res = rsdp_check(r, 20);
    TAP_CHECK(rsdp_valid(&res) && res.length == 20, "ACPI 1.0 RSDP with 20 bytes available");
    res = rsdp_check(r, 19);
    TAP_CHECK(!rsdp_valid(&res), "fewer than 20 bytes is invalid");
    r[15] = 2;
    r[20] = 200;
    rsdp_fix_checksums(r);
    res = rsdp_check(r, sizeof(r));
    TAP_CHECK(!res.extended_checksum_ok, "a length past the available bytes is not trusted");
}

static void test_exc_decode(void)
{
    char buf[160];
    TAP_CHECK(strcmp(exc_mnemonic(13), "#GP") == 0 &&
                  strcmp(exc_name(13), "General Protection") == 0,
              "vector 13 is #GP General Protection");
    TAP_CHECK(strcmp(exc_mnemonic(14), "#PF") == 0 && strcmp(exc_mnemonic(40), "INT") == 0,
              "#PF and a non-exception vector");
    TAP_CHECK(exc_has_error_code(8) && exc_has_error_code(14) && exc_has_error_code(17) &&
                  !exc_has_error_code(6) && !exc_has_error_code(3) && !exc_has_error_code(16),
              "which vectors push an error code");
    exc_decode_error(13, (0x21u << 3) | SEL_ERR_IDT, buf, sizeof(buf));
    TAP_CHECK(strstr(buf, "idt=1") && strstr(buf, "index=33") &&
                  strstr(buf, "IDT vector 0x21 (33)"),
              "#GP with IDT bit names the vector (%s)", buf);
    exc_decode_error(11, 0x18u | SEL_ERR_TI | SEL_ERR_EXT, buf, sizeof(buf));
    TAP_CHECK(strstr(buf, "ext=1") && strstr(buf, "ti=1") && strstr(buf, "LDT selector 0x18") &&
                  strstr(buf, "external"),
              "#NP LDT selector, external (%s)", buf);
    exc_decode_error(13, 0, buf, sizeof(buf));
    TAP_CHECK(strstr(buf, "no selector") != NULL, "#GP(0) (%s)", buf);
    exc_decode_error(14, PF_ERR_WRITE | PF_ERR_USER, buf, sizeof(buf));
    TAP_CHECK(strstr(buf, "page not present") && strstr(buf, "write") && strstr(buf, "user"),
              "#PF not-present user write (%s)", buf);
    exc_decode_error(14, PF_ERR_PRESENT | PF_ERR_FETCH | PF_ERR_RESERVED, buf, sizeof(buf));
    TAP_CHECK(strstr(buf, "protection violation") && strstr(buf, "instruction fetch") &&
                  strstr(buf, "reserved bit") && strstr(buf, "supervisor") && strstr(buf, "read"),
              "#PF present fetch reserved (%s)", buf);
    exc_decode_error(6, 0, buf, sizeof(buf));
    TAP_CHECK(strstr(buf, "none") != NULL, "#UD has no error code (%s)", buf);
    exc_decode_error(14, 0xFFFFFFFFu, buf, 8);
    TAP_CHECK(strlen(buf) == 7, "decoding respects the buffer size");
}

static void test_fb_pixel(void)
{
    struct pagoda_framebuffer fb = {.format = PAGODA_PIXEL_BGRX, .bits_per_pixel = 32};
    struct fb_pixel_layout l;
    TAP_CHECK(fb_pixel_layout_from(&fb, &l) &&
                  fb_pixel_pack(&l, FB_RGB(0x12, 0x34, 0x56)) == 0x123456,
              "BGRX: red in byte 2");
    fb.format = PAGODA_PIXEL_RGBX;
    TAP_CHECK(fb_pixel_layout_from(&fb, &l) &&
                  fb_pixel_pack(&l, FB_RGB(0x12, 0x34, 0x56)) == 0x563412,
              "RGBX: red in byte 0");
    fb.format = PAGODA_PIXEL_BITMASK;
    fb.red_mask = 0xF800, fb.green_mask = 0x07E0, fb.blue_mask = 0x001F;
    TAP_CHECK(
        fb_pixel_layout_from(&fb, &l) && fb_pixel_pack(&l, FB_RGB(0xFF, 0xFF, 0xFF)) == 0xFFFF &&
            fb_pixel_pack(&l, FB_RGB(0x80, 0x40, 0x08)) == ((0x10u << 11) | (0x10u << 5) | 0x01u),
        "bitmask RGB565 scales channels");
    fb.red_mask = 0x3FF00000, fb.green_mask = 0x000FFC00, fb.blue_mask = 0x000003FF;
    TAP_CHECK(fb_pixel_layout_from(&fb, &l) &&
                  fb_pixel_pack(&l, FB_RGB(0xFF, 0, 0)) == (0x3FCu << 20),
              "bitmask 10-bit channels widen");
    fb.red_mask = 0x0F0F;
    TAP_CHECK(!fb_pixel_layout_from(&fb, &l), "non-contiguous mask is refused");
    fb.red_mask = 0x000FFC00;
    TAP_CHECK(!fb_pixel_layout_from(&fb, &l), "overlapping masks are refused");
    fb.format = PAGODA_PIXEL_NONE;
    TAP_CHECK(!fb_pixel_layout_from(&fb, &l), "no framebuffer: no layout");
}

static void test_fb_check(void)
{
    struct pagoda_framebuffer fb = {.base = 0xC0000000u,
                                    .size = 1280u * 800u * 4u,
                                    .width = 1280,
                                    .height = 800,
                                    .pitch = 5120,
                                    .format = PAGODA_PIXEL_BGRX,
                                    .bits_per_pixel = 32};
    TAP_CHECK(fb_check(&fb) == FB_READY, "OVMF's 1280x800 BGRX at 0xC0000000 is drawable");
    fb.base = 0x800000000ull;
    TAP_CHECK(fb_check(&fb) == FB_ABOVE_4G, "a framebuffer at 32 GiB is not reachable");
    fb.base = 0x100000000ull - 5120u * 799u;
    TAP_CHECK(fb_check(&fb) == FB_ABOVE_4G, "one that crosses 4 GiB is not reachable either");
    fb.base = 0xC0000000u;
    fb.bits_per_pixel = 24;
    TAP_CHECK(fb_check(&fb) == FB_UNSUPPORTED, "24 bpp is not drawn");
    fb.bits_per_pixel = 32;
    fb.pitch = 4000;
    TAP_CHECK(fb_check(&fb) == FB_BAD_GEOMETRY, "pitch shorter than width*4 is refused");
    fb.pitch = 5120;
    fb.format = PAGODA_PIXEL_NONE;
    TAP_CHECK(fb_check(&fb) == FB_ABSENT, "format NONE is absent");
}

int main(void)
{
    test_cmdline();
    test_phase();
    test_units();
    test_rsdp();
    test_exc_decode();
    test_fb_pixel();
    test_fb_check();
    return tap_done();
}
