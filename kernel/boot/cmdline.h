/* The kernel command line: space-separated tokens, `key=value` or bare words. Pure code. */
#ifndef PAGODA_CMDLINE_H
#define PAGODA_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../arch/cpu.h"
#include "../vm/format.h"

enum kernel_mode {
    KERNEL_MODE_BOOT,    /* boot log, then halt (default) */
    KERNEL_MODE_TEST,    /* self-tests in TAP on COM1, then exit QEMU */
    KERNEL_MODE_COMPARE, /* two-level against PAE in one boot (kernel/compare/) */
};

/* crash=NAME: after the boot log, raise an exception on purpose to show the decoded report. */
enum kernel_crash {
    KERNEL_CRASH_NONE,
    KERNEL_CRASH_UD,  /* ud2: #UD */
    KERNEL_CRASH_GP,  /* load a selector past the GDT limit: #GP with a selector error code */
    KERNEL_CRASH_DE,  /* divide by zero: #DE */
    KERNEL_CRASH_IDT, /* int 0x81 through a not-present gate: #GP naming the IDT vector */
    KERNEL_CRASH_BP,  /* int3 nobody expects: #BP */
    KERNEL_CRASH_DF,  /* #GP with the #GP gate marked not present: #NP on delivery, so #DF */
    KERNEL_CRASH_PF,  /* write to the boot stack's guard page: #PF, reported with the walk */
};

#define CMDLINE_MAX_PROBLEMS 4
#define CMDLINE_PROBLEM_LEN  80
/* init=PROG ARGS...: the first process; every word after init= on the line is its argument. */
#define CMDLINE_INIT_MAX_ARGS  16
#define CMDLINE_INIT_LINE_SIZE 256

struct cmdline_options {
    enum kernel_mode mode;
    enum kernel_crash crash;
    enum vm_paging_choice paging; /* paging=auto|2level|pae */
    uint32_t clear_cpuid;         /* clearcpuid=pae,nx,pge,pat: CPU_FEATURE_* */
    bool compare_short;           /* compare=short: fewer sizes and rounds (the qemu test) */
    bool memmap_full; /* memmap=full: the boot log lists every run of one type (default grouped) */
    /* init=PROG: init_argv[0] is PROG, then its arguments; init_argc 0 when not given. The
     * pointers point into init_line, so the struct must not be copied. */
    uint32_t init_argc;
    const char *init_argv[CMDLINE_INIT_MAX_ARGS + 1];
    char init_line[CMDLINE_INIT_LINE_SIZE];
    unsigned problem_count; /* tokens that were ignored, each explained below */
    char problems[CMDLINE_MAX_PROBLEMS][CMDLINE_PROBLEM_LEN];
};

/* Parse text (may be NULL: defaults). Unknown tokens and bad values are recorded and ignored;
 * so are init arguments past CMDLINE_INIT_MAX_ARGS or CMDLINE_INIT_LINE_SIZE bytes. */
void cmdline_parse(const char *text, struct cmdline_options *options);
const char *cmdline_mode_name(enum kernel_mode mode);
const char *cmdline_crash_name(enum kernel_crash crash);       /* "none", "ud", ... */
const char *cmdline_paging_name(enum vm_paging_choice paging); /* "auto", "2level", "pae" */

#endif
