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
    PAGODA_SYS_PROCLIST = 14,    /* proclist(struct pagoda_proc_info *out, uint32_t max) -> count */
    PAGODA_SYS_WALK = 15,        /* walk(int pid, uint32_t va, struct pagoda_walk *out) -> 0 */
    PAGODA_SYS_TLBINFO = 16,     /* tlbinfo(struct pagoda_tlb_info *out) -> 0 */
    PAGODA_SYS_MEMINFO = 17,     /* meminfo(struct pagoda_mem_info *out) -> 0 */
    PAGODA_SYS_FOREGROUND = 18,  /* foreground(int pid) -> 0: hands the console to pid */
    PAGODA_SYS_COUNT
};

/*
 * No pointer argument is optional: NULL is a bad pointer like any other (-PAGODA_EFAULT), for
 * wait's status, spawn's argv (an empty argument list is a lone NULL), vminfo's out and uptime's
 * ms. A call refused for a bad argument has no effect: wait leaves the child to be reaped.
 * proclist with max 0 checks and writes nothing: it only counts.
 */

/*
 * The console and its foreground process. Input (COM1 and the PS/2 keyboard) is edited a line at
 * a time by the kernel (backspace, left/right, history with up/down) and echoed; read() returns
 * at most one finished line, or 0 once after Ctrl-D (the end of input).
 *
 * One process at a time is the console's foreground process: it alone gets the input (a read by
 * any other process waits until it is the foreground), and Ctrl-C is meant for it. The first
 * process is the foreground at boot. foreground(pid) hands the console over:
 *   - pid must be the caller itself (or 0, the same) or one of its children;
 *   - the caller must hold the console, or be an ancestor of the process that holds it (a shell
 *     takes it back from a child it gave it to): -PAGODA_EPERM otherwise, -PAGODA_ESRCH when pid
 *     is no live process, or not the caller's child.
 * When the foreground process ends, the console goes back to its parent (to the first process
 * when the parent has ended too). A shell hands the console to the child it waits for, and gets
 * it back when the child ends; a child started in the background never gets it.
 *
 * Ctrl-C throws away the line being edited and every line not read yet, then:
 *   - if the foreground process is blocked reading the console, that read fails with
 *     -PAGODA_EINTR (a shell at its prompt prints a fresh one and lives on);
 *   - otherwise the foreground process is ended, as by kill(), with the wait status
 *     PAGODA_WAIT_STATUS(PAGODA_WAIT_KILLED, PAGODA_KILLED_BY_CTRL_C), unless it is the first
 *     process, which Ctrl-C never ends: its next read fails with -PAGODA_EINTR instead (a shell
 *     that had printed its prompt but not called read yet still prints a fresh one).
 */

/* Console descriptors: the kernel's console (serial and screen) for output, its input for read. */
#define PAGODA_FD_STDIN  0
#define PAGODA_FD_STDOUT 1
#define PAGODA_FD_STDERR 2

/* Error codes, returned negated. The numbers are Linux's, so they read familiar. */
#define PAGODA_EPERM   1  /* not allowed (kill of the kernel's own init, say) */
#define PAGODA_ENOENT  2  /* no such program in the ramdisk */
#define PAGODA_ESRCH   3  /* no such process */
#define PAGODA_EINTR   4  /* read: Ctrl-C at the console while waiting for a line */
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
 *   KILLED: kill() ended it (bits 0-7 are 0), or Ctrl-C at the console (PAGODA_KILLED_BY_CTRL_C)
 *   NOMEM:  the kernel had no frame left for it (demand paging, stack growth)
 */
#define PAGODA_WAIT_EXITED            0u
#define PAGODA_WAIT_FAULT             1u
#define PAGODA_WAIT_KILLED            2u
#define PAGODA_WAIT_NOMEM             3u
#define PAGODA_KILLED_BY_KILL         0u
#define PAGODA_KILLED_BY_CTRL_C       1u
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

/* proclist: one process. */
enum pagoda_proc_state {
    PAGODA_PROC_RUNNABLE = 1, /* waiting for the CPU */
    PAGODA_PROC_RUNNING = 2,  /* on the CPU (the caller) */
    PAGODA_PROC_SLEEPING = 3, /* sleep() */
    PAGODA_PROC_WAITING = 4,  /* wait() for a child */
    PAGODA_PROC_READING = 5,  /* read() of the console */
    PAGODA_PROC_ZOMBIE = 6,   /* ended, its parent has not collected it yet */
};

#define PAGODA_PROC_FOREGROUND 1u /* flags: holds the console */
#define PAGODA_PROC_KILLED     2u /* flags: kill() asked, it ends on its way back to ring 3 */

struct pagoda_proc_info {
    uint32_t pid;
    uint32_t parent;         /* 0: nobody waits for it */
    uint32_t state;          /* enum pagoda_proc_state */
    uint32_t flags;          /* PAGODA_PROC_* */
    uint32_t resident_pages; /* user pages mapped now (0 once a zombie) */
    uint32_t table_pages;    /* page-table pages of its own, every level (0 once a zombie) */
    uint64_t switches;       /* times the scheduler gave it the CPU */
    char name[PAGODA_PROGRAM_NAME_LEN];
};

/*
 * walk: how the CPU would translate va in process pid's address space (pid 0: the caller), level
 * by level from the root table, as vm_space_translate reads it. The kernel half is the same in
 * every process, so kernel addresses can be walked too.
 */
#define PAGODA_WALK_MAX_LEVELS PAGODA_VM_MAX_LEVELS

/* A table entry's bits, decoded the same way for both formats. */
#define PAGODA_PTE_PRESENT  (1u << 0) /* P */
#define PAGODA_PTE_WRITE    (1u << 1) /* R/W: writes allowed (by the kernel too, CR0.WP) */
#define PAGODA_PTE_USER     (1u << 2) /* U/S: ring 3 may use it */
#define PAGODA_PTE_PWT      (1u << 3) /* write-through */
#define PAGODA_PTE_PCD      (1u << 4) /* cache disabled */
#define PAGODA_PTE_ACCESSED (1u << 5) /* A: the CPU used it */
#define PAGODA_PTE_DIRTY    (1u << 6) /* D: the CPU wrote the page (leaf entries) */
#define PAGODA_PTE_LARGE    (1u << 7) /* PS: a PDE that maps a large page itself */
#define PAGODA_PTE_GLOBAL   (1u << 8) /* G: kept in the TLB across CR3 loads (leaf entries) */
#define PAGODA_PTE_NX       (1u << 9) /* execute-disable (PAE only, bit 63) */

enum pagoda_walk_level_name {
    PAGODA_LEVEL_PDPT = 1, /* PAE's page-directory-pointer table: 4 entries */
    PAGODA_LEVEL_PD = 2,   /* page directory */
    PAGODA_LEVEL_PT = 3,   /* page table */
};

struct pagoda_walk_step {
    uint64_t table; /* physical address of the table read */
    uint64_t entry; /* the raw entry */
    uint32_t level; /* enum pagoda_walk_level_name */
    uint32_t index; /* of the entry in the table */
    uint32_t bits;  /* PAGODA_PTE_*, decoded from entry */
    uint32_t leaf;  /* 1: this entry maps the page (a PT entry, or a PDE with PS) */
};

/* Why a walk ended where it did. */
enum pagoda_walk_end {
    PAGODA_WALK_MAPPED = 1,      /* a leaf entry maps va */
    PAGODA_WALK_NOT_PRESENT = 2, /* the last step's entry has P clear: the CPU raises #PF */
};

struct pagoda_walk {
    uint32_t pid;
    uint32_t va;
    uint32_t format;      /* enum pagoda_vm_format */
    uint32_t entry_bytes; /* 4 or 8 */
    uint64_t cr3;         /* what CR3 holds while the process runs */
    uint32_t steps;       /* levels visited */
    uint32_t end;         /* enum pagoda_walk_end */
    struct pagoda_walk_step step[PAGODA_WALK_MAX_LEVELS];
    uint64_t pa;        /* the physical address of va, when mapped */
    uint64_t page_size; /* bytes the leaf maps: 4 KiB, 2 MiB (PAE) or 4 MiB (two-level) */
    uint32_t prot;      /* PAGODA_PROT_* the whole walk allows (READ always, when mapped) */
    uint32_t user;      /* 1: ring 3 may use the page (every level has U/S) */
    uint32_t global;    /* 1: the leaf is global */
    uint32_t nx_enforced;
    /* What the process's regions say of va (its user half): the region's kind and what it
     * allows, 0 for an address in no region. The kernel half is PAGODA_REGION_KERNEL. */
    uint32_t region_kind;
    uint32_t region_prot;
};

#define PAGODA_REGION_KERNEL 7 /* walk's region_kind: the kernel half, shared by every process */

/* A region kind's name, as the kernel's reports and the programs that print regions say it. */
static inline const char *pagoda_region_kind_name(uint32_t kind)
{
    static const char *const names[] = {
        [PAGODA_REGION_CODE] = "code",          [PAGODA_REGION_RODATA] = "rodata",
        [PAGODA_REGION_DATA] = "data",          [PAGODA_REGION_HEAP] = "heap",
        [PAGODA_REGION_STACK] = "stack",        [PAGODA_REGION_GUARD] = "guard",
        [PAGODA_REGION_KERNEL] = "kernel half",
    };
    return kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : "?";
}

/* tlbinfo: the paging layer's TLB work since boot, in the format the kernel runs. */
struct pagoda_tlb_info {
    uint32_t format;         /* enum pagoda_vm_format */
    uint32_t global_pages;   /* 1: CR4.PGE is on, the kernel's pages are global */
    uint64_t invlpg;         /* single-page invalidations (unmap, downgrade of a visible page) */
    uint64_t cr3_reloads;    /* CR3 loads: every switch between address spaces, PDPT changes */
    uint64_t global_flushes; /* CR4.PGE toggles: switches to another kernel half */
};

/* meminfo: frames per zone from the frame allocator, page tables, the kernel heap per size
 * class. */
#define PAGODA_MEM_ZONES       2 /* 0: below 4 GiB, 1: at or above 4 GiB (PAE only) */
#define PAGODA_MEM_MAX_CLASSES 32

struct pagoda_mem_zone {
    uint64_t total; /* frames in the allocator's pool */
    uint64_t free;  /* of them free now; the rest are in use */
};

struct pagoda_heap_class {
    uint32_t size;             /* bytes per object */
    uint32_t objects_per_slab; /* a slab is pages_per_slab pages */
    uint32_t pages_per_slab;
    uint32_t slabs;       /* backed now, an empty spare included */
    uint32_t in_use;      /* objects handed out now */
    uint32_t peak_in_use; /* highest in_use since boot */
    uint64_t allocs, frees;
};

struct pagoda_mem_info {
    struct pagoda_mem_zone zone[PAGODA_MEM_ZONES];
    uint32_t format; /* enum pagoda_vm_format */
    uint32_t levels;
    /* Page-table pages in use, all address spaces, per level from the root; of them the kernel
     * space's own (the kernel half and the kernel's root). */
    uint32_t table_pages[PAGODA_VM_MAX_LEVELS];
    uint32_t kernel_table_pages[PAGODA_VM_MAX_LEVELS];
    /* The kernel heap. */
    uint32_t heap_region_pages; /* its virtual region */
    uint32_t heap_backed_pages; /* backed by frames now: descriptors, slabs, large blocks */
    uint32_t heap_peak_pages;   /* the highest backed_pages since boot */
    uint32_t heap_class_count;  /* entries of heap_class used */
    uint32_t large_blocks;      /* blocks above the largest class, a run of pages each */
    uint32_t large_pages;
    uint64_t large_bytes; /* what their callers asked for */
    struct pagoda_heap_class heap_class[PAGODA_MEM_MAX_CLASSES];
};

#endif
