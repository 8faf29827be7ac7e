/* SPDX-License-Identifier: MIT */
/* SipHash-2-4 written from the paper's description (two compression rounds per 8-byte word,
 * four finalization rounds, little-endian words, the length in the last byte), and the
 * kernel's random bytes. */
#include "models/siphash.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

static inline uint64_t
rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

struct sip {
    uint64_t v0, v1, v2, v3;
};

static void
sip_round(struct sip *s)
{
    s->v0 += s->v1;
    s->v1 = rotl(s->v1, 13) ^ s->v0;
    s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl(s->v3, 16) ^ s->v2;
    s->v0 += s->v3;
    s->v3 = rotl(s->v3, 21) ^ s->v0;
    s->v2 += s->v1;
    s->v1 = rotl(s->v1, 17) ^ s->v2;
    s->v2 = rotl(s->v2, 32);
}

static uint64_t
load_le64(const uint8_t *p, size_t n)
{
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    return w;
}

static void
absorb(struct sip *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

uint64_t
wsc__siphash24(const uint8_t key[WSC__SIPHASH_KEY_LEN], const void *data, size_t len)
{
    uint64_t k0 = load_le64(key, 8), k1 = load_le64(key + 8, 8);
    struct sip s = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
                    k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
    const uint8_t *p = data;
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8)
        absorb(&s, load_le64(p + i, 8));
    absorb(&s, load_le64(p + full, len % 8) | ((uint64_t)(len & 0xff) << 56));
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

wsc_err
wsc__random_bytes(void *buf, size_t n)
{
    if (buf == NULL && n > 0)
        return WSC_ERR_INVALID;
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return WSC_ERR_IO;
        p += r;
        n -= (size_t)r;
    }
    return WSC_OK;
}
