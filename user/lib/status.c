/* Words for error codes, wait statuses and exception vectors, and abort. */
#include "exc_decode.h"
#include "user.h"

const char *strerror(int code)
{
    switch (code < 0 ? -code : code) {
    case 0:
        return "no error";
    case EPERM:
        return "EPERM (not allowed)";
    case ENOENT:
        return "ENOENT (no such program)";
    case ESRCH:
        return "ESRCH (no such process)";
    case EINTR:
        return "EINTR (interrupted by Ctrl-C)";
    case E2BIG:
        return "E2BIG (argument list too long)";
    case ENOEXEC:
        return "ENOEXEC (not a valid user program)";
    case EBADF:
        return "EBADF (bad descriptor)";
    case ECHILD:
        return "ECHILD (no such child)";
    case EAGAIN:
        return "EAGAIN (process table full)";
    case ENOMEM:
        return "ENOMEM (out of memory)";
    case EFAULT:
        return "EFAULT (bad address)";
    case EINVAL:
        return "EINVAL (invalid argument)";
    case ENOSYS:
        return "ENOSYS (no such system call)";
    default:
        return "unknown error";
    }
}

const char *exception_mnemonic(uint32_t vector)
{
    return exc_mnemonic(vector);
}

const char *wait_status_text(int status, char *buf, size_t size)
{
    uint32_t what = PAGODA_WAIT_WHAT(status);
    switch (PAGODA_WAIT_HOW(status)) {
    case PAGODA_WAIT_EXITED:
        snprintf(buf, size, "exited with status %u", what);
        break;
    case PAGODA_WAIT_FAULT:
        snprintf(buf, size, "killed by %s (vector %u)", exc_mnemonic(what), what);
        break;
    case PAGODA_WAIT_KILLED:
        snprintf(buf, size,
                 what == PAGODA_KILLED_BY_CTRL_C ? "killed by Ctrl-C" : "killed by kill()");
        break;
    default:
        snprintf(buf, size, "killed: out of memory");
        break;
    }
    return buf;
}

void abort_with(const char *why)
{
    dprintf(PAGODA_FD_STDERR, "%s: abort: %s\n", program_name, why);
    exit(134);
}
