/* SPDX-License-Identifier: MIT */
/* Duplicate and loss counting for the load generator (--count): each message's content
 * carries a tag "S<sender>:<seq>|" right after its time stamp, and each receiving connection
 * keeps the set of sequence numbers it has seen from its one expected sender. */
#ifndef WSC_BENCH_LG_SEQ_H
#define WSC_BENCH_LG_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The sender number of the broadcast publisher (no connection has it). */
#define LG_PUB_SENDER 4000000000u
/* Content bytes a tagged message needs: stamp (22) + the longest tag (23). */
#define LG_TAG_MIN_SIZE 45u
/* Sequence numbers at or above this are not ours (a tag that carries one is foreign). */
#define LG_SEQ_MAX (1u << 24)

/* The sequence numbers one connection has received; zero-initialised means empty. */
typedef struct lg_seen {
    uint8_t *bits;
    uint32_t cap; /* bits */
} lg_seen;

/** Writes the tag after the 22-byte stamp lg_stamp put into out (size >= LG_TAG_MIN_SIZE);
 *  the rest stays padding. */
void lg_tag(char *out, unsigned size, uint32_t sender, uint32_t seq);

/** Finds the tag after the stamp in a received frame; false when there is none or its seq is
 *  not below LG_SEQ_MAX. */
bool lg_find_tag(const unsigned char *p, size_t len, uint32_t *sender, uint32_t *seq);

/** Records seq: true the first time, false for a duplicate.  Exits the process (status 4)
 *  when memory runs out, like the rest of the child. */
bool lg_seen_add(lg_seen *s, uint32_t seq);

/* What one child counted. */
typedef struct lg_counts {
    uint64_t dups, unique, foreign;
} lg_counts;

/** Counts one received payload frame of a connection that expects messages from sender
 *  want only: foreign without a tag or from another sender, else unique or a duplicate. */
void lg_count(lg_counts *n, lg_seen *s, uint32_t want, const unsigned char *p, size_t len);

/** Frees the set; it is empty again afterwards. */
void lg_seen_free(lg_seen *s);

#endif
