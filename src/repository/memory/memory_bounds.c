/* SPDX-License-Identifier: MIT */
/* The memory store's offline bounds (wsc_store_config, docs/storage.md "Offline bounds"):
 * what one sender holds in one user's inbox (its share), what one sender holds in all
 * inboxes (count and bytes), and what the whole store holds (count and bytes).  A message
 * takes its part when stored and gives it back when it leaves (ACK, clear, expiry), so the
 * tallies are exact; a sender's tally is freed when it holds nothing. */
#include <string.h>

#include "models/alloc.h"
#include "repository/memory/memory_internal.h"

static uint64_t
count_of(const wsc__hmap *map, const char *key)
{
    const struct mem_tally *t = (const struct mem_tally *)wsc__mem_find(map, key);
    return t != NULL ? t->count : 0;
}

static uint64_t
bytes_of(const wsc__hmap *map, const char *key)
{
    const struct mem_tally *t = (const struct mem_tally *)wsc__mem_find(map, key);
    return t != NULL ? t->bytes : 0;
}

/* The tally of key in map, created empty when absent; NULL when out of memory. */
static struct mem_tally *
tally_get(wsc__hmap *map, const char *key)
{
    struct mem_tally *t = (struct mem_tally *)wsc__mem_find(map, key);
    if (t != NULL)
        return t;
    return wsc__mem_add(map, sizeof(*t), key);
}

static void
tally_put(wsc__hmap *map, struct mem_tally *t, uint64_t bytes)
{
    if (t == NULL)
        return;
    t->count--;
    t->bytes -= bytes;
    if (t->count == 0) {
        wsc__mem_remove(map, &t->node);
        wsc__free(t);
    }
}

/* Over a bound?  Each is checked against what would be held with the new message. */
static bool
over(struct mem_store *ms, wsc__hmap *shares, const char *sender, uint64_t bytes)
{
    const wsc_store_config *c = &ms->base.cfg;
    if (ms->off_total + 1 > wsc__bound(c->offline_max_total) ||
        ms->off_bytes + bytes > wsc__bound(c->offline_max_bytes))
        return true;
    if (sender == NULL)
        return false;
    return count_of(shares, sender) + 1 > wsc__bound(c->offline_max_per_sender) ||
           count_of(&ms->senders, sender) + 1 > wsc__bound(c->offline_max_msgs_per_sender) ||
           bytes_of(&ms->senders, sender) + bytes > wsc__bound(c->offline_max_bytes_per_sender);
}

wsc_err
wsc__mem_bounds_take(struct mem_store *ms, wsc__hmap *shares, const char *sender, uint64_t bytes,
                     struct mem_off_acct *acct)
{
    memset(acct, 0, sizeof(*acct));
    if (over(ms, shares, sender, bytes))
        return WSC_ERR_LIMIT;
    if (sender != NULL) {
        acct->sender = tally_get(&ms->senders, sender);
        acct->share = acct->sender != NULL ? tally_get(shares, sender) : NULL;
        if (acct->share == NULL) {
            /* A tally just created holds nothing yet: free it again. */
            if (acct->sender != NULL && acct->sender->count == 0) {
                acct->sender->count = 1;
                tally_put(&ms->senders, acct->sender, 0);
            }
            acct->sender = NULL;
            return WSC_ERR_NOMEM;
        }
        acct->sender->count++;
        acct->sender->bytes += bytes;
        acct->share->count++;
        acct->share->bytes += bytes;
    }
    acct->bytes = bytes;
    ms->off_total++;
    ms->off_bytes += bytes;
    return WSC_OK;
}

void
wsc__mem_bounds_give(struct mem_store *ms, wsc__hmap *shares, struct mem_off_acct *acct)
{
    tally_put(&ms->senders, acct->sender, acct->bytes);
    tally_put(shares, acct->share, acct->bytes);
    ms->off_total--;
    ms->off_bytes -= acct->bytes;
    memset(acct, 0, sizeof(*acct));
}
