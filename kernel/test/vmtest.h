/* Self-tests of the kernel's page tables (mode=test), run on the live address space. */
#ifndef PAGODA_VMTEST_H
#define PAGODA_VMTEST_H

#include "pse36test.h"
#include "ktest.h"

enum ktest_result vmtest_mode(struct ktest_context *ctx);
enum ktest_result vmtest_kernel_rights(struct ktest_context *ctx);
enum ktest_result vmtest_unmapped(struct ktest_context *ctx);
enum ktest_result vmtest_map_protect_unmap(struct ktest_context *ctx);
enum ktest_result vmtest_invlpg_remap(struct ktest_context *ctx);
enum ktest_result vmtest_stale_without_invlpg(struct ktest_context *ctx);
enum ktest_result vmtest_write_read_only(struct ktest_context *ctx);
enum ktest_result vmtest_execute_nx(struct ktest_context *ctx);
enum ktest_result vmtest_null_dereference(struct ktest_context *ctx);
enum ktest_result vmtest_frame_above_4g(struct ktest_context *ctx);
enum ktest_result vmtest_high_memory(struct ktest_context *ctx);
enum ktest_result vmtest_churn_audit(struct ktest_context *ctx);

#define VMTEST_LIST                                                                                \
    {"paging: mode follows paging= and CPUID", vmtest_mode},                                       \
        {"paging: rights of kernel text, rodata, data and the direct map", vmtest_kernel_rights},  \
        {"paging: page 0, identity switch mapping and stack guard pages unmapped",                 \
         vmtest_unmapped},                                                                         \
        {"paging: map, write, protect, unmap through the live tables", vmtest_map_protect_unmap},  \
        {"paging: a remap made visible by invlpg", vmtest_invlpg_remap},                           \
        {"paging: stale translation without invlpg", vmtest_stale_without_invlpg},                 \
        {"paging: write to a read-only page caught (CR0.WP)", vmtest_write_read_only},             \
        {"paging: execute from an NX page caught", vmtest_execute_nx},                             \
        {"paging: null dereference caught", vmtest_null_dereference},                              \
        {"paging: frame above 4 GiB through the temporary window", vmtest_frame_above_4g},         \
        {"paging: high memory outside the direct map through the window", vmtest_high_memory},     \
        {"paging: table churn, then counters and allocator audit", vmtest_churn_audit},            \
        {"paging: 4 MiB of RAM above 4 GiB through a PSE-36 page (two-level)",                     \
         vmtest_pse36_high_ram},

#endif
