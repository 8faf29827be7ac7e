/* SPDX-License-Identifier: MIT */
/* The write-ahead list of the hybrid store (src/repository/hybrid/): a private interface of
 * the repository layer.  A backend that can keep the list hands out its table through its
 * store ops (struct wsc__store_ops.pending; today only Redis, redis/redis_pending.c), so the
 * hybrid store uses the list without calling or including any backend.
 *
 * The list holds markers "<op> <escaped user> <message_id>" that name the writes still owed
 * to the durable store: op 's' (store: the body is the user's offline copy in the same
 * backend) or 'r' (remove).  A marker leaves the list only once the durable store has
 * answered for it.  Every op takes the store that handed the table out and follows the
 * repository contract (wsc/repository.h): WSC_ERR_INVALID for bad arguments. */
#ifndef WSC_REPOSITORY_PENDING_H
#define WSC_REPOSITORY_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/repository.h>
#include <wsc/repository_ext.h>
#include <wsc/store.h>

struct wsc__pending_ops {
    /** The offline store op of store, plus (atomically) an 's' marker whenever the store holds
     *  the message afterwards (stored now or already).  Errors as the offline store. */
    wsc_err (*store)(wsc_store *store, const char *user_id, wsc_msg *msg, wsc_repo_done_cb cb,
                     void *user);
    /** Adds an 'r' marker: the durable store still holds message_id of user_id after an ACK. */
    wsc_err (*mark_remove)(wsc_store *store, const char *user_id, const char *message_id,
                           wsc_repo_done_cb cb, void *user);
    /** Up to limit (1..1000) markers added at or before max_ms, oldest first. */
    wsc_err (*list)(wsc_store *store, uint64_t max_ms, size_t limit, wsc_hubstats_list_cb cb,
                    void *user);
    /** The live copy of message_id of user_id: one message, or none (count 0) when it is gone
     *  (ACKed, cleared, expired).  The callback's cursor is the user's epoch in that backend:
     *  a number that changes only when the backend lost the user's data (0: none yet). */
    wsc_err (*body)(wsc_store *store, const char *user_id, const char *message_id,
                    wsc_offline_fetch_cb cb, void *user);
    /** Removes the marker (op, user_id, message_id), then reads whether the copy of the
     *  message is still there (so a removal that raced with the durable write is seen): count
     *  1 when it is; 0 when it is gone and the user's epoch is still epoch (it was ACKed or
     *  cleared); 2 when it is gone and the epoch changed (the backend lost the user's data
     *  since: whether it was ACKed is not known). */
    wsc_err (*done)(wsc_store *store, char op, const char *user_id, const char *message_id,
                    uint64_t epoch, wsc_repo_count_cb cb, void *user);
    /** True while the store's connection is up (on a Redis Cluster: the slot map is known and
     *  every master's connection is up): a request sent now is answered, not left waiting
     *  for a reconnect until the command timeout. */
    bool (*reachable)(wsc_store *store);
    /** Splits a marker: *op ('s' or 'r'), the user id unescaped into uid (256 bytes), and
     *  *message_id pointing into marker.  false when it is not a marker. */
    bool (*parse)(const char *marker, char *op, char *uid, const char **message_id);
    /** Removes entry, one that list returned and parse refused (written by hand or by another
     *  version): left there, such entries would fill every page list returns. */
    wsc_err (*forget)(wsc_store *store, const char *entry, wsc_repo_done_cb cb, void *user);
};

#endif
