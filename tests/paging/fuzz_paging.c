/*
 * libFuzzer target: the input bytes drive an op sequence (map/unmap/protect/activate with any
 * addresses, sizes, page sizes and prots, plus allocation failures) on BOTH paging formats, each
 * checked against the model by harness.c. Byte 0 picks the configuration (kernel/user split or
 * two full spaces; CPU features on or off).
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

static struct harness harnesses[2][2][2]; /* [pae][split][features] */
static bool ready[2][2][2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned split = data[0] & 1u, features = (data[0] >> 1) & 1u;
    for (unsigned pae = 0; pae < 2; pae++) {
        struct harness *h = &harnesses[pae][split][features];
        if (!ready[pae][split][features]) {
            if (!harness_init(h, pae, split, features, features, features, split))
                abort();
            h->recount_every_op = false; /* once per input, below: keeps the fuzzer fast */
            ready[pae][split][features] = true;
        } else if (!harness_reset(h) || h->failures) {
            fprintf(stderr, "paging fuzz: reset failed: %s\n", h->first_failure);
            abort();
        }
        struct op_source src;
        op_source_bytes(&src, data + 1, size - 1);
        harness_run(h, &src, 200, 0);
        if (!h->failures)
            harness_check_structure(h);
        if (h->failures) {
            fprintf(stderr, "paging fuzz: %s\n", h->first_failure);
            abort();
        }
    }
    return 0;
}
