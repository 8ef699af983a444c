#include "kheap.h"

#include "../arch/layout.h"
#include "../panic.h"
#include "env.h"
#include "kernel_half.h"
#include "pg_string.h"
#include "space.h"

static struct heap kernel_heap;

static void release(void *ctx, uintptr_t va, uint32_t pages)
{
    (void)ctx;
    struct vm_space *kernel = vm_kernel_space();
    for (uint32_t i = 0; i < pages; i++) {
        uint32_t page = (uint32_t)va + i * PAGODA_PAGE_SIZE;
        struct paging_walk w;
        vm_space_translate(kernel, page, &w);
        if (!w.mapped)
            panic("vm: the heap gives back page 0x%08x, which is not mapped", page);
        vm_kernel_depopulate(page, PAGODA_PAGE_SIZE);
        frames_free(vm_env_frames(), w.pa);
    }
}

/* Page by page: the frames need not be contiguous. On failure nothing stays backed. */
static bool back(void *ctx, uintptr_t va, uint32_t pages)
{
    for (uint32_t i = 0; i < pages; i++) {
        uint32_t page = (uint32_t)va + i * PAGODA_PAGE_SIZE;
        uint64_t frame = frames_alloc(vm_env_frames(), vm_kernel_populate_where());
        if (frame != FRAMES_NONE &&
            vm_kernel_populate(page, frame, PAGODA_PAGE_SIZE) == PAGING_OK) {
            /* Zeroed: no stale data of whoever had the frame before. */
            memset((void *)(uintptr_t)page, 0, PAGODA_PAGE_SIZE);
            continue;
        }
        if (frame != FRAMES_NONE)
            frames_free(vm_env_frames(), frame);
        release(ctx, va, i);
        return false;
    }
    return true;
}

void vm_kheap_init(bool debug)
{
    static const struct heap_env env = {.back = back, .release = release};
    enum heap_status status =
        heap_init(&kernel_heap, VM_HEAP_START, VM_HEAP_END, &env, debug ? HEAP_FLAG_DEBUG : 0);
    if (status != HEAP_OK)
        panic("vm: the kernel heap at 0x%08x-0x%08x: %s", VM_HEAP_START, VM_HEAP_END,
              heap_status_text(status));
    heap_install(&kernel_heap);
}

struct heap *vm_kheap(void)
{
    return &kernel_heap;
}
