#include "syscalls.h"

#include "../console/console.h"
#include "../console/input.h"
#include "../mem/heap.h"
#include "../vm/env.h"
#include "../vm/kheap.h"
#include "fmt.h"
#include "foreground.h"
#include "inspect.h"
#include "pagoda/syscall.h"
#include "pg_string.h"
#include "proc.h"
#include "program.h"
#include "sched.h"

/* Bytes moved between a process and the console per copy. */
#define CHUNK 256u

static struct uvm *uvm(void)
{
    return &sched_current()->uvm;
}

/* Process pid (0: the caller), unless it has ended: a zombie has no address space left. */
static struct task *live_task(uint32_t pid)
{
    struct task *t = pid ? sched_task_by_pid((int)pid) : sched_current();
    return t && t->state != TASK_ZOMBIE ? t : 0;
}

static int32_t sys_exit(uint32_t status)
{
    proc_exit(PAGODA_WAIT_STATUS(PAGODA_WAIT_EXITED, status));
}

/* The whole range is checked first, so a bad buffer writes nothing at all. */
static int32_t sys_write(uint32_t fd, uint32_t buf, uint32_t len)
{
    if (fd != PAGODA_FD_STDOUT && fd != PAGODA_FD_STDERR)
        return -PAGODA_EBADF;
    int rc = region_check_access(&uvm()->regions, buf, len, REGION_WANT_READ);
    if (rc)
        return rc;
    char chunk[CHUNK];
    for (uint32_t done = 0; done < len;) {
        uint32_t n = len - done < CHUNK ? len - done : CHUNK;
        rc = uvm_copy_in(uvm(), chunk, buf + done, n);
        if (rc)
            return rc;
        console_write(chunk, n);
        done += n;
    }
    return (int32_t)len;
}

/* A line of the console (proc/foreground.h): blocks until there is one for this process, or the
 * process is killed. */
static int32_t sys_read(uint32_t fd, uint32_t buf, uint32_t len)
{
    if (fd != PAGODA_FD_STDIN)
        return -PAGODA_EBADF;
    int rc = region_check_access(&uvm()->regions, buf, len, REGION_WANT_WRITE);
    if (rc || len == 0)
        return rc;
    struct task *self = sched_current();
    char chunk[CHUNK];
    for (;;) {
        if (self->killed)
            return 0;
        int n = foreground_read(self, chunk, len < CHUNK ? len : CHUNK);
        if (n > 0) {
            rc = uvm_copy_out(uvm(), buf, chunk, (uint32_t)n);
            return rc ? rc : n;
        }
        if (n == 0 || n == -PAGODA_EINTR)
            return n;
        self->wants_input = true;
        console_show_cursor();
        sched_block(TASK_BLOCKED);
        self->wants_input = false;
    }
}

static int32_t sys_getpid(void)
{
    return sched_current()->pid;
}

/* The argument strings, copied into one kernel buffer: argv[i] points into it. */
struct spawn_args {
    char program[PAGODA_PROGRAM_NAME_LEN];
    const char *argv[PAGODA_MAX_ARGS + 1];
    uint32_t argc;
    char strings[PAGODA_MAX_ARG_BYTES];
};

static int copy_args(struct spawn_args *a, uint32_t program, uint32_t argv)
{
    uint32_t len;
    int rc = uvm_copy_in_string(uvm(), a->program, program, sizeof(a->program), &len);
    if (rc)
        return rc == -PAGODA_E2BIG ? -PAGODA_ENOENT : rc; /* longer than any program name */
    uint32_t used = 0;
    for (a->argc = 0;; a->argc++) {
        uint32_t pointer;
        rc = uvm_copy_in(uvm(), &pointer, argv + a->argc * 4u, sizeof(pointer));
        if (rc)
            return rc;
        if (!pointer)
            return 0;
        if (a->argc == PAGODA_MAX_ARGS)
            return -PAGODA_E2BIG;
        rc = uvm_copy_in_string(uvm(), a->strings + used, pointer, sizeof(a->strings) - used, &len);
        if (rc)
            return rc;
        a->argv[a->argc] = a->strings + used;
        used += len + 1;
    }
}

static int32_t sys_spawn(uint32_t program, uint32_t argv)
{
    struct spawn_args *a = kmalloc(sizeof(*a));
    if (!a)
        return -PAGODA_ENOMEM;
    int rc = copy_args(a, program, argv);
    if (rc == 0)
        rc = proc_spawn(a->program, a->argv, a->argc, sched_current());
    kfree(a);
    return rc;
}

/* The status pointer is checked before anything is reaped: a refused wait changes nothing. */
static int32_t sys_wait(uint32_t pid, uint32_t status_ptr)
{
    int rc = region_check_access(&uvm()->regions, status_ptr, sizeof(int), REGION_WANT_WRITE);
    if (rc)
        return rc;
    int status = 0;
    int got = proc_wait((int)pid, &status);
    if (got < 0)
        return got;
    rc = uvm_copy_out(uvm(), status_ptr, &status, sizeof(status));
    return rc ? rc : got;
}

static int32_t sys_yield(void)
{
    sched_yield();
    return 0;
}

static int32_t sys_sleep(uint32_t ms)
{
    sched_sleep(ms);
    return 0;
}

static int32_t sys_sbrk(uint32_t increment)
{
    uint32_t old;
    int rc = uvm_sbrk(uvm(), (int32_t)increment, &old);
    return rc ? rc : (int32_t)old;
}

static int32_t sys_kill(uint32_t pid)
{
    return proc_kill((int)pid);
}

static int32_t sys_vminfo(uint32_t pid, uint32_t out)
{
    struct task *t = live_task(pid);
    if (!t)
        return -PAGODA_ESRCH;
    int rc =
        region_check_access(&uvm()->regions, out, sizeof(struct pagoda_vm_info), REGION_WANT_WRITE);
    if (rc)
        return rc;
    struct pagoda_vm_info info;
    uvm_info(&t->uvm, &info);
    info.pid = (uint32_t)t->pid;
    pg_snprintf(info.name, sizeof(info.name), "%s", t->name);
    return uvm_copy_out(uvm(), out, &info, sizeof(info));
}

static int32_t sys_uptime(uint32_t out)
{
    uint64_t ms = sched_uptime_ms();
    return uvm_copy_out(uvm(), out, &ms, sizeof(ms));
}

/* After the heap has given back what it keeps without need (spare slabs), so that the count
 * before and after a batch of processes compares what the processes held. */
static int32_t sys_free_frames(void)
{
    heap_trim(vm_kheap());
    uint64_t n = frames_free_count(vm_env_frames());
    return n > 0x7FFFFFFFu ? 0x7FFFFFFF : (int32_t)n;
}

/* Sorted by pid into a kernel buffer first, so the list is one snapshot. */
static int32_t sys_proclist(uint32_t out, uint32_t max)
{
    uint32_t count = sched_task_count();
    uint32_t n = max < count ? max : count;
    int rc = region_check_access(&uvm()->regions, out,
                                 n * (uint32_t)sizeof(struct pagoda_proc_info), REGION_WANT_WRITE);
    if (rc || n == 0)
        return rc ? rc : (int32_t)count;
    struct pagoda_proc_info *list = kmalloc(count * sizeof(*list));
    if (!list)
        return -PAGODA_ENOMEM;
    uint32_t found = 0;
    for (unsigned i = 0; i < SCHED_MAX_TASKS && found < count; i++) {
        const struct task *t = sched_task_at(i);
        if (!t)
            continue;
        uint32_t at = found++;
        for (; at > 0 && list[at - 1].pid > (uint32_t)t->pid; at--)
            list[at] = list[at - 1];
        inspect_process(t, foreground_task(), &list[at]);
    }
    rc = uvm_copy_out(uvm(), out, list, n * (uint32_t)sizeof(*list));
    kfree(list);
    return rc ? rc : (int32_t)count;
}

static int32_t sys_walk(uint32_t pid, uint32_t va, uint32_t out)
{
    struct task *t = live_task(pid);
    if (!t)
        return -PAGODA_ESRCH;
    int rc =
        region_check_access(&uvm()->regions, out, sizeof(struct pagoda_walk), REGION_WANT_WRITE);
    if (rc)
        return rc;
    struct pagoda_walk walk;
    inspect_walk(t, va, &walk);
    return uvm_copy_out(uvm(), out, &walk, sizeof(walk));
}

static int32_t sys_tlbinfo(uint32_t out)
{
    struct pagoda_tlb_info info;
    inspect_tlb(&info);
    return uvm_copy_out(uvm(), out, &info, sizeof(info));
}

static int32_t sys_meminfo(uint32_t out)
{
    struct pagoda_mem_info info;
    inspect_memory(&info);
    return uvm_copy_out(uvm(), out, &info, sizeof(info));
}

static int32_t sys_foreground(uint32_t pid)
{
    return foreground_give(sched_current(), (int)pid);
}

void syscall_dispatch(struct isr_frame *f)
{
    int32_t r;
    switch (f->eax) {
    case PAGODA_SYS_EXIT:
        r = sys_exit(f->ebx);
        break;
    case PAGODA_SYS_WRITE:
        r = sys_write(f->ebx, f->ecx, f->edx);
        break;
    case PAGODA_SYS_READ:
        r = sys_read(f->ebx, f->ecx, f->edx);
        break;
    case PAGODA_SYS_GETPID:
        r = sys_getpid();
        break;
    case PAGODA_SYS_SPAWN:
        r = sys_spawn(f->ebx, f->ecx);
        break;
    case PAGODA_SYS_WAIT:
        r = sys_wait(f->ebx, f->ecx);
        break;
    case PAGODA_SYS_YIELD:
        r = sys_yield();
        break;
    case PAGODA_SYS_SLEEP:
        r = sys_sleep(f->ebx);
        break;
    case PAGODA_SYS_SBRK:
        r = sys_sbrk(f->ebx);
        break;
    case PAGODA_SYS_KILL:
        r = sys_kill(f->ebx);
        break;
    case PAGODA_SYS_VMINFO:
        r = sys_vminfo(f->ebx, f->ecx);
        break;
    case PAGODA_SYS_UPTIME:
        r = sys_uptime(f->ebx);
        break;
    case PAGODA_SYS_FREE_FRAMES:
        r = sys_free_frames();
        break;
    case PAGODA_SYS_PROCLIST:
        r = sys_proclist(f->ebx, f->ecx);
        break;
    case PAGODA_SYS_WALK:
        r = sys_walk(f->ebx, f->ecx, f->edx);
        break;
    case PAGODA_SYS_TLBINFO:
        r = sys_tlbinfo(f->ebx);
        break;
    case PAGODA_SYS_MEMINFO:
        r = sys_meminfo(f->ebx);
        break;
    case PAGODA_SYS_FOREGROUND:
        r = sys_foreground(f->ebx);
        break;
    default:
        r = -PAGODA_ENOSYS;
        break;
    }
    f->eax = (uint32_t)r;
}
