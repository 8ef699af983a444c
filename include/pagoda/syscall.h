/*
 * The system-call ABI between user programs (user/lib) and the kernel: numbers, arguments, error
 * codes and the structures the calls fill in. Both sides include this file; nothing here is
 * defined twice.
 *
 * A call is `int $0x80` (PAGODA_SYSCALL_VECTOR, a DPL-3 gate) from ring 3: the number in EAX, up
 * to five arguments in EBX, ECX, EDX, ESI, EDI. The result comes back in EAX: zero or positive
 * on success, a negated PAGODA_E* code on failure. Every other register is preserved.
 *
 * Pointers are user virtual addresses. The kernel checks every pointer and length before it
 * touches them (inside the user half, mapped or legitimately demand-mappable, with the right
 * permission, no wrap-around): a bad one gives -PAGODA_EFAULT and the process lives on, it never
 * becomes a kernel fault.
 *
 * Processes are created with spawn(program, argv) and collected with wait(pid): there is no
 * fork. A program is a file of the ramdisk (the archive the loader passed as a module), named
 * without a folder ("hello"). At entry ESP points at argc, followed by argv[0..argc-1], a NULL
 * pointer, and the strings themselves above them (the i386 System V layout without envp).
 */
#ifndef PAGODA_SYSCALL_H
#define PAGODA_SYSCALL_H

#include <stdint.h>

#define PAGODA_SYSCALL_VECTOR 0x80

enum pagoda_syscall {
    PAGODA_SYS_EXIT = 1,    /* exit(int status): never returns */
    PAGODA_SYS_WRITE = 2,   /* write(int fd, const void *buf, uint32_t len) -> bytes written */
    PAGODA_SYS_READ = 3,    /* read(int fd, void *buf, uint32_t len) -> bytes read, 0 at end */
    PAGODA_SYS_GETPID = 4,  /* getpid() -> pid */
    PAGODA_SYS_SPAWN = 5,   /* spawn(const char *program, const char *const *argv) -> pid */
    PAGODA_SYS_WAIT = 6,    /* wait(int pid, int *status) -> pid; pid -1: any child */
    PAGODA_SYS_YIELD = 7,   /* yield() -> 0 */
    PAGODA_SYS_SLEEP = 8,   /* sleep(uint32_t ms) -> 0 */
    PAGODA_SYS_SBRK = 9,    /* sbrk(int32_t increment) -> the old break */
    PAGODA_SYS_KILL = 10,   /* kill(int pid) -> 0 */
    PAGODA_SYS_VMINFO = 11, /* vminfo(int pid, struct pagoda_vm_info *out) -> 0; pid 0: self */
    PAGODA_SYS_UPTIME = 12, /* uptime(uint64_t *ms) -> 0: milliseconds since the kernel started */
    PAGODA_SYS_FREE_FRAMES = 13, /* free_frames() -> frames the kernel's allocator has free now */
    PAGODA_SYS_COUNT
};

/*
 * No pointer argument is optional: NULL is a bad pointer like any other (-PAGODA_EFAULT), for
 * wait's status, spawn's argv (an empty argument list is a lone NULL), vminfo's out and uptime's
 * ms. A call refused for a bad argument has no effect: wait leaves the child to be reaped.
 */

/* Console descriptors: the kernel's console (serial and screen) for output, its input for read. */
#define PAGODA_FD_STDIN  0
#define PAGODA_FD_STDOUT 1
#define PAGODA_FD_STDERR 2

/* Error codes, returned negated. The numbers are Linux's, so they read familiar. */
#define PAGODA_EPERM   1  /* not allowed (kill of the kernel's own init, say) */
#define PAGODA_ENOENT  2  /* no such program in the ramdisk */
#define PAGODA_ESRCH   3  /* no such process */
#define PAGODA_E2BIG   7  /* argv too long */
#define PAGODA_ENOEXEC 8  /* the program is not a valid user ELF (the kernel says why) */
#define PAGODA_EBADF   9  /* not a descriptor this call serves */
#define PAGODA_ECHILD  10 /* wait: no such child, or no children at all */
#define PAGODA_EAGAIN  11 /* the process table is full */
#define PAGODA_ENOMEM  12 /* out of frames, or the break would pass its limit */
#define PAGODA_EFAULT  14 /* a pointer or length the process may not use */
#define PAGODA_EINVAL  22 /* an argument out of range */
#define PAGODA_ENOSYS  38 /* no system call with that number */

/* A result is an error when it lies in [-PAGODA_ERRNO_MAX, -1]. A sign test is not enough:
 * sbrk's old break may be at or above 0x80000000, negative as an int32_t, but it is always below
 * PAGODA_USER_END, far from the top 4095 values. */
#define PAGODA_ERRNO_MAX              4095
#define PAGODA_SYSCALL_FAILED(result) ((uint32_t)(result) >= (uint32_t)-PAGODA_ERRNO_MAX)

/*
 * How a process ended, as wait() reports it: bits 16-17 say how, bits 0-7 what.
 *   EXITED: bits 0-7 are the status passed to exit() (truncated to 8 bits)
 *   FAULT:  bits 0-7 are the CPU exception vector that killed it (14 = #PF, 13 = #GP, ...)
 *   KILLED: kill() ended it
 *   NOMEM:  the kernel had no frame left for it (demand paging, stack growth)
 */
#define PAGODA_WAIT_EXITED            0u
#define PAGODA_WAIT_FAULT             1u
#define PAGODA_WAIT_KILLED            2u
#define PAGODA_WAIT_NOMEM             3u
#define PAGODA_WAIT_STATUS(how, what) ((int)(((how) << 16) | ((uint32_t)(what)&0xFFu)))
#define PAGODA_WAIT_HOW(status)       (((uint32_t)(status) >> 16) & 3u)
#define PAGODA_WAIT_WHAT(status)      ((uint32_t)(status)&0xFFu)

/* Limits the kernel enforces on spawn. */
#define PAGODA_MAX_ARGS         32
#define PAGODA_MAX_ARG_BYTES    4096 /* all argv strings with their NULs */
#define PAGODA_PROGRAM_NAME_LEN 32   /* including the NUL */

/* vminfo: one address-space region of a process. */
enum pagoda_vm_region_kind {
    PAGODA_REGION_CODE = 1,   /* an ELF segment with execute */
    PAGODA_REGION_RODATA = 2, /* an ELF segment, read-only */
    PAGODA_REGION_DATA = 3,   /* an ELF segment, writable (data and bss) */
    PAGODA_REGION_HEAP = 4,   /* [heap start, break): sbrk, filled on first touch */
    PAGODA_REGION_STACK = 5,  /* grows down on demand to its limit */
    PAGODA_REGION_GUARD = 6,  /* never mapped: a touch kills the process */
};

#define PAGODA_PROT_READ  1u
#define PAGODA_PROT_WRITE 2u
#define PAGODA_PROT_EXEC  4u /* asked for; only PAE with NX can refuse execution of the rest */

struct pagoda_vm_region {
    uint32_t start;          /* first byte, page-aligned */
    uint32_t end;            /* one past the last byte, page-aligned */
    uint32_t kind;           /* enum pagoda_vm_region_kind */
    uint32_t prot;           /* PAGODA_PROT_*: what the region allows */
    uint32_t resident_pages; /* pages of the region mapped now */
    uint32_t pad;
};

#define PAGODA_VM_MAX_REGIONS 16
#define PAGODA_VM_MAX_LEVELS  3

enum pagoda_vm_format {
    PAGODA_VM_2LEVEL = 1, /* 32-bit paging: PD -> PT, 4-byte entries */
    PAGODA_VM_PAE = 2,    /* PAE paging: PDPT -> PD -> PT, 8-byte entries, NX */
};

struct pagoda_vm_info {
    uint32_t pid;
    uint32_t format;      /* enum pagoda_vm_format */
    uint32_t levels;      /* 2 or 3 */
    uint32_t entry_bytes; /* 4 or 8 */
    uint32_t nx;          /* 1 if execute-disable is enforced */
    uint32_t region_count;
    /* Page-table pages this process owns, per level from the root (the shared kernel half is
     * not counted: see kernel_tables). */
    uint32_t table_pages[PAGODA_VM_MAX_LEVELS];
    uint32_t kernel_tables;  /* kernel-half tables every process shares */
    uint32_t resident_pages; /* user pages mapped now, all regions */
    uint32_t pad;
    char name[PAGODA_PROGRAM_NAME_LEN];
    struct pagoda_vm_region regions[PAGODA_VM_MAX_REGIONS];
};

#endif
