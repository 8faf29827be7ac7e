/* SPDX-License-Identifier: MIT */
/* bench.lg_seq: the load generator's duplicate and loss counting (lg_seq.h) finds what it
 * must: a tagged message counts once, its repeat as a duplicate, a message of another sender
 * or without a tag as foreign, and a sequence number never seen stays missing. */
#include <stdio.h>
#include <string.h>

#include "lg.h"
#include "lg_seq.h"

static int failures;

#define CHECK(c)                                                    \
    do {                                                            \
        if (!(c)) {                                                 \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                             \
        }                                                           \
    } while (0)

/* The JSON frame a receiver gets for content stamped at ns and tagged (sender, seq). */
static size_t
frame(char *out, size_t cap, uint32_t sender, uint32_t seq)
{
    char content[65];
    lg_stamp(content, 64, 1234567);
    lg_tag(content, 64, sender, seq);
    return (size_t)snprintf(out, cap, "{\"sender\":\"u1\",\"content\":\"%s\"}", content);
}

static void
count(lg_counts *n, lg_seen *s, uint32_t want, uint32_t sender, uint32_t seq)
{
    char f[256];
    size_t len = frame(f, sizeof(f), sender, seq);
    lg_count(n, s, want, (const unsigned char *)f, len);
}

int
main(void)
{
    char f[256];
    uint32_t sender = 0, seq = 0;
    size_t len = frame(f, sizeof(f), 7, 4000);
    CHECK(lg_find_tag((const unsigned char *)f, len, &sender, &seq) && sender == 7 && seq == 4000);
    CHECK(lg_find_stamp((const unsigned char *)f, len) == 1234567); /* the stamp is intact */
    len = frame(f, sizeof(f), LG_PUB_SENDER, 1);
    CHECK(lg_find_tag((const unsigned char *)f, len, &sender, &seq) && sender == LG_PUB_SENDER);

    lg_counts n = {0};
    lg_seen s = {0};
    for (uint32_t q = 0; q < 300; q++)
        if (q != 150)
            count(&n, &s, 7, 7, q); /* 150 is lost */
    count(&n, &s, 7, 7, 3);         /* a duplicate */
    count(&n, &s, 7, 8, 151);       /* another sender's */
    const char *untagged = "{\"content\":\"@00000000000001234567@xxxx\"}";
    lg_count(&n, &s, 7, (const unsigned char *)untagged, strlen(untagged));
    CHECK(n.unique == 299 && n.dups == 1 && n.foreign == 2);
    CHECK(!lg_seen_add(&s, 10) && lg_seen_add(&s, 150) && !lg_seen_add(&s, LG_SEQ_MAX));
    lg_seen_free(&s);
    CHECK(s.bits == NULL && s.cap == 0);
    if (failures == 0)
        printf("bench.lg_seq: ok\n");
    return failures == 0 ? 0 : 1;
}
