/*
 * printf and friends over write(). Each call collects its text in a 512-byte buffer and writes
 * it in one system call (more only for longer text), so a line is never split between processes
 * printing at the same time.
 */
#include "user.h"

#define STDIO_CHUNK 512

struct write_sink {
    int fd;
    uint32_t used;
    int failed;
    char buf[STDIO_CHUNK];
};

static void sink_flush(struct write_sink *s)
{
    uint32_t done = 0;
    while (!s->failed && done < s->used) {
        int n = write(s->fd, s->buf + done, s->used - done);
        if (n <= 0)
            s->failed = 1;
        else
            done += (uint32_t)n;
    }
    s->used = 0;
}

static void sink_putc(void *ctx, char c)
{
    struct write_sink *s = ctx;
    if (s->used == sizeof(s->buf))
        sink_flush(s);
    s->buf[s->used++] = c;
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
    struct write_sink sink;
    sink.fd = fd;
    sink.used = 0;
    sink.failed = 0;
    int n = pg_vformat(sink_putc, &sink, fmt, ap);
    sink_flush(&sink);
    return sink.failed ? -1 : n;
}

int dprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(fd, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    return vdprintf(PAGODA_FD_STDOUT, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(PAGODA_FD_STDOUT, fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return pg_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = pg_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    return printf("%s\n", s);
}

int putchar(int c)
{
    char ch = (char)c;
    return write(PAGODA_FD_STDOUT, &ch, 1) == 1 ? (unsigned char)ch : -1;
}

int getchar(void)
{
    unsigned char c;
    return read(PAGODA_FD_STDIN, &c, 1) == 1 ? c : -1;
}
