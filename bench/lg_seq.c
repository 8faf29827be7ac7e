/* SPDX-License-Identifier: MIT */
/* Message tags and per-connection seen-sets: see lg_seq.h. */
#include "lg_seq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
lg_tag(char *out, unsigned size, uint32_t sender, uint32_t seq)
{
    char tag[32];
    int n = snprintf(tag, sizeof(tag), "S%u:%u|", sender, seq);
    if (n > 0 && size >= 22 + (unsigned)n)
        memcpy(out + 22, tag, (size_t)n);
}

/* Parses decimal digits at *p (at most 10) up to the byte stop; false if there are none. */
static bool
parse_u32(const unsigned char **p, const unsigned char *end, char stop, uint32_t *out)
{
    uint64_t v = 0;
    const unsigned char *q = *p;
    while (q < end && *q >= '0' && *q <= '9' && q - *p < 10)
        v = v * 10 + (uint64_t)(*q++ - '0');
    if (q == *p || q >= end || *q != (unsigned char)stop || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    *p = q + 1;
    return true;
}

bool
lg_find_tag(const unsigned char *p, size_t len, uint32_t *sender, uint32_t *seq)
{
    const unsigned char *a = memchr(p, '@', len), *end = p + len;
    if (a == NULL || end - a < 23 || a[21] != '@' || a[22] != 'S')
        return false;
    const unsigned char *q = a + 23;
    return parse_u32(&q, end, ':', sender) && parse_u32(&q, end, '|', seq) && *seq < LG_SEQ_MAX;
}

bool
lg_seen_add(lg_seen *s, uint32_t seq)
{
    if (seq >= LG_SEQ_MAX)
        return false;
    if (seq >= s->cap) {
        uint32_t cap = s->cap ? s->cap : 64;
        while (cap <= seq)
            cap *= 2;
        uint8_t *b = realloc(s->bits, cap / 8);
        if (b == NULL)
            _exit(4);
        memset(b + s->cap / 8, 0, (cap - s->cap) / 8);
        s->bits = b;
        s->cap = cap;
    }
    uint8_t bit = (uint8_t)(1u << (seq % 8));
    if (s->bits[seq / 8] & bit)
        return false;
    s->bits[seq / 8] |= bit;
    return true;
}

void
lg_count(lg_counts *n, lg_seen *s, uint32_t want, const unsigned char *p, size_t len)
{
    uint32_t sender, seq;
    if (!lg_find_tag(p, len, &sender, &seq) || sender != want)
        n->foreign++;
    else if (lg_seen_add(s, seq))
        n->unique++;
    else
        n->dups++;
}

void
lg_seen_free(lg_seen *s)
{
    free(s->bits);
    s->bits = NULL;
    s->cap = 0;
}
