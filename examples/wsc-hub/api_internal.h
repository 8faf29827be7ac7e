/* SPDX-License-Identifier: MIT */
/* Shared between the files of the API module: answering with JSON and the route handlers. */
#ifndef WSC_HUBD_API_INTERNAL_H
#define WSC_HUBD_API_INTERNAL_H

#include <jansson.h>

#include <wsc/reliability.h>

#include "api.h"

/** Answers with body as compact JSON and drops the caller's reference to body (which may be
 *  NULL after a failed allocation: then 500). */
void wsc_hubd_reply_json(wsc_http_req *req, int status, json_t *body);

/** Answers with {"error":code,"reason":reason} (PROTOCOL.md §1). */
void wsc_hubd_reply_error(wsc_http_req *req, int status, const char *code, const char *reason);

/** Answers a wsc_err from the hub with the closest HTTP status and code; what names the
 *  operation in the reason. */
void wsc_hubd_reply_wsc_err(wsc_http_req *req, wsc_err err, const char *what);

/** Parses the request body as a JSON object.  An empty body gives NULL with *ok true when
 *  optional, else the request is answered 400 and *ok is false. */
json_t *wsc_hubd_body_object(wsc_http_req *req, bool optional, bool *ok);

/** The key of a user or group id in app (NULL: no app) (wsc_user_key) into out, which holds
 *  WSC_MSG_KEY_MAX bytes; answers 400 and returns false when it cannot be made. */
bool wsc_hubd_key(wsc_http_req *req, const char *app, const char *id, char *out);
/** The plain id of a key (what follows the app id). */
const char *wsc_hubd_plain(const char *key);

/* The results of a publish (api_batch.c): {"message_id","delivered","stored"}, or with
 * "error" (a code) and "reason" when it was not taken.  New references. */
/** Of a send without ACK that queued n (status WSC_ERR_TIMEOUT: some node did not answer in
 *  time, n has the others; other errors: not taken). */
json_t *wsc_hubd_publish_result(const char *message_id, wsc_err status, uint64_t n);
/** Of a send with ACK (error "inbox_full", "internal" or "store_unavailable"). */
json_t *wsc_hubd_accepted_result(const wsc_accepted *a);

/* A batch publish (PROTOCOL.md §7: "messages"): results in the order of the messages, the
 * answer once all are in. */
typedef struct wsc_hubd_batch wsc_hubd_batch;
typedef struct wsc_hubd_slot wsc_hubd_slot;
/** A batch of n answering req.  NULL when out of memory (answered 500). */
wsc_hubd_batch *wsc_hubd_batch_new(wsc_http_req *req, size_t n);
/** The slot of message i (message_id copied); NULL when out of memory (the result then says
 *  so, and the batch goes on). */
wsc_hubd_slot *wsc_hubd_batch_slot(wsc_hubd_batch *b, size_t i, const char *message_id);
/** The completions of a slot: pass slot as user to wsc_hub_publish / wsc_hub_publish_ack. */
void wsc_hubd_batch_published(wsc_hub *hub, wsc_err status, uint64_t n, void *slot);
void wsc_hubd_batch_accepted(const wsc_accepted *a, void *slot);
/** The send of slot could not start (err). */
void wsc_hubd_batch_failed(wsc_hubd_slot *slot, wsc_err err);
/** Every message has been handed over: the answer goes once the last result is in. */
void wsc_hubd_batch_seal(wsc_hubd_batch *b);

/* Route handlers: each answers req exactly once.  Methods are checked by the router.  app is
 * the request's `app` query parameter (NULL: the users without app): user and group ids are
 * named in that app (PROTOCOL.md §1 tenants). */
void wsc_hubd_api_publish(wsc_hubd_api *api, wsc_hub *hub, wsc_http_req *req, const char *app);
void wsc_hubd_api_user_get(wsc_hub *hub, wsc_http_req *req, const char *app, const char *user_id);
void wsc_hubd_api_user_kick(wsc_hub *hub, wsc_http_req *req, const char *app, const char *user_id);
void wsc_hubd_api_group_get(wsc_hub *hub, wsc_http_req *req, const char *app, const char *group);
void wsc_hubd_api_group_add(wsc_hub *hub, wsc_http_req *req, const char *app, const char *group);
void wsc_hubd_api_group_remove(wsc_hub *hub, wsc_http_req *req, const char *app, const char *group,
                               const char *user_id);
void wsc_hubd_api_stats(wsc_hubd_api *api, wsc_hub *hub, wsc_http_req *req);
void wsc_hubd_api_metrics(wsc_hubd_api *api, wsc_hub *hub, wsc_http_req *req);

#endif
