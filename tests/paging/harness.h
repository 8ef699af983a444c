/*
 * The model-checking harness shared by the unit test and the fuzz target: a paging instance on
 * a simulated machine, a reference model of every space's mappings, an op stream (seeded PRNG or
 * fuzzer bytes) of map/unmap/protect/activate, and after each op the checks:
 *  - the result code is one the op's arguments and the model justify (independent rules);
 *  - the independent walker (ref_walk.c) agrees with the model on the op's pages and on random
 *    samples; translate() agrees with the walker;
 *  - the simulated TLB never holds a translation the model does not allow (so every unmap or
 *    downgrade of a visible page had its INVLPG or CR3 reload), PDPTE registers match memory;
 *  - periodically: every page of every window, and table counts recounted from the tables.
 */
#ifndef PAGODA_TEST_PAGING_HARNESS_H
#define PAGODA_TEST_PAGING_HARNESS_H

#include <stddef.h>

#include "ref_walk.h"
#include "sim.h"

#define HARNESS_MAX_SPACES   3
#define HARNESS_DIRTY_RANGES 512

struct op_source {
    /* Returns a number in [0, bound). */
    uint32_t (*next)(struct op_source *src, uint32_t bound);
    uint64_t state;
    const uint8_t *bytes;
    size_t size, pos;
    bool exhausted;
};
void op_source_rng(struct op_source *src, uint64_t seed);
void op_source_bytes(struct op_source *src, const uint8_t *data, size_t size);

struct model_space {
    uint64_t *pa;   /* per 4 KiB page of the 4 GiB space */
    uint32_t *prot; /* requested prot | READ; 0: not mapped */
};

struct harness {
    struct sim sim;
    struct paging pg;
    const struct paging_mode *mode;
    bool pae;
    bool split; /* kernel + 2 users; else 2 FULL spaces */
    unsigned nspaces;
    struct paging_as as[HARNESS_MAX_SPACES];
    struct model_space model[HARNESS_MAX_SPACES];
    uint64_t large;
    uint64_t phys_limit;
    uint64_t large_phys_limit; /* whole large pages may reach this far (PSE-36) */
    bool recount_every_op;     /* table recount after each op (else only in the full checks) */
    unsigned ops, failures;
    char first_failure[400];
    struct {
        unsigned space;
        uint32_t va;
        uint64_t size;
    } recent[8]; /* recent successful maps: protect/unmap aim at them */
    unsigned recent_next;
    struct {
        uint32_t first, count;
    } dirty[HARNESS_DIRTY_RANGES]; /* model ranges changed since the last reset */
    unsigned ndirty;
    uint32_t dirty_low, dirty_high; /* model pages touched since the last reset */
    unsigned refused_by[PAGING_ERR_COUNT];
    unsigned maps_ok, unmaps_ok, protects_ok, errors_seen, no_memory_seen;
    unsigned maps_past_phys_limit; /* maps that succeeded beyond 4 KiB reach (PSE-36) */
};

/* Returns false (with h->first_failure) if setup failed. */
bool harness_init(struct harness *h, bool pae, bool split, bool pse_or_nx, bool pge, bool pat,
                  bool table_window);
/* Runs up to nops ops (stops early when a fuzz source runs dry). Returns failures so far. */
unsigned harness_run(struct harness *h, struct op_source *src, unsigned nops, unsigned full_every);
/* Table recount, counters, CR3 and PDPTE registers. */
void harness_check_structure(struct harness *h);
/* Full check: every window page of every space, table recount, counters. */
void harness_full_check(struct harness *h);
/* Destroys and recreates the spaces (checking for leaks), clears the model. */
bool harness_reset(struct harness *h);
/* Destroys every space and checks that every table frame came back. */
void harness_fini(struct harness *h);

#endif
