/*
 * A seeded pseudo-random generator: PCG32 (O'Neill, "PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number Generation", 2014), 64-bit state,
 * 32-bit output, one independent sequence per stream number. The same seed and stream give the
 * same numbers on every machine, so a crashme run can be replayed from its seed.
 */
#ifndef PAGODA_USER_PRNG_H
#define PAGODA_USER_PRNG_H

#include <stdint.h>

struct prng {
    uint64_t state;
    uint64_t increment; /* odd: selects the stream */
};

void prng_seed(struct prng *rng, uint64_t seed, uint64_t stream);
uint32_t prng_next(struct prng *rng);
/* Uniform in [0, bound), without modulo bias; bound 0 gives 0. */
uint32_t prng_below(struct prng *rng, uint32_t bound);

#endif
