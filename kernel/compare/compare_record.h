/*
 * What the parts of kernel/compare/ share, below them all: the record writers, the test frames,
 * the run's settings and the two modes' results for the screen table. compare.c runs the parts;
 * the parts (compare_struct.c, compare_time.c) only write here.
 */
#ifndef PAGODA_COMPARE_RECORD_H
#define PAGODA_COMPARE_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "compare_side.h"
#include "sample_stats.h"

/* The test frames: COMPARE_FRAME_RUNS runs of 4 MiB, 4 MiB-aligned (so both large-page sizes
 * fit), below 4 GiB (so two-level paging reaches them), allocated once for both modes. */
#define COMPARE_RUN_FRAMES 1024u
#define COMPARE_FRAME_RUNS 4u
#define COMPARE_MAX_PAGES  (COMPARE_RUN_FRAMES * COMPARE_FRAME_RUNS)
/* Scratch virtual addresses in the (empty) user half of the live space. */
#define COMPARE_CHASE_VA  0x10000000u /* up to 16 MiB: the pointer chase and invalidation */
#define COMPARE_MAP_VA    0x20000000u /* map/unmap timing */
#define COMPARE_WINDOW_VA 0x2f000000u /* the measured temporary window */
#define COMPARE_NX_VA     0x2f400000u /* the execute-disable probe */

/* CPUID bits only the comparison reads (the others are in arch/x86_bits.h). */
#define COMPARE_CPUID_1_EDX_SSE2      (1u << 26)  /* LFENCE exists */
#define COMPARE_CPUID_LEAF_HYPERVISOR 0x40000000u /* vendor: "TCGTCGTCGTCG", "KVMKVMKVM" */

struct compare_frames {
    uint64_t run[COMPARE_FRAME_RUNS];
    unsigned runs;
    uint32_t pages; /* runs * COMPARE_RUN_FRAMES */
};
extern struct compare_frames compare_frames;
uint64_t compare_frame(uint32_t page);
/* Takes the test frames from the allocator once for both modes, and gives them back. */
bool compare_take_frames(void);
void compare_give_frames_back(void);

extern bool compare_short;
extern unsigned compare_failures;

/* One result line per structural value; counts a mismatch as a failure. */
void compare_structural(const char *metric, enum compare_mode mode, const char *page, const char *n,
                        uint64_t value, uint64_t expected, const char *unit);
/* The summary of samples (hundredths of cycles) as a timing record. */
void compare_timing(const char *metric, enum compare_mode mode, const char *page, uint32_t n,
                    const struct sample_stats *stats, const char *unit);
/* Info lines. */
__attribute__((format(printf, 2, 3))) void compare_info(const char *key, const char *fmt, ...);
/* Ends the comparison for good: why on every console, CMPEND,fail on COM1, the machine stopped
 * (QEMU left with the failure status). For what leaves nothing to continue from. */
__attribute__((noreturn)) void compare_give_up(const char *why);
/* Serial only (the screen gets the table). */
__attribute__((format(printf, 1, 2))) void compare_serial(const char *fmt, ...);

const char *compare_mode_name(enum compare_mode mode); /* "2level", "pae", "-" */
/* Structural values recorded so far, and how many differed from the arithmetic. */
void compare_structural_counts(unsigned *count, unsigned *mismatches);
/* v hundredths as "12.34". */
void compare_hundredths(char *buf, size_t size, uint32_t v);
/* For the screen table. */
#define COMPARE_SCREEN_LAYOUTS 4 /* process layouts the screen shows (compare_proc.c) */
struct compare_summary {
    uint64_t bytes[COMPARE_MODES][4][2]; /* layout x {4k, large} */
    uint32_t walked[COMPARE_MODES][2];
    bool nx[COMPARE_MODES];
    uint64_t highest[COMPARE_MODES], usable[COMPARE_MODES];
    uint32_t chase_n[8];
    unsigned chase_sizes;
    uint32_t chase[COMPARE_MODES][2][8]; /* median, hundredths */
    uint32_t map[COMPARE_MODES], unmap[COMPARE_MODES], invlpg1[COMPARE_MODES];
    uint32_t cr3[COMPARE_MODES], window[COMPARE_MODES], breakeven[COMPARE_MODES];
    /* processes (none measured without their programs in the ramdisk) */
    bool processes;
    uint64_t proc_bytes[COMPARE_MODES][COMPARE_SCREEN_LAYOUTS]; /* own page tables */
    uint64_t flat_bytes[COMPARE_MODES];
    uint32_t kshare_copied[COMPARE_MODES]; /* root entries per spawn */
    uint32_t kshare_synced[COMPARE_MODES]; /* copies for a new kernel PT with 64 processes */
    uint32_t nx_stack[COMPARE_MODES];      /* 0 ran, 1 stopped by #PF, 2 other, 3 not run */
    uint32_t syscall[COMPARE_MODES], ctx[COMPARE_MODES][2], fault[COMPARE_MODES]; /* medians */
    uint32_t spawn_page[COMPARE_MODES];
    /* segmentation against paging: [0] contiguous, [1] pages */
    uint32_t frag_requests[2], frag_failed[2], frag_failed_with_room[2];
    uint64_t frag_waste[2];
    uint32_t frag_served[2], frag_arena_frames;
};
extern struct compare_summary compare_summary;

#endif
