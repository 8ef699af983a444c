/*
 * The Pagoda user library: the one header a ring-3 program includes (#include <user.h>).
 *
 * A program is an i686 ELF executable linked by user/user.ld (tools/pagoda-cc builds one). crt0
 * calls main(argc, argv) and passes its return value to exit(). There is no floating point: the
 * library and the programs are compiled without x87 and SSE, so no process depends on FPU state.
 *
 * ERRORS. The kernel returns a negated PAGODA_E* code (include/pagoda/syscall.h). Every wrapper
 * below turns that into the C convention: it returns -1 (sbrk: (void *)-1) and sets errno to the
 * positive code, EFAULT, ENOMEM, ... (the same numbers under their usual names). A successful
 * call leaves errno alone. syscall_raw() returns the kernel's own result, for programs that test
 * the ABI itself; syscall_failed() says whether such a result is an error.
 *
 * Output: printf and friends format with lib/fmt.c (%s %c %d %i %u %x %X %p %%, flags - and 0,
 * width, precision for %s, length l ll z) and hand each call's text to write() in one piece up to
 * 512 bytes, so lines from different processes do not mix on the console.
 */
#ifndef PAGODA_USER_H
#define PAGODA_USER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "pagoda/page.h"
#include "pagoda/syscall.h"
#include "pagoda/user_layout.h"

#include "convert.h"
#include "fmt.h"
#include "pg_string.h"
#include "prng.h"
#include "ustring.h"

/* ---- errors ---- */
extern int errno;

#define EPERM   PAGODA_EPERM
#define ENOENT  PAGODA_ENOENT
#define ESRCH   PAGODA_ESRCH
#define EINTR   PAGODA_EINTR
#define E2BIG   PAGODA_E2BIG
#define ENOEXEC PAGODA_ENOEXEC
#define EBADF   PAGODA_EBADF
#define ECHILD  PAGODA_ECHILD
#define EAGAIN  PAGODA_EAGAIN
#define ENOMEM  PAGODA_ENOMEM
#define EFAULT  PAGODA_EFAULT
#define EINVAL  PAGODA_EINVAL
#define ENOSYS  PAGODA_ENOSYS

/* "EFAULT (bad address)"; accepts the code with either sign. */
const char *strerror(int code);

/* ---- system calls (include/pagoda/syscall.h says what each one does) ---- */
int32_t syscall_raw(uint32_t number, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4,
                    uint32_t a5);
static inline int syscall_failed(int32_t result)
{
    return PAGODA_SYSCALL_FAILED(result);
}

__attribute__((noreturn)) void exit(int status);
int write(int fd, const void *buf, uint32_t len);
int read(int fd, void *buf, uint32_t len);
int getpid(void);
/* argv ends with NULL; argv[0] is the name the child sees as its own. */
int spawn(const char *program, const char *const argv[]);
/* pid -1: any child. *status gets PAGODA_WAIT_STATUS(how, what); status must not be NULL. */
int wait(int pid, int *status);
int yield(void);
int sleep_ms(uint32_t ms);
void *sbrk(int32_t increment);
int kill(int pid);
int vminfo(int pid, struct pagoda_vm_info *out);
int uptime(uint64_t *ms);
/* Frames the kernel's allocator has free now (PAGODA_SYS_FREE_FRAMES). */
int free_frames(void);
/* The processes, sorted by pid: fills out[0..min(count, max)) and returns count. */
int proclist(struct pagoda_proc_info *out, uint32_t max);
/* The translation of va in process pid's address space (0: the caller), level by level. */
int walk(int pid, uint32_t va, struct pagoda_walk *out);
int tlbinfo(struct pagoda_tlb_info *out);
int meminfo(struct pagoda_mem_info *out);
/* Hands the console (its input and Ctrl-C) to pid: a child, or the caller itself (0). */
int foreground(int pid);

/* Milliseconds since the kernel started; 0 if the call fails. */
uint64_t uptime_ms(void);

/* ---- processes ---- */
/* argv[0] as main received it ("?" when argc is 0). */
extern const char *program_name;

/* "exited with status 3", "killed by #PF (vector 14)", "killed by kill()", "killed by Ctrl-C",
 * "out of memory". */
const char *wait_status_text(int status, char *buf, size_t size);
/* "#PF", "#GP", ...: the exception mnemonic of a vector (arch/exc_decode.c). */
const char *exception_mnemonic(uint32_t vector);

/*
 * One child to wait for with a deadline: wait_children() fills in status, and timed_out when the
 * child was still running at the deadline and was killed for it (its status then says KILLED).
 */
struct child {
    int pid;
    int status;
    int timed_out;
};

/*
 * Waits until every child of children[0..count) has ended, killing the ones still running after
 * timeout_ms (0: no deadline). The deadline is a `sleep` program of the ramdisk spawned as one
 * more child, so the caller must have no other children than these. Returns 0, or -1 with errno
 * when the timer cannot be spawned or wait fails (every listed child is then killed and reaped).
 */
int wait_children(struct child *children, int count, uint32_t timeout_ms);

/* ---- output and input ---- */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* s and a newline, in one write. */
int puts(const char *s);
int putchar(int c);
/* One byte of console input, or -1 at the end of input or on an error. */
int getchar(void);

/* ---- memory ---- */
void *malloc(size_t size);
void free(void *ptr);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
char *strdup(const char *s);
/* The process heap's own consistency check (user/lib/heap.h): 0 when whole, else -1 and why. */
int malloc_check(char *why, size_t why_size);

/* Prints "PROGRAM: abort: why" on stderr and exits with status 134 (128 + SIGABRT, as a shell
 * would show it). */
__attribute__((noreturn)) void abort_with(const char *why);

#endif
