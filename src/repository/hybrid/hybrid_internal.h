/* SPDX-License-Identifier: MIT */
/* The hybrid store: a wsc_store whose offline repository writes through to a Redis store
 * (hot copy, fast replay) and a MySQL store (durable copy), both owned by it.  The Redis
 * side keeps a write-ahead list of the MySQL writes still owed (repository/pending.h: the
 * table the Redis store hands out through its store ops, never a call by name); a timer
 * drains it into MySQL (hybrid_drain.c).  Every other repository is one of the two
 * stores' own (hybrid.c says which). */
#ifndef WSC_REPOSITORY_HYBRID_INTERNAL_H
#define WSC_REPOSITORY_HYBRID_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <wsc/store.h>

#include "repository/pending.h"
#include "repository/store_internal.h"

/* A fetch cursor with this bit set is a MySQL cursor (wsc_offline.id); without it, a Redis one
 * (the user's sequence). */
#define WSC__HYB_MYSQL_CURSOR (UINT64_C(1) << 63)

struct hybrid_drain {
    wsc__timer timer;
    bool running;   /* a turn is under way (one marker at a time) */
    char **markers; /* the page being drained (owned copies) */
    size_t n, next;
    char op, uid[256];
    const char *mid; /* into markers[next] */
    bool wrote;      /* MySQL accepted the current 's' marker's message */
    uint64_t epoch;  /* the user's epoch in Redis when the current copy was read */
    uint64_t drained;
};

struct hybrid {
    wsc_store base; /* must stay first */
    struct wsc_offline_repo offline;
    wsc_store *redis, *mysql;               /* owned */
    const struct wsc__pending_ops *pending; /* redis's write-ahead list (redis->ops->pending) */
    wsc_hybrid_config hcfg;
    struct hybrid_drain drain;
    bool closing; /* the sub-stores are being closed: issue nothing more */
};

extern const struct wsc_offline_repo_ops wsc__hyb_offline_ops;

/** True for the statuses of a backend that did not answer (down, timeout, canceled). */
bool wsc__hyb_transient(wsc_err st);
/** Copies the last error of sub (a sub-store) into the hybrid store's, prefixed. */
void wsc__hyb_note_error(struct hybrid *h, wsc_store *sub, wsc_err st);
/** A completion that ignores its result (fire-and-forget ops on the sub-stores). */
void wsc__hyb_ignore_done(wsc_err status, void *user);
void wsc__hyb_ignore_count(wsc_err status, uint64_t count, void *user);

/** Starts the drain timer (first turn after retry_ms). */
void wsc__hyb_drain_init(struct hybrid *h);
/** Stops it and frees the page (the sub-stores are closed right after). */
void wsc__hyb_drain_free(struct hybrid *h);

#endif
