#include "fmt.h"

#include <stdint.h>

struct spec {
    int left;
    int zero;
    int width;
    int precision; /* -1: none */
    int length;    /* 0: int, 1: long, 2: long long, 3: size_t */
};

static int emit_padding(pg_putc_fn putc, void *ctx, char c, int count)
{
    for (int i = 0; i < count; i++)
        putc(ctx, c);
    return count > 0 ? count : 0;
}

static int emit_text(pg_putc_fn putc, void *ctx, const char *s, int len, const struct spec *sp)
{
    int n = 0;
    if (!sp->left)
        n += emit_padding(putc, ctx, ' ', sp->width - len);
    for (int i = 0; i < len; i++)
        putc(ctx, s[i]);
    n += len;
    if (sp->left)
        n += emit_padding(putc, ctx, ' ', sp->width - len);
    return n;
}

static int emit_number(pg_putc_fn putc, void *ctx, uint64_t value, int negative, unsigned base,
                       int upper, const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int len = 0;
    do {
        tmp[len++] = digits[value % base];
        value /= base;
    } while (value);

    int body = len + (negative ? 1 : 0);
    int pad = sp->width - body;
    int n = 0;
    if (!sp->left && !sp->zero)
        n += emit_padding(putc, ctx, ' ', pad);
    if (negative) {
        putc(ctx, '-');
        n++;
    }
    if (!sp->left && sp->zero)
        n += emit_padding(putc, ctx, '0', pad);
    while (len)
        putc(ctx, tmp[--len]), n++;
    if (sp->left)
        n += emit_padding(putc, ctx, ' ', pad);
    return n;
}

static uint64_t take_unsigned(va_list *ap, int length)
{
    switch (length) {
    case 1:
        return va_arg(*ap, unsigned long);
    case 2:
        return va_arg(*ap, unsigned long long);
    case 3:
        return va_arg(*ap, size_t);
    default:
        return va_arg(*ap, unsigned int);
    }
}

static int64_t take_signed(va_list *ap, int length)
{
    switch (length) {
    case 1:
        return va_arg(*ap, long);
    case 2:
        return va_arg(*ap, long long);
    case 3:
        return (int64_t)va_arg(*ap, size_t);
    default:
        return va_arg(*ap, int);
    }
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){.precision = -1};
    for (;; f++) {
        if (*f == '-')
            sp->left = 1;
        else if (*f == '0')
            sp->zero = 1;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        f++;
    }
    while (*f >= '0' && *f <= '9')
        sp->width = sp->width * 10 + (*f++ - '0');
    if (*f == '.') {
        f++;
        sp->precision = 0;
        if (*f == '*') {
            sp->precision = va_arg(*ap, int);
            f++;
        }
        while (*f >= '0' && *f <= '9')
            sp->precision = sp->precision * 10 + (*f++ - '0');
    }
    for (; *f == 'l'; f++)
        sp->length++;
    if (*f == 'z') {
        sp->length = 3;
        f++;
    }
    return f;
}

int pg_vformat(pg_putc_fn putc, void *ctx, const char *fmt, va_list ap_in)
{
    va_list ap;
    va_copy(ap, ap_in);
    int n = 0;
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            putc(ctx, *f);
            n++;
            continue;
        }
        struct spec sp;
        f = parse_spec(f + 1, &sp, &ap);
        switch (*f) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = 0;
            while ((sp.precision < 0 || len < sp.precision) && s[len])
                len++;
            n += emit_text(putc, ctx, s, len, &sp);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            n += emit_text(putc, ctx, &c, 1, &sp);
            break;
        }
        case 'd':
        case 'i': {
            int64_t v = take_signed(&ap, sp.length);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            n += emit_number(putc, ctx, mag, v < 0, 10, 0, &sp);
            break;
        }
        case 'u':
            n += emit_number(putc, ctx, take_unsigned(&ap, sp.length), 0, 10, 0, &sp);
            break;
        case 'x':
        case 'X':
            n += emit_number(putc, ctx, take_unsigned(&ap, sp.length), 0, 16, *f == 'X', &sp);
            break;
        case 'p':
            putc(ctx, '0');
            putc(ctx, 'x');
            n += 2 + emit_number(putc, ctx, (uintptr_t)va_arg(ap, void *), 0, 16, 0, &sp);
            break;
        case '%':
            putc(ctx, '%');
            n++;
            break;
        case '\0':
            f--; /* a lone '%' at the end: stop */
            break;
        default: /* unknown conversion: print it as written so the mistake is visible */
            putc(ctx, '%');
            putc(ctx, *f);
            n += 2;
            break;
        }
    }
    va_end(ap);
    return n;
}

struct buffer_sink {
    char *buf;
    size_t size;
    size_t used;
};

static void buffer_putc(void *ctx, char c)
{
    struct buffer_sink *b = ctx;
    if (b->used + 1 < b->size)
        b->buf[b->used] = c;
    b->used++;
}

int pg_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buffer_sink b = {buf, size, 0};
    int n = pg_vformat(buffer_putc, &b, fmt, ap);
    if (size)
        buf[b.used < size ? b.used : size - 1] = '\0';
    return n;
}

int pg_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = pg_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
