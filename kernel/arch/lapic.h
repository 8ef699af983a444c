/*
 * The local APIC: silenced at boot (the x64 firmware leaves its timer counting), then its timer is
 * the scheduler's tick. Works in xAPIC (MMIO) and x2APIC (MSR) mode.
 */
#ifndef PAGODA_LAPIC_H
#define PAGODA_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct lapic_state {
    bool present;                /* CPUID.1:EDX.APIC */
    bool enabled;                /* IA32_APIC_BASE global enable */
    bool x2apic;                 /* firmware left it in x2APIC mode */
    bool reachable;              /* MMIO page mapped (kernel/vm, uncached) or x2APIC */
    uint64_t base;               /* physical MMIO base */
    volatile uint8_t *regs;      /* its mapping */
    const char *unreachable_why; /* why it could not be mapped */
    uint32_t version;            /* version register */
    uint32_t max_lvt;            /* highest LVT entry index */
    uint32_t timer_lvt_before, timer_initial_before, timer_current_before;
};

extern struct lapic_state lapic;

#define LAPIC_MMIO_SIZE 0x1000u

/* What CPUID and IA32_APIC_BASE say. Returns the physical MMIO page the caller must map
 * (uncached) for lapic_quiet, or 0 when none is needed (absent, disabled, x2APIC). */
uint64_t lapic_detect(void);
/* Masks the LVT timer (and stops it: initial count 0), LINT0, LINT1, error, perf, thermal,
 * through regs, the mapped MMIO page (NULL in x2APIC mode; NULL with why when it could not be
 * mapped). */
void lapic_quiet(volatile uint8_t *regs, const char *unreachable_why);
/* Present, enabled and reachable (mapped or x2APIC): the timer functions below may be used. */
bool lapic_usable(void);
/* Sets the APIC software enable and the spurious-interrupt vector. */
void lapic_software_enable(uint32_t spurious_vector);
/* Counts down from initial_count at the bus clock / 16 with its interrupt masked (for measuring
 * its rate with lapic_timer_current). */
void lapic_timer_count_down(uint32_t initial_count);
/* The same, raising vector at zero and reloading, for a periodic tick. */
void lapic_timer_periodic(uint32_t vector, uint32_t initial_count);
void lapic_timer_stop(void);
uint32_t lapic_timer_current(void);
/* Tells the APIC the interrupt in service is handled. */
void lapic_end_of_interrupt(void);
/*
 * Lets the 8259's interrupts reach the CPU: with the local APIC enabled they arrive on LINT0,
 * which must be in ExtINT mode (the "virtual wire" of the MultiProcessor spec) and unmasked;
 * software-enables the APIC first (LVT masks stick while it is disabled). Without an enabled
 * local APIC the 8259 drives the CPU's INTR pin itself. False when the APIC is enabled but
 * cannot be reached (its LINT0 stays masked).
 */
bool lapic_pass_8259(void);
/* Read back: LVT timer masked and the timer stopped. False if absent/unreachable. */
bool lapic_timer_is_quiet(uint32_t *lvt_timer, uint32_t *current_count);

#endif
