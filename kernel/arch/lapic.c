#include "lapic.h"

#include "cpu.h"
#include "vectors.h"
#include "x86.h"

/* Register offsets in the xAPIC MMIO page (SDM Vol. 3A 11.4.1, table 11-1). */
#define LAPIC_REG_VERSION       0x030u
#define LAPIC_REG_EOI           0x0B0u
#define LAPIC_REG_SPURIOUS      0x0F0u
#define LAPIC_REG_LVT_TIMER     0x320u
#define LAPIC_REG_LVT_THERMAL   0x330u
#define LAPIC_REG_LVT_PERF      0x340u
#define LAPIC_REG_LVT_LINT0     0x350u
#define LAPIC_REG_LVT_LINT1     0x360u
#define LAPIC_REG_LVT_ERROR     0x370u
#define LAPIC_REG_TIMER_INITIAL 0x380u
#define LAPIC_REG_TIMER_CURRENT 0x390u
#define LAPIC_REG_TIMER_DIVIDE  0x3E0u

#define LAPIC_LVT_MASKED         (1u << 16)
#define LAPIC_LVT_EXTINT         (7u << 8) /* delivery mode: the 8259 supplies the vector */
#define LAPIC_LVT_TIMER_PERIODIC (1u << 17)
#define LAPIC_SPURIOUS_ENABLE    (1u << 8) /* APIC software enable */
#define LAPIC_TIMER_DIVIDE_16    0x3u      /* the divide configuration register's code for 16 */
#define LAPIC_VERSION_MAX_LVT(v) (((v) >> 16) & 0xFFu)
#define LAPIC_MAX_LVT_PERF       4u /* the performance counter LVT exists from this count on */
#define LAPIC_MAX_LVT_THERMAL    5u

struct lapic_state lapic;

static uint32_t lapic_read(uint32_t reg)
{
    if (lapic.x2apic)
        return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
    return *(volatile uint32_t *)(lapic.regs + reg);
}

static void lapic_write(uint32_t reg, uint32_t value)
{
    if (lapic.x2apic)
        wrmsr(MSR_X2APIC_BASE + (reg >> 4), value);
    else
        *(volatile uint32_t *)(lapic.regs + reg) = value;
}

static void lapic_mask(uint32_t reg)
{
    lapic_write(reg, lapic_read(reg) | LAPIC_LVT_MASKED);
}

uint64_t lapic_detect(void)
{
    lapic.present = cpu.apic && cpu.msr;
    if (!lapic.present)
        return 0;
    uint64_t base_msr = rdmsr(MSR_IA32_APIC_BASE);
    lapic.enabled = base_msr & APIC_BASE_ENABLE;
    lapic.x2apic = base_msr & APIC_BASE_X2APIC;
    lapic.base = base_msr & ~(uint64_t)0xFFFu & ((1ull << cpu.physical_address_bits) - 1);
    return lapic.enabled && !lapic.x2apic ? lapic.base : 0;
}

void lapic_quiet(volatile uint8_t *regs, const char *unreachable_why)
{
    if (!lapic.present || !lapic.enabled)
        return; /* globally disabled: no timer can run */
    lapic.regs = regs;
    lapic.unreachable_why = unreachable_why;
    lapic.reachable = lapic.x2apic || lapic.regs != 0;
    if (!lapic.reachable)
        return;
    lapic.version = lapic_read(LAPIC_REG_VERSION);
    lapic.max_lvt = LAPIC_VERSION_MAX_LVT(lapic.version);
    lapic.timer_lvt_before = lapic_read(LAPIC_REG_LVT_TIMER);
    lapic.timer_initial_before = lapic_read(LAPIC_REG_TIMER_INITIAL);
    lapic.timer_current_before = lapic_read(LAPIC_REG_TIMER_CURRENT);

    lapic_mask(LAPIC_REG_LVT_TIMER);
    lapic_write(LAPIC_REG_TIMER_INITIAL, 0); /* a zero initial count stops the timer */
    lapic_mask(LAPIC_REG_LVT_LINT0);
    lapic_mask(LAPIC_REG_LVT_LINT1);
    lapic_mask(LAPIC_REG_LVT_ERROR);
    if (lapic.max_lvt >= LAPIC_MAX_LVT_PERF)
        lapic_mask(LAPIC_REG_LVT_PERF);
    if (lapic.max_lvt >= LAPIC_MAX_LVT_THERMAL)
        lapic_mask(LAPIC_REG_LVT_THERMAL);
}

bool lapic_timer_is_quiet(uint32_t *lvt_timer, uint32_t *current_count)
{
    if (!lapic.present || !lapic.enabled || !lapic.reachable)
        return false;
    *lvt_timer = lapic_read(LAPIC_REG_LVT_TIMER);
    *current_count = lapic_read(LAPIC_REG_TIMER_CURRENT);
    return (*lvt_timer & LAPIC_LVT_MASKED) && *current_count == 0;
}

bool lapic_usable(void)
{
    return lapic.present && lapic.enabled && lapic.reachable;
}

void lapic_software_enable(uint32_t spurious_vector)
{
    lapic_write(LAPIC_REG_SPURIOUS, LAPIC_SPURIOUS_ENABLE | (spurious_vector & 0xFFu));
}

void lapic_timer_count_down(uint32_t initial_count)
{
    lapic_write(LAPIC_REG_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_16);
    lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED);
    lapic_write(LAPIC_REG_TIMER_INITIAL, initial_count);
}

void lapic_timer_periodic(uint32_t vector, uint32_t initial_count)
{
    lapic_write(LAPIC_REG_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_16);
    lapic_write(LAPIC_REG_LVT_TIMER, (vector & 0xFFu) | LAPIC_LVT_TIMER_PERIODIC);
    lapic_write(LAPIC_REG_TIMER_INITIAL, initial_count);
}

void lapic_timer_stop(void)
{
    lapic_mask(LAPIC_REG_LVT_TIMER);
    lapic_write(LAPIC_REG_TIMER_INITIAL, 0);
}

uint32_t lapic_timer_current(void)
{
    return lapic_read(LAPIC_REG_TIMER_CURRENT);
}

void lapic_end_of_interrupt(void)
{
    lapic_write(LAPIC_REG_EOI, 0);
}

bool lapic_pass_8259(void)
{
    if (!lapic.present || !lapic.enabled)
        return true;
    if (!lapic.reachable)
        return false;
    lapic_software_enable(VECTOR_SPURIOUS);
    lapic_write(LAPIC_REG_LVT_LINT0, LAPIC_LVT_EXTINT);
    return true;
}
