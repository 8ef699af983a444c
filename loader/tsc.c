/*
 * Time stamps for the boot phases, and the TSC rate measured against the firmware's Stall()
 * (a calibrated microsecond delay), so the kernel can turn the stamps into time.
 *
 * Stall() can only return late, never early: when the (virtual) CPU is descheduled during a
 * sample, the sample counts too many ticks. So take several short samples and keep the
 * smallest, which is the one least disturbed.
 */
#include "console.h"
#include "loader.h"

#define TSC_SAMPLE_US     10000u
#define TSC_SAMPLES       5
#define TSC_US_PER_SECOND 1000000u

uint64_t tsc_read(void)
{
    return __builtin_ia32_rdtsc();
}

void tsc_stamp(struct loader *ld, enum pagoda_phase phase)
{
    ld->tsc[phase] = tsc_read();
}

void tsc_measure(struct loader *ld)
{
    uint64_t fewest_ticks = UINT64_MAX;

    for (int sample = 0; sample < TSC_SAMPLES; sample++) {
        uint64_t start = tsc_read();
        EFI_STATUS status = ld->bs->Stall(TSC_SAMPLE_US);
        uint64_t ticks = tsc_read() - start;
        if (EFI_ERROR(status)) {
            fewest_ticks = 0;
            break;
        }
        if (ticks < fewest_ticks)
            fewest_ticks = ticks;
    }
    ld->tsc_hz = fewest_ticks * (TSC_US_PER_SECOND / TSC_SAMPLE_US);
    console_print("loader: TSC %llu kHz (best of %d Stall(%u us) samples)\n",
                  (unsigned long long)(ld->tsc_hz / 1000), TSC_SAMPLES, TSC_SAMPLE_US);
}
