/* The boot log: what the loader handed over and what the kernel found, on every console. */
#ifndef PAGODA_BOOTLOG_H
#define PAGODA_BOOTLOG_H

#include <stdint.h>

#include "../arch/tsc.h"
#include "cmdline.h"
#include "pagoda/boot_info.h"

struct bootlog_context {
    const struct pagoda_boot_info *info;
    const struct cmdline_options *options;
    const struct tsc_calibration *tsc;
    uint64_t tsc_hz; /* the rate used for phase times (calibrated, else the loader's) */
};

/* "pagoda: clearcpuid=: treating PAE NX as absent" when the command line hid CPU features. */
/* The loader's log (loader_log.h): copied out of the loader's pages while they are still the
 * loader's, printed first in the boot log, as the loader's lines. */
void bootlog_keep_loader_log(const struct pagoda_boot_info *info);
void bootlog_loader_log(void);
void bootlog_cleared_features(uint32_t cpu_features);
void bootlog_firmware(const struct bootlog_context *ctx);
void bootlog_cpu(void);
void bootlog_memory_map(const struct bootlog_context *ctx);
void bootlog_framebuffer(const struct bootlog_context *ctx);
void bootlog_rsdp(const struct bootlog_context *ctx);
void bootlog_cmdline(const struct bootlog_context *ctx);
void bootlog_ranges(const struct bootlog_context *ctx);
void bootlog_tsc(const struct bootlog_context *ctx);
/* Phase table: each stamp relative to loader entry and to the previous stamp. */
void bootlog_phases(const struct bootlog_context *ctx);
/* One "# phase a->b ms=X.Y" line per phase and for the whole boot, for the test harness. */
void bootlog_phase_tap_lines(const struct bootlog_context *ctx);

/* "== Memory layer ==": normalized totals per kind, allocator frames and metadata cost. */
void bootlog_memory_layer(void);
/* "== Paging ==": the format, the kernel half, tables, TLB counters; "# bench" lines. */
void bootlog_vm(uint64_t tsc_hz);

/* The RSDP as the kernel reads it (checksums included). */
struct rsdp_result bootlog_read_rsdp(const struct pagoda_boot_info *info);

#endif
