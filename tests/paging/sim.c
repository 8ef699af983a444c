#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME  4096u
#define POISON 0xa5

static long frame_of(const struct sim *sim, uint64_t phys)
{
    (void)sim;
    if (phys & (FRAME - 1))
        return -1;
    if (phys < SIM_LOW_BYTES)
        return (long)(phys / FRAME);
    if (phys >= SIM_HIGH_BASE && phys < SIM_HIGH_BASE + (uint64_t)SIM_HIGH_FRAMES * FRAME)
        return (long)(SIM_LOW_FRAMES + (phys - SIM_HIGH_BASE) / FRAME);
    return -1;
}

static uint64_t phys_of_frame(unsigned frame)
{
    if (frame < SIM_LOW_FRAMES)
        return (uint64_t)frame * FRAME;
    return SIM_HIGH_BASE + (uint64_t)(frame - SIM_LOW_FRAMES) * FRAME;
}

static uint8_t *frame_bytes(struct sim *sim, unsigned frame)
{
    if (frame < SIM_LOW_FRAMES)
        return sim->low + (size_t)frame * FRAME;
    return sim->high + (size_t)(frame - SIM_LOW_FRAMES) * FRAME;
}

void sim_init(struct sim *sim, bool high_tables)
{
    memset(sim, 0, sizeof(*sim));
    sim->low = malloc(SIM_LOW_BYTES);
    sim->high = malloc((size_t)SIM_HIGH_FRAMES * FRAME);
    sim->in_use = calloc(SIM_LOW_FRAMES + SIM_HIGH_FRAMES, sizeof(bool));
    sim->window = malloc(FRAME);
    sim->window_frame = -1;
    if (!sim->low || !sim->high || !sim->in_use || !sim->window) {
        fprintf(stderr, "sim: out of host memory\n");
        exit(2);
    }
    memset(sim->low, POISON, SIM_LOW_BYTES);
    memset(sim->high, POISON, (size_t)SIM_HIGH_FRAMES * FRAME);
    sim->high_tables = high_tables;
    sim->fail_after = -1;
    sim->cursor = 256; /* keep the first MiB out, like a real kernel would */
    sim->phys_bits = 36;
}

void sim_fini(struct sim *sim)
{
    free(sim->low);
    free(sim->high);
    free(sim->in_use);
    free(sim->window);
    sim->window = NULL;
    sim->low = sim->high = NULL;
    sim->in_use = NULL;
}

/* Makes the frame behind the window current again (the window stays mapped). */
static void window_sync(struct sim *sim)
{
    if (sim->window_frame >= 0)
        memcpy(frame_bytes(sim, (unsigned)sim->window_frame), sim->window, FRAME);
}

static void *window_map(struct sim *sim, long frame)
{
    if (sim->window_frame == frame)
        return sim->window;
    window_sync(sim);
    memcpy(sim->window, frame_bytes(sim, (unsigned)frame), FRAME);
    sim->window_frame = frame;
    sim->window_switches++;
    return sim->window;
}

static bool take_frame(struct sim *sim, unsigned first, unsigned count, uint64_t *phys)
{
    for (unsigned n = 0; n < count; n++) {
        /* Scatter: tables land in no particular order, like from a real frame allocator. */
        unsigned frame = first + (sim->cursor + n * 7919u) % count;
        if (!sim->in_use[frame]) {
            sim->in_use[frame] = true;
            sim->cursor = (sim->cursor + 13u) % count;
            *phys = phys_of_frame(frame);
            return true;
        }
    }
    return false;
}

static bool sim_alloc_table(void *ctx, bool below_4g, uint64_t *phys)
{
    struct sim *sim = ctx;
    if (sim->fail_after == 0)
        return false;
    if (sim->fail_after > 0)
        sim->fail_after--;
    bool ok = false;
    if (!below_4g && sim->high_tables)
        ok = take_frame(sim, SIM_LOW_FRAMES, SIM_HIGH_FRAMES, phys);
    if (!ok)
        ok = take_frame(sim, 256, SIM_LOW_FRAMES - 256, phys);
    if (!ok)
        return false;
    sim->allocs++;
    sim->live++;
    return true;
}

static void sim_free_table(void *ctx, uint64_t phys)
{
    struct sim *sim = ctx;
    long frame = frame_of(sim, phys);
    if (frame < 0 || !sim->in_use[frame]) {
        sim->bad_accesses++;
        fprintf(stderr, "sim: free of non-table frame 0x%llx\n", (unsigned long long)phys);
        return;
    }
    sim->in_use[frame] = false;
    if (sim->window_frame == frame)
        sim->window_frame = -1; /* dropped, not written back: the frame is dead */
    memset(frame_bytes(sim, (unsigned)frame), POISON, FRAME); /* use-after-free shows up */
    sim->frees++;
    sim->live--;
}

bool sim_is_table(const struct sim *sim, uint64_t phys)
{
    long frame = frame_of(sim, phys & ~(uint64_t)(FRAME - 1));
    return frame >= 0 && sim->in_use[frame];
}

static void *sim_table_ptr(void *ctx, uint64_t phys)
{
    struct sim *sim = ctx;
    long frame = frame_of(sim, phys);
    if (frame < 0 || !sim->in_use[frame]) {
        sim->bad_accesses++;
        return NULL;
    }
    if (sim->window_mode)
        return window_map(sim, frame);
    return frame_bytes(sim, (unsigned)frame);
}

uint64_t sim_read(struct sim *sim, uint64_t phys, unsigned bytes)
{
    if (!sim_is_table(sim, phys)) {
        sim->bad_accesses++;
        return 0;
    }
    window_sync(sim);
    long frame = frame_of(sim, phys & ~(uint64_t)(FRAME - 1));
    const uint8_t *p = frame_bytes(sim, (unsigned)frame) + (phys & (FRAME - 1));
    uint64_t value = 0;
    memcpy(&value, p, bytes); /* little-endian host */
    return value;
}

/* ---- TLB ---- */

static void tlb_flush(struct sim *sim, bool keep_global)
{
    for (unsigned i = 0; i < SIM_TLB_SIZE; i++)
        if (!keep_global || !(sim->tlb[i].prot & PAGING_PROT_GLOBAL))
            sim->tlb[i].valid = false;
}

void sim_tlb_fill(struct sim *sim, const struct sim_tlb_entry *entry)
{
    sim->tlb[sim->tlb_next] = *entry;
    sim->tlb[sim->tlb_next].valid = true;
    sim->tlb_next = (sim->tlb_next + 1) % SIM_TLB_SIZE;
}

const struct sim_tlb_entry *sim_tlb_lookup(const struct sim *sim, uint64_t va)
{
    for (unsigned i = 0; i < SIM_TLB_SIZE; i++) {
        const struct sim_tlb_entry *e = &sim->tlb[i];
        if (e->valid && va >= e->va_base && va < e->va_base + e->size)
            return e;
    }
    return NULL;
}

/* ---- CPU hooks ---- */

#define SIM_CR4_PSE (1u << 4)
#define SIM_CR4_PAE (1u << 5)
#define SIM_CR4_PGE (1u << 7)

static void cpu_fault(struct sim *sim, const char *msg, uint64_t value)
{
    sim->cpu_faults++;
    snprintf(sim->fault_msg, sizeof(sim->fault_msg), "%s (0x%llx)", msg, (unsigned long long)value);
}

/* What the CPU does at a CR3 load under PAE: read four PDPTEs, #GP on reserved bits. */
static void load_pdptes(struct sim *sim)
{
    uint64_t reserved_high = ~0ull << sim->phys_bits;
    uint64_t reserved_low = (3ull << 1) | (0xfull << 5);
    if (sim->cr3 & 0x1fu)
        cpu_fault(sim, "CR3 not 32-byte aligned under PAE", sim->cr3);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e = sim_read(sim, (sim->cr3 & ~0x1fu) + 8u * i, 8);
        if ((e & 1u) && (e & (reserved_high | reserved_low)))
            cpu_fault(sim, "reserved bit set in a PDPTE at CR3 load", e);
        sim->pdpte[i] = e;
    }
}

static void sim_write_cr3(void *ctx, uint32_t cr3)
{
    struct sim *sim = ctx;
    sim->cr3 = cr3;
    sim->cr3_writes++;
    if (sim->cr4 & SIM_CR4_PAE)
        load_pdptes(sim);
    tlb_flush(sim, (sim->cr4 & SIM_CR4_PGE) != 0);
}

static void sim_invlpg(void *ctx, uint32_t va)
{
    struct sim *sim = ctx;
    sim->invlpg_count++;
    for (unsigned i = 0; i < SIM_TLB_SIZE; i++) {
        struct sim_tlb_entry *e = &sim->tlb[i];
        if (e->valid && va >= e->va_base && va < e->va_base + e->size)
            e->valid = false;
    }
}

static uint32_t sim_read_cr4(void *ctx)
{
    return ((struct sim *)ctx)->cr4;
}

static void sim_write_cr4(void *ctx, uint32_t cr4)
{
    struct sim *sim = ctx;
    uint32_t changed = sim->cr4 ^ cr4;
    sim->cr4 = cr4;
    sim->cr4_writes++;
    if (changed & (SIM_CR4_PGE | SIM_CR4_PAE | SIM_CR4_PSE))
        tlb_flush(sim, false);
}

/* The simulated CPU has no CR0.PG to clear: the loads just happen in the order the kernel's
 * paging-off switch does them. */
static void sim_load_tables(void *ctx, uint32_t cr3, uint32_t cr4)
{
    struct sim *sim = ctx;
    if (sim->cr4 != cr4)
        sim_write_cr4(ctx, cr4);
    sim_write_cr3(ctx, cr3);
}

static uint64_t sim_read_efer(void *ctx)
{
    return ((struct sim *)ctx)->efer;
}

static void sim_write_efer(void *ctx, uint64_t efer)
{
    struct sim *sim = ctx;
    sim->efer = efer;
    sim->efer_writes++;
}

struct paging_env sim_env(struct sim *sim, bool pse, bool pae, bool pge, bool nx, bool pat,
                          unsigned phys_bits)
{
    sim->phys_bits = phys_bits;
    return (struct paging_env){
        .ctx = sim,
        .alloc_table = sim_alloc_table,
        .free_table = sim_free_table,
        .table_ptr = sim_table_ptr,
        .write_cr3 = sim_write_cr3,
        .load_tables = sim_load_tables,
        .invlpg = sim_invlpg,
        .read_cr4 = sim_read_cr4,
        .write_cr4 = sim_write_cr4,
        .read_efer = sim_read_efer,
        .write_efer = sim_write_efer,
        .pse_available = pse,
        .pae_available = pae,
        .pge_available = pge,
        .nx_available = nx,
        .pat_available = pat,
        .phys_addr_bits = (uint8_t)phys_bits,
    };
}

void sim_enable_pse36(struct sim *sim, struct paging_env *env)
{
    sim->pse36 = true;
    env->pse36_available = true;
}
