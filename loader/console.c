#include "console.h"

#include "fmt.h"

#define CONSOLE_CHUNK 128

static SIMPLE_TEXT_OUTPUT_INTERFACE *console_out;

struct console_sink {
    CHAR16 buffer[CONSOLE_CHUNK + 1];
    UINTN used;
};

void console_init(SIMPLE_TEXT_OUTPUT_INTERFACE *con_out)
{
    console_out = con_out;
}

void console_shutdown(void)
{
    console_out = NULL;
}

static void console_flush(struct console_sink *sink)
{
    sink->buffer[sink->used] = 0;
    if (console_out != NULL && sink->used > 0)
        console_out->OutputString(console_out, sink->buffer);
    sink->used = 0;
}

static void console_put_char16(struct console_sink *sink, CHAR16 c)
{
    if (sink->used == CONSOLE_CHUNK)
        console_flush(sink);
    sink->buffer[sink->used++] = c;
}

static void console_sink_putc(void *ctx, char c)
{
    struct console_sink *sink = ctx;
    /* OutputString moves the cursor exactly as told: a bare LF would not return the carriage. */
    if (c == '\n')
        console_put_char16(sink, L'\r');
    console_put_char16(sink, (CHAR16)(unsigned char)c);
}

void console_print(const char *fmt, ...)
{
    struct console_sink sink;
    va_list ap;

    if (console_out == NULL)
        return;
    sink.used = 0;
    va_start(ap, fmt);
    pg_vformat(console_sink_putc, &sink, fmt, ap);
    va_end(ap);
    console_flush(&sink);
}

/* Indexed by the status code without its error bit (UEFI spec 2.10, appendix D). */
static const char *const console_error_names[] = {
    "Success",          "Load Error",           "Invalid Parameter",
    "Unsupported",      "Bad Buffer Size",      "Buffer Too Small",
    "Not Ready",        "Device Error",         "Write Protected",
    "Out of Resources", "Volume Corrupt",       "Volume Full",
    "No Media",         "Media changed",        "Not Found",
    "Access Denied",    "No Response",          "No mapping",
    "Time out",         "Not started",          "Already started",
    "Aborted",          "ICMP Error",           "TFTP Error",
    "Protocol Error",   "Incompatible Version", "Security Violation",
    "CRC Error",        "End of Media",         "Reserved (29)",
    "Reserved (30)",    "End of File",          "Invalid Language",
    "Compromised Data", "IP Address Conflict",  "HTTP Error",
};

static const char *const console_warning_names[] = {
    "Success",
    "Warning Unknown Glyph",
    "Warning Delete Failure",
    "Warning Write Failure",
    "Warning Buffer Too Small",
    "Warning Stale Data",
    "Warning File System",
    "Warning Reset Required",
};

const char *console_status_text(EFI_STATUS status)
{
    UINTN code = status & ~EFI_ERROR_MASK;

    if (EFI_ERROR(status)) {
        if (code < sizeof(console_error_names) / sizeof(console_error_names[0]))
            return console_error_names[code];
        return "Unknown Error";
    }
    if (code < sizeof(console_warning_names) / sizeof(console_warning_names[0]))
        return console_warning_names[code];
    return "Unknown Warning";
}

void console_char16_to_ascii(const CHAR16 *in, char *out, size_t out_size)
{
    size_t i = 0;

    if (out_size == 0)
        return;
    for (; in != NULL && in[i] != 0 && i + 1 < out_size; i++)
        out[i] = in[i] < 0x80 ? (char)in[i] : '?';
    out[i] = '\0';
}
