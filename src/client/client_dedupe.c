/* SPDX-License-Identifier: MIT */
/* Duplicate filter for received message_ids (at-least-once delivery, PROTOCOL §4): a fixed ring
 * of the last N ids, indexed by a chained hash table whose chains run through the ring slots. */
#include "client/client_dedupe.h"

#include <string.h>

#include "models/alloc.h"

static uint32_t
hash_id(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

wsc_err
wsc__dedupe_init(struct wsc__dedupe *d, size_t capacity)
{
    memset(d, 0, sizeof(*d));
    if (capacity == 0)
        return WSC_OK;
    size_t nb = 16;
    while (nb < capacity * 2)
        nb *= 2;
    d->slots = wsc__calloc(capacity, sizeof(*d->slots));
    d->buckets = wsc__malloc(nb * sizeof(*d->buckets));
    if (d->slots == NULL || d->buckets == NULL) {
        wsc__free(d->slots);
        wsc__free(d->buckets);
        memset(d, 0, sizeof(*d));
        return WSC_ERR_NOMEM;
    }
    for (size_t i = 0; i < nb; i++)
        d->buckets[i] = -1;
    d->capacity = capacity;
    d->nbuckets = nb;
    return WSC_OK;
}

void
wsc__dedupe_free(struct wsc__dedupe *d)
{
    for (size_t i = 0; i < d->capacity; i++)
        wsc__free(d->slots[i].id);
    wsc__free(d->slots);
    wsc__free(d->buckets);
    memset(d, 0, sizeof(*d));
}

static void
unlink_slot(struct wsc__dedupe *d, int32_t idx)
{
    int32_t *link = &d->buckets[d->slots[idx].hash & (d->nbuckets - 1)];
    while (*link != -1 && *link != idx)
        link = &d->slots[*link].next;
    if (*link == idx)
        *link = d->slots[idx].next;
    wsc__free(d->slots[idx].id);
    d->slots[idx].id = NULL;
}

bool
wsc__dedupe_check(struct wsc__dedupe *d, const char *id)
{
    if (d->capacity == 0 || id == NULL)
        return false;
    uint32_t h = hash_id(id);
    for (int32_t i = d->buckets[h & (d->nbuckets - 1)]; i != -1; i = d->slots[i].next) {
        if (d->slots[i].hash == h && strcmp(d->slots[i].id, id) == 0)
            return true;
    }
    char *copy = wsc__strdup(id);
    if (copy == NULL)
        return false;
    /* The slot to fill is the oldest one: empty until the ring has wrapped once. */
    int32_t idx = (int32_t)d->oldest;
    if (d->slots[idx].id != NULL)
        unlink_slot(d, idx);
    else
        d->used++;
    d->slots[idx].id = copy;
    d->slots[idx].hash = h;
    d->slots[idx].next = d->buckets[h & (d->nbuckets - 1)];
    d->buckets[h & (d->nbuckets - 1)] = idx;
    d->oldest = (d->oldest + 1) % d->capacity;
    return false;
}
