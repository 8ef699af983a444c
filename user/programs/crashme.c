/*
 * crashme: runs random machine code in ring 3, many times, each run in its own child process,
 * and counts how the runs end. The kernel must survive all of it: every run ends in a normal exit
 * or a kill, and the free-frame count is the same at the end as after the first batch.
 *
 *   crashme [RUNS [SEED]] [--batch N] [--limit MS] [--verbose]
 *       RUNS runs (default 1000) from SEED (default 1), N children at a time (default 8); a batch
 *       still running after MS milliseconds (default 250) is killed. --verbose prints each run.
 *   crashme --run SEED INDEX
 *       one run, as the children do (to replay one that did something interesting).
 *
 * The code: no page a program can write is executable under PAE with NX, so the random bytes are
 * made at build time (crashme_arena.py: 64 KiB from a fixed seed) and lie in the code segment.
 * Run INDEX of SEED draws, from PCG32 stream INDEX: where in the arena to start, and every
 * register (random, a pointer into a scratch buffer, or a small number), ESP on its own stack and
 * the arithmetic flags. The same SEED and INDEX always make the same run, in both paging modes.
 *
 * Output: TAP, "# " lines with the counts per outcome, then
 *   ok 1 - crashme: RUNS runs from seed SEED, each ended in an exit or a kill
 *   ok 2 - crashme: free frames unchanged (N after the first batch, N at the end)
 *   1..2
 * Exit status 0 when both are ok, 1 otherwise, 2 on bad arguments.
 */
#include <user.h>

#define SCRATCH_BYTES (16 * 1024)

struct crash_registers {
    uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp, eflags, target;
};

extern const unsigned char crashme_arena[], crashme_arena_end[];
__attribute__((noreturn)) void crashme_enter(const struct crash_registers *registers);

static uint8_t scratch[SCRATCH_BYTES];

#define EFLAGS_RESERVED_1 0x002u
#define EFLAGS_ARITHMETIC 0x8D5u /* CF PF AF ZF SF OF */
#define EFLAGS_DF         0x400u
#define EFLAGS_IF         0x200u

static uint32_t random_register(struct prng *rng)
{
    switch (prng_below(rng, 4)) {
    case 0:
        return (uint32_t)(uintptr_t)scratch + prng_below(rng, SCRATCH_BYTES);
    case 1:
        return prng_below(rng, 256);
    default:
        return prng_next(rng);
    }
}

static __attribute__((noreturn)) void run(uint32_t seed, uint32_t index)
{
    struct prng rng;
    prng_seed(&rng, seed, index);
    uint32_t arena_bytes = (uint32_t)(crashme_arena_end - crashme_arena);
    struct crash_registers r;
    r.target = (uint32_t)(uintptr_t)crashme_arena + prng_below(&rng, arena_bytes);
    r.eax = random_register(&rng);
    r.ebx = random_register(&rng);
    r.ecx = random_register(&rng);
    r.edx = random_register(&rng);
    r.esi = random_register(&rng);
    r.edi = random_register(&rng);
    r.ebp = random_register(&rng);
    /* Below this frame: the run never comes back, so all of it is the run's stack. */
    r.esp = ((uint32_t)(uintptr_t)__builtin_frame_address(0) - 8192 - prng_below(&rng, 1024) * 4);
    r.eflags = EFLAGS_RESERVED_1 | EFLAGS_IF | (prng_next(&rng) & (EFLAGS_ARITHMETIC | EFLAGS_DF));
    crashme_enter(&r);
}

struct tally {
    uint32_t exited, timed_out, out_of_memory, other;
    uint32_t by_vector[32];
};

static int parse_number(const char *text, uint32_t *value)
{
    char *end;
    unsigned long v = strtoul(text, &end, 0);
    if (end == text || *end)
        return -1;
    *value = (uint32_t)v;
    return 0;
}

static void count(struct tally *t, const struct child *c)
{
    uint32_t what = PAGODA_WAIT_WHAT(c->status);
    switch (PAGODA_WAIT_HOW(c->status)) {
    case PAGODA_WAIT_EXITED:
        t->exited++;
        break;
    case PAGODA_WAIT_FAULT:
        if (what < 32)
            t->by_vector[what]++;
        else
            t->other++;
        break;
    case PAGODA_WAIT_KILLED:
        if (c->timed_out)
            t->timed_out++;
        else
            t->other++; /* killed by someone else than the deadline */
        break;
    default:
        t->out_of_memory++;
        break;
    }
}

static int usage(void)
{
    dprintf(PAGODA_FD_STDERR, "usage: crashme [RUNS [SEED]] [--batch N] [--limit MS] [--verbose]\n"
                              "       crashme --run SEED INDEX\n");
    return 2;
}

int main(int argc, char **argv)
{
    uint32_t runs = 1000, seed = 1, batch = 8, limit_ms = 250;
    int verbose = 0, positional = 0;
    if (argc == 4 && strcmp(argv[1], "--run") == 0) {
        uint32_t index;
        if (parse_number(argv[2], &seed) || parse_number(argv[3], &index))
            return usage();
        run(seed, index);
    }
    for (int i = 1; i < argc; i++) {
        uint32_t *option = NULL;
        if (strcmp(argv[i], "--batch") == 0)
            option = &batch;
        else if (strcmp(argv[i], "--limit") == 0)
            option = &limit_ms;
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = 1;
        else if (positional == 0 && parse_number(argv[i], &runs) == 0)
            positional++;
        else if (positional == 1 && parse_number(argv[i], &seed) == 0)
            positional++;
        else
            return usage();
        if (option && (i + 1 == argc || parse_number(argv[++i], option)))
            return usage();
    }
    if (runs == 0 || batch == 0 || batch > 64 || limit_ms == 0)
        return usage();

    struct pagoda_vm_info info;
    int have_info = vminfo(0, &info) == 0;
    printf("# crashme: %u runs from seed %u, %u at a time, %u ms per batch; %s paging, NX %s\n",
           runs, seed, batch, limit_ms,
           !have_info                     ? "?"
           : info.format == PAGODA_VM_PAE ? "PAE"
                                          : "two-level",
           have_info && info.nx ? "enforced" : "off");

    struct tally t = {0};
    struct child children[64];
    int frames_before = -1, frames_error = 0, broken = 0;
    uint32_t done = 0, next_report = runs / 10;
    char seed_text[12], index_text[64][12];
    snprintf(seed_text, sizeof(seed_text), "%u", seed);
    while (done < runs && !broken) {
        uint32_t n = runs - done < batch ? runs - done : batch, started = 0;
        for (; started < n; started++) {
            snprintf(index_text[started], sizeof(index_text[started]), "%u", done + started);
            const char *child_argv[] = {"crashme", "--run", seed_text, index_text[started], NULL};
            children[started].pid = spawn("crashme", child_argv);
            if (children[started].pid < 0) {
                printf("# crashme: spawn of run %u: %s\n", done + started, strerror(errno));
                broken = 1;
                break;
            }
        }
        if (wait_children(children, (int)started, limit_ms) < 0) {
            printf("# crashme: wait: %s\n", strerror(errno));
            broken = 1;
        }
        for (uint32_t i = 0; i < started; i++) {
            count(&t, &children[i]);
            if (verbose) {
                char text[64];
                printf("# crashme: run %u: %s%s\n", done + i,
                       wait_status_text(children[i].status, text, sizeof(text)),
                       children[i].timed_out ? " (time limit)" : "");
            }
        }
        if (done == 0) { /* the kernel's caches have seen a batch: count from here */
            frames_before = free_frames();
            if (frames_before < 0)
                frames_error = errno;
        }
        done += started;
        if (next_report && done >= next_report && done < runs) {
            printf("# crashme: %u of %u runs\n", done, runs);
            next_report += runs / 10;
        }
    }
    int frames_after = free_frames();

    for (uint32_t v = 0; v < 32; v++) {
        if (t.by_vector[v])
            printf("# crashme: killed by %s (vector %u): %u\n", exception_mnemonic(v), v,
                   t.by_vector[v]);
    }
    printf("# crashme: exited: %u; killed after the time limit: %u; out of memory: %u; other: %u\n",
           t.exited, t.timed_out, t.out_of_memory, t.other);
    int all_ended = !broken && done == runs && t.other == 0;
    printf("%s 1 - crashme: %u runs from seed %u, each ended in an exit or a kill\n",
           all_ended ? "ok" : "not ok", done, seed);
    int frames_same = frames_before >= 0 && frames_after == frames_before;
    printf("%s 2 - crashme: free frames unchanged (%d after the first batch, %d at the end)\n",
           frames_same ? "ok" : "not ok", frames_before, frames_after);
    if (frames_before < 0)
        printf("# crashme: free_frames: %s\n", strerror(frames_error));
    printf("1..2\n");
    return all_ended && frames_same ? 0 : 1;
}
