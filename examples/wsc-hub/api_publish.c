/* SPDX-License-Identifier: MIT */
/* POST /api/publish (PROTOCOL.md §7): one target (receiver, receivers, group or broadcast)
 * and one frame.  The frame is parsed with the hub's own limits, stamped where the caller
 * left fields out (id, message_id, create_at, sender "system"), then handed to the hub.  A
 * frame with require_ack to receivers or a group goes through the hub's ACK engine
 * (wsc_hub_publish_ack: resent, then stored), and the answer waits until every receiver is
 * queued to a live connection or confirmed by the offline store: "stored" is never claimed
 * for a write still in flight; a store that fails or does not answer in time gives 503
 * store_unavailable (PROTOCOL.md §7).  "messages" instead of "message" sends up to 1,000
 * frames in order to the same target, each answered in "results" (api_batch.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"

enum target { T_NONE, T_RECEIVER, T_RECEIVERS, T_GROUP, T_BROADCAST, T_MANY };

static bool
valid_id(json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0;
}

static bool
valid_id_array(json_t *v)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    for (size_t i = 0; i < json_array_size(v); i++) {
        if (!valid_id(json_array_get(v, i)))
            return false;
    }
    return true;
}

/* Which single target the body names; T_MANY when more than one, T_NONE when none. */
static enum target
find_target(json_t *body, const char **bad)
{
    enum target t = T_NONE;
    int count = 0;
    json_t *v;
    *bad = NULL;
    if ((v = json_object_get(body, "receiver")) != NULL) {
        count++;
        t = T_RECEIVER;
        *bad = valid_id(v) ? *bad : "\"receiver\" must be a non-empty string";
    }
    if ((v = json_object_get(body, "receivers")) != NULL) {
        count++;
        t = T_RECEIVERS;
        *bad = valid_id_array(v) ? *bad : "\"receivers\" must be a non-empty array of user ids";
    }
    if ((v = json_object_get(body, "group")) != NULL) {
        count++;
        t = T_GROUP;
        *bad = valid_id(v) ? *bad : "\"group\" must be a non-empty string";
    }
    if ((v = json_object_get(body, "broadcast")) != NULL) {
        count++;
        t = T_BROADCAST;
        *bad = json_is_true(v) ? *bad : "\"broadcast\" must be true when given";
    }
    return count > 1 ? T_MANY : t;
}

static void
now_rfc3339(char *out, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char date[32];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%.20s.%03dZ", date, (int)(ts.tv_nsec / 1000000L) % 1000);
}

static wsc_err
set_if_absent(wsc_msg *msg, wsc_msg_field field, const char *value)
{
    if (wsc_msg_get(msg, field) != NULL)
        return WSC_OK;
    return wsc_msg_set(msg, field, value);
}

/* Fills in what a backend may leave out.  Targets also land in the frame so that receivers
 * see who it was for, unless the caller set those fields itself. */
static wsc_err
stamp(wsc_hubd_api *api, wsc_hub *hub, wsc_msg *msg, enum target t, json_t *body)
{
    char id[96], when[40];
    snprintf(id, sizeof(id), "%s-api-%" PRIx64 "-%" PRIu64, wsc_hub_node_id(hub), api->boot_ms,
             ++api->seq);
    now_rfc3339(when, sizeof(when));
    wsc_err e = set_if_absent(msg, WSC_F_ID, id);
    if (e == WSC_OK)
        e = set_if_absent(msg, WSC_F_MESSAGE_ID, wsc_msg_get(msg, WSC_F_ID));
    if (e == WSC_OK)
        e = set_if_absent(msg, WSC_F_CREATE_AT, when);
    if (e == WSC_OK)
        e = set_if_absent(msg, WSC_F_SENDER, "system");
    if (e == WSC_OK && t == T_RECEIVER)
        e = set_if_absent(msg, WSC_F_RECEIVER,
                          json_string_value(json_object_get(body, "receiver")));
    if (e == WSC_OK && t == T_GROUP && wsc_msg_group_count(msg) == 0)
        e = wsc_msg_add_group(msg, json_string_value(json_object_get(body, "group")));
    if (e == WSC_OK && t == T_BROADCAST)
        e = set_if_absent(msg, WSC_F_BROADCAST_TYPE, "global");
    return e;
}

/* The receivers named by "receiver" or "receivers" (strings borrowed from body; free the
 * array). */
static const char **
receiver_list(json_t *body, enum target t, size_t *n)
{
    json_t *list = json_object_get(body, "receivers");
    *n = t == T_RECEIVER ? 1 : json_array_size(list);
    const char **ids = calloc(*n + 1, sizeof(*ids));
    for (size_t i = 0; ids != NULL && i < *n; i++)
        ids[i] = t == T_RECEIVER ? json_string_value(json_object_get(body, "receiver"))
                                 : json_string_value(json_array_get(list, i));
    return ids;
}

/* The answer of a publish without ACK: the connections it was queued to on every node. */
struct plain_answer {
    wsc_http_req *req;
    char message_id[];
};

static void
on_published(wsc_hub *hub, wsc_err status, uint64_t n, void *user)
{
    (void)hub;
    struct plain_answer *a = user;
    json_t *r = wsc_hubd_publish_result(a->message_id, status, n);
    if (json_object_get(r, "error") == NULL)
        wsc_hubd_reply_json(a->req, 200, r);
    else {
        json_decref(r);
        wsc_hubd_reply_wsc_err(a->req, status, "publish");
    }
    free(a);
}

/* Hands msg to the hub as a fire-and-forget send to body's target; cb(user) gets the count. */
static wsc_err
deliver(wsc_hub *hub, json_t *body, enum target t, wsc_msg *msg, wsc_hub_count_cb cb, void *user)
{
    wsc_publish_target pt = {0};
    const char **ids = NULL;
    if (t == T_GROUP) {
        pt.group_id = json_string_value(json_object_get(body, "group"));
    } else if (t == T_BROADCAST) {
        pt.broadcast = true;
    } else {
        ids = receiver_list(body, t, &pt.n_users);
        if (ids == NULL)
            return WSC_ERR_NOMEM;
        pt.user_ids = ids;
    }
    wsc_err e = wsc_hub_publish(hub, &pt, msg, cb, user);
    free(ids);
    return e;
}

/* The plain answer of a single publish. */
static wsc_err
deliver_plain(wsc_hub *hub, json_t *body, enum target t, wsc_msg *msg, wsc_http_req *req)
{
    const char *mid = wsc_msg_get(msg, WSC_F_MESSAGE_ID);
    size_t len = strlen(mid) + 1;
    struct plain_answer *a = malloc(sizeof(*a) + len);
    if (a == NULL)
        return WSC_ERR_NOMEM;
    a->req = req;
    memcpy(a->message_id, mid, len);
    wsc_err e = deliver(hub, body, t, msg, on_published, a);
    if (e != WSC_OK)
        free(a);
    return e;
}

/* The answer of a publish with ACK, once the hub has accounted for every receiver. */
static void
on_accepted(const wsc_accepted *a, void *user)
{
    wsc_http_req *req = user;
    json_t *r = wsc_hubd_accepted_result(a);
    const char *code = json_string_value(json_object_get(r, "error"));
    if (code == NULL) {
        wsc_hubd_reply_json(req, 200, r);
        return;
    }
    int status = strcmp(code, "inbox_full") == 0 ? 507 : strcmp(code, "internal") == 0 ? 500 : 503;
    wsc_hubd_reply_error(req, status, code, json_string_value(json_object_get(r, "reason")));
    json_decref(r);
}

/* require_ack to receivers or a group: every receiver tracked until its ACK (resent, then
 * stored); answered by on_accepted.  False when the publish could not start (answered here). */
static wsc_err
deliver_ack(wsc_hub *hub, json_t *body, enum target t, wsc_msg *msg, wsc_accepted_cb cb, void *user)
{
    if (t == T_GROUP)
        return wsc_hub_publish_ack(hub, NULL, 0, json_string_value(json_object_get(body, "group")),
                                   NULL, msg, NULL, cb, user);
    size_t n = 0;
    const char **ids = receiver_list(body, t, &n);
    if (ids == NULL)
        return WSC_ERR_NOMEM;
    wsc_err e = wsc_hub_publish_ack(hub, ids, n, NULL, NULL, msg, NULL, cb, user);
    free(ids);
    return e;
}

/* Parses the frame m (named what in errors) into a wsc_msg with the hub's limits; answers 400
 * and returns NULL on failure. */
static wsc_msg *
parse_frame(wsc_hubd_api *api, wsc_http_req *req, json_t *m, const char *what)
{
    char reason[240];
    if (!json_is_object(m)) {
        snprintf(reason, sizeof(reason), "%s must be a JSON object", what);
        wsc_hubd_reply_error(req, 400, "invalid_request", reason);
        return NULL;
    }
    char *text = json_dumps(m, JSON_COMPACT);
    if (text == NULL) {
        wsc_hubd_reply_json(req, 500, NULL);
        return NULL;
    }
    wsc_msg *msg = NULL;
    const char *why = NULL;
    wsc_err e = wsc_msg_parse(&msg, text, strlen(text), &api->limits, &why);
    free(text);
    if (e != WSC_OK) {
        snprintf(reason, sizeof(reason), "%s is not a valid frame: %s", what,
                 why != NULL ? why : wsc_strerror(e));
        wsc_hubd_reply_error(req, 400, "invalid_request", reason);
    }
    return msg;
}

/* The targets of body named in app (keys: wsc_user_key) as a new object with the same
 * target fields; a new reference to body itself without app.  NULL: answered 400/500. */
static json_t *
scoped_targets(wsc_http_req *req, json_t *body, const char *app)
{
    if (app == NULL)
        return json_incref(body);
    json_t *out = json_object(), *v;
    char key[WSC_MSG_KEY_MAX];
    bool ok = out != NULL;
    static const char *const single[] = {"receiver", "group"};
    for (size_t i = 0; ok && i < 2; i++) {
        if ((v = json_object_get(body, single[i])) != NULL)
            ok = wsc_hubd_key(req, app, json_string_value(v), key) &&
                 json_object_set_new(out, single[i], json_string(key)) == 0;
    }
    if (ok && (v = json_object_get(body, "receivers")) != NULL) {
        json_t *list = json_array();
        ok = list != NULL && json_object_set_new(out, "receivers", list) == 0;
        for (size_t i = 0; ok && i < json_array_size(v); i++)
            ok = wsc_hubd_key(req, app, json_string_value(json_array_get(v, i)), key) &&
                 json_array_append_new(list, json_string(key)) == 0;
    }
    if (!ok)
        json_decref(out);
    return ok ? out : NULL;
}

#define BATCH_MAX 1000

/* Every frame of "messages" parsed (all or none: 400 names the first bad one) into msgs. */
static bool
parse_batch(wsc_hubd_api *api, wsc_http_req *req, json_t *list, wsc_msg **msgs)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        char what[40];
        snprintf(what, sizeof(what), "\"messages\"[%zu]", i);
        if ((msgs[i] = parse_frame(api, req, json_array_get(list, i), what)) == NULL) {
            for (size_t j = 0; j < i; j++)
                wsc_msg_unref(msgs[j]);
            return false;
        }
    }
    return true;
}

/* "messages": the frames go to the target in order, each answered in "results". */
static void
publish_batch(wsc_hubd_api *api, wsc_hub *hub, wsc_http_req *req, json_t *body, json_t *keys,
              enum target t, const char *app)
{
    json_t *list = json_object_get(body, "messages");
    size_t n = json_array_size(list);
    if (!json_is_array(list) || n == 0 || n > BATCH_MAX || json_object_get(body, "message")) {
        wsc_hubd_reply_error(req, 400, "invalid_request",
                             "\"messages\" must be an array of 1 to 1000 frames, instead of "
                             "\"message\"");
        return;
    }
    wsc_msg **msgs = calloc(n, sizeof(*msgs));
    if (msgs == NULL || !parse_batch(api, req, list, msgs)) {
        if (msgs == NULL)
            wsc_hubd_reply_wsc_err(req, WSC_ERR_NOMEM, "publish");
        free(msgs);
        return;
    }
    wsc_hubd_batch *b = wsc_hubd_batch_new(req, n);
    for (size_t i = 0; i < n; i++) {
        wsc_err e = stamp(api, hub, msgs[i], t, body);
        if (e == WSC_OK)
            e = wsc_msg_set(msgs[i], WSC_F_APP_ID, app);
        const char *mid = wsc_msg_get(msgs[i], WSC_F_MESSAGE_ID);
        wsc_hubd_slot *s = b != NULL ? wsc_hubd_batch_slot(b, i, mid ? mid : "") : NULL;
        if (s != NULL && e == WSC_OK && wsc_msg_require_ack(msgs[i]) && t != T_BROADCAST)
            e = deliver_ack(hub, keys, t, msgs[i], wsc_hubd_batch_accepted, s);
        else if (s != NULL && e == WSC_OK)
            e = deliver(hub, keys, t, msgs[i], wsc_hubd_batch_published, s);
        if (s != NULL && e != WSC_OK)
            wsc_hubd_batch_failed(s, e);
        wsc_msg_unref(msgs[i]);
    }
    free(msgs);
    if (b != NULL)
        wsc_hubd_batch_seal(b);
}

static void
publish(wsc_hubd_api *api, wsc_hub *hub, wsc_http_req *req, json_t *body, const char *app)
{
    const char *bad = NULL;
    enum target t = find_target(body, &bad);
    if (t == T_NONE || t == T_MANY || bad != NULL) {
        wsc_hubd_reply_error(req, 400, "invalid_request",
                             bad != NULL ? bad
                                         : "name exactly one target: \"receiver\", "
                                           "\"receivers\", \"group\" or \"broadcast\"");
        return;
    }
    /* Targets are named in the request's app; the frame carries that app id (tenants,
     * PROTOCOL.md §1): a broadcast reaches that app's users only. */
    json_t *keys = scoped_targets(req, body, app);
    if (keys == NULL)
        return;
    if (json_object_get(body, "messages") != NULL) {
        publish_batch(api, hub, req, body, keys, t, app);
        json_decref(keys);
        return;
    }
    wsc_msg *msg = parse_frame(api, req, json_object_get(body, "message"), "\"message\"");
    if (msg == NULL) {
        json_decref(keys);
        return;
    }
    wsc_err e = stamp(api, hub, msg, t, body);
    if (e == WSC_OK)
        e = wsc_msg_set(msg, WSC_F_APP_ID, app);
    /* Broadcast stays fire-and-forget: "everyone" has no list of receivers to track. */
    if (e == WSC_OK && wsc_msg_require_ack(msg) && t != T_BROADCAST) {
        e = deliver_ack(hub, keys, t, msg, on_accepted, req);
        if (e != WSC_OK)
            wsc_hubd_reply_wsc_err(req, e, "publish");
        wsc_msg_unref(msg);
        json_decref(keys);
        return;
    }
    if (e == WSC_OK)
        e = deliver_plain(hub, keys, t, msg, req);
    json_decref(keys);
    if (e != WSC_OK)
        wsc_hubd_reply_wsc_err(req, e, "publish");
    wsc_msg_unref(msg);
}

void
wsc_hubd_api_publish(wsc_hubd_api *api, wsc_hub *hub, wsc_http_req *req, const char *app)
{
    bool ok = false;
    json_t *body = wsc_hubd_body_object(req, false, &ok);
    if (body == NULL)
        return;
    publish(api, hub, req, body, app);
    json_decref(body);
}
