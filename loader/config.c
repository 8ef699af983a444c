#include "config.h"

#include "fmt.h"

#define CONFIG_WHAT_MAX 112

/* Byte-order marks: UTF-8 (skipped), UTF-16 little- and big-endian (refused). */
#define CONFIG_BOM_UTF8_SIZE 3
static const unsigned char config_bom_utf8[CONFIG_BOM_UTF8_SIZE] = {0xef, 0xbb, 0xbf};

struct config_span {
    const char *start;
    size_t length;
};

static int config_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static struct config_span config_trim(const char *start, size_t length)
{
    while (length > 0 && config_is_blank(start[0])) {
        start++;
        length--;
    }
    while (length > 0 && config_is_blank(start[length - 1]))
        length--;
    return (struct config_span){start, length};
}

static int config_span_equals(struct config_span span, const char *word)
{
    size_t i = 0;
    for (; i < span.length; i++)
        if (word[i] == '\0' || word[i] != span.start[i])
            return 0;
    return word[i] == '\0';
}

static int config_span_printable(struct config_span span)
{
    for (size_t i = 0; i < span.length; i++)
        if ((unsigned char)span.start[i] < 0x20 || (unsigned char)span.start[i] > 0x7e)
            return 0;
    return 1;
}

static void config_copy(char *dst, struct config_span span)
{
    for (size_t i = 0; i < span.length; i++)
        dst[i] = span.start[i];
    dst[span.length] = '\0';
}

/* Returns NULL when the value was applied, else why it was not (written into what). */
static const char *config_apply_string(char *dst, size_t capacity, const char *key,
                                       struct config_span value, char *what, int allow_empty)
{
    if (value.length == 0 && !allow_empty) {
        pg_snprintf(what, CONFIG_WHAT_MAX, "%s needs a value", key);
        return what;
    }
    if (value.length >= capacity) {
        pg_snprintf(what, CONFIG_WHAT_MAX, "%s is %u characters long, at most %u allowed", key,
                    (unsigned)value.length, (unsigned)(capacity - 1));
        return what;
    }
    if (!config_span_printable(value)) {
        pg_snprintf(what, CONFIG_WHAT_MAX, "%s contains a character that is not printable ASCII",
                    key);
        return what;
    }
    config_copy(dst, value);
    return NULL;
}

static const char *config_apply_yes_no(int *dst, const char *key, struct config_span value,
                                       char *what)
{
    if (config_span_equals(value, "yes")) {
        *dst = 1;
        return NULL;
    }
    if (config_span_equals(value, "no")) {
        *dst = 0;
        return NULL;
    }
    pg_snprintf(what, CONFIG_WHAT_MAX, "%s must be yes or no, not '%.*s'", key,
                (int)(value.length > 32 ? 32 : value.length), value.start);
    return what;
}

static const char *config_apply_seconds(unsigned *dst, const char *key, struct config_span value,
                                        char *what)
{
    unsigned seconds = 0;

    for (size_t i = 0; i < value.length; i++) {
        if (value.start[i] < '0' || value.start[i] > '9' || seconds > MENU_TIMEOUT_MAX) {
            seconds = MENU_TIMEOUT_MAX + 1;
            break;
        }
        seconds = seconds * 10 + (unsigned)(value.start[i] - '0');
    }
    if (value.length == 0 || seconds > MENU_TIMEOUT_MAX) {
        pg_snprintf(what, CONFIG_WHAT_MAX, "%s must be a number of seconds from 0 to %u", key,
                    MENU_TIMEOUT_MAX);
        return what;
    }
    *dst = seconds;
    return NULL;
}

static const char *config_apply_default(struct loader_config *config, struct config_span value,
                                        char *what)
{
    if (!menu_action_parse(value.start, value.length, &config->default_action)) {
        pg_snprintf(what, CONFIG_WHAT_MAX,
                    "default must be boot, test, compare or isolation, not '%.*s'",
                    (int)(value.length > 32 ? 32 : value.length), value.start);
        return what;
    }
    config->has_default_action = 1;
    return NULL;
}

static const char *config_apply_paging(struct loader_config *config, struct config_span value,
                                       char *what)
{
    if (!menu_paging_parse(value.start, value.length, &config->paging)) {
        pg_snprintf(what, CONFIG_WHAT_MAX, "paging must be auto, 2level or pae, not '%.*s'",
                    (int)(value.length > 32 ? 32 : value.length), value.start);
        return what;
    }
    config->has_paging = 1;
    return NULL;
}

/* Reads decimal digits from text[*at]; returns 0 if there are none or the value exceeds limit. */
static int config_read_number(struct config_span value, size_t *at, uint32_t limit, uint32_t *out)
{
    size_t start = *at;
    uint32_t number = 0;

    while (*at < value.length && value.start[*at] >= '0' && value.start[*at] <= '9') {
        number = number * 10 + (uint32_t)(value.start[*at] - '0');
        if (number > limit)
            return 0;
        (*at)++;
    }
    *out = number;
    return *at > start;
}

static const char *config_apply_resolution(struct loader_config *config, struct config_span value,
                                           char *what)
{
    uint32_t width = 0, height = 0;
    size_t at = 0;

    if (config_span_equals(value, "auto")) {
        config->has_resolution = 0;
        return NULL;
    }
    int shaped = config_read_number(value, &at, CONFIG_RESOLUTION_MAX_WIDTH, &width) &&
                 at < value.length && (value.start[at] == 'x' || value.start[at] == 'X');
    if (shaped) {
        at++; /* the 'x' */
        shaped = config_read_number(value, &at, CONFIG_RESOLUTION_MAX_HEIGHT, &height) &&
                 at == value.length;
    }
    if (!shaped || width < CONFIG_RESOLUTION_MIN_WIDTH || height < CONFIG_RESOLUTION_MIN_HEIGHT) {
        pg_snprintf(what, CONFIG_WHAT_MAX,
                    "resolution must be auto or WIDTHxHEIGHT from %ux%u to %ux%u, not '%.*s'",
                    CONFIG_RESOLUTION_MIN_WIDTH, CONFIG_RESOLUTION_MIN_HEIGHT,
                    CONFIG_RESOLUTION_MAX_WIDTH, CONFIG_RESOLUTION_MAX_HEIGHT,
                    (int)(value.length > 24 ? 24 : value.length), value.start);
        return what;
    }
    config->has_resolution = 1;
    config->resolution_width = width;
    config->resolution_height = height;
    return NULL;
}

static const char *const config_protocol_names[] = {
    [CONFIG_PROTOCOL_AUTO] = "auto",
    [CONFIG_PROTOCOL_PAGODA] = "pagoda",
    [CONFIG_PROTOCOL_MULTIBOOT1] = "multiboot1",
    [CONFIG_PROTOCOL_MULTIBOOT2] = "multiboot2",
};

const char *config_protocol_name(enum config_protocol protocol)
{
    if ((unsigned)protocol >= sizeof(config_protocol_names) / sizeof(config_protocol_names[0]))
        return "?";
    return config_protocol_names[protocol];
}

static const char *config_apply_protocol(struct loader_config *config, struct config_span value,
                                         char *what)
{
    for (unsigned p = 0; p < sizeof(config_protocol_names) / sizeof(config_protocol_names[0]);
         p++) {
        if (config_span_equals(value, config_protocol_names[p])) {
            config->protocol = (enum config_protocol)p;
            return NULL;
        }
    }
    pg_snprintf(what, CONFIG_WHAT_MAX,
                "protocol must be auto, pagoda, multiboot1 or multiboot2, not '%.*s'",
                (int)(value.length > 32 ? 32 : value.length), value.start);
    return what;
}

/* "module = FILE [string]": the file name is the first word, the string the rest of the line. */
static const char *config_apply_module(struct loader_config *config, struct config_span value,
                                       char *what)
{
    size_t name_length = 0;

    if (config->module_count == PAGODA_MAX_MODULES) {
        pg_snprintf(what, CONFIG_WHAT_MAX, "module: at most %u modules", PAGODA_MAX_MODULES);
        return what;
    }
    while (name_length < value.length && !config_is_blank(value.start[name_length]))
        name_length++;
    struct config_span name = {value.start, name_length};
    struct config_span string = config_trim(value.start + name_length, value.length - name_length);
    struct config_module *module = &config->modules[config->module_count];
    const char *problem =
        config_apply_string(module->name, sizeof(module->name), "module file", name, what, 0);
    if (problem == NULL)
        problem = config_apply_string(module->string, sizeof(module->string), "module string",
                                      string, what, 1);
    if (problem == NULL)
        config->module_count++;
    return problem;
}

static const char *config_apply_line(struct loader_config *config, struct config_span line,
                                     char *what)
{
    size_t equals = 0;

    while (equals < line.length && line.start[equals] != '=')
        equals++;
    if (equals == line.length)
        return "expected 'key = value'";
    struct config_span key = config_trim(line.start, equals);
    struct config_span value = config_trim(line.start + equals + 1, line.length - equals - 1);

    if (config_span_equals(key, "kernel"))
        return config_apply_string(config->kernel, sizeof(config->kernel), "kernel", value, what,
                                   0);
    if (config_span_equals(key, "cmdline"))
        return config_apply_string(config->cmdline, sizeof(config->cmdline), "cmdline", value, what,
                                   1);
    if (config_span_equals(key, "debug_occupy_kernel_range"))
        return config_apply_yes_no(&config->debug_occupy_kernel_range, "debug_occupy_kernel_range",
                                   value, what);
    if (config_span_equals(key, "live_log"))
        return config_apply_yes_no(&config->live_log, "live_log", value, what);
    if (config_span_equals(key, "menu_timeout"))
        return config_apply_seconds(&config->menu_timeout, "menu_timeout", value, what);
    if (config_span_equals(key, "default"))
        return config_apply_default(config, value, what);
    if (config_span_equals(key, "paging"))
        return config_apply_paging(config, value, what);
    if (config_span_equals(key, "resolution"))
        return config_apply_resolution(config, value, what);
    if (config_span_equals(key, "protocol"))
        return config_apply_protocol(config, value, what);
    if (config_span_equals(key, "module"))
        return config_apply_module(config, value, what);
    if (key.length == 0)
        return "missing key before '='";
    pg_snprintf(what, CONFIG_WHAT_MAX, "unknown key '%.*s'",
                (int)(key.length > 32 ? 32 : key.length), key.start);
    return what;
}

void config_defaults(struct loader_config *config)
{
    struct config_span kernel = {CONFIG_DEFAULT_KERNEL, sizeof(CONFIG_DEFAULT_KERNEL) - 1};
    config_copy(config->kernel, kernel);
    config->cmdline[0] = '\0';
    config->debug_occupy_kernel_range = 0;
    config->live_log = 0;
    config->menu_timeout = 0;
    config->has_default_action = 0;
    config->default_action = MENU_ACTION_BOOT;
    config->has_paging = 0;
    config->paging = MENU_PAGING_AUTO;
    config->has_resolution = 0;
    config->resolution_width = 0;
    config->resolution_height = 0;
    config->protocol = CONFIG_PROTOCOL_AUTO;
    config->module_count = 0;
}

unsigned config_parse(const char *text, size_t size, struct loader_config *config,
                      config_report_fn report, void *ctx)
{
    unsigned bad_lines = 0;
    unsigned line_number = 0;
    size_t position = 0;
    const unsigned char *bytes = (const unsigned char *)text;

    /* Without this the mark would sit in front of the first key and that line would be lost. */
    if (size >= CONFIG_BOM_UTF8_SIZE && bytes[0] == config_bom_utf8[0] &&
        bytes[1] == config_bom_utf8[1] && bytes[2] == config_bom_utf8[2])
        position = CONFIG_BOM_UTF8_SIZE;
    if (size >= 2 &&
        ((bytes[0] == 0xff && bytes[1] == 0xfe) || (bytes[0] == 0xfe && bytes[1] == 0xff))) {
        if (report != NULL)
            report(ctx, 1,
                   "the file is UTF-16 (it starts with a UTF-16 byte-order mark): "
                   "save it as UTF-8 or plain ASCII; no line was read");
        return 1;
    }
    while (position < size) {
        size_t end = position;
        while (end < size && text[end] != '\n')
            end++;
        line_number++;
        struct config_span line = config_trim(text + position, end - position);
        position = end + 1;
        if (line.length == 0 || line.start[0] == '#')
            continue;

        char what[CONFIG_WHAT_MAX];
        const char *problem = config_apply_line(config, line, what);
        if (problem != NULL) {
            bad_lines++;
            if (report != NULL)
                report(ctx, line_number, problem);
        }
    }
    return bad_lines;
}
