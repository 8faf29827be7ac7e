/* SPDX-License-Identifier: MIT */
/* The write-ahead list of the hybrid store (src/repository/hybrid/), an interface of the
 * repository layer that the Redis backend implements (redis/redis_pending.c), so that no
 * backend includes another's private header.  In Redis: a ZSET
 * wsc:hyb:pend of markers "<op> <escaped user> <message_id>", scored by the wall-clock ms they
 * were added, that name the MySQL writes still owed: op 's' (store: the body is the user's
 * offline copy in Redis) or 'r' (remove).  A marker leaves the list only once MySQL has
 * answered for it.  The key's TTL (offline_ttl_ms) is renewed by every add.
 *
 * Every function takes a store opened on a redis:// URL (else WSC_ERR_INVALID) and follows
 * the repository contract (wsc/repository.h). */
#ifndef WSC_REPOSITORY_PENDING_H
#define WSC_REPOSITORY_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include <wsc/repository.h>
#include <wsc/repository_ext.h>
#include <wsc/store.h>

#define WSC__PEND_KEY "wsc:hyb:pend"

/** The offline store op of redis, plus (in the same script) an 's' marker whenever Redis
 *  holds the message afterwards (stored now or already).  Errors as the offline store. */
wsc_err wsc__rs_pending_store(wsc_store *redis, const char *user_id, wsc_msg *msg,
                              wsc_repo_done_cb cb, void *user);
/** Adds an 'r' marker: MySQL still holds message_id of user_id after an ACK. */
wsc_err wsc__rs_pending_mark_remove(wsc_store *redis, const char *user_id, const char *message_id,
                                    wsc_repo_done_cb cb, void *user);
/** Up to limit (1..1000) markers added at or before max_ms, oldest first. */
wsc_err wsc__rs_pending_list(wsc_store *redis, uint64_t max_ms, size_t limit,
                             wsc_hubstats_list_cb cb, void *user);
/** The live Redis copy of message_id of user_id: one message, or none (count 0) when it is
 *  gone (ACKed, cleared, expired). */
wsc_err wsc__rs_pending_body(wsc_store *redis, const char *user_id, const char *message_id,
                             wsc_offline_fetch_cb cb, void *user);
/** Removes the marker (op, user_id, message_id); count is 1 when the Redis copy of the
 *  message is still there, else 0 (one script: a removal that raced with the MySQL write is
 *  seen here). */
wsc_err wsc__rs_pending_done(wsc_store *redis, char op, const char *user_id, const char *message_id,
                             wsc_repo_count_cb cb, void *user);
/** Splits a marker: *op ('s' or 'r'), the user id unescaped into uid (256 bytes), and
 *  *message_id pointing into marker.  false when it is not a marker. */
bool wsc__rs_pending_parse(const char *marker, char *op, char *uid, const char **message_id);

#endif
