#include "console.h"

#include "fmt.h"
#include "pg_string.h"
#include "pagoda/boot_info.h"
#include "pagoda/page.h"

#define CONSOLE_CHUNK 128
#define CONSOLE_LOG_TEXT                                                                           \
    (PAGODA_LOADER_LOG_PAGES * PAGODA_PAGE_SIZE - sizeof(struct pagoda_loader_log))

static SIMPLE_TEXT_OUTPUT_INTERFACE *console_out;
/* Everything printed, whether or not it is on the console yet; the kernel gets a copy. */
static char log_text[CONSOLE_LOG_TEXT];
static uint32_t log_used, log_dropped;
static uint32_t log_shown; /* log_text[0, log_shown) is on the console */
static int live;

struct console_sink {
    CHAR16 buffer[CONSOLE_CHUNK + 1];
    UINTN used;
};

void console_init(SIMPLE_TEXT_OUTPUT_INTERFACE *con_out, int show_as_printed)
{
    console_out = con_out;
    live = show_as_printed;
    log_used = log_dropped = log_shown = 0;
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

/* OutputString moves the cursor exactly as told: a bare LF would not return the carriage. */
static void console_put_ascii(struct console_sink *sink, char c)
{
    if (c == '\n')
        console_put_char16(sink, L'\r');
    console_put_char16(sink, (CHAR16)(unsigned char)c);
}

/* Puts log_text[log_shown, log_used) on the console. */
static void console_show_backlog(void)
{
    struct console_sink sink = {.used = 0};

    if (console_out == NULL)
        return;
    for (; log_shown < log_used; log_shown++)
        console_put_ascii(&sink, log_text[log_shown]);
    console_flush(&sink);
}

static void console_log_putc(void *ctx, char c)
{
    (void)ctx;
    if (log_used < sizeof(log_text))
        log_text[log_used++] = c;
    else
        log_dropped++;
}

static void console_vprint(int show, const char *fmt, va_list ap)
{
    if (console_out == NULL)
        return;
    pg_vformat(console_log_putc, NULL, fmt, ap);
    if (show)
        console_show_backlog();
}

void console_print(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    console_vprint(live, fmt, ap);
    va_end(ap);
}

void console_print_shown(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    console_vprint(1, fmt, ap);
    va_end(ap);
}

void console_go_live(void)
{
    live = 1;
    console_show_backlog();
}

void console_copy_log(struct pagoda_loader_log *out, size_t capacity)
{
    size_t room = capacity - sizeof(*out);
    uint32_t kept = log_used < room ? log_used : (uint32_t)room;

    memcpy(out->text, log_text, kept);
    out->magic = PAGODA_LOADER_LOG_MAGIC;
    out->size = kept;
    out->dropped = log_dropped + (log_used - kept);
    out->pad = 0;
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
