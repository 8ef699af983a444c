/*
 * loader/sha256.c against known answers: the FIPS 180-4 / NIST CSRC examples ("abc", the 448- and
 * 896-bit messages, one million 'a'), the empty message, and lengths around the padding edges
 * (55 bytes is the longest that pads within one block, 56 the shortest that needs a second one,
 * 64 a whole block). The expected digests for those lengths were computed with Python's hashlib,
 * an independent implementation. Incremental updates in every chunk size must agree with the
 * one-shot hash.
 */
#include "sha256.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

struct sha256_vector {
    const char *name;
    const char *message; /* NULL: `repeat` copies of 'a' */
    size_t repeat;
    const char *hex;
};

static const struct sha256_vector sha256_vectors[] = {
    {"empty message", "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"FIPS 180-4 'abc'", "abc", 0,
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"FIPS 180-4 448-bit message", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"NIST 896-bit message",
     "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnop"
     "qrsmnopqrstnopqrstu",
     0, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    {"55 x 'a' (padding fits in the block)", NULL, 55,
     "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
    {"56 x 'a' (padding needs a second block)", NULL, 56,
     "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
    {"57 x 'a'", NULL, 57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
    {"63 x 'a'", NULL, 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
    {"64 x 'a' (one whole block)", NULL, 64,
     "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    {"65 x 'a'", NULL, 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
    {"119 x 'a'", NULL, 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
    {"120 x 'a'", NULL, 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    {"128 x 'a'", NULL, 128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    {"FIPS 180-4 one million 'a'", NULL, 1000000,
     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

#define PATTERN_SIZE 1000
#define PATTERN_HEX  "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"
#define MAX_CHUNK    (2 * SHA256_BLOCK_SIZE + 1)

static void check_vector(const struct sha256_vector *v)
{
    size_t size = v->message ? strlen(v->message) : v->repeat;
    unsigned char *data = malloc(size + 1);
    uint8_t digest[SHA256_DIGEST_SIZE];
    char hex[SHA256_HEX_SIZE];

    if (v->message)
        memcpy(data, v->message, size);
    else
        memset(data, 'a', size);
    sha256_digest(data, size, digest);
    sha256_to_hex(digest, hex);
    if (!TAP_CHECK(strcmp(hex, v->hex) == 0, "%s (%zu bytes)", v->name, size))
        tap_diag("  got      %s\n#   expected %s", hex, v->hex);
    free(data);
}

/* 1000 bytes fed in chunks of 1..MAX_CHUNK bytes: every way the block buffer can be left. */
static void check_chunked(void)
{
    uint8_t data[PATTERN_SIZE];
    unsigned bad_chunk = 0;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    for (unsigned chunk = 1; chunk <= MAX_CHUNK && bad_chunk == 0; chunk++) {
        struct sha256 ctx;
        uint8_t digest[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];

        sha256_init(&ctx);
        for (size_t at = 0; at < sizeof(data); at += chunk) {
            size_t n = sizeof(data) - at < chunk ? sizeof(data) - at : chunk;
            sha256_update(&ctx, data + at, n);
        }
        sha256_final(&ctx, digest);
        sha256_to_hex(digest, hex);
        if (strcmp(hex, PATTERN_HEX) != 0)
            bad_chunk = chunk;
    }
    TAP_CHECK(bad_chunk == 0, "1000-byte pattern hashed in chunks of 1..%d bytes (first bad: %u)",
              MAX_CHUNK, bad_chunk);
}

static void check_equal(void)
{
    uint8_t a[SHA256_DIGEST_SIZE], b[SHA256_DIGEST_SIZE];

    sha256_digest("abc", 3, a);
    sha256_digest("abc", 3, b);
    TAP_CHECK(sha256_equal(a, b), "sha256_equal: same digests compare equal");
    b[SHA256_DIGEST_SIZE - 1] ^= 1;
    TAP_CHECK(!sha256_equal(a, b), "sha256_equal: last byte differing is noticed");
    b[SHA256_DIGEST_SIZE - 1] ^= 1;
    b[0] ^= 0x80;
    TAP_CHECK(!sha256_equal(a, b), "sha256_equal: first byte differing is noticed");
}

int main(void)
{
    for (size_t i = 0; i < sizeof(sha256_vectors) / sizeof(sha256_vectors[0]); i++)
        check_vector(&sha256_vectors[i]);
    check_chunked();
    check_equal();
    return tap_done();
}
