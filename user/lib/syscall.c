/*
 * The system-call stubs: int $0x80 with the number in EAX and the arguments in EBX, ECX, EDX,
 * ESI, EDI (include/pagoda/syscall.h), and the C error convention on top (user.h).
 */
#include "user.h"

int errno;

int32_t syscall_raw(uint32_t number, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4,
                    uint32_t a5)
{
    int32_t result;
    __asm__ volatile("int %[vector]"
                     : "=a"(result)
                     : [vector] "i"(PAGODA_SYSCALL_VECTOR), "a"(number), "b"(a1), "c"(a2), "d"(a3),
                       "S"(a4), "D"(a5)
                     : "memory", "cc");
    return result;
}

/* The kernel's result as the wrapper's int: -1 and errno on failure. */
static int checked(int32_t result)
{
    if (PAGODA_SYSCALL_FAILED(result)) {
        errno = -result;
        return -1;
    }
    return result;
}

static uint32_t ptr_arg(const volatile void *p)
{
    return (uint32_t)(uintptr_t)p;
}

void exit(int status)
{
    for (;;)
        syscall_raw(PAGODA_SYS_EXIT, (uint32_t)status, 0, 0, 0, 0);
}

int write(int fd, const void *buf, uint32_t len)
{
    return checked(syscall_raw(PAGODA_SYS_WRITE, (uint32_t)fd, ptr_arg(buf), len, 0, 0));
}

int read(int fd, void *buf, uint32_t len)
{
    return checked(syscall_raw(PAGODA_SYS_READ, (uint32_t)fd, ptr_arg(buf), len, 0, 0));
}

int getpid(void)
{
    return checked(syscall_raw(PAGODA_SYS_GETPID, 0, 0, 0, 0, 0));
}

int spawn(const char *program, const char *const argv[])
{
    return checked(syscall_raw(PAGODA_SYS_SPAWN, ptr_arg(program), ptr_arg(argv), 0, 0, 0));
}

int wait(int pid, int *status)
{
    return checked(syscall_raw(PAGODA_SYS_WAIT, (uint32_t)pid, ptr_arg(status), 0, 0, 0));
}

int yield(void)
{
    return checked(syscall_raw(PAGODA_SYS_YIELD, 0, 0, 0, 0, 0));
}

int sleep_ms(uint32_t ms)
{
    return checked(syscall_raw(PAGODA_SYS_SLEEP, ms, 0, 0, 0, 0));
}

void *sbrk(int32_t increment)
{
    int32_t result = syscall_raw(PAGODA_SYS_SBRK, (uint32_t)increment, 0, 0, 0, 0);
    if (PAGODA_SYSCALL_FAILED(result)) {
        errno = -result;
        return (void *)-1;
    }
    return (void *)(uintptr_t)(uint32_t)result;
}

int kill(int pid)
{
    return checked(syscall_raw(PAGODA_SYS_KILL, (uint32_t)pid, 0, 0, 0, 0));
}

int vminfo(int pid, struct pagoda_vm_info *out)
{
    return checked(syscall_raw(PAGODA_SYS_VMINFO, (uint32_t)pid, ptr_arg(out), 0, 0, 0));
}

int uptime(uint64_t *ms)
{
    return checked(syscall_raw(PAGODA_SYS_UPTIME, ptr_arg(ms), 0, 0, 0, 0));
}

int free_frames(void)
{
    return checked(syscall_raw(PAGODA_SYS_FREE_FRAMES, 0, 0, 0, 0, 0));
}

int proclist(struct pagoda_proc_info *out, uint32_t max)
{
    return checked(syscall_raw(PAGODA_SYS_PROCLIST, ptr_arg(out), max, 0, 0, 0));
}

int walk(int pid, uint32_t va, struct pagoda_walk *out)
{
    return checked(syscall_raw(PAGODA_SYS_WALK, (uint32_t)pid, va, ptr_arg(out), 0, 0));
}

int tlbinfo(struct pagoda_tlb_info *out)
{
    return checked(syscall_raw(PAGODA_SYS_TLBINFO, ptr_arg(out), 0, 0, 0, 0));
}

int meminfo(struct pagoda_mem_info *out)
{
    return checked(syscall_raw(PAGODA_SYS_MEMINFO, ptr_arg(out), 0, 0, 0, 0));
}

int foreground(int pid)
{
    return checked(syscall_raw(PAGODA_SYS_FOREGROUND, (uint32_t)pid, 0, 0, 0, 0));
}

uint64_t uptime_ms(void)
{
    uint64_t ms;
    return uptime(&ms) == 0 ? ms : 0;
}
