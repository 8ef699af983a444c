/* Faulting probes for self-tests (see probe.S): use with fault_expect() from trap/trap.h. */
#ifndef PAGODA_PROBE_H
#define PAGODA_PROBE_H

#include <stdint.h>

uint32_t probe_read32(uint32_t address);
void probe_write32(uint32_t address, uint32_t value);
void probe_ud2(void);
void probe_int3(void);
void probe_exec(uint32_t address);

/* Labels inside the probes (code addresses, not functions to call). */
extern const char probe_read32_resume[], probe_write32_resume[], probe_ud2_resume[],
    probe_exec_resume[];

#endif
