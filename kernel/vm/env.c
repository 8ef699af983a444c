#include "env.h"

#include "../arch/cpu.h"
#include "../arch/paging_switch.h"
#include "../arch/x86.h"
#include "../panic.h"
#include "pagoda/page.h"
#include "phys.h"

static struct {
    struct frames *frames;
    uint64_t pool_phys;
    uint32_t pool_free_bits[(VM_POOL_FRAMES + 31) / 32];
    bool format_switch_allowed;
} env;

void vm_env_init(struct frames *frames, uint64_t pool_phys)
{
    env.frames = frames;
    env.pool_phys = pool_phys;
    if (!pool_phys)
        return;
    for (unsigned f = 0; f < VM_POOL_FRAMES; f++)
        env.pool_free_bits[f / 32] |= 1u << (f % 32);
}

struct frames *vm_env_frames(void)
{
    return env.frames;
}

uint64_t vm_env_pool_phys(void)
{
    return env.pool_phys;
}

void vm_env_allow_format_switch(bool allow)
{
    env.format_switch_allowed = allow;
}

/* ---- the table pool ---- */

static bool pool_owns(uint64_t phys)
{
    return env.pool_phys && phys >= env.pool_phys &&
           phys < env.pool_phys + (uint64_t)VM_POOL_FRAMES * PAGODA_PAGE_SIZE;
}

static bool pool_take(uint64_t *phys)
{
    for (unsigned w = 0; w < sizeof(env.pool_free_bits) / sizeof(env.pool_free_bits[0]); w++) {
        if (!env.pool_free_bits[w])
            continue;
        unsigned bit = (unsigned)__builtin_ctz(env.pool_free_bits[w]);
        env.pool_free_bits[w] &= ~(1u << bit);
        *phys = env.pool_phys + (uint64_t)(w * 32 + bit) * PAGODA_PAGE_SIZE;
        return true;
    }
    return false;
}

static void pool_give_back(uint64_t phys)
{
    uint32_t index = (uint32_t)((phys - env.pool_phys) >> PAGODA_PAGE_SHIFT);
    if (env.pool_free_bits[index / 32] & (1u << (index % 32)))
        panic("vm: page-table frame 0x%llx freed twice", (unsigned long long)phys);
    env.pool_free_bits[index / 32] |= 1u << (index % 32);
}

/* ---- the hooks ---- */

static bool env_alloc_table(void *ctx, bool below_4g, uint64_t *phys)
{
    (void)ctx;
    if (pool_take(phys))
        return true;
    uint64_t frame = frames_alloc(env.frames, below_4g ? FRAMES_BELOW_4G : FRAMES_ANYWHERE);
    if (frame == FRAMES_NONE)
        return false;
    *phys = frame;
    return true;
}

static void env_free_table(void *ctx, uint64_t phys)
{
    (void)ctx;
    if (pool_owns(phys))
        pool_give_back(phys);
    else
        frames_free(env.frames, phys);
}

static void *env_table_ptr(void *ctx, uint64_t phys)
{
    (void)ctx;
    return vm_table_map(phys);
}

static void env_write_cr3(void *ctx, uint32_t cr3)
{
    (void)ctx;
    write_cr3(cr3);
}

static void env_load_tables(void *ctx, uint32_t cr3, uint32_t cr4)
{
    (void)ctx;
    uint32_t now = read_cr4();
    if (!((now ^ cr4) & (CR4_PAE | CR4_PSE))) {
        if (now != cr4)
            write_cr4(cr4);
        write_cr3(cr3);
        return;
    }
    if (!env.format_switch_allowed)
        panic("vm: a load of CR4 0x%08x over 0x%08x changes the paging format outside a "
              "format switch",
              cr4, now);
    /* Through a pointer: the callee runs at its physical address, ~3 GiB below the caller. */
    void (*volatile switch_at_identity)(uint32_t, uint32_t) = vm_switch_paging;
    switch_at_identity(cr3, cr4);
}

static void env_invlpg(void *ctx, uint32_t va)
{
    (void)ctx;
    invlpg(va);
}

static uint32_t env_read_cr4(void *ctx)
{
    (void)ctx;
    return read_cr4();
}

static void env_write_cr4(void *ctx, uint32_t cr4)
{
    (void)ctx;
    write_cr4(cr4);
}

static uint64_t env_read_efer(void *ctx)
{
    (void)ctx;
    return rdmsr(MSR_IA32_EFER);
}

/* EFER.NXE may be set while two-level paging is still on: only PAE entries have an NX bit. */
static void env_write_efer(void *ctx, uint64_t efer)
{
    (void)ctx;
    wrmsr(MSR_IA32_EFER, efer);
}

struct paging_env vm_env(void)
{
    return (struct paging_env){
        .alloc_table = env_alloc_table,
        .free_table = env_free_table,
        .table_ptr = env_table_ptr,
        .write_cr3 = env_write_cr3,
        .load_tables = env_load_tables,
        .invlpg = env_invlpg,
        .read_cr4 = env_read_cr4,
        .write_cr4 = env_write_cr4,
        .read_efer = env_read_efer,
        .write_efer = env_write_efer,
        .pse_available = cpu.pse,
        .pse36_available = cpu.pse36,
        .pae_available = cpu.pae,
        .pge_available = cpu.pge,
        .nx_available = cpu.nx && cpu.has_efer,
        .pat_available = cpu.pat && cpu.msr,
        .phys_addr_bits = (uint8_t)cpu.physical_address_bits,
    };
}
