/* The comparison's records and shared state (compare_record.h). */
#include "compare_record.h"
#include "pagoda/page.h"

#include <stdarg.h>

#include "../boot/takeover.h"
#include "../console/console.h"
#include "../console/serial.h"
#include "../kernel.h"
#include "fmt.h"

struct compare_frames compare_frames;
bool compare_short;
unsigned compare_failures;
struct compare_summary compare_summary;
static unsigned structural_count, structural_mismatches;
static const char *const mode_names[COMPARE_MODES + 1] = {"2level", "pae", "-"};

const char *compare_mode_name(enum compare_mode mode)
{
    return mode_names[mode];
}

void compare_structural_counts(unsigned *count, unsigned *mismatches)
{
    *count = structural_count;
    *mismatches = structural_mismatches;
}

uint64_t compare_frame(uint32_t page)
{
    return compare_frames.run[page / COMPARE_RUN_FRAMES] +
           (uint64_t)(page % COMPARE_RUN_FRAMES) * PAGODA_PAGE_SIZE;
}

/* ---- records ---- */

void compare_serial(const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    pg_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    serial_write_string(line);
}

void compare_give_up(const char *why)
{
    console_set_color(CONSOLE_BAD);
    kprintf("compare: %s\n", why);
    console_set_color(CONSOLE_NORMAL);
    compare_serial("CMPEND,fail,%u\n", compare_failures + 1);
    kernel_stop(true);
}

void compare_info(const char *key, const char *fmt, ...)
{
    char value[120];
    va_list ap;
    va_start(ap, fmt);
    pg_vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    compare_serial("CMPINFO,%s,%s\n", key, value);
}

void compare_structural(const char *metric, enum compare_mode mode, const char *page, const char *n,
                        uint64_t value, uint64_t expected, const char *unit)
{
    bool ok = value == expected;
    structural_count++;
    if (!ok) {
        structural_mismatches++;
        compare_failures++;
    }
    compare_serial("CMP,%s,%s,%s,%s,structural,%llu,%llu,%s,-,%s,1\n", metric, mode_names[mode],
                   page, n, (unsigned long long)value, (unsigned long long)expected,
                   ok ? "ok" : "MISMATCH", unit);
}

void compare_hundredths(char *buf, size_t size, uint32_t v)
{
    pg_snprintf(buf, size, "%u.%02u", v / 100, v % 100);
}

void compare_timing(const char *metric, enum compare_mode mode, const char *page, uint32_t n,
                    const struct sample_stats *s, const char *unit)
{
    char a[16], b[16], c[16], d[16];
    compare_hundredths(a, sizeof(a), s->min);
    compare_hundredths(b, sizeof(b), s->median);
    compare_hundredths(c, sizeof(c), s->p99);
    compare_hundredths(d, sizeof(d), s->mad);
    compare_serial("CMP,%s,%s,%s,%u,timing,%s,%s,%s,%s,%s,%u\n", metric, mode_names[mode], page, n,
                   a, b, c, d, unit, s->count);
}

/* ---- frames ---- */

bool compare_take_frames(void)
{
    struct frames *f = &takeover_memory_state()->frames;
    compare_frames.runs = 0;
    for (unsigned r = 0; r < COMPARE_FRAME_RUNS; r++) {
        uint64_t base =
            frames_alloc_run(f, COMPARE_RUN_FRAMES, COMPARE_RUN_FRAMES, FRAMES_BELOW_4G);
        if (base == FRAMES_NONE)
            break;
        compare_frames.run[compare_frames.runs++] = base;
    }
    compare_frames.pages = compare_frames.runs * COMPARE_RUN_FRAMES;
    return compare_frames.runs > 0;
}

void compare_give_frames_back(void)
{
    struct frames *f = &takeover_memory_state()->frames;
    for (unsigned r = 0; r < compare_frames.runs; r++)
        frames_free_run(f, compare_frames.run[r], COMPARE_RUN_FRAMES);
}
