/* SPDX-License-Identifier: MIT */
/* POST /api/publish (PROTOCOL.md §7): one target (receiver, receivers, group or broadcast)
 * and one frame.  The frame is parsed with the hub's own limits, stamped where the caller
 * left fields out (id, message_id, create_at, sender "system"), then handed to the hub.  A
 * frame with require_ack to receivers or a group goes through the hub's ACK engine
 * (wsc_hub_publish_ack: resent, then stored), and the answer waits until every receiver is
 * queued to a live connection or confirmed by the offline store: "stored" is never claimed
 * for a write still in flight; a store that fails or does not answer in time gives 503
 * store_unavailable (PROTOCOL.md §7). */
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
    /* A node that did not answer in time is left out of the count (it may have queued). */
    if (status == WSC_OK || status == WSC_ERR_TIMEOUT)
        wsc_hubd_reply_json(a->req, 200,
                            json_pack("{s:s, s:I, s:I}", "message_id", a->message_id, "delivered",
                                      (json_int_t)n, "stored", (json_int_t)0));
    else
        wsc_hubd_reply_wsc_err(a->req, status, "publish");
    free(a);
}

static wsc_err
deliver(wsc_hub *hub, json_t *body, enum target t, wsc_msg *msg, wsc_http_req *req)
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
    const char *mid = wsc_msg_get(msg, WSC_F_MESSAGE_ID);
    size_t len = strlen(mid) + 1;
    struct plain_answer *a = malloc(sizeof(*a) + len);
    wsc_err e = WSC_ERR_NOMEM;
    if (a != NULL) {
        a->req = req;
        memcpy(a->message_id, mid, len);
        e = wsc_hub_publish(hub, &pt, msg, on_published, a);
        if (e != WSC_OK)
            free(a);
    }
    free(ids);
    return e;
}

/* The answer of a publish with ACK, once the hub has accounted for every receiver. */
static void
on_accepted(const wsc_accepted *a, void *user)
{
    wsc_http_req *req = user;
    if (a->failed > 0) {
        char reason[200];
        snprintf(reason, sizeof(reason), "%zu of %zu receivers not taken: %s", a->failed,
                 a->online + a->stored + a->duplicates + a->unreachable + a->failed,
                 wsc_strerror(a->error));
        if (a->error == WSC_ERR_LIMIT)
            wsc_hubd_reply_error(req, 507, "inbox_full", reason);
        else if (a->error == WSC_ERR_NOMEM || a->error == WSC_ERR_INTERNAL)
            wsc_hubd_reply_error(req, 500, "internal", reason);
        else
            wsc_hubd_reply_error(req, 503, "store_unavailable", reason);
        return;
    }
    wsc_hubd_reply_json(req, 200,
                        json_pack("{s:s, s:I, s:I}", "message_id", a->message_id, "delivered",
                                  (json_int_t)a->delivered, "stored", (json_int_t)a->stored));
}

/* require_ack to receivers or a group: every receiver tracked until its ACK (resent, then
 * stored); answered by on_accepted.  False when the publish could not start (answered here). */
static wsc_err
deliver_ack(wsc_hub *hub, json_t *body, enum target t, wsc_msg *msg, wsc_http_req *req)
{
    if (t == T_GROUP)
        return wsc_hub_publish_ack(hub, NULL, 0, json_string_value(json_object_get(body, "group")),
                                   NULL, msg, NULL, on_accepted, req);
    size_t n = 0;
    const char **ids = receiver_list(body, t, &n);
    if (ids == NULL)
        return WSC_ERR_NOMEM;
    wsc_err e = wsc_hub_publish_ack(hub, ids, n, NULL, NULL, msg, NULL, on_accepted, req);
    free(ids);
    return e;
}

/* Parses body.message into a wsc_msg with the hub's limits; answers 400 and returns NULL on
 * failure. */
static wsc_msg *
parse_message(wsc_hubd_api *api, wsc_http_req *req, json_t *body)
{
    json_t *m = json_object_get(body, "message");
    if (!json_is_object(m)) {
        wsc_hubd_reply_error(req, 400, "invalid_request", "\"message\" must be a JSON object");
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
        char reason[200];
        snprintf(reason, sizeof(reason), "\"message\" is not a valid frame: %s",
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
    wsc_msg *msg = parse_message(api, req, body);
    if (msg == NULL) {
        json_decref(keys);
        return;
    }
    wsc_err e = stamp(api, hub, msg, t, body);
    if (e == WSC_OK)
        e = wsc_msg_set(msg, WSC_F_APP_ID, app);
    /* Broadcast stays fire-and-forget: "everyone" has no list of receivers to track. */
    if (e == WSC_OK && wsc_msg_require_ack(msg) && t != T_BROADCAST) {
        e = deliver_ack(hub, keys, t, msg, req);
        if (e != WSC_OK)
            wsc_hubd_reply_wsc_err(req, e, "publish");
        wsc_msg_unref(msg);
        json_decref(keys);
        return;
    }
    if (e == WSC_OK)
        e = deliver(hub, keys, t, msg, req);
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
