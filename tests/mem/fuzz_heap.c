/*
 * Fuzz target: bytes -> a heap (region size, debug flag, frame limit) and a sequence of
 * kmalloc / kzalloc / kfree calls, with frees that must panic mixed in. Every answer is checked by
 * the model in heap_harness.h (in the region, aligned, apart from every live object, contents
 * kept, zeroed when asked, counters equal to heap_stats, backed pages equal to what the
 * environment counts) and by heap_audit; the region is PROT_NONE wherever the heap has not backed
 * it. Any disagreement, missed panic or unexpected panic aborts.
 *
 * Byte 0: bit 0 debug, bits 1-2 region size (64, 256, 1024 or 4096 pages), bits 3-4 frame limit
 * (none, 40, 200, 1000 pages). Then three bytes per operation: an opcode and two arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap_harness.h"
#include "kernel/mem/heap.h"
#include "mem_support.h"

#define FUZZ_LIVE 4096

static struct heap_test_env env;
static struct heap heap;
static struct heap_model model;

__attribute__((noreturn)) static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_heap: %s\n  model: %s\n  environment: %s\n", what, model.error,
            env.error);
    abort();
}

static size_t fuzz_size(uint8_t a, uint8_t b)
{
    static const size_t edges[] = {0,    1,    15,   16,   17,   2047,  2048,   2049,
                                   3575, 3576, 3577, 3583, 3584, 3585,  4088,   4089,
                                   4095, 4096, 4097, 8192, 8193, 12288, 131072, 131073};
    switch (a >> 6) {
    case 0:
        return b;
    case 1:
        return (size_t)(a & 63) << 6 | b >> 2;
    case 2:
        return edges[b % (sizeof edges / sizeof edges[0])];
    default:
        return (size_t)(a & 63) * 4096 + (size_t)b * 16;
    }
}

static void check(const char *what)
{
    if (!heap_model_check_stats(&model, &heap, &env))
        fuzz_fail(what);
}

/* kfree(ptr) must panic and change nothing. */
static void must_panic(void *ptr, const char *what)
{
    struct heap_stats before, after;
    heap_stats(&heap, &before);
    if (!MEM_PANICS(heap_free(&heap, ptr)))
        fuzz_fail(what);
    heap_stats(&heap, &after);
    if (memcmp(&before, &after, sizeof before) != 0)
        fuzz_fail("a panicking kfree changed the heap");
}

static void free_live(uint32_t k)
{
    void *p = (void *)model.live[k].ptr;
    if (!heap_model_free(&model, k))
        fuzz_fail("object damaged before kfree");
    if (MEM_PANICS(heap_free(&heap, p))) {
        fprintf(stderr, "panic: %s\n", mem_panic_message);
        fuzz_fail("kfree of a live object panicked");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const uint32_t region_pages[4] = {64, 256, 1024, 4096};
    static const uint32_t frame_limits[4] = {0, 40, 200, 1000};
    uint32_t flags = data[0] & 1 ? HEAP_FLAG_DEBUG : 0;
    if (!heap_test_env_init(&env, region_pages[data[0] >> 1 & 3]))
        abort();
    env.frame_limit = frame_limits[data[0] >> 3 & 3];
    if (heap_init(&heap, env.start, env.end, &env.env, flags) != HEAP_OK)
        abort();
    heap_model_init(&model, env.start, env.end, flags != 0, FUZZ_LIVE);
    char msg[256];

    for (size_t i = 1; i + 2 < size; i += 3) {
        uint8_t op = data[i] % 10, a = data[i + 1], b = data[i + 2];
        if (op <= 3 && model.count < FUZZ_LIVE) {
            size_t n = fuzz_size(a, b);
            bool zero = op == 3;
            void *p = zero ? heap_zalloc(&heap, n) : heap_alloc(&heap, n);
            if (p != NULL && !heap_model_alloc(&model, p, n, zero))
                fuzz_fail("allocation breaks a promise");
        } else if ((op == 4 || op == 5) && model.count) {
            free_live((uint32_t)((a << 8 | b) % model.count));
        } else if (op == 6 && model.count) {
            const struct heap_model_object *o = &model.live[(a << 8 | b) % model.count];
            size_t offset = 1 + (size_t)b % (o->size > 1 ? o->size - 1 : 1);
            must_panic((void *)(o->ptr + offset), "kfree inside an object did not panic");
        } else if (op == 7 && model.count) {
            uint32_t k = (uint32_t)((a << 8 | b) % model.count);
            void *p = (void *)model.live[k].ptr;
            free_live(k);
            must_panic(p, "double kfree did not panic");
        } else if (op == 8 && flags && model.count) {
            /* One byte past the requested size: kfree must panic; repaired, it frees. */
            uint32_t k = (uint32_t)((a << 8 | b) % model.count);
            uint8_t *p = (uint8_t *)model.live[k].ptr;
            size_t n = model.live[k].size;
            p[n] = (uint8_t)(HEAP_REDZONE_BYTE ^ (b | 1));
            must_panic(p, "a write past the end did not panic");
            p[n] = HEAP_REDZONE_BYTE;
            free_live(k);
        } else if (op == 9) {
            heap_trim(&heap);
        }
        check("counters");
        if (i % 64 == 1) {
            for (uint32_t k = 0; k < model.count; k++)
                if (!heap_model_intact(&model, k))
                    fuzz_fail("a live object changed");
            if (!heap_audit(&heap, msg, sizeof msg))
                fuzz_fail(msg);
        }
    }
    if (!heap_audit(&heap, msg, sizeof msg))
        fuzz_fail(msg);
    while (model.count)
        free_live(model.count - 1);
    heap_trim(&heap);
    check("drained");
    if (env.backed_pages != 0 || !heap_audit(&heap, msg, sizeof msg))
        fuzz_fail("pages left backed after freeing everything and trimming");
    heap_model_destroy(&model);
    heap_test_env_destroy(&env);
    return 0;
}
