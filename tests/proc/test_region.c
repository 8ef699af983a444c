/*
 * A process's regions (kernel/proc/region.c) under ASan/UBSan: the pointer check every system
 * call relies on, at every boundary of a process laid out the way proc/uvm.c lays it out, and the
 * rules of the list itself (insert, remove, find).
 *
 * The layout (user/user.ld places the three segments on adjacent pages from
 * PAGODA_USER_IMAGE_START; the heap starts at the image's end):
 *
 *   0x00000000 - 0x003FFFFF  nothing (never mapped)
 *   0x00400000 - 0x00402FFF  code    R-X
 *   0x00403000 - 0x00403FFF  rodata  R--
 *   0x00404000 - 0x00405FFF  data    RW-
 *   0x00406000 - 0x00409FFF  heap    RW-  (break 0x00409800: whole pages up to page_up(break))
 *   0x0040A000 - 0xBFEEFFFF  nothing (the hole the break may grow into)
 *   0xBFEF0000 - 0xBFEFFFFF  guard   ---
 *   0xBFF00000 - 0xBFFFFFFF  stack   RW-
 *   0xC0000000 -             the kernel half
 */
#include <stdio.h>
#include <string.h>

#include "pagoda/page.h"
#include "pagoda/user_layout.h"
#include "region.h"
#include "tap.h"

#define R PAGODA_PROT_READ
#define W PAGODA_PROT_WRITE
#define X PAGODA_PROT_EXEC

#define CODE_START   PAGODA_USER_IMAGE_START
#define RODATA_START 0x00403000u
#define DATA_START   0x00404000u
#define IMAGE_END    0x00406000u /* the heap's start: the first break */
#define BREAK        0x00409800u
#define HEAP_END     0x0040A000u /* page_up(BREAK) */

#define ALLOWED 0
#define REFUSED (-PAGODA_EFAULT)

/* An ELF segment as the program header gives it: the region covers its pages. */
struct segment {
    uint32_t vaddr, mem_size, flags;
};

static const struct segment program_segments[] = {
    {CODE_START, 0x2a40, R | X},
    {RODATA_START, 0x0310, R},
    {DATA_START, 0x1e20, R | W}, /* data and bss */
};

static int insert(struct region_list *list, uint32_t start, uint32_t end, uint32_t kind,
                  uint32_t prot)
{
    struct region r = {.start = start, .end = end, .kind = kind, .prot = prot};
    return region_insert(list, &r);
}

/* As uvm_create: guard and stack first, then the segments, then the heap while it is non-empty. */
static int build_process(struct region_list *list, const struct segment *segs, unsigned count,
                         uint32_t heap_start, uint32_t brk)
{
    *list = (struct region_list){0};
    int ok = insert(list, PAGODA_USER_GUARD_START, PAGODA_USER_STACK_LIMIT, PAGODA_REGION_GUARD, 0);
    ok &= insert(list, PAGODA_USER_STACK_LIMIT, PAGODA_USER_STACK_TOP, PAGODA_REGION_STACK, R | W);
    for (unsigned i = 0; i < count; i++) {
        uint32_t kind = segs[i].flags & X   ? PAGODA_REGION_CODE
                        : segs[i].flags & W ? PAGODA_REGION_DATA
                                            : PAGODA_REGION_RODATA;
        ok &= insert(list, (uint32_t)pagoda_page_down(segs[i].vaddr),
                     (uint32_t)pagoda_page_up((uint64_t)segs[i].vaddr + segs[i].mem_size), kind,
                     segs[i].flags);
    }
    if (brk > heap_start)
        ok &= insert(list, heap_start, (uint32_t)pagoda_page_up(brk), PAGODA_REGION_HEAP, R | W);
    return ok;
}

static const char *want_name(uint32_t want)
{
    static const char *names[8] = {"---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx"};
    return names[want & 7];
}

static void expect(const struct region_list *list, uint32_t va, uint32_t len, uint32_t want,
                   int expected, const char *why)
{
    int got = region_check_access(list, va, len, want);
    if (!tap_ok(got == expected, "%s: [0x%08x, +0x%x) %s %s", why, va, len, want_name(want),
                expected == ALLOWED ? "allowed" : "refused"))
        tap_diag("  region_check_access returned %d, expected %d", got, expected);
}

/* ---- region_check_access ---- */

static void test_first_4_mib(const struct region_list *p)
{
    expect(p, 0, 1, R, REFUSED, "NULL");
    expect(p, 0, 4, W, REFUSED, "a word at NULL");
    expect(p, 0x10, 4, R, REFUSED, "a small offset from NULL");
    expect(p, 0x1000, 1, R, REFUSED, "page 1");
    expect(p, 0x003FFFFC, 4, R, REFUSED, "the last word below the image");
    expect(p, 0x003FFFFF, 1, R, REFUSED, "the last byte below the image");
    expect(p, 0x003FFFFF, 2, R, REFUSED, "straddling from the first 4 MiB into the code");
    expect(p, 0, CODE_START + 1, R, REFUSED, "from NULL to the first byte of the code");
    unsigned allowed = 0;
    for (uint32_t va = 0; va < PAGODA_USER_IMAGE_START; va += PAGODA_PAGE_SIZE)
        for (uint32_t want = R; want <= X; want <<= 1)
            allowed += region_check_access(p, va, PAGODA_PAGE_SIZE, want) == ALLOWED;
    TAP_CHECK(allowed == 0,
              "every page of the first 4 MiB is refused for read, write and exec "
              "(%u of 3072 allowed)",
              allowed);
}

struct expected_region {
    const char *name;
    uint32_t start, end, kind, prot;
};

/* Inside one region: its first and last byte, all of it, a range ending exactly at its end. */
static void test_inside_regions(const struct region_list *p)
{
    static const struct expected_region layout[] = {
        {"code", CODE_START, RODATA_START, PAGODA_REGION_CODE, R | X},
        {"rodata", RODATA_START, DATA_START, PAGODA_REGION_RODATA, R},
        {"data", DATA_START, IMAGE_END, PAGODA_REGION_DATA, R | W},
        {"heap", IMAGE_END, HEAP_END, PAGODA_REGION_HEAP, R | W},
        {"guard", PAGODA_USER_GUARD_START, PAGODA_USER_STACK_LIMIT, PAGODA_REGION_GUARD, 0},
        {"stack", PAGODA_USER_STACK_LIMIT, PAGODA_USER_END, PAGODA_REGION_STACK, R | W},
    };
    TAP_CHECK(p->count == 6, "the process has 6 regions (%u)", p->count);
    for (unsigned i = 0; i < 6 && i < p->count; i++) {
        const struct expected_region *e = &layout[i];
        const struct region *r = &p->item[i];
        TAP_CHECK(r->start == e->start && r->end == e->end && r->kind == e->kind &&
                      r->prot == e->prot,
                  "region %u is the %s [0x%08x, 0x%08x) %s", i, e->name, e->start, e->end,
                  want_name(e->prot));
    }
    char why[96];
    for (unsigned i = 0; i < 6; i++) {
        const struct expected_region *e = &layout[i];
        for (uint32_t want = R; want <= X; want <<= 1) {
            int rc = e->kind != PAGODA_REGION_GUARD && (e->prot & want) == want ? ALLOWED : REFUSED;
            snprintf(why, sizeof(why), "the first byte of the %s", e->name);
            expect(p, e->start, 1, want, rc, why);
            snprintf(why, sizeof(why), "the last byte of the %s", e->name);
            expect(p, e->end - 1, 1, want, rc, why);
            snprintf(why, sizeof(why), "all of the %s", e->name);
            expect(p, e->start, e->end - e->start, want, rc, why);
            snprintf(why, sizeof(why), "16 bytes ending exactly at the end of the %s", e->name);
            expect(p, e->end - 16, 16, want, rc, why);
        }
    }
}

/* Ranges that leave a region: into the next one, a hole, the guard gap or the kernel half. */
static void test_straddling(const struct region_list *p)
{
    expect(p, RODATA_START - 16, 32, R, ALLOWED, "code into rodata, both readable");
    expect(p, RODATA_START - 16, 32, X, REFUSED, "code into rodata, which does not execute");
    expect(p, RODATA_START - 16, 32, W, REFUSED, "code into rodata, neither writable");
    expect(p, RODATA_START - 1, 2, R | X, REFUSED, "one byte past the code's end, read+exec");
    expect(p, DATA_START - 16, 32, R, ALLOWED, "rodata into data, both readable");
    expect(p, DATA_START - 1, 2, W, REFUSED, "rodata into data, rodata not writable");
    expect(p, IMAGE_END - 16, 32, W, ALLOWED, "data into heap, both writable");
    expect(p, IMAGE_END - 16, 32, R | W, ALLOWED, "data into heap, read+write");
    expect(p, IMAGE_END - 16, 32, X, REFUSED, "data into heap, neither executes");
    expect(p, CODE_START, IMAGE_END - CODE_START, R, ALLOWED, "the whole image, read");
    expect(p, CODE_START, HEAP_END - CODE_START, R, ALLOWED, "the image and the heap, read");
    expect(p, CODE_START, HEAP_END - CODE_START, W, REFUSED, "the image and the heap, write");
    expect(p, CODE_START, HEAP_END - CODE_START + 1, R, REFUSED,
           "the image and the heap and one byte of the hole");
    expect(p, BREAK, HEAP_END - BREAK, W, ALLOWED,
           "between the break and its page's end (the region has whole pages)");
    expect(p, HEAP_END - 1, 2, W, REFUSED, "the heap's last byte and one byte of the hole");
    expect(p, HEAP_END - 16, 17, R, REFUSED, "16 bytes ending at the heap's end, plus one");
    expect(p, HEAP_END, 1, R, REFUSED, "the first byte of the hole after the heap");
    expect(p, 0x40000000, 4, R, REFUSED, "the middle of the hole");
    expect(p, PAGODA_USER_GUARD_START - 1, 1, R, REFUSED, "the last byte of the hole");
    expect(p, PAGODA_USER_GUARD_START - 1, 2, R, REFUSED, "from the hole into the guard gap");
    expect(p, PAGODA_USER_STACK_LIMIT - 1, 2, W, REFUSED, "from the guard gap into the stack");
    expect(p, PAGODA_USER_STACK_LIMIT - 16, 32, R, REFUSED, "guard gap into stack, read");
    expect(p, PAGODA_USER_STACK_LIMIT - 1, PAGODA_USER_STACK_MAX + 1, W, REFUSED,
           "the whole stack and the guard gap's last byte");
    expect(p, PAGODA_USER_END - 1, 1, W, ALLOWED, "the last byte below the kernel half");
    expect(p, PAGODA_USER_END - 4, 4, W, ALLOWED, "the last word below the kernel half");
    expect(p, PAGODA_USER_END - 16, 17, W, REFUSED, "16 bytes ending at the kernel half, plus one");
    expect(p, PAGODA_USER_END - 1, 2, R, REFUSED, "the stack's last byte into the kernel half");
    expect(p, PAGODA_USER_END - 3, 4, R, REFUSED, "a word straddling into the kernel half");
    expect(p, PAGODA_USER_END, 1, R, REFUSED, "the first byte of the kernel half");
    expect(p, PAGODA_USER_END, 4096, W, REFUSED, "a page of the kernel half");
    expect(p, 0xFFFFF000, 4096, R, REFUSED, "the last page of the address space");
    expect(p, 0xFFFFFFFF, 1, R, REFUSED, "the last byte of the address space");
}

static void test_wrap_and_huge(const struct region_list *p)
{
    expect(p, 0xFFFFFFF0, 0x20, R, REFUSED, "wrapping past 2^32 to 0x10");
    expect(p, 0xFFFFFFFF, 2, R, REFUSED, "the last byte of the address space and NULL");
    expect(p, 1, 0xFFFFFFFF, R, REFUSED, "1 + 0xFFFFFFFF: ends exactly at 2^32");
    /* A 32-bit end would wrap to the code's start and look like a short range in the stack. */
    expect(p, PAGODA_USER_END - 0x1000, 0x40401000, R, REFUSED,
           "from the stack, a length whose 32-bit end wraps to the code");
    expect(p, DATA_START, 0xFFFFFFFF, W, REFUSED, "from data, a length that wraps below it");
    expect(p, DATA_START + 0x10, 0xFFFFFFF8, W, REFUSED,
           "from data, a length whose 32-bit end lands in the same region below it");
    expect(p, CODE_START, 0x80000000, R, REFUSED, "0x80000000 bytes from the code (the hole)");
    expect(p, CODE_START, 0xFFFFFFFF, R, REFUSED, "0xFFFFFFFF bytes from the code");
    expect(p, 0, 0xFFFFFFFF, R, REFUSED, "0xFFFFFFFF bytes from NULL");
    expect(p, PAGODA_USER_STACK_LIMIT, 0x80000000, W, REFUSED, "0x80000000 bytes from the stack");
    expect(p, PAGODA_USER_STACK_LIMIT, 0xFFFFFFFF, W, REFUSED, "0xFFFFFFFF bytes from the stack");

    /* Huge lengths are judged by what they cover, not refused for their size. */
    struct region_list big = {0};
    insert(&big, PAGODA_USER_IMAGE_START, PAGODA_USER_END, PAGODA_REGION_DATA, R | W);
    uint32_t all = PAGODA_USER_END - PAGODA_USER_IMAGE_START;
    expect(&big, PAGODA_USER_IMAGE_START, all, W, ALLOWED,
           "one region over the whole user half above 4 MiB: all of it");
    expect(&big, PAGODA_USER_IMAGE_START, 0x80000000, W, ALLOWED,
           "one region over the whole user half: 0x80000000 bytes");
    expect(&big, PAGODA_USER_IMAGE_START, all + 1, W, REFUSED,
           "one region over the whole user half: one byte into the kernel half");
    expect(&big, PAGODA_USER_IMAGE_START - 1, all + 1, W, REFUSED,
           "one region over the whole user half: from one byte below it");
    expect(&big, PAGODA_USER_IMAGE_START, 0xFFFFFFFF, W, REFUSED,
           "one region over the whole user half: 0xFFFFFFFF bytes");

    /* The walk crosses every region of a full list: 16 adjacent ones up to the kernel half. */
    struct region_list full = {0};
    uint32_t step = (PAGODA_USER_END - PAGODA_USER_IMAGE_START) / REGION_MAX;
    int built = 1;
    for (unsigned i = 0; i < REGION_MAX; i++) {
        uint32_t start = PAGODA_USER_IMAGE_START + i * step;
        uint32_t end = i + 1 == REGION_MAX ? PAGODA_USER_END : start + step;
        built &= insert(&full, start, end, i % 2 ? PAGODA_REGION_HEAP : PAGODA_REGION_DATA, R | W);
    }
    TAP_CHECK(built && full.count == REGION_MAX, "16 adjacent regions up to the kernel half");
    expect(&full, PAGODA_USER_IMAGE_START, all, R | W, ALLOWED,
           "across 16 adjacent writable regions, all of the user half above 4 MiB");
    full.item[9].prot = R;
    expect(&full, PAGODA_USER_IMAGE_START, all, W, REFUSED,
           "across 16 adjacent regions, the tenth read-only");
    expect(&full, PAGODA_USER_IMAGE_START, all, R, ALLOWED,
           "across 16 adjacent regions, the tenth read-only, read");
}

static void test_len_zero(const struct region_list *p)
{
    const struct region_list empty = {0};
    expect(p, 0, 0, W, ALLOWED, "len 0 at NULL: allowed, no byte is touched");
    expect(p, PAGODA_USER_END, 0, W, ALLOWED,
           "len 0 at the kernel half's start: allowed, no byte is touched");
    expect(p, 0xFFFFFFFF, 0, R, ALLOWED,
           "len 0 at the last byte of the address space: allowed, nothing is touched or wraps");
    expect(p, PAGODA_USER_GUARD_START, 0, R, ALLOWED,
           "len 0 in the guard gap: allowed, no byte is touched");
    expect(p, RODATA_START, 0, W, ALLOWED, "len 0 write to rodata: allowed, nothing is written");
    expect(&empty, 0x00400000, 0, R, ALLOWED, "len 0 with no regions: allowed, nothing is read");
    expect(&empty, 0x00400000, 1, R, REFUSED, "one byte with no regions");
}

static void test_wants(const struct region_list *p)
{
    expect(p, CODE_START, 4, R | X, ALLOWED, "read+exec of code");
    expect(p, CODE_START, 4, W, REFUSED, "write to code");
    expect(p, CODE_START, 4, R | W, REFUSED, "read+write of code");
    expect(p, RODATA_START, 4, R, ALLOWED, "read of rodata");
    expect(p, RODATA_START, 4, R | W, REFUSED, "read+write of rodata");
    expect(p, RODATA_START, 4, X, REFUSED, "exec of rodata");
    expect(p, DATA_START, 4, R | W, ALLOWED, "read+write of data");
    expect(p, DATA_START, 4, R | W | X, REFUSED, "read+write+exec of data");
    expect(p, IMAGE_END, 4, X, REFUSED, "exec of the heap");
    expect(p, PAGODA_USER_END - 4, 4, X, REFUSED, "exec of the stack");

    /* The guard gap refuses by its kind, whatever its rights say. */
    struct region_list odd = *p;
    region_find(&odd, PAGODA_USER_GUARD_START)->prot = R | W | X;
    expect(&odd, PAGODA_USER_GUARD_START, 1, R, REFUSED, "a guard gap marked rwx, read");
    expect(&odd, PAGODA_USER_STACK_LIMIT - 1, 2, W, REFUSED, "a guard gap marked rwx into stack");
}

static void test_other_layouts(void)
{
    struct region_list p;
    int built = build_process(&p, program_segments, 3, IMAGE_END, IMAGE_END);
    TAP_CHECK(built && p.count == 5, "the layout with the break at the heap's start: no heap");
    expect(&p, IMAGE_END - 1, 1, W, ALLOWED, "no heap: the last byte of data");
    expect(&p, IMAGE_END - 1, 2, W, REFUSED, "no heap: the last byte of data and one after");
    expect(&p, IMAGE_END, 1, R, REFUSED, "no heap: the first byte after the data");

    built = build_process(&p, program_segments, 3, IMAGE_END, IMAGE_END + 1);
    TAP_CHECK(built && p.count == 6, "a break one byte above the heap's start: a heap of a page");
    expect(&p, IMAGE_END, PAGODA_PAGE_SIZE, W, ALLOWED, "a one-byte break: the heap's page");
    expect(&p, IMAGE_END, PAGODA_PAGE_SIZE + 1, W, REFUSED, "a one-byte break: past its page");

    /* A linker may leave pages between segments: a hole inside the image. */
    static const struct segment gapped[] = {
        {CODE_START + 0x10, 0x1ff0, R | X}, /* [0x400000, 0x402000) */
        {0x00404000, 0x800, R},             /* [0x404000, 0x405000) */
        {0x00405000, 0x3000, R | W},        /* [0x405000, 0x408000) */
    };
    built = build_process(&p, gapped, 3, 0x00408000, 0x00408000);
    TAP_CHECK(built && p.count == 5, "an image with two unmapped pages between code and rodata");
    expect(&p, 0x00402000 - 1, 1, R, ALLOWED, "image hole: the code's last byte");
    expect(&p, 0x00402000 - 1, 2, R, REFUSED, "image hole: from the code into the hole");
    expect(&p, 0x00404000 - 1, 2, R, REFUSED, "image hole: from the hole into the rodata");
    expect(&p, CODE_START, 0x8000, R, REFUSED, "image hole: the whole image");
    expect(&p, 0x00404000, 0x4000, R, ALLOWED, "image hole: rodata and data");
}

/* ---- region_find ---- */

static void expect_find(struct region_list *p, uint32_t va, int index, const char *why)
{
    struct region *r = region_find(p, va);
    const struct region *c = region_find_const(p, va);
    const struct region *want = index < 0 ? 0 : &p->item[index];
    TAP_CHECK(r == want && c == want, "region_find(0x%08x), %s: %s", va, why,
              index < 0 ? "none" : pagoda_region_kind_name(p->item[index].kind));
}

static void test_find(void)
{
    struct region_list p;
    build_process(&p, program_segments, 3, IMAGE_END, BREAK);
    expect_find(&p, 0, -1, "NULL");
    expect_find(&p, CODE_START - 1, -1, "the last byte below the image");
    expect_find(&p, CODE_START, 0, "the code's first byte");
    expect_find(&p, RODATA_START - 1, 0, "the code's last byte");
    expect_find(&p, RODATA_START, 1, "the code's end is the rodata's start");
    expect_find(&p, IMAGE_END - 1, 2, "the data's last byte");
    expect_find(&p, IMAGE_END, 3, "the heap's first byte");
    expect_find(&p, HEAP_END - 1, 3, "the heap's last byte");
    expect_find(&p, HEAP_END, -1, "the heap's end");
    expect_find(&p, PAGODA_USER_GUARD_START - 1, -1, "the byte below the guard gap");
    expect_find(&p, PAGODA_USER_GUARD_START, 4, "the guard gap's first byte");
    expect_find(&p, PAGODA_USER_STACK_LIMIT - 1, 4, "the guard gap's last byte");
    expect_find(&p, PAGODA_USER_STACK_LIMIT, 5, "the stack's limit");
    expect_find(&p, PAGODA_USER_END - 1, 5, "the stack's top byte");
    expect_find(&p, PAGODA_USER_END, -1, "the kernel half");
    expect_find(&p, 0xFFFFFFFF, -1, "the last byte of the address space");
    struct region_list empty = {0};
    expect_find(&empty, CODE_START, -1, "no regions");
}

/* ---- region_insert and region_remove ---- */

static int list_in_order(const struct region_list *l)
{
    for (unsigned i = 0; i < l->count; i++) {
        if (l->item[i].start >= l->item[i].end)
            return 0;
        if (i > 0 && l->item[i - 1].end > l->item[i].start)
            return 0;
    }
    return 1;
}

/* An insert that must fail and leave every byte of the list as it was. */
static void expect_refused(struct region_list *l, uint32_t start, uint32_t end, const char *why)
{
    struct region_list before = *l;
    int ok = insert(l, start, end, PAGODA_REGION_DATA, R | W);
    TAP_CHECK(!ok && memcmp(&before, l, sizeof(before)) == 0,
              "insert [0x%08x, 0x%08x) refused, list unchanged: %s", start, end, why);
}

static void test_insert(void)
{
    struct region_list p;
    int built = build_process(&p, program_segments, 3, IMAGE_END, BREAK);
    TAP_CHECK(
        built && p.count == 6 && list_in_order(&p),
        "built in uvm's order (guard, stack, segments, heap): all accepted, in address order");

    struct region_list l = {0};
    TAP_CHECK(insert(&l, 0x00500000, 0x00504000, PAGODA_REGION_DATA, R | W) && l.count == 1,
              "insert into an empty list");
    expect_refused(&l, 0x00500000, 0x00504000, "the same range");
    expect_refused(&l, 0x004FF000, 0x00501000, "overlapping its first page from below");
    expect_refused(&l, 0x00503000, 0x00505000, "overlapping its last page from above");
    expect_refused(&l, 0x00501000, 0x00502000, "inside it");
    expect_refused(&l, 0x004F0000, 0x00510000, "containing it");
    expect_refused(&l, 0x00500000, 0x00501000, "sharing its first page");
    expect_refused(&l, 0x00503000, 0x00504000, "sharing its last page");
    TAP_CHECK(insert(&l, 0x00504000, 0x00505000, PAGODA_REGION_HEAP, R | W) && l.count == 2,
              "a region starting at the end of another: adjacent, accepted");
    TAP_CHECK(insert(&l, 0x004FF000, 0x00500000, PAGODA_REGION_CODE, R | X) && l.count == 3,
              "a region ending at the start of another: adjacent, accepted");
    TAP_CHECK(insert(&l, 0x00600000, 0x00601000, PAGODA_REGION_DATA, R | W) && l.count == 4,
              "a region after a gap: accepted");
    expect_refused(&l, 0x00505000, 0x00601000, "in the gap, overlapping the next one's first page");
    expect_refused(&l, 0x00504000, 0x00600000, "in the gap, overlapping the previous one's page");
    TAP_CHECK(insert(&l, 0x00505000, 0x00600000, PAGODA_REGION_DATA, R) && l.count == 5,
              "exactly filling the gap between two: accepted");
    expect_refused(&l, 0x00700800, 0x00702000, "start not page-aligned");
    expect_refused(&l, 0x00700000, 0x00701001, "end not page-aligned");
    expect_refused(&l, 0x00700000, 0x00700000, "empty");
    expect_refused(&l, 0x00702000, 0x00701000, "end below start");
    expect_refused(&l, 0xFFFFF000, 0x00000000, "the last page: its end wraps to 0");
    expect_refused(&l, 0x00000000, 0x00000000, "empty at 0");

    /* Order kept whatever order they come in; fields copied as given. */
    struct region_list o = {0};
    static const uint32_t order[REGION_MAX] = {7, 0, 15, 3,  8, 12, 1, 14,
                                               5, 9, 2,  11, 6, 13, 4, 10};
    int all_ok = 1;
    for (unsigned i = 0; i < REGION_MAX; i++) {
        uint32_t k = order[i];
        struct region r = {.start = 0x01000000 + k * 0x2000,
                           .end = 0x01000000 + k * 0x2000 + 0x1000,
                           .kind = PAGODA_REGION_CODE + k % 6,
                           .prot = k % 8,
                           .resident = k * 3};
        all_ok &= region_insert(&o, &r);
    }
    int fields_ok = o.count == REGION_MAX;
    for (unsigned k = 0; k < o.count; k++)
        fields_ok &= o.item[k].start == 0x01000000 + k * 0x2000 &&
                     o.item[k].end == o.item[k].start + 0x1000 &&
                     o.item[k].kind == PAGODA_REGION_CODE + k % 6 && o.item[k].prot == k % 8 &&
                     o.item[k].resident == k * 3;
    TAP_CHECK(all_ok && fields_ok,
              "16 regions inserted out of order: in address order, fields kept");
    expect_refused(&o, 0x02000000, 0x02001000, "the list is full (16), no overlap");
    expect_refused(&o, 0x00001000, 0x00002000, "the list is full, before every region");
    expect_refused(&o, 0x01001000, 0x01002000, "the list is full, in a gap between two");
}

static void test_remove(void)
{
    struct region_list p;
    build_process(&p, program_segments, 3, IMAGE_END, BREAK);
    struct region_list before = p;

    /* As uvm_sbrk when the break returns to the heap's start. */
    region_remove(&p, 3);
    int shifted = p.count == 5 && list_in_order(&p) &&
                  memcmp(&p.item[0], &before.item[0], 3 * sizeof(struct region)) == 0 &&
                  memcmp(&p.item[3], &before.item[4], 2 * sizeof(struct region)) == 0;
    TAP_CHECK(shifted, "removing the heap (index 3): the rest shift down in order");
    expect(&p, IMAGE_END, 1, W, REFUSED, "the removed heap's first byte");
    expect(&p, IMAGE_END - 1, 2, W, REFUSED, "the data's last byte into the removed heap");
    expect_find(&p, IMAGE_END, -1, "the removed heap");
    TAP_CHECK(insert(&p, IMAGE_END, HEAP_END, PAGODA_REGION_HEAP, R | W) && p.count == 6 &&
                  memcmp(&p, &before, sizeof(p)) == 0,
              "the heap inserted again: the list is as it was");

    region_remove(&p, 0);
    TAP_CHECK(p.count == 5 && p.item[0].kind == PAGODA_REGION_RODATA && list_in_order(&p),
              "removing the first: rodata comes first");
    region_remove(&p, p.count - 1);
    TAP_CHECK(p.count == 4 && p.item[3].kind == PAGODA_REGION_GUARD && list_in_order(&p),
              "removing the last: the guard gap comes last");
    expect(&p, PAGODA_USER_END - 1, 1, W, REFUSED, "the removed stack's top byte");

    struct region_list same = p;
    region_remove(&p, p.count);
    region_remove(&p, 0xFFFFFFFF);
    TAP_CHECK(memcmp(&p, &same, sizeof(p)) == 0, "removing at count or beyond changes nothing");
    struct region_list empty = {0};
    region_remove(&empty, 0);
    TAP_CHECK(empty.count == 0, "removing from an empty list changes nothing");
}

static void test_kinds(void)
{
    static const struct {
        uint32_t kind;
        const char *name;
        bool demand;
    } kinds[] = {
        {PAGODA_REGION_CODE, "code", false},  {PAGODA_REGION_RODATA, "rodata", false},
        {PAGODA_REGION_DATA, "data", false},  {PAGODA_REGION_HEAP, "heap", true},
        {PAGODA_REGION_STACK, "stack", true}, {PAGODA_REGION_GUARD, "guard", false},
    };
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct region r = {.start = 0x400000, .end = 0x401000, .kind = kinds[i].kind};
        TAP_CHECK(strcmp(pagoda_region_kind_name(kinds[i].kind), kinds[i].name) == 0 &&
                      region_is_demand(&r) == kinds[i].demand,
                  "kind %u is \"%s\", %s", kinds[i].kind, kinds[i].name,
                  kinds[i].demand ? "filled on demand" : "not on demand");
    }
    struct region unknown = {.kind = 99};
    TAP_CHECK(strcmp(pagoda_region_kind_name(0), "?") == 0 &&
                  strcmp(pagoda_region_kind_name(99), "?") == 0 && !region_is_demand(&unknown),
              "kinds 0 and 99 are \"?\", not on demand");
}

int main(void)
{
    struct region_list process;
    TAP_CHECK(build_process(&process, program_segments, 3, IMAGE_END, BREAK),
              "the realistic layout builds through region_insert");
    test_first_4_mib(&process);
    test_inside_regions(&process);
    test_straddling(&process);
    test_wrap_and_huge(&process);
    test_len_zero(&process);
    test_wants(&process);
    test_other_layouts();
    test_find();
    test_insert();
    test_remove();
    test_kinds();
    return tap_done();
}
