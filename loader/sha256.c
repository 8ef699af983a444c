/*
 * SHA-256 as FIPS 180-4 section 6.2 describes it. Written without memcpy/memset so the same file
 * builds for the loader (no C library) and for host tests (with sanitizers) unchanged.
 */
#include "sha256.h"

#define SHA256_LENGTH_OFFSET (SHA256_BLOCK_SIZE - 8) /* where the 64-bit bit count goes */
#define SHA256_PAD_FIRST     0x80u                   /* the single 1 bit after the message */

/* FIPS 180-4 section 5.3.3: the first 32 bits of the fractional parts of sqrt(first 8 primes). */
static const uint32_t sha256_initial_state[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

/* FIPS 180-4 section 4.2.2: cube roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u,
};

static uint32_t sha256_rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t sha256_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void sha256_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * The functions of FIPS 180-4 section 4.1.2 in forms with fewer operations (a loader hashes about a
 * megabyte at every boot, under an emulator at tens of instructions per byte): nested rotations,
 * ROTR^a(x ^ ROTR^(b-a)(x ^ ...)), give the same three-rotation sums with one rotate fewer to
 * copy; Ch(e, f, g) = g ^ (e & (f ^ g)); Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), where b ^ c is the
 * a ^ b of the round before (this round's b and c were its a and b), kept in bc.
 */
#define SHA256_BIG_SIGMA0(x)   sha256_rotr((x) ^ sha256_rotr((x) ^ sha256_rotr(x, 9), 11), 2)
#define SHA256_BIG_SIGMA1(x)   sha256_rotr((x) ^ sha256_rotr((x) ^ sha256_rotr(x, 14), 5), 6)
#define SHA256_SMALL_SIGMA0(x) (sha256_rotr((x) ^ sha256_rotr(x, 11), 7) ^ ((x) >> 3))
#define SHA256_SMALL_SIGMA1(x) (sha256_rotr((x) ^ sha256_rotr(x, 2), 17) ^ ((x) >> 10))

/* The message schedule in a ring of 16 words: W[t] for t >= 16 from the four it depends on. */
#define SHA256_W(t)                                                                                \
    (w[(t)&15] += SHA256_SMALL_SIGMA1(w[((t)-2) & 15]) + w[((t)-7) & 15] +                         \
                  SHA256_SMALL_SIGMA0(w[((t)-15) & 15]))

/*
 * One round of FIPS 180-4 section 6.2.2 step 3 with a..h as the caller's variables: instead of
 * moving seven of them each round, the next round names them one position on (the eight-round
 * pattern below), so only d and h are written, and the caller's bc (see above).
 */
#define SHA256_ROUND(a, b, c, d, e, f, g, h, t, wt)                                                \
    do {                                                                                           \
        uint32_t t1 =                                                                              \
            (h) + SHA256_BIG_SIGMA1(e) + ((g) ^ ((e) & ((f) ^ (g)))) + sha256_k[t] + (wt);         \
        uint32_t ab = (a) ^ (b);                                                                   \
        uint32_t t2 = SHA256_BIG_SIGMA0(a) + ((b) ^ (ab & bc));                                    \
        bc = ab;                                                                                   \
        (d) += t1;                                                                                 \
        (h) = t1 + t2;                                                                             \
    } while (0)

#define SHA256_EIGHT_ROUNDS(t, W)                                                                  \
    do {                                                                                           \
        SHA256_ROUND(a, b, c, d, e, f, g, h, (t) + 0, W((t) + 0));                                 \
        SHA256_ROUND(h, a, b, c, d, e, f, g, (t) + 1, W((t) + 1));                                 \
        SHA256_ROUND(g, h, a, b, c, d, e, f, (t) + 2, W((t) + 2));                                 \
        SHA256_ROUND(f, g, h, a, b, c, d, e, (t) + 3, W((t) + 3));                                 \
        SHA256_ROUND(e, f, g, h, a, b, c, d, (t) + 4, W((t) + 4));                                 \
        SHA256_ROUND(d, e, f, g, h, a, b, c, (t) + 5, W((t) + 5));                                 \
        SHA256_ROUND(c, d, e, f, g, h, a, b, (t) + 6, W((t) + 6));                                 \
        SHA256_ROUND(b, c, d, e, f, g, h, a, (t) + 7, W((t) + 7));                                 \
    } while (0)

#define SHA256_W_FIRST(t) (w[t])

static void sha256_compress(uint32_t state[8], const uint8_t *block)
{
    uint32_t w[16];
    for (unsigned t = 0; t < 16; t++)
        w[t] = sha256_load_be32(block + 4 * t);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    uint32_t bc = b ^ c;

    /* Written out, not looped: with every t a constant the ring's indices are too, and the
     * schedule costs no index arithmetic (one instruction in seven of a looped block). */
    SHA256_EIGHT_ROUNDS(0, SHA256_W_FIRST);
    SHA256_EIGHT_ROUNDS(8, SHA256_W_FIRST);
    SHA256_EIGHT_ROUNDS(16, SHA256_W);
    SHA256_EIGHT_ROUNDS(24, SHA256_W);
    SHA256_EIGHT_ROUNDS(32, SHA256_W);
    SHA256_EIGHT_ROUNDS(40, SHA256_W);
    SHA256_EIGHT_ROUNDS(48, SHA256_W);
    SHA256_EIGHT_ROUNDS(56, SHA256_W);

    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void sha256_init(struct sha256 *ctx)
{
    for (unsigned i = 0; i < 8; i++)
        ctx->state[i] = sha256_initial_state[i];
    ctx->total_bytes = 0;
    ctx->block_used = 0;
}

void sha256_update(struct sha256 *ctx, const void *data, size_t size)
{
    const uint8_t *in = data;

    ctx->total_bytes += size;
    while (size > 0) {
        if (ctx->block_used == 0 && size >= SHA256_BLOCK_SIZE) {
            /* Whole blocks straight from the input: the common case for a kernel file. */
            sha256_compress(ctx->state, in);
            in += SHA256_BLOCK_SIZE;
            size -= SHA256_BLOCK_SIZE;
            continue;
        }
        ctx->block[ctx->block_used++] = *in++;
        size--;
        if (ctx->block_used == SHA256_BLOCK_SIZE) {
            sha256_compress(ctx->state, ctx->block);
            ctx->block_used = 0;
        }
    }
}

static void sha256_pad_zeros(struct sha256 *ctx, size_t until)
{
    while (ctx->block_used < until)
        ctx->block[ctx->block_used++] = 0;
}

void sha256_final(struct sha256 *ctx, uint8_t digest[SHA256_DIGEST_SIZE])
{
    uint64_t total_bits = ctx->total_bytes << 3;

    ctx->block[ctx->block_used++] = SHA256_PAD_FIRST;
    /* No room for the length after the 1 bit (55 bytes or more used): pad out a whole block. */
    if (ctx->block_used > SHA256_LENGTH_OFFSET) {
        sha256_pad_zeros(ctx, SHA256_BLOCK_SIZE);
        sha256_compress(ctx->state, ctx->block);
        ctx->block_used = 0;
    }
    sha256_pad_zeros(ctx, SHA256_LENGTH_OFFSET);
    sha256_store_be32(ctx->block + SHA256_LENGTH_OFFSET, (uint32_t)(total_bits >> 32));
    sha256_store_be32(ctx->block + SHA256_LENGTH_OFFSET + 4, (uint32_t)total_bits);
    sha256_compress(ctx->state, ctx->block);
    for (unsigned i = 0; i < 8; i++)
        sha256_store_be32(digest + 4 * i, ctx->state[i]);
    ctx->block_used = 0;
}

void sha256_digest(const void *data, size_t size, uint8_t digest[SHA256_DIGEST_SIZE])
{
    struct sha256 ctx;

    sha256_init(&ctx);
    sha256_update(&ctx, data, size);
    sha256_final(&ctx, digest);
}

void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";

    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
    hex[2 * SHA256_DIGEST_SIZE] = '\0';
}

int sha256_equal(const uint8_t a[SHA256_DIGEST_SIZE], const uint8_t b[SHA256_DIGEST_SIZE])
{
    uint8_t difference = 0;

    /* Every byte is looked at whatever the first difference: no early exit to time. */
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
        difference |= (uint8_t)(a[i] ^ b[i]);
    return difference == 0;
}
