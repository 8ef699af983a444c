#include "kstack.h"

#include "../arch/layout.h"
#include "../panic.h"
#include "env.h"
#include "kernel_half.h"
#include "pagoda/page.h"
#include "pg_string.h"
#include "space.h"

#define SLOT_BYTES ((VM_KSTACK_PAGES + 1u) * PAGODA_PAGE_SIZE) /* guard page, then the stack */
#define SLOTS      ((VM_KSTACK_END - VM_KSTACK_START) / SLOT_BYTES)

static uint32_t used[(SLOTS + 31) / 32];
static uint32_t in_use;

static uint32_t slot_base(uint32_t slot)
{
    return VM_KSTACK_START + slot * SLOT_BYTES + PAGODA_PAGE_SIZE; /* above the guard */
}

static void give_back(uint32_t base, uint32_t pages)
{
    struct vm_space *kernel = vm_kernel_space();
    for (uint32_t i = 0; i < pages; i++) {
        struct paging_walk w;
        vm_space_translate(kernel, base + i * PAGODA_PAGE_SIZE, &w);
        if (!w.mapped)
            panic("vm: kernel stack page 0x%08x is not mapped", base + i * PAGODA_PAGE_SIZE);
        vm_kernel_depopulate(base + i * PAGODA_PAGE_SIZE, PAGODA_PAGE_SIZE);
        frames_free(vm_env_frames(), w.pa);
    }
}

uint32_t vm_kstack_alloc(void)
{
    uint32_t slot = 0;
    while (slot < SLOTS && (used[slot / 32] & (1u << (slot % 32))))
        slot++;
    if (slot == SLOTS)
        return 0;
    uint32_t base = slot_base(slot);
    for (uint32_t i = 0; i < VM_KSTACK_PAGES; i++) {
        uint64_t frame = frames_alloc(vm_env_frames(), vm_kernel_populate_where());
        if (frame == FRAMES_NONE ||
            vm_kernel_populate(base + i * PAGODA_PAGE_SIZE, frame, PAGODA_PAGE_SIZE) != PAGING_OK) {
            if (frame != FRAMES_NONE)
                frames_free(vm_env_frames(), frame);
            give_back(base, i);
            return 0;
        }
    }
    /* Every byte written once: no stale data of the frames' last owner on the stack, and under
     * QEMU TCG no stale translated code either. TCG keeps a frame that held executed code (the
     * firmware's, an ended process's) on its self-modifying-code path until every translated
     * block on it has been overwritten, so a stack written only near its top would send every
     * trap's pushes down that path: about 200,000 cycles per system call instead of 4,000. */
    memset((void *)(uintptr_t)base, 0, VM_KSTACK_PAGES * PAGODA_PAGE_SIZE);
    used[slot / 32] |= 1u << (slot % 32);
    in_use++;
    return base + VM_KSTACK_PAGES * PAGODA_PAGE_SIZE;
}

void vm_kstack_free(uint32_t top)
{
    uint32_t base = top - VM_KSTACK_PAGES * PAGODA_PAGE_SIZE;
    uint32_t slot = (base - PAGODA_PAGE_SIZE - VM_KSTACK_START) / SLOT_BYTES;
    if (top < VM_KSTACK_START || slot >= SLOTS || slot_base(slot) != base ||
        !(used[slot / 32] & (1u << (slot % 32))))
        panic("vm: freeing kernel stack top 0x%08x, which is not an allocated slot", top);
    give_back(base, VM_KSTACK_PAGES);
    used[slot / 32] &= ~(1u << (slot % 32));
    in_use--;
}

uint32_t vm_kstack_in_use(void)
{
    return in_use;
}
