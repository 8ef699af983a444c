#include "prng.h"

#define PCG32_MULTIPLIER 6364136223846793005ull

void prng_seed(struct prng *rng, uint64_t seed, uint64_t stream)
{
    rng->state = 0;
    rng->increment = (stream << 1) | 1u;
    prng_next(rng);
    rng->state += seed;
    prng_next(rng);
}

uint32_t prng_next(struct prng *rng)
{
    uint64_t old = rng->state;
    rng->state = old * PCG32_MULTIPLIER + rng->increment;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rotation = (uint32_t)(old >> 59);
    return (xorshifted >> rotation) | (xorshifted << ((-rotation) & 31u));
}

uint32_t prng_below(struct prng *rng, uint32_t bound)
{
    if (bound == 0)
        return 0;
    /* Reject the low values that would make some results one more likely than others. */
    uint32_t threshold = (0u - bound) % bound;
    for (;;) {
        uint32_t r = prng_next(rng);
        if (r >= threshold)
            return r % bound;
    }
}
