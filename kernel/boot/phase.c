#include "phase.h"

const char *phase_name(unsigned phase)
{
    static const char *const names[PAGODA_PHASE_COUNT] = {
        "loader_entry",  "config_read",        "kernel_read",  "kernel_checked",
        "firmware_info", "exit_boot_services", "kernel_entry", "kernel_ready",
    };
    return phase < PAGODA_PHASE_COUNT ? names[phase] : "?";
}

uint64_t phase_tenths_of_ms(uint64_t cycles, uint64_t hz)
{
    if (hz < 10000)
        return 0;
    uint64_t per_tenth = hz / 10000; /* cycles per 0.1 ms */
    return (cycles + per_tenth / 2) / per_tenth;
}

bool phase_stamps_monotonic(const uint64_t tsc[PAGODA_PHASE_COUNT], unsigned *bad)
{
    uint64_t last = 0;
    for (unsigned i = 0; i < PAGODA_PHASE_COUNT; i++) {
        if (tsc[i] == 0)
            continue;
        if (tsc[i] < last) {
            *bad = i;
            return false;
        }
        last = tsc[i];
    }
    return true;
}
