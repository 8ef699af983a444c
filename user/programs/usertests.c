/*
 * usertests: what a process may and may not do, checked from ring 3, in the spirit of xv6's
 * usertests and the Pintos VM tests. Every case runs in a child process (usertests spawns itself
 * with --case NAME) and is judged by how the child ended: killed by the exception the CPU must
 * raise, or exited 0 after checking everything it did. The parent prints one TAP line per case
 * on the console, where the test harness reads them from serial:
 *
 *   1..N
 *   ok 1 - null_read: a read of address 0 is killed by #PF
 *   not ok 2 - ...
 *   # expected: killed by #PF (vector 14); got: exited with status 0
 *
 *   usertests            every case, in order
 *   usertests CASE...    only these
 *   usertests --except CASE...
 *                        every case but these
 *   usertests --list     the cases and what each expects
 *
 * Children print only TAP comments ("# ..."), and only when something is wrong. Executing data
 * depends on the paging format: under NX the child must be killed by #PF, without NX the code must
 * run, and the line says which. Exit status: 0 when every case passed, 1 otherwise, 2 on bad
 * arguments.
 */
#include <user.h>

#include "payload.h"

#define SELF         "usertests"
#define UNMAPPED     0x40000000u /* between heap and stack: nothing maps it */
#define KERNEL_HALF  PAGODA_USER_END
#define KERNEL_CODE  0xC0100000u /* where the kernel's .text is linked */
#define KERNEL_TOP   0xFFFFF000u
#define KIB          1024u
#define MIB          (1024u * 1024u)
#define FOREVER_MS   0xFFFFFFFFu
#define HELPER_BATCH 16 /* children alive at once in the spawn cases */
#define ABSURD_PIDS  1000

/* What a case must end with. */
enum expect {
    EXPECT_EXIT0,
    EXPECT_PF,   /* killed by #PF */
    EXPECT_GP,   /* killed by #GP */
    EXPECT_UD,   /* killed by #UD */
    EXPECT_DE,   /* killed by #DE */
    EXPECT_BR,   /* killed by #BR */
    EXPECT_EXEC, /* killed by #PF under NX, exited 0 (the data executed) without */
};

struct test_case {
    const char *name;
    const char *what;
    int (*run)(void); /* in the child: its return value is the exit status */
    enum expect expect;
    uint32_t timeout_ms;
};

/* ---------------------------------------------------------------------------------------------
 * In the child: diagnostics and checks */

static const char *current_case = "?";
static int failures;

__attribute__((format(printf, 1, 2))) static void diag(const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    printf("# %s: %s\n", current_case, line);
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            diag(__VA_ARGS__);                                                                     \
        }                                                                                          \
    } while (0)

/* A raw system call must fail with code (or with alt, where the ABI allows two answers). */
static void expect_error(const char *what, int32_t result, int code, int alt)
{
    if (result == -code || (alt && result == -alt))
        return;
    failures++;
    if (PAGODA_SYSCALL_FAILED(result))
        diag("%s: %s, expected %s", what, strerror(-result), strerror(code));
    else
        diag("%s: succeeded (%d), expected %s", what, (int)result, strerror(code));
}

static uint32_t ptr(const volatile void *p)
{
    return (uint32_t)(uintptr_t)p;
}

/* One page of heap at a page-aligned break, with nothing mapped after it: [page, page + 4 KiB)
 * may be used, page + 4 KiB may not. For the arguments that straddle that boundary. */
static uint8_t *last_heap_page(void)
{
    uint32_t now = ptr(sbrk(0));
    uint32_t pad = (uint32_t)pagoda_page_up(now) - now;
    if (pad && sbrk((int32_t)pad) == (void *)-1)
        return NULL;
    void *page = sbrk(PAGODA_PAGE_SIZE);
    return page == (void *)-1 ? NULL : page;
}

static int spawn_helper(const char *helper, const char *arg)
{
    const char *argv[] = {SELF, "--helper", helper, arg, NULL};
    return spawn(SELF, argv);
}

/* Spawns helper and waits for it (deadline timeout_ms); its status, or -1 on failure. */
static int run_helper(const char *helper, const char *arg, uint32_t timeout_ms)
{
    struct child c;
    c.pid = spawn_helper(helper, arg);
    if (c.pid < 0) {
        diag("spawn helper %s: %s", helper, strerror(errno));
        return -1;
    }
    if (wait_children(&c, 1, timeout_ms) < 0) {
        diag("waiting for helper %s: %s", helper, strerror(errno));
        return -1;
    }
    return c.status;
}

static int exited_with(int status, uint32_t code)
{
    return status != -1 && PAGODA_WAIT_HOW(status) == PAGODA_WAIT_EXITED &&
           PAGODA_WAIT_WHAT(status) == code;
}

static const char *status_text(int status)
{
    static char text[64];
    return status == -1 ? "not run" : wait_status_text(status, text, sizeof(text));
}

static int result(void)
{
    return failures ? 1 : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Helpers: small jobs the cases spawn (usertests --helper NAME [ARG]) */

static const char *const argv_expected[] = {"one", "", "three words", "ümlaut", NULL};

static int helper_main(int argc, char **argv)
{
    const char *helper = argv[2];
    current_case = helper;
    if (strcmp(helper, "nothing") == 0)
        return 0;
    if (strcmp(helper, "exit") == 0 && argc == 4)
        exit((int)strtol(argv[3], NULL, 0));
    if (strcmp(helper, "pid") == 0)
        return getpid() & 0xFF;
    if (strcmp(helper, "spin") == 0) {
        for (volatile uint32_t i = 0;; i++)
            ;
    }
    if (strcmp(helper, "sleep_forever") == 0) {
        for (;;)
            sleep_ms(FOREVER_MS);
    }
    if (strcmp(helper, "argv") == 0) {
        /* spawned with argv_expected after the helper name */
        int n = 0;
        while (argv_expected[n])
            n++;
        CHECK(argc == 3 + n, "argc %d, expected %d", argc, 3 + n);
        for (int i = 0; i < n && 3 + i < argc; i++)
            CHECK(strcmp(argv[3 + i], argv_expected[i]) == 0, "argv[%d] is \"%s\", expected \"%s\"",
                  3 + i, argv[3 + i], argv_expected[i]);
        CHECK(argv[argc] == NULL, "argv[argc] is not NULL");
        for (int i = 0; i < argc; i++) {
            uint32_t a = ptr(argv[i]);
            CHECK(a >= PAGODA_USER_STACK_LIMIT && a < PAGODA_USER_END,
                  "argv[%d] at 0x%x is not on the stack", i, a);
        }
        if (argc > 3 && argv[3][0])
            argv[3][0] = 'O'; /* C lets a program modify its argument strings */
        return result();
    }
    if (strcmp(helper, "exhaust") == 0) {
        /* Takes and touches memory 1 MiB at a time until the kernel has no frame left (killed,
         * out of memory) or the break reaches its limit (then holds what it has). */
        for (;;) {
            uint8_t *chunk = sbrk((int32_t)MIB);
            if (chunk == (void *)-1) {
                if (errno != ENOMEM)
                    return 4;
                for (;;)
                    sleep_ms(FOREVER_MS);
            }
            for (uint32_t off = 0; off < MIB; off += PAGODA_PAGE_SIZE)
                chunk[off] = 1;
        }
    }
    dprintf(PAGODA_FD_STDERR, "usertests: no helper %s\n", helper);
    return 2;
}

/* ---------------------------------------------------------------------------------------------
 * Cases the kernel must kill */

static uint32_t read_at(uint32_t address)
{
    return *(volatile uint32_t *)(uintptr_t)address;
}

static void write_at(uint32_t address, uint32_t value)
{
    *(volatile uint32_t *)(uintptr_t)address = value;
}

static int case_null_read(void)
{
    return (int)read_at(0);
}

static int case_null_write(void)
{
    write_at(0, 1);
    return 0;
}

static int case_below_image(void)
{
    return (int)read_at(PAGODA_USER_IMAGE_START - PAGODA_PAGE_SIZE);
}

static int case_kernel_read(void)
{
    return (int)read_at(KERNEL_CODE);
}

static int case_kernel_write(void)
{
    write_at(KERNEL_CODE, 0xDEADBEEFu);
    return 0;
}

static int case_kernel_half_read(void)
{
    return (int)read_at(KERNEL_HALF);
}

static int case_kernel_top_read(void)
{
    return (int)read_at(KERNEL_TOP);
}

static int case_code_write(void)
{
    *(volatile uint8_t *)(uintptr_t)&case_code_write = 0xC3;
    return 0;
}

static const uint32_t read_only_word = 0x600DF00Du;

static int case_rodata_write(void)
{
    write_at(ptr(&read_only_word), 1);
    return 0;
}

static int case_unmapped_read(void)
{
    return (int)read_at(UNMAPPED);
}

static int case_guard_top(void)
{
    return (int)read_at(PAGODA_USER_STACK_LIMIT - 4);
}

static int case_guard_bottom(void)
{
    write_at(PAGODA_USER_GUARD_START, 1);
    return 0;
}

static uint32_t recurse_deep(volatile uint8_t *above, uint32_t depth)
{
    volatile uint8_t frame[1024];
    frame[0] = above ? (uint8_t)(above[0] + 1) : 0;
    if (depth == 0)
        return frame[0];
    return recurse_deep(frame, depth - 1) + frame[1];
}

static int case_stack_overflow(void)
{
    /* 1 KiB frames: the guard gap comes after about a thousand of them, long before depth 0. */
    return (int)recurse_deep(NULL, 0xFFFFFFFFu);
}

static int case_beyond_break(void)
{
    uint32_t end = (uint32_t)pagoda_page_up(ptr(sbrk(0)));
    write_at(end + PAGODA_PAGE_SIZE, 1);
    return 0;
}

static int case_sbrk_shrink_touch(void)
{
    uint8_t *base = sbrk((int32_t)(64 * KIB));
    if (base == (void *)-1)
        return 3;
    for (uint32_t off = 0; off < 64 * KIB; off += PAGODA_PAGE_SIZE)
        base[off] = 0xAB;
    if (sbrk(-(int32_t)(64 * KIB)) == (void *)-1)
        return 4;
    uint32_t freed = (uint32_t)pagoda_page_up(ptr(base)) + 32 * KIB;
    write_at(freed, 1); /* a page the process gave back */
    return 0;
}

static int case_ud2(void)
{
    __asm__ volatile("ud2");
    return 0;
}

static int case_divide_by_zero(void)
{
    uint32_t quotient, remainder;
    __asm__ volatile("divl %[divisor]"
                     : "=a"(quotient), "=d"(remainder)
                     : "a"(1u), "d"(0u), [divisor] "r"(0u));
    return (int)(quotient + remainder);
}

static int case_hlt(void)
{
    __asm__ volatile("hlt");
    return 0;
}

static int case_cli(void)
{
    __asm__ volatile("cli");
    return 0;
}

static int case_port_in(void)
{
    uint8_t value;
    __asm__ volatile("inb $0x60, %0" : "=a"(value));
    return value;
}

static int case_read_cr3(void)
{
    uint32_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    return (int)(cr3 & 1);
}

static int case_kernel_segment(void)
{
    __asm__ volatile("movw $0x10, %%ax\n\tmovw %%ax, %%ds" ::: "eax", "memory");
    return 0;
}

static int case_int_kernel_gate(void)
{
    __asm__ volatile("int $0x0d");
    return 0;
}

static int case_bound(void)
{
    static const int32_t bounds[2] = {10, 20};
    __asm__ volatile("bound %0, %1" ::"r"(5), "m"(bounds));
    return 0;
}

/* The payload asks for getpid: it returns that when the bytes did execute. */
static int exec_payload_at(uint8_t *where, int copy)
{
    if (copy)
        memcpy(where, exec_payload, exec_payload_size);
    int32_t pid = ((exec_payload_fn)(void *)where)(PAGODA_SYS_GETPID, 0, 0, 0);
    CHECK(pid == getpid(), "the code ran but returned %d, not the pid %d", (int)pid, getpid());
    return result();
}

static uint8_t data_buffer[64] = {1}; /* initialized: in .data, not .bss */

static int case_exec_data(void)
{
    return exec_payload_at(data_buffer, 1);
}

static int case_exec_rodata(void)
{
    return exec_payload_at((uint8_t *)(uintptr_t)exec_payload, 0);
}

static int case_exec_heap(void)
{
    uint8_t *heap = malloc(64);
    return heap ? exec_payload_at(heap, 1) : 3;
}

static int case_exec_stack(void)
{
    uint8_t stack_buffer[64];
    return exec_payload_at(stack_buffer, 1);
}

/* ---------------------------------------------------------------------------------------------
 * Memory that must work */

static uint32_t recurse_frames(uint32_t depth)
{
    volatile uint8_t frame[4000];
    /* The frame's address escapes, so the compiler must give it all 4000 bytes: left to
     * itself it keeps only the two bytes used. */
    __asm__ volatile("" : : "r"(frame) : "memory");
    frame[0] = (uint8_t)depth;
    frame[sizeof(frame) - 1] = (uint8_t)(depth >> 8);
    uint32_t below = depth ? recurse_frames(depth - 1) : 0;
    return below + frame[0] + frame[sizeof(frame) - 1];
}

static int case_stack_grow(void)
{
    /* About 900 KiB of the 1 MiB stack, 4 KiB at a time. */
    uint32_t depth = 225, expected = 0;
    for (uint32_t d = 0; d <= depth; d++)
        expected += (d & 0xFF) + (d >> 8);
    uint32_t got = recurse_frames(depth);
    CHECK(got == expected, "deep recursion computed %u, expected %u", got, expected);
    struct pagoda_vm_info info;
    if (vminfo(0, &info) == 0) {
        for (uint32_t i = 0; i < info.region_count && i < PAGODA_VM_MAX_REGIONS; i++) {
            if (info.regions[i].kind == PAGODA_REGION_STACK)
                CHECK(info.regions[i].resident_pages >= 200,
                      "the stack has %u pages after using 900 KiB of it",
                      info.regions[i].resident_pages);
        }
    }
    return result();
}

static int case_stack_object_64k(void)
{
    volatile uint8_t big[64 * KIB];
    for (uint32_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < sizeof(big); i++)
        bad += big[i] != (uint8_t)(i * 7);
    CHECK(bad == 0, "%u bytes of the 64 KiB object read back wrong", bad);
    return result();
}

static int case_sbrk_grow(void)
{
    uint8_t *start = sbrk(0);
    uint8_t *base = sbrk((int32_t)MIB);
    CHECK(base == start, "sbrk returned %p, the break was %p", (void *)base, (void *)start);
    CHECK(sbrk(0) == start + MIB, "the break is %p after growing 1 MiB from %p", sbrk(0),
          (void *)start);
    uint32_t nonzero = 0;
    for (uint32_t off = 0; off < MIB; off += PAGODA_PAGE_SIZE) {
        nonzero += base[off] != 0 || base[off + PAGODA_PAGE_SIZE - 1] != 0;
        base[off] = (uint8_t)(off >> 12);
    }
    CHECK(nonzero == 0, "%u new heap pages were not zero", nonzero);
    uint32_t wrong = 0;
    for (uint32_t off = 0; off < MIB; off += PAGODA_PAGE_SIZE)
        wrong += base[off] != (uint8_t)(off >> 12);
    CHECK(wrong == 0, "%u heap pages lost what was written", wrong);
    return result();
}

static int case_sbrk_regrow_zeroed(void)
{
    uint32_t size = 64 * KIB;
    uint8_t *base = sbrk((int32_t)size);
    if (base == (void *)-1)
        return 3;
    memset(base, 0x77, size);
    uint8_t *top = sbrk(-(int32_t)size);
    CHECK(top == base + size, "shrinking returned %p, expected %p", (void *)top,
          (void *)(base + size));
    CHECK(sbrk(0) == base, "the break is %p after shrinking, expected %p", sbrk(0), (void *)base);
    uint8_t *again = sbrk((int32_t)size);
    CHECK(again == base, "growing again returned %p, expected %p", (void *)again, (void *)base);
    uint32_t dirty = 0;
    uint32_t first_whole_page = (uint32_t)pagoda_page_up(ptr(base)) - ptr(base);
    for (uint32_t i = first_whole_page; i < size; i++)
        dirty += base[i] != 0;
    CHECK(dirty == 0, "%u bytes of whole pages given back and taken again were not zero", dirty);
    return result();
}

/* Moves the break by total bytes (up or down) in steps an int32_t increment can say. */
static int sbrk_by(uint32_t total, int up)
{
    while (total) {
        uint32_t step = total > 0x7FFFF000u ? 0x7FFFF000u : total;
        int32_t increment = up ? (int32_t)step : -(int32_t)step;
        if (PAGODA_SYSCALL_FAILED(syscall_raw(PAGODA_SYS_SBRK, (uint32_t)increment, 0, 0, 0, 0)))
            return 0;
        total -= step;
    }
    return 1;
}

static int case_sbrk_limits(void)
{
    uint32_t start = ptr(sbrk(0));
    expect_error("sbrk(INT32_MIN)", syscall_raw(PAGODA_SYS_SBRK, 0x80000000u, 0, 0, 0, 0), EINVAL,
                 0);
    expect_error("sbrk below the heap's start",
                 syscall_raw(PAGODA_SYS_SBRK, (uint32_t) - (int32_t)PAGODA_PAGE_SIZE, 0, 0, 0, 0),
                 EINVAL, 0);
    CHECK(ptr(sbrk(0)) == start, "refused sbrk calls moved the break from 0x%x to 0x%x", start,
          ptr(sbrk(0)));
    /* The heap may reserve all of its room (pages come only on touch): up to exactly the limit,
     * then not one byte more. */
    uint32_t room = PAGODA_USER_HEAP_LIMIT - start;
    CHECK(sbrk_by(room, 1) && ptr(sbrk(0)) == PAGODA_USER_HEAP_LIMIT,
          "sbrk up to exactly the heap limit 0x%x stopped at 0x%x", PAGODA_USER_HEAP_LIMIT,
          ptr(sbrk(0)));
    expect_error("sbrk(1) at the heap limit", syscall_raw(PAGODA_SYS_SBRK, 1, 0, 0, 0, 0), ENOMEM,
                 0);
    expect_error("sbrk(INT32_MAX) at the heap limit",
                 syscall_raw(PAGODA_SYS_SBRK, 0x7FFFFFFFu, 0, 0, 0, 0), ENOMEM, 0);
    CHECK(ptr(sbrk(0)) == PAGODA_USER_HEAP_LIMIT, "a refused sbrk moved the break to 0x%x",
          ptr(sbrk(0)));
    CHECK(sbrk_by(room, 0) && ptr(sbrk(0)) == start, "the break did not come back to 0x%x", start);
    return result();
}

static int case_malloc_stress(void)
{
    enum { SLOTS = 256 };
    static uint8_t *blocks[SLOTS];
    static uint32_t sizes[SLOTS];
    struct prng rng;
    prng_seed(&rng, 42, 1);
    for (uint32_t op = 0; op < 20000 && !failures; op++) {
        uint32_t slot = prng_below(&rng, SLOTS);
        if (blocks[slot]) {
            for (uint32_t i = 0; i < sizes[slot]; i++) {
                if (blocks[slot][i] != (uint8_t)(slot + i)) {
                    CHECK(0, "block %u (%u bytes) changed at byte %u", slot, sizes[slot], i);
                    break;
                }
            }
            free(blocks[slot]);
            blocks[slot] = NULL;
        } else {
            uint32_t size =
                prng_below(&rng, 100) < 90 ? prng_below(&rng, 256) : prng_below(&rng, 64 * KIB);
            blocks[slot] = malloc(size);
            CHECK(blocks[slot] != NULL, "malloc(%u) failed", size);
            if (blocks[slot]) {
                sizes[slot] = size;
                for (uint32_t i = 0; i < size; i++)
                    blocks[slot][i] = (uint8_t)(slot + i);
            }
        }
    }
    for (uint32_t slot = 0; slot < SLOTS; slot++)
        free(blocks[slot]);
    char why[160];
    CHECK(malloc_check(why, sizeof(why)) == 0, "heap check: %s", why);
    return result();
}

/* ---------------------------------------------------------------------------------------------
 * System calls given bad arguments: each must fail with its error and change nothing */

/* Addresses no call may use, whatever the direction: NULL, the kernel half, unmapped memory, the
 * guard gap, the page below the program, the last byte of the address space. */
static const struct {
    uint32_t address;
    const char *name;
} bad_addresses[] = {
    {0, "NULL"},
    {KERNEL_HALF, "the kernel half"},
    {KERNEL_CODE, "kernel code"},
    {KERNEL_TOP, "the top page"},
    {UNMAPPED, "unmapped memory"},
    {PAGODA_USER_GUARD_START, "the guard gap"},
    {PAGODA_USER_IMAGE_START - PAGODA_PAGE_SIZE, "the page below the program"},
    {0xFFFFFFFFu, "0xffffffff"},
};
#define BAD_ADDRESS_COUNT (sizeof(bad_addresses) / sizeof(bad_addresses[0]))

/* Call number with args, argument slot (0..2) replaced by each bad address in turn: each must
 * give EFAULT. format names the call, with %s where the address goes. */
static void expect_efault_for_each(const char *format, uint32_t number, uint32_t slot, uint32_t a1,
                                   uint32_t a2, uint32_t a3)
{
    char what[96];
    for (uint32_t i = 0; i < BAD_ADDRESS_COUNT; i++) {
        uint32_t args[3] = {a1, a2, a3};
        args[slot] = bad_addresses[i].address;
        snprintf(what, sizeof(what), format, bad_addresses[i].name);
        expect_error(what, syscall_raw(number, args[0], args[1], args[2], 0, 0), EFAULT, 0);
    }
}

static int case_syscall_write(void)
{
    static const char text[] = "0123456789abcdef";
    uint8_t *page = last_heap_page();
    if (!page)
        return 3;
    expect_efault_for_each("write(1, %s, 16)", PAGODA_SYS_WRITE, 1, 1, 0, 16);
    expect_error("write(1, a buffer running off the heap into unmapped memory, 16)",
                 syscall_raw(PAGODA_SYS_WRITE, 1, ptr(page + PAGODA_PAGE_SIZE - 8), 16, 0, 0),
                 EFAULT, 0);
    expect_error("write(1, the top of the stack into the kernel half, 16)",
                 syscall_raw(PAGODA_SYS_WRITE, 1, PAGODA_USER_END - 8, 16, 0, 0), EFAULT, 0);
    expect_error("write(1, text, 0xffffffff)",
                 syscall_raw(PAGODA_SYS_WRITE, 1, ptr(text), 0xFFFFFFFFu, 0, 0), EFAULT, 0);
    expect_error("write(1, text, 0x80000000)",
                 syscall_raw(PAGODA_SYS_WRITE, 1, ptr(text), 0x80000000u, 0, 0), EFAULT, 0);
    expect_error("write(1, 0xfffffff0, 0x20) (wraps around)",
                 syscall_raw(PAGODA_SYS_WRITE, 1, 0xFFFFFFF0u, 0x20, 0, 0), EFAULT, 0);
    expect_error("write(99, text, 1)", syscall_raw(PAGODA_SYS_WRITE, 99, ptr(text), 1, 0, 0), EBADF,
                 0);
    expect_error("write(-1, text, 1)",
                 syscall_raw(PAGODA_SYS_WRITE, 0xFFFFFFFFu, ptr(text), 1, 0, 0), EBADF, 0);
    expect_error("write(0 (input), text, 1)", syscall_raw(PAGODA_SYS_WRITE, 0, ptr(text), 1, 0, 0),
                 EBADF, 0);
    int32_t zero = syscall_raw(PAGODA_SYS_WRITE, 1, ptr(text), 0, 0, 0);
    CHECK(zero == 0, "write(1, text, 0) returned %d", (int)zero);
    static const char comment[] = "# syscall_write: a good write still works\n";
    int32_t n = syscall_raw(PAGODA_SYS_WRITE, 1, ptr(comment), sizeof(comment) - 1, 0, 0);
    CHECK(n == (int32_t)sizeof(comment) - 1, "a good write returned %d", (int)n);
    return result();
}

static int case_syscall_read(void)
{
    uint8_t *page = last_heap_page();
    if (!page)
        return 3;
    expect_efault_for_each("read(0, %s, 16)", PAGODA_SYS_READ, 1, 0, 0, 16);
    expect_error("read(0, the program's code, 16)",
                 syscall_raw(PAGODA_SYS_READ, 0, ptr(&case_syscall_read), 16, 0, 0), EFAULT, 0);
    expect_error("read(0, read-only data, 4)",
                 syscall_raw(PAGODA_SYS_READ, 0, ptr(&read_only_word), 4, 0, 0), EFAULT, 0);
    expect_error("read(0, a buffer running off the heap, 16)",
                 syscall_raw(PAGODA_SYS_READ, 0, ptr(page + PAGODA_PAGE_SIZE - 8), 16, 0, 0),
                 EFAULT, 0);
    expect_error("read(0, page, 0xffffffff)",
                 syscall_raw(PAGODA_SYS_READ, 0, ptr(page), 0xFFFFFFFFu, 0, 0), EFAULT, 0);
    expect_error("read(1 (output), page, 1)", syscall_raw(PAGODA_SYS_READ, 1, ptr(page), 1, 0, 0),
                 EBADF, 0);
    expect_error("read(99, page, 1)", syscall_raw(PAGODA_SYS_READ, 99, ptr(page), 1, 0, 0), EBADF,
                 0);
    return result();
}

static int case_syscall_spawn(void)
{
    uint8_t *page = last_heap_page();
    if (!page)
        return 3;
    const char *argv[] = {"hello", NULL};
    expect_efault_for_each("spawn(%s, argv)", PAGODA_SYS_SPAWN, 0, 0, ptr(argv), 0);
    expect_efault_for_each("spawn(\"hello\", %s)", PAGODA_SYS_SPAWN, 1, ptr("hello"), 0, 0);
    char what[96];
    for (uint32_t i = 1; i < BAD_ADDRESS_COUNT; i++) { /* not NULL: that ends the list */
        const char *bad_element[] = {"hello", (const char *)(uintptr_t)bad_addresses[i].address,
                                     NULL};
        snprintf(what, sizeof(what), "spawn(\"hello\", {\"hello\", %s})", bad_addresses[i].name);
        expect_error(what, syscall_raw(PAGODA_SYS_SPAWN, ptr("hello"), ptr(bad_element), 0, 0, 0),
                     EFAULT, 0);
    }
    /* A name without its NUL before unmapped memory; an argv array without its NULL. */
    char *unterminated = (char *)page + PAGODA_PAGE_SIZE - 5;
    memcpy(unterminated, "hello", 5);
    expect_error("spawn(a name running into unmapped memory, argv)",
                 syscall_raw(PAGODA_SYS_SPAWN, ptr(unterminated), ptr(argv), 0, 0, 0), EFAULT, 0);
    const char **open_list = (const char **)(void *)(page + PAGODA_PAGE_SIZE - 2 * sizeof(char *));
    open_list[0] = "hello";
    open_list[1] = "world";
    expect_error("spawn(\"hello\", an argv array running into unmapped memory)",
                 syscall_raw(PAGODA_SYS_SPAWN, ptr("hello"), ptr(open_list), 0, 0, 0), EFAULT, 0);
    memcpy(unterminated, "hello", 5); /* open_list overwrote it */
    const char *argv_unterminated[] = {"hello", unterminated, NULL};
    expect_error("spawn(\"hello\", an argument running into unmapped memory)",
                 syscall_raw(PAGODA_SYS_SPAWN, ptr("hello"), ptr(argv_unterminated), 0, 0, 0),
                 EFAULT, 0);
    expect_error("spawn(\"no-such-program\", argv)",
                 syscall_raw(PAGODA_SYS_SPAWN, ptr("no-such-program"), ptr(argv), 0, 0, 0), ENOENT,
                 0);
    expect_error("spawn(a 40-character name, argv)",
                 syscall_raw(PAGODA_SYS_SPAWN, ptr("a-name-of-forty-characters-is-too-long-x"),
                             ptr(argv), 0, 0, 0),
                 ENOENT, EINVAL);
    const char *many[PAGODA_MAX_ARGS + 2];
    for (int i = 0; i <= PAGODA_MAX_ARGS; i++)
        many[i] = "x";
    many[PAGODA_MAX_ARGS + 1] = NULL;
    expect_error("spawn with PAGODA_MAX_ARGS + 1 arguments",
                 syscall_raw(PAGODA_SYS_SPAWN, ptr("hello"), ptr(many), 0, 0, 0), E2BIG, 0);
    char *long_arg = (char *)page;
    memset(long_arg, 'y', PAGODA_MAX_ARG_BYTES / 2 + 8);
    long_arg[PAGODA_MAX_ARG_BYTES / 2 + 8] = '\0';
    const char *too_long[] = {"hello", long_arg, long_arg, NULL};
    expect_error("spawn with more than PAGODA_MAX_ARG_BYTES of arguments",
                 syscall_raw(PAGODA_SYS_SPAWN, ptr("hello"), ptr(too_long), 0, 0, 0), E2BIG, 0);
    /* Nothing above may have started a process. */
    int status;
    expect_error("wait(-1) after the refused spawns",
                 syscall_raw(PAGODA_SYS_WAIT, 0xFFFFFFFFu, ptr(&status), 0, 0, 0), ECHILD, 0);
    return result();
}

static int case_syscall_wait(void)
{
    uint8_t *page = last_heap_page();
    if (!page)
        return 3;
    int status;
    expect_error("wait(-1) without children",
                 syscall_raw(PAGODA_SYS_WAIT, 0xFFFFFFFFu, ptr(&status), 0, 0, 0), ECHILD, 0);
    expect_error("wait(its own pid)",
                 syscall_raw(PAGODA_SYS_WAIT, (uint32_t)getpid(), ptr(&status), 0, 0, 0), ECHILD,
                 0);
    expect_error("wait(0x7fffffff)",
                 syscall_raw(PAGODA_SYS_WAIT, 0x7FFFFFFFu, ptr(&status), 0, 0, 0), ECHILD, 0);
    int pid = spawn_helper("exit", "7");
    if (pid < 0) {
        diag("spawn: %s", strerror(errno));
        return 1;
    }
    expect_efault_for_each("wait(child, %s)", PAGODA_SYS_WAIT, 1, (uint32_t)pid, 0, 0);
    expect_error("wait(child, the program's code)",
                 syscall_raw(PAGODA_SYS_WAIT, (uint32_t)pid, ptr(&case_syscall_wait), 0, 0, 0),
                 EFAULT, 0);
    uint8_t *straddle = page + PAGODA_PAGE_SIZE - 2;
    straddle[0] = 0x5A;
    straddle[1] = 0xA5;
    expect_error("wait(child, a status straddling the end of the heap)",
                 syscall_raw(PAGODA_SYS_WAIT, (uint32_t)pid, ptr(straddle), 0, 0, 0), EFAULT, 0);
    CHECK(straddle[0] == 0x5A && straddle[1] == 0xA5,
          "the refused wait wrote half a status into the heap");
    status = -1;
    int got = wait(pid, &status);
    CHECK(got == pid && exited_with(status, 7),
          "the child was lost to the refused waits: wait returned %d, status %s", got,
          status_text(status));
    return result();
}

static int case_syscall_vminfo(void)
{
    uint8_t *page = last_heap_page();
    if (!page)
        return 3;
    expect_efault_for_each("vminfo(0, %s)", PAGODA_SYS_VMINFO, 1, 0, 0, 0);
    expect_error("vminfo(0, read-only data)",
                 syscall_raw(PAGODA_SYS_VMINFO, 0, ptr(&read_only_word), 0, 0, 0), EFAULT, 0);
    uint8_t *straddle = page + PAGODA_PAGE_SIZE - 16;
    memset(straddle, 0x3C, 16);
    expect_error("vminfo(0, a structure straddling the end of the heap)",
                 syscall_raw(PAGODA_SYS_VMINFO, 0, ptr(straddle), 0, 0, 0), EFAULT, 0);
    uint32_t touched = 0;
    for (int i = 0; i < 16; i++)
        touched += straddle[i] != 0x3C;
    CHECK(touched == 0, "the refused vminfo wrote %u bytes", touched);
    struct pagoda_vm_info info;
    expect_error("vminfo(0x7fffffff, &info)",
                 syscall_raw(PAGODA_SYS_VMINFO, 0x7FFFFFFFu, ptr(&info), 0, 0, 0), ESRCH, 0);
    expect_error("vminfo(-5, &info)",
                 syscall_raw(PAGODA_SYS_VMINFO, (uint32_t)-5, ptr(&info), 0, 0, 0), ESRCH, EINVAL);
    CHECK(vminfo(0, &info) == 0, "a good vminfo failed: %s", strerror(errno));
    return result();
}

static int case_syscall_uptime(void)
{
    uint8_t *page = last_heap_page();
    if (!page)
        return 3;
    expect_efault_for_each("uptime(%s)", PAGODA_SYS_UPTIME, 0, 0, 0, 0);
    expect_error("uptime(the program's code)",
                 syscall_raw(PAGODA_SYS_UPTIME, ptr(&case_syscall_uptime), 0, 0, 0, 0), EFAULT, 0);
    expect_error("uptime(0xfffffffc) (wraps around)",
                 syscall_raw(PAGODA_SYS_UPTIME, 0xFFFFFFFCu, 0, 0, 0, 0), EFAULT, 0);
    uint8_t *straddle = page + PAGODA_PAGE_SIZE - 4;
    memset(straddle, 0x42, 4);
    expect_error("uptime(8 bytes straddling the end of the heap)",
                 syscall_raw(PAGODA_SYS_UPTIME, ptr(straddle), 0, 0, 0, 0), EFAULT, 0);
    CHECK(straddle[0] == 0x42 && straddle[3] == 0x42, "the refused uptime wrote into the heap");
    uint64_t a = 0, b = 0;
    CHECK(uptime(&a) == 0 && uptime(&b) == 0 && b >= a, "uptime %llu then %llu",
          (unsigned long long)a, (unsigned long long)b);
    return result();
}

static int case_syscall_numbers(void)
{
    static const uint32_t numbers[] = {0, PAGODA_SYS_COUNT, PAGODA_SYS_COUNT + 100, 0x80000000u,
                                       0xFFFFFFFFu};
    char what[64];
    for (uint32_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        snprintf(what, sizeof(what), "system call number 0x%x", numbers[i]);
        expect_error(what, syscall_raw(numbers[i], 1, 2, 3, 4, 5), ENOSYS, 0);
    }
    int32_t pid = syscall_raw(PAGODA_SYS_GETPID, ~0u, ~0u, ~0u, ~0u, ~0u);
    CHECK(pid == getpid() && pid > 0, "getpid with garbage arguments returned %d", (int)pid);
    int32_t yielded = syscall_raw(PAGODA_SYS_YIELD, ~0u, ~0u, ~0u, ~0u, ~0u);
    CHECK(yielded == 0, "yield with garbage arguments returned %d", (int)yielded);
    int32_t slept = syscall_raw(PAGODA_SYS_SLEEP, 0, ~0u, ~0u, ~0u, ~0u);
    CHECK(slept == 0, "sleep(0) returned %d", (int)slept);
    int frames = free_frames();
    CHECK(frames > 0, "free_frames() returned %d (%s)", frames, frames < 0 ? strerror(errno) : "");
    return result();
}

static int case_syscall_kill(void)
{
    expect_error("kill(0x7fffffff)", syscall_raw(PAGODA_SYS_KILL, 0x7FFFFFFFu, 0, 0, 0, 0), ESRCH,
                 0);
    expect_error("kill(-5)", syscall_raw(PAGODA_SYS_KILL, (uint32_t)-5, 0, 0, 0, 0), ESRCH, EINVAL);
    int pid = spawn_helper("nothing", NULL);
    int status = -1;
    if (pid < 0 || wait(pid, &status) != pid) {
        diag("helper: %s", strerror(errno));
        return 1;
    }
    expect_error("kill of a reaped child", syscall_raw(PAGODA_SYS_KILL, (uint32_t)pid, 0, 0, 0, 0),
                 ESRCH, 0);
    return result();
}

/* ---------------------------------------------------------------------------------------------
 * Processes */

static int case_exit_status(void)
{
    static const struct {
        const char *arg;
        uint32_t what;
    } cases[] = {{"0", 0},   {"1", 1},    {"42", 42},          {"255", 255},
                 {"256", 0}, {"-1", 255}, {"0x12345678", 0x78}};
    for (uint32_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int status = run_helper("exit", cases[i].arg, 10000);
        CHECK(exited_with(status, cases[i].what), "exit(%s): %s, expected exited with status %u",
              cases[i].arg, status_text(status), cases[i].what);
    }
    return result();
}

static int case_argv(void)
{
    const char *argv[8] = {SELF, "--helper", "argv"};
    for (int i = 0; argv_expected[i]; i++)
        argv[3 + i] = argv_expected[i];
    struct child c;
    c.pid = spawn(SELF, argv);
    if (c.pid < 0 || wait_children(&c, 1, 10000) < 0) {
        diag("spawn: %s", strerror(errno));
        return 1;
    }
    CHECK(exited_with(c.status, 0), "the child saw other arguments: %s", status_text(c.status));
    return result();
}

static int case_getpid(void)
{
    int pids[3];
    for (int i = 0; i < 3; i++) {
        struct child c;
        c.pid = pids[i] = spawn_helper("pid", NULL);
        if (c.pid < 0 || wait_children(&c, 1, 10000) < 0)
            return 1;
        CHECK(exited_with(c.status, (uint32_t)c.pid & 0xFF),
              "spawn returned %d, the child said its pid ends in %u (%s)", c.pid,
              PAGODA_WAIT_WHAT(c.status), status_text(c.status));
    }
    CHECK(pids[0] != pids[1] && pids[1] != pids[2] && pids[0] != pids[2] && pids[0] != getpid(),
          "pids %d %d %d (parent %d) are not distinct", pids[0], pids[1], pids[2], getpid());
    return result();
}

static int case_wait_any(void)
{
    int pids[3];
    for (int i = 0; i < 3; i++) {
        char code[4] = {(char)('1' + i), 0};
        pids[i] = spawn_helper("exit", code);
        if (pids[i] < 0)
            return 1;
    }
    int seen = 0;
    for (int n = 0; n < 3; n++) {
        int status;
        int pid = wait(-1, &status);
        int found = 0;
        for (int i = 0; i < 3; i++) {
            if (pid == pids[i] && !(seen & (1 << i))) {
                found = 1;
                seen |= 1 << i;
                CHECK(exited_with(status, (uint32_t)i + 1), "child %d: %s, expected status %d", pid,
                      status_text(status), i + 1);
            }
        }
        CHECK(found, "wait(-1) returned %d (%s)", pid, pid < 0 ? strerror(errno) : "not a child");
    }
    int status;
    CHECK(wait(-1, &status) == -1 && errno == ECHILD, "a fourth wait(-1) did not say ECHILD");
    return result();
}

static int case_kill_spinning(void)
{
    int pid = spawn_helper("spin", NULL);
    if (pid < 0)
        return 1;
    uint64_t before = uptime_ms();
    sleep_ms(200); /* only preemption gives this process the CPU back while the child spins */
    uint64_t after = uptime_ms();
    CHECK(after >= before + 200, "slept 200 ms, uptime moved from %llu to %llu",
          (unsigned long long)before, (unsigned long long)after);
    CHECK(kill(pid) == 0, "kill: %s", strerror(errno));
    int status = -1;
    CHECK(wait(pid, &status) == pid && PAGODA_WAIT_HOW(status) == PAGODA_WAIT_KILLED,
          "the spinning child: %s, expected killed by kill()", status_text(status));
    return result();
}

static int case_kill_sleeping(void)
{
    int pid = spawn_helper("sleep_forever", NULL);
    if (pid < 0)
        return 1;
    sleep_ms(100);
    CHECK(kill(pid) == 0, "kill: %s", strerror(errno));
    int status = -1;
    CHECK(wait(pid, &status) == pid && PAGODA_WAIT_HOW(status) == PAGODA_WAIT_KILLED,
          "the child asleep for 2^32-1 ms: %s, expected killed by kill()", status_text(status));
    return result();
}

static int case_sleep_uptime(void)
{
    uint64_t previous = uptime_ms(), first = previous;
    for (int i = 0; i < 100; i++) {
        uint64_t now = uptime_ms();
        CHECK(now >= previous, "uptime went back from %llu to %llu", (unsigned long long)previous,
              (unsigned long long)now);
        previous = now;
    }
    CHECK(sleep_ms(100) == 0, "sleep: %s", strerror(errno));
    uint64_t after = uptime_ms();
    CHECK(after >= first + 100, "sleep(100) took %llu ms", (unsigned long long)(after - first));
    return result();
}

static int case_vminfo_self(void)
{
    uint8_t *heap = sbrk(8192);
    if (heap == (void *)-1)
        return 3;
    heap[0] = 1;
    static uint32_t writable_word = 1;
    volatile uint32_t local = 2;
    struct pagoda_vm_info info;
    if (vminfo(0, &info) < 0) {
        diag("vminfo: %s", strerror(errno));
        return 1;
    }
    CHECK(info.pid == (uint32_t)getpid(), "pid %u, getpid %d", info.pid, getpid());
    CHECK(strncmp(info.name, SELF, sizeof(info.name)) == 0, "name \"%.32s\"", info.name);
    if (info.format == PAGODA_VM_2LEVEL)
        CHECK(info.levels == 2 && info.entry_bytes == 4 && info.nx == 0,
              "two-level with %u levels, %u-byte entries, nx %u", info.levels, info.entry_bytes,
              info.nx);
    else
        CHECK(info.format == PAGODA_VM_PAE && info.levels == 3 && info.entry_bytes == 8,
              "format %u with %u levels, %u-byte entries", info.format, info.levels,
              info.entry_bytes);
    CHECK(info.region_count > 0 && info.region_count <= PAGODA_VM_MAX_REGIONS, "%u regions",
          info.region_count);
    CHECK(info.table_pages[0] >= 1, "no root table");
    uint32_t count = info.region_count <= PAGODA_VM_MAX_REGIONS ? info.region_count : 0;
    uint32_t resident = 0, previous_end = 0;
    struct {
        uint32_t address, kind, prot;
        const char *what;
        int found;
    } expected[] = {
        {ptr(&case_vminfo_self), PAGODA_REGION_CODE, PAGODA_PROT_READ | PAGODA_PROT_EXEC, "code",
         0},
        {ptr(&read_only_word), PAGODA_REGION_RODATA, PAGODA_PROT_READ, "read-only data", 0},
        {ptr(&writable_word), PAGODA_REGION_DATA, PAGODA_PROT_READ | PAGODA_PROT_WRITE, "data", 0},
        {ptr(heap), PAGODA_REGION_HEAP, PAGODA_PROT_READ | PAGODA_PROT_WRITE, "heap", 0},
        {ptr(&local), PAGODA_REGION_STACK, PAGODA_PROT_READ | PAGODA_PROT_WRITE, "stack", 0},
        {PAGODA_USER_GUARD_START, PAGODA_REGION_GUARD, 0, "guard gap", 0},
    };
    for (uint32_t i = 0; i < count; i++) {
        const struct pagoda_vm_region *r = &info.regions[i];
        CHECK(r->start < r->end && pagoda_page_aligned(r->start) && pagoda_page_aligned(r->end) &&
                  r->start >= previous_end && r->start >= PAGODA_USER_IMAGE_START &&
                  r->end <= PAGODA_USER_END,
              "region %u [0x%x, 0x%x) is not page-aligned, ordered and in the user half", i,
              r->start, r->end);
        previous_end = r->end;
        resident += r->resident_pages;
        for (uint32_t e = 0; e < sizeof(expected) / sizeof(expected[0]); e++) {
            if (expected[e].address >= r->start && expected[e].address < r->end) {
                expected[e].found = 1;
                CHECK(r->kind == expected[e].kind && r->prot == expected[e].prot,
                      "the %s at 0x%x is in a region of kind %u, prot %u", expected[e].what,
                      expected[e].address, r->kind, r->prot);
            }
        }
        if (r->kind == PAGODA_REGION_STACK)
            CHECK(r->end == PAGODA_USER_END && r->start >= PAGODA_USER_STACK_LIMIT,
                  "stack region [0x%x, 0x%x)", r->start, r->end);
        if (r->kind == PAGODA_REGION_GUARD)
            CHECK(r->start == PAGODA_USER_GUARD_START && r->end == PAGODA_USER_STACK_LIMIT &&
                      r->resident_pages == 0,
                  "guard region [0x%x, 0x%x) with %u pages", r->start, r->end, r->resident_pages);
    }
    for (uint32_t e = 0; e < sizeof(expected) / sizeof(expected[0]); e++)
        CHECK(expected[e].found, "no region holds the %s at 0x%x", expected[e].what,
              expected[e].address);
    CHECK(resident == info.resident_pages, "regions add up to %u resident pages, the total says %u",
          resident, info.resident_pages);
    return result();
}

static int case_vminfo_other(void)
{
    int pid = spawn_helper("sleep_forever", NULL);
    if (pid < 0)
        return 1;
    sleep_ms(50);
    struct pagoda_vm_info info;
    CHECK(vminfo(pid, &info) == 0, "vminfo(child): %s", strerror(errno));
    CHECK(info.pid == (uint32_t)pid && strncmp(info.name, SELF, sizeof(info.name)) == 0,
          "vminfo(child) describes pid %u \"%.32s\"", info.pid, info.name);
    kill(pid);
    int status;
    wait(pid, &status);
    expect_error("vminfo of the reaped child",
                 syscall_raw(PAGODA_SYS_VMINFO, (uint32_t)pid, ptr(&info), 0, 0, 0), ESRCH, 0);
    return result();
}

/* Spawns and reaps count "nothing" helpers, HELPER_BATCH alive at a time (fewer when the table
 * is full). Returns how many ran and exited 0. */
static int spawn_and_reap(int count)
{
    int alive = 0, done = 0, clean = 0;
    while (done < count) {
        if (done + alive < count && alive < HELPER_BATCH) {
            int pid = spawn_helper("nothing", NULL);
            if (pid >= 0) {
                alive++;
                continue;
            }
            if (errno != EAGAIN || alive == 0) {
                diag("spawn %d: %s", done + alive, strerror(errno));
                return clean;
            }
        }
        int status;
        if (wait(-1, &status) < 0) {
            diag("wait: %s", strerror(errno));
            return clean;
        }
        alive--;
        done++;
        clean += exited_with(status, 0);
    }
    return clean;
}

static int case_spawn_many(void)
{
    enum { COUNT = 64 };
    /* A first round lets the kernel's own caches reach their size for this load. */
    if (spawn_and_reap(COUNT) != COUNT)
        return 1;
    int before = free_frames();
    if (before < 0) {
        diag("free_frames: %s: cannot compare the frame counts", strerror(errno));
        return 1;
    }
    int clean = spawn_and_reap(COUNT);
    int after = free_frames();
    CHECK(clean == COUNT, "%d of %d processes exited 0", clean, COUNT);
    CHECK(after == before, "free frames %d before %d processes, %d after them", before, COUNT,
          after);
    return result();
}

static int case_table_full(void)
{
    static int pids[ABSURD_PIDS];
    int count = 0, error = 0;
    while (count < ABSURD_PIDS) {
        int pid = spawn_helper("sleep_forever", NULL);
        if (pid < 0) {
            error = errno;
            break;
        }
        pids[count++] = pid;
    }
    CHECK(count > 0 && count < ABSURD_PIDS, "%d processes started before spawn failed", count);
    CHECK(error == EAGAIN || error == ENOMEM, "spawn failed with %s, expected EAGAIN or ENOMEM",
          strerror(error));
    for (int i = 0; i < count; i++)
        kill(pids[i]);
    int killed = 0;
    for (int i = 0; i < count; i++) {
        int status = -1;
        if (wait(pids[i], &status) == pids[i] && PAGODA_WAIT_HOW(status) == PAGODA_WAIT_KILLED)
            killed++;
    }
    CHECK(killed == count, "%d of %d sleeping children were killed and reaped", killed, count);
    int status = run_helper("nothing", NULL, 10000);
    CHECK(exited_with(status, 0), "a new process after the table emptied: %s", status_text(status));
    return result();
}

static int case_exhaust_memory(void)
{
    enum { HOGS = 8, DEADLINE_MS = 240000 };
    /* As many processes at once as below, so the kernel's own caches have their size. */
    if (spawn_and_reap(HOGS + 1) != HOGS + 1)
        return 1;
    int before = free_frames();
    if (before < 0) {
        diag("free_frames: %s: cannot compare the frame counts", strerror(errno));
        return 1;
    }
    /* Several hogs, since one process holds at most its heap limit and RAM may hold more. A hog
     * that reaches its limit keeps what it has; the first one to end must have run out. */
    char deadline[12];
    snprintf(deadline, sizeof(deadline), "%u", (unsigned)DEADLINE_MS);
    const char *timer_argv[] = {"sleep", deadline, NULL};
    int timer = spawn("sleep", timer_argv); /* first: there may be no memory for it later */
    if (timer < 0) {
        diag("spawn sleep: %s", strerror(errno));
        return 1;
    }
    int hogs[HOGS];
    int started = 0;
    for (; started < HOGS; started++) {
        hogs[started] = spawn_helper("exhaust", NULL);
        if (hogs[started] < 0)
            break;
    }
    int status = 0;
    if (started == 0) {
        diag("spawn: %s", strerror(errno));
        kill(timer);
        wait(timer, &status);
        return 1;
    }
    int first = wait(-1, &status);
    if (first == timer)
        CHECK(0, "no hog ran out of memory within %u ms", (unsigned)DEADLINE_MS);
    else
        CHECK(first > 0 && PAGODA_WAIT_HOW(status) == PAGODA_WAIT_NOMEM,
              "the first hog to end: %s, expected killed: out of memory", status_text(status));
    for (int i = 0; i < started; i++) {
        if (hogs[i] != first)
            kill(hogs[i]);
    }
    if (first != timer) {
        kill(timer);
        wait(timer, &status);
    }
    for (int i = 0; i < started; i++) {
        if (hogs[i] == first)
            continue;
        status = -1;
        wait(hogs[i], &status);
        CHECK(PAGODA_WAIT_HOW(status) == PAGODA_WAIT_KILLED ||
                  PAGODA_WAIT_HOW(status) == PAGODA_WAIT_NOMEM,
              "hog %d: %s", hogs[i], status_text(status));
    }
    int after = free_frames();
    CHECK(after == before, "free frames %d before the hogs, %d after", before, after);
    status = run_helper("nothing", NULL, 10000);
    CHECK(exited_with(status, 0), "a new process after memory ran out: %s", status_text(status));
    return result();
}

/* ---------------------------------------------------------------------------------------------
 * The cases, in the order they run */

static const struct test_case cases[] = {
    {"null_read", "a read of address 0 is killed by #PF", case_null_read, EXPECT_PF, 0},
    {"null_write", "a write to address 0 is killed by #PF", case_null_write, EXPECT_PF, 0},
    {"below_image", "a read of the page below the program is killed by #PF", case_below_image,
     EXPECT_PF, 0},
    {"kernel_read", "a read of the kernel's code (0xc0100000) is killed by #PF", case_kernel_read,
     EXPECT_PF, 0},
    {"kernel_write", "a write to the kernel's code (0xc0100000) is killed by #PF",
     case_kernel_write, EXPECT_PF, 0},
    {"kernel_half_read", "a read of the first kernel-half byte (0xc0000000) is killed by #PF",
     case_kernel_half_read, EXPECT_PF, 0},
    {"kernel_top_read", "a read of the last page (0xfffff000) is killed by #PF",
     case_kernel_top_read, EXPECT_PF, 0},
    {"code_write", "a write to its own code is killed by #PF", case_code_write, EXPECT_PF, 0},
    {"rodata_write", "a write to its read-only data is killed by #PF", case_rodata_write, EXPECT_PF,
     0},
    {"unmapped_read", "a read of unmapped memory (0x40000000) is killed by #PF", case_unmapped_read,
     EXPECT_PF, 0},
    {"guard_top", "a read just below the stack's limit (guard gap) is killed by #PF",
     case_guard_top, EXPECT_PF, 0},
    {"guard_bottom", "a write to the bottom of the guard gap is killed by #PF", case_guard_bottom,
     EXPECT_PF, 0},
    {"stack_overflow", "unbounded recursion reaches the guard gap and is killed by #PF",
     case_stack_overflow, EXPECT_PF, 0},
    {"beyond_break", "a write a page past the break is killed by #PF", case_beyond_break, EXPECT_PF,
     0},
    {"sbrk_shrink_touch", "sbrk grow, shrink, then a touch of the freed part is killed by #PF",
     case_sbrk_shrink_touch, EXPECT_PF, 0},
    {"ud2", "ud2 is killed by #UD", case_ud2, EXPECT_UD, 0},
    {"divide_by_zero", "div by zero is killed by #DE", case_divide_by_zero, EXPECT_DE, 0},
    {"bound", "bound out of range is killed by #BR", case_bound, EXPECT_BR, 0},
    {"hlt", "hlt (privileged) is killed by #GP", case_hlt, EXPECT_GP, 0},
    {"cli", "cli (IOPL 0) is killed by #GP", case_cli, EXPECT_GP, 0},
    {"port_in", "in from port 0x60 (IOPL 0) is killed by #GP", case_port_in, EXPECT_GP, 0},
    {"read_cr3", "mov from CR3 (privileged) is killed by #GP", case_read_cr3, EXPECT_GP, 0},
    {"kernel_segment", "loading the kernel's data selector is killed by #GP", case_kernel_segment,
     EXPECT_GP, 0},
    {"int_kernel_gate", "int $0x0d (a DPL-0 gate) is killed by #GP", case_int_kernel_gate,
     EXPECT_GP, 0},
    {"exec_data", "executing code copied into .data", case_exec_data, EXPECT_EXEC, 0},
    {"exec_rodata", "executing code in .rodata", case_exec_rodata, EXPECT_EXEC, 0},
    {"exec_heap", "executing code copied into the heap", case_exec_heap, EXPECT_EXEC, 0},
    {"exec_stack", "executing code copied onto the stack", case_exec_stack, EXPECT_EXEC, 0},
    {"stack_grow", "the stack grows on demand to 900 KiB of its 1 MiB", case_stack_grow,
     EXPECT_EXIT0, 0},
    {"stack_object_64k", "a 64 KiB object on the stack works", case_stack_object_64k, EXPECT_EXIT0,
     0},
    {"sbrk_grow", "sbrk grows the heap by 1 MiB, zero-filled on first touch", case_sbrk_grow,
     EXPECT_EXIT0, 0},
    {"sbrk_regrow_zeroed", "pages given back with sbrk come back zeroed", case_sbrk_regrow_zeroed,
     EXPECT_EXIT0, 0},
    {"sbrk_limits", "sbrk stops at the heap limit and below the heap's start", case_sbrk_limits,
     EXPECT_EXIT0, 0},
    {"malloc_stress", "20000 malloc/free over sbrk keep every block intact", case_malloc_stress,
     EXPECT_EXIT0, 60000},
    {"syscall_write", "write refuses bad buffers, lengths and descriptors", case_syscall_write,
     EXPECT_EXIT0, 0},
    {"syscall_read", "read refuses bad and read-only buffers and descriptors", case_syscall_read,
     EXPECT_EXIT0, 0},
    {"syscall_spawn", "spawn refuses bad names, argv arrays and argument lists", case_syscall_spawn,
     EXPECT_EXIT0, 0},
    {"syscall_wait", "wait refuses bad status pointers and keeps the child", case_syscall_wait,
     EXPECT_EXIT0, 0},
    {"syscall_vminfo", "vminfo refuses bad buffers and pids", case_syscall_vminfo, EXPECT_EXIT0, 0},
    {"syscall_uptime", "uptime refuses bad pointers", case_syscall_uptime, EXPECT_EXIT0, 0},
    {"syscall_kill", "kill refuses pids that do not exist", case_syscall_kill, EXPECT_EXIT0, 0},
    {"syscall_numbers", "unknown call numbers give ENOSYS, extra registers are ignored",
     case_syscall_numbers, EXPECT_EXIT0, 0},
    {"exit_status", "exit statuses reach wait, truncated to 8 bits", case_exit_status, EXPECT_EXIT0,
     0},
    {"argv", "spawn passes argv, NULL-terminated, on the child's stack", case_argv, EXPECT_EXIT0,
     0},
    {"getpid", "every process has its own pid, the one spawn returned", case_getpid, EXPECT_EXIT0,
     0},
    {"wait_any", "wait(-1) collects every child, then says ECHILD", case_wait_any, EXPECT_EXIT0, 0},
    {"kill_spinning", "a spinning child is preempted and killed", case_kill_spinning, EXPECT_EXIT0,
     0},
    {"kill_sleeping", "a child asleep for 2^32-1 ms is killed", case_kill_sleeping, EXPECT_EXIT0,
     0},
    {"sleep_uptime", "uptime never goes back; sleep(100) takes 100 ms or more", case_sleep_uptime,
     EXPECT_EXIT0, 0},
    {"vminfo_self", "vminfo describes its own regions, permissions and tables", case_vminfo_self,
     EXPECT_EXIT0, 0},
    {"vminfo_other", "vminfo describes another process", case_vminfo_other, EXPECT_EXIT0, 0},
    {"spawn_many", "64 processes spawned and reaped leave the free-frame count unchanged",
     case_spawn_many, EXPECT_EXIT0, 120000},
    {"table_full", "spawn until the process table is full, then all are killed and reaped",
     case_table_full, EXPECT_EXIT0, 120000},
    {"exhaust_memory", "processes that exhaust memory die alone; every frame comes back",
     case_exhaust_memory, EXPECT_EXIT0, 300000},
};
#define CASE_COUNT         (int)(sizeof(cases) / sizeof(cases[0]))
#define DEFAULT_TIMEOUT_MS 20000

static const struct test_case *find_case(const char *name)
{
    for (int i = 0; i < CASE_COUNT; i++) {
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * The parent */

static int expected_status(enum expect expect, int nx)
{
    switch (expect) {
    case EXPECT_PF:
        return PAGODA_WAIT_STATUS(PAGODA_WAIT_FAULT, 14);
    case EXPECT_GP:
        return PAGODA_WAIT_STATUS(PAGODA_WAIT_FAULT, 13);
    case EXPECT_UD:
        return PAGODA_WAIT_STATUS(PAGODA_WAIT_FAULT, 6);
    case EXPECT_DE:
        return PAGODA_WAIT_STATUS(PAGODA_WAIT_FAULT, 0);
    case EXPECT_BR:
        return PAGODA_WAIT_STATUS(PAGODA_WAIT_FAULT, 5);
    case EXPECT_EXEC:
        return nx ? PAGODA_WAIT_STATUS(PAGODA_WAIT_FAULT, 14)
                  : PAGODA_WAIT_STATUS(PAGODA_WAIT_EXITED, 0);
    default:
        return PAGODA_WAIT_STATUS(PAGODA_WAIT_EXITED, 0);
    }
}

static int run_case(int number, const struct test_case *c, const struct pagoda_vm_info *self)
{
    const char *argv[] = {SELF, "--case", c->name, NULL};
    struct child child;
    child.pid = spawn(SELF, argv);
    int expected = expected_status(c->expect, (int)self->nx);
    char got_text[64], want_text[64];
    if (child.pid < 0) {
        printf("not ok %d - %s: %s\n# spawn: %s\n", number, c->name, c->what, strerror(errno));
        return 0;
    }
    uint32_t timeout = c->timeout_ms ? c->timeout_ms : DEFAULT_TIMEOUT_MS;
    if (wait_children(&child, 1, timeout) < 0) {
        printf("not ok %d - %s: %s\n# wait: %s\n", number, c->name, c->what, strerror(errno));
        return 0;
    }
    int pass = child.status == expected && !child.timed_out;
    const char *outcome = "";
    if (c->expect == EXPECT_EXEC)
        outcome = self->nx ? " is killed by #PF (NX)"
                           : " runs (no NX: every readable page is executable)";
    printf("%s %d - %s: %s%s\n", pass ? "ok" : "not ok", number, c->name, c->what, outcome);
    if (!pass)
        printf("# expected: %s; got: %s%s\n",
               wait_status_text(expected, want_text, sizeof(want_text)),
               wait_status_text(child.status, got_text, sizeof(got_text)),
               child.timed_out ? " (still running after the deadline)" : "");
    return pass;
}

static void list_cases(void)
{
    for (int i = 0; i < CASE_COUNT; i++)
        printf("%-20s %s\n", cases[i].name, cases[i].what);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--helper") == 0)
        return helper_main(argc, argv);
    if (argc == 3 && strcmp(argv[1], "--case") == 0) {
        const struct test_case *c = find_case(argv[2]);
        if (!c)
            return 2;
        current_case = c->name;
        return c->run();
    }
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        list_cases();
        return 0;
    }
    const struct test_case *chosen[CASE_COUNT];
    int count = 0;
    /* usertests --except CASE...: every case but those (a big machine skips the slow ones). */
    int except = argc >= 2 && strcmp(argv[1], "--except") == 0;
    for (int i = 1 + except; i < argc; i++) {
        const struct test_case *c = find_case(argv[i]);
        if (!c || count == CASE_COUNT) {
            dprintf(PAGODA_FD_STDERR, "usertests: no case %s (usertests --list)\n", argv[i]);
            return 2;
        }
        chosen[count++] = c;
    }
    if (except) {
        /* The named cases are marked first: chosen[] is then rewritten in place. */
        int left_out[CASE_COUNT] = {0};
        for (int j = 0; j < count; j++)
            left_out[chosen[j] - cases] = 1;
        count = 0;
        for (int i = 0; i < CASE_COUNT; i++) {
            if (left_out[i])
                printf("# usertests: left out (--except): %s\n", cases[i].name);
            else
                chosen[count++] = &cases[i];
        }
    } else if (count == 0) {
        for (int i = 0; i < CASE_COUNT; i++)
            chosen[count++] = &cases[i];
    }

    struct pagoda_vm_info self;
    if (vminfo(0, &self) < 0) {
        printf("1..0 # SKIP vminfo failed: %s\n", strerror(errno));
        return 1;
    }
    int frames_at_start = free_frames();
    printf("# usertests: process %d, %s paging (%u levels, %u-byte entries), NX %s, %d cases\n",
           getpid(), self.format == PAGODA_VM_PAE ? "PAE" : "two-level", self.levels,
           self.entry_bytes, self.nx ? "enforced" : "not available", count);
    printf("1..%d\n", count);
    int passed = 0;
    for (int i = 0; i < count; i++)
        passed += run_case(i + 1, chosen[i], &self);
    printf("# usertests: %d of %d passed; free frames %d at the start, %d at the end\n", passed,
           count, frames_at_start, free_frames());
    return passed == count ? 0 : 1;
}
