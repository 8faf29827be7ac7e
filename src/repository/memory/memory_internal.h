/* SPDX-License-Identifier: MIT */
/* The memory backend's store: hash tables keyed by strings, one per entity.  Everything runs
 * on the loop thread; results are delivered on the next loop turn like every backend's. */
#ifndef WSC_REPOSITORY_MEMORY_INTERNAL_H
#define WSC_REPOSITORY_MEMORY_INTERNAL_H

#include <stddef.h>

#include "models/hmap.h"
#include "repository/store_internal.h"

/** A string-keyed node of a table; entity structs embed it first. */
struct mem_node {
    wsc__hnode h;
    char *key;
};

struct mem_store {
    wsc_store base; /* must stay first */
    struct wsc__repos repos;
    wsc__hmap users;               /* offline messages per user: struct mem_user */
    wsc__hmap recs;                /* message records: struct mem_rec */
    struct wsc_list recs_all;      /* every record, in expiry order (oldest first) */
    uint64_t recs_n;               /* records in recs */
    wsc__hmap ousers;              /* online status per user: struct mem_ouser */
    wsc__hmap conns;               /* connection records: struct mem_conn */
    wsc__hmap hstats;              /* hub stats per node: struct mem_hs */
    wsc__hmap mqs;                 /* message queues by name: struct mem_q */
    wsc__hmap wlns;                /* workload namespaces: struct mem_wl_ns */
    wsc__hmap senders;             /* offline messages per sender, all users: struct mem_tally */
    uint64_t off_total, off_bytes; /* offline messages and their bytes, all users */
    struct wsc_list off_all;       /* every offline message, in expiry order */
};

/** A count and a byte sum under a string key (memory_bounds.c). */
struct mem_tally {
    struct mem_node node; /* key: sender id */
    uint64_t count, bytes;
};

/** What one stored offline message holds of the bounds (wsc_store_config). */
struct mem_off_acct {
    struct mem_tally *sender; /* in mem_store.senders; NULL: exempt */
    struct mem_tally *share;  /* in the user's shares; NULL: exempt */
    uint64_t bytes;
};

/** Checks the offline bounds for a message of bytes from sender (NULL: exempt from the
 *  per-sender ones) to the user whose per-sender shares are shares, and takes them into
 *  acct.  WSC_ERR_LIMIT over a bound, WSC_ERR_NOMEM (nothing taken either way). */
wsc_err wsc__mem_bounds_take(struct mem_store *ms, wsc__hmap *shares, const char *sender,
                             uint64_t bytes, struct mem_off_acct *acct);
/** Gives back what acct holds (a message leaves the store). */
void wsc__mem_bounds_give(struct mem_store *ms, wsc__hmap *shares, struct mem_off_acct *acct);

/** The table entry for key, or NULL. */
struct mem_node *wsc__mem_find(const wsc__hmap *map, const char *key);
/** Sets node->key to a copy of key and inserts it.  WSC_ERR_NOMEM. */
wsc_err wsc__mem_insert(wsc__hmap *map, struct mem_node *node, const char *key);
/** A new zeroed entry of size bytes (a struct whose first member is its struct mem_node) filed
 *  in map under a copy of key.  NULL when out of memory (nothing added). */
void *wsc__mem_add(wsc__hmap *map, size_t size, const char *key);
/** The entry for key (NULL: none) whose expiry, the int64_t wall-clock milliseconds at
 *  expires_off in the entry, has not passed; else NULL, and a lapsed entry is freed on the
 *  way with free_node(node, arg). */
void *wsc__mem_find_live(const wsc__hmap *map, const char *key, size_t expires_off,
                         void (*free_node)(struct mem_node *node, void *arg), void *arg);
/** wsc__mem_find_live with the key wsc__mem_key2(a, b), built without allocating for ids of
 *  up to 255 bytes (NULL also when out of memory for longer ones). */
void *wsc__mem_find_live2(const wsc__hmap *map, const char *a, const char *b, size_t expires_off,
                          void (*free_node)(struct mem_node *node, void *arg), void *arg);
/** Now, wall clock, in milliseconds (the expiries' clock). */
static inline int64_t
wsc__mem_now(void)
{
    return (int64_t)wsc__wall_ms();
}
/** Removes node and frees its key (not the node). */
void wsc__mem_remove(wsc__hmap *map, struct mem_node *node);
/** "len:a|b" for two ids, unambiguous whatever they contain; NULL when out of memory. */
char *wsc__mem_key2(const char *a, const char *b);
/** Calls fn on every node of map (fn may remove and free the node). */
void wsc__mem_each(wsc__hmap *map, void (*fn)(struct mem_node *node, void *arg), void *arg);
/** Frees every node of map with free_node (at close) and empties the table. */
void wsc__mem_clear(wsc__hmap *map, void (*free_node)(struct mem_node *node, void *arg), void *arg);
/** Finishes a memory op's request with status (delivered on the next loop turn): every
 *  memory op answers at once.  Returns WSC_OK, the op's own return once its request exists. */
wsc_err wsc__mem_answer(struct wsc__req *req, wsc_err status);
/** Finishes a memory op's request with the status of a lookup: WSC_OK when found is not NULL,
 *  else WSC_ERR_NOT_FOUND (delivered on the next loop turn).  Returns WSC_OK, the op's own
 *  return once its request exists. */
wsc_err wsc__mem_found(struct wsc__req *req, const void *found);

extern const struct wsc_offline_repo_ops wsc__mem_offline_ops;
extern const struct wsc_record_repo_ops wsc__mem_record_ops;
extern const struct wsc_online_repo_ops wsc__mem_online_ops;
extern const struct wsc_connrec_repo_ops wsc__mem_connrec_ops;
extern const struct wsc_hubstats_repo_ops wsc__mem_hubstats_ops;
extern const struct wsc_queue_repo_ops wsc__mem_queue_ops;
extern const struct wsc_workload_repo_ops wsc__mem_workload_ops;

void wsc__mem_offline_free_all(struct mem_store *ms);
void wsc__mem_records_free_all(struct mem_store *ms);
void wsc__mem_connrecs_free_all(struct mem_store *ms);
void wsc__mem_hubstats_free_all(struct mem_store *ms);
void wsc__mem_queues_free_all(struct mem_store *ms);
void wsc__mem_workload_free_all(struct mem_store *ms);

#endif
