/*
 * libFuzzer on the user allocator: the input is a program of operations (malloc, calloc, free,
 * realloc, a foreign break move) run against the model of heap_model.h, which aborts on the
 * first broken promise.
 */
#include "heap_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* The first byte picks the configuration: growth and trimming from none to generous. */
    static const size_t grow[] = {0, 4096, 65536};
    static const size_t trim[] = {0, 16384, 262144};
    struct heap_config config = {.grow_min = grow[data[0] % 3],
                                 .trim_threshold = trim[(data[0] / 3) % 3],
                                 .trim_keep = (data[0] & 0x80) ? 65536 : 0};
    static struct heap_model *m;
    if (!m)
        m = model_new((size_t)1 << 20, config);
    if (!m)
        return 0;
    model_reset(m, config);
    int r = 0;
    for (size_t i = 1; i + 2 < size && r == 0; i += 3) {
        uint8_t op = data[i];
        size_t arg = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;
        size_t amount = (op & 0x80) ? arg * 2 : arg % 300; /* up to 128 KiB, or small */
        switch (op % 7) {
        case 0:
        case 1:
            r = model_alloc(m, amount, 0);
            break;
        case 2:
            r = model_alloc(m, amount, 1 + (op & 1));
            break;
        case 3:
        case 4:
            r = model_free(m, arg);
            break;
        case 5:
            r = model_realloc(m, arg, amount);
            break;
        default:
            if (op & 0x40)
                fake_grow(&m->brk, (intptr_t)(8 * (1 + arg % 4))); /* a foreign sbrk */
            else
                r = model_verify(m);
            break;
        }
    }
    while (r == 0 && m->count)
        r = model_free(m, 0);
    if (r == 0)
        r = model_verify(m);
    if (r) {
        fprintf(stderr, "heap model: %s\n", m->error);
        abort();
    }
    return 0;
}
