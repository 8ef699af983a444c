#include "window.h"

#include "../arch/layout.h"
#include "../arch/pte_bits.h"
#include "../arch/x86.h"
#include "pagoda/page.h"

_Static_assert(WINDOW_SLOT_COUNT_USED <= VM_WINDOW_SLOTS, "more window slots used than exist");

/* arch/boot_data.S: the page table behind the boot page directory's last PDE. */
extern uint32_t boot_window_pt[];

/* One 64-bit store (CMPXCHG8B on i686): the CPU must never see half a PAE entry. */
typedef uint64_t __attribute__((aligned(8))) window_entry64;

static struct {
    volatile void *ptes; /* entry of slot 0 */
    unsigned entry_bytes;
    bool nx;
    bool ready;
    uint32_t remaps;
    uint64_t current[WINDOW_SLOT_COUNT_USED]; /* entry each slot holds now (0: idle/unmapped) */
} window;

static uint32_t slot_va(enum window_slot slot)
{
    return VM_WINDOW_BASE + (uint32_t)slot * PAGODA_PAGE_SIZE;
}

static void window_set_entry(enum window_slot slot, uint64_t entry)
{
    if (!window.ready) {
        window.ptes = &boot_window_pt[BOOT_WINDOW_FIRST_PTE];
        window.entry_bytes = BOOT_PDE_SIZE;
        window.ready = true;
    }
    if (window.entry_bytes == 8)
        __atomic_store_n(&((volatile window_entry64 *)window.ptes)[slot], entry, __ATOMIC_RELAXED);
    else
        ((volatile uint32_t *)window.ptes)[slot] = (uint32_t)entry;
    invlpg(slot_va(slot));
}

void *window_map(enum window_slot slot, uint64_t phys)
{
    uint64_t frame = pagoda_page_down(phys);
    if (window.entry_bytes != 8 && frame >= (1ull << 32))
        return 0;
    uint64_t entry = frame | PTE_P | PTE_RW;
    if (window.nx)
        entry |= PTE_NX;
    /* The paging code asks for the same table once per entry it touches: remap only on change. */
    if (window.current[slot] != entry) {
        window_set_entry(slot, entry);
        window.current[slot] = entry;
        window.remaps++;
    }
    return (void *)(uintptr_t)(slot_va(slot) + (uint32_t)(phys & PAGODA_PAGE_MASK));
}

void window_unmap(enum window_slot slot)
{
    window_set_entry(slot, 0);
    window.current[slot] = 0;
}

void window_use_table(volatile void *pte_base, unsigned entry_bytes, bool nx)
{
    window.ptes = pte_base;
    window.entry_bytes = entry_bytes;
    window.nx = nx;
    window.ready = true;
    for (unsigned slot = 0; slot < WINDOW_SLOT_COUNT_USED; slot++)
        window.current[slot] = 0; /* the new table's slots point at the idle page */
}

uint32_t window_remaps(void)
{
    return window.remaps;
}
