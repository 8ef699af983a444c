/*
 * libFuzzer target for loader/config.c: any bytes as pagoda.cfg. The parser must not crash or
 * trip a sanitizer, must count exactly the lines it reports, and must leave every setting in a
 * state the loader can use: strings NUL-terminated printable ASCII within their buffers, enums in
 * range, at most PAGODA_MAX_MODULES modules, each with a file name.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

static void require(int condition)
{
    if (!condition)
        abort();
}

static void count_report(void *ctx, unsigned line, const char *what)
{
    unsigned *count = ctx;
    require(line >= 1 && what != NULL && what[0] != '\0');
    (*count)++;
}

static void require_printable(const char *s, size_t capacity, int allow_empty)
{
    size_t length = strnlen(s, capacity);
    require(length < capacity);
    require(allow_empty || length > 0);
    for (size_t i = 0; i < length; i++)
        require((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x7e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct loader_config config;
    unsigned reported = 0;

    config_defaults(&config);
    unsigned bad = config_parse((const char *)data, size, &config, count_report, &reported);
    require(bad == reported);
    require_printable(config.kernel, sizeof(config.kernel), 0);
    require_printable(config.cmdline, sizeof(config.cmdline), 1);
    require(config.protocol <= CONFIG_PROTOCOL_MULTIBOOT2);
    require(config.module_count <= PAGODA_MAX_MODULES);
    for (unsigned i = 0; i < config.module_count; i++) {
        require_printable(config.modules[i].name, sizeof(config.modules[i].name), 0);
        require(strchr(config.modules[i].name, ' ') == NULL);
        require_printable(config.modules[i].string, sizeof(config.modules[i].string), 1);
    }
    require(config.menu_timeout <= MENU_TIMEOUT_MAX);
    if (config.has_resolution)
        require(config.resolution_width >= CONFIG_RESOLUTION_MIN_WIDTH &&
                config.resolution_width <= CONFIG_RESOLUTION_MAX_WIDTH &&
                config.resolution_height >= CONFIG_RESOLUTION_MIN_HEIGHT &&
                config.resolution_height <= CONFIG_RESOLUTION_MAX_HEIGHT);
    return 0;
}
