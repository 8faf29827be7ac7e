/* SPDX-License-Identifier: MIT */
/* The presence, kick and group routes of the API (PROTOCOL.md §7):
 * GET /api/users/{id}, POST /api/users/{id}/kick, and GET/POST/DELETE on
 * /api/groups/{g}/members. */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* A request waiting for the other nodes' count, with the plain user id it names. */
struct user_ask {
    wsc_http_req *req;
    char user_id[];
};

static struct user_ask *
ask_new(wsc_http_req *req, const char *user_id)
{
    size_t n = strlen(user_id) + 1;
    struct user_ask *a = malloc(sizeof(*a) + n);
    if (a == NULL) {
        wsc_hubd_reply_wsc_err(req, WSC_ERR_NOMEM, "user");
        return NULL;
    }
    a->req = req;
    memcpy(a->user_id, user_id, n);
    return a;
}

/* Connections on every node; a node that did not answer in time is left out of the count. */
static void
on_presence(wsc_hub *hub, wsc_err status, uint64_t n, void *user)
{
    (void)hub;
    struct user_ask *a = user;
    if (status != WSC_OK && status != WSC_ERR_TIMEOUT)
        wsc_hubd_reply_wsc_err(a->req, status, "presence");
    else
        wsc_hubd_reply_json(a->req, 200,
                            json_pack("{s:s, s:b, s:I}", "user_id", a->user_id, "online", n > 0,
                                      "connections", (json_int_t)n));
    free(a);
}

void
wsc_hubd_api_user_get(wsc_hub *hub, wsc_http_req *req, const char *app, const char *user_id)
{
    char key[WSC_MSG_KEY_MAX];
    if (!wsc_hubd_key(req, app, user_id, key))
        return;
    struct user_ask *a = ask_new(req, user_id);
    if (a == NULL)
        return;
    wsc_err e = wsc_hub_user_connections(hub, key, on_presence, a);
    if (e != WSC_OK) {
        free(a);
        wsc_hubd_reply_wsc_err(req, e, "presence");
    }
}

/* {"kicked":N}: connections closed on every node that answered in time. */
static void
on_kicked(wsc_hub *hub, wsc_err status, uint64_t n, void *user)
{
    (void)hub;
    struct user_ask *a = user;
    if (status != WSC_OK && status != WSC_ERR_TIMEOUT)
        wsc_hubd_reply_wsc_err(a->req, status, "kick");
    else
        wsc_hubd_reply_json(a->req, 200, json_pack("{s:I}", "kicked", (json_int_t)n));
    free(a);
}

void
wsc_hubd_api_user_kick(wsc_hub *hub, wsc_http_req *req, const char *app, const char *user_id)
{
    char key[WSC_MSG_KEY_MAX];
    if (!wsc_hubd_key(req, app, user_id, key))
        return;
    bool ok = false;
    json_t *body = wsc_hubd_body_object(req, true, &ok);
    if (!ok)
        return;
    const char *reason = "kicked by the server";
    json_t *r = body != NULL ? json_object_get(body, "reason") : NULL;
    if (r != NULL && !json_is_string(r)) {
        wsc_hubd_reply_error(req, 400, "invalid_request", "\"reason\" must be a string");
        json_decref(body);
        return;
    }
    if (r != NULL)
        reason = json_string_value(r);
    struct user_ask *a = ask_new(req, user_id);
    wsc_err e = a != NULL ? wsc_hub_kick_user_all(hub, key, reason, on_kicked, a) : WSC_OK;
    if (e != WSC_OK) {
        free(a);
        wsc_hubd_reply_wsc_err(req, e, "kick");
    }
    json_decref(body);
}

/* {"group":G,"user_ids":[...]} for the members of group (its key; G is shown plain, and the
 * members' ids without their app); NULL on failure (err set). */
static json_t *
members_json(wsc_hub *hub, const char *group, wsc_err *err)
{
    char **ids = NULL;
    size_t n = 0;
    *err = wsc_hub_group_members(hub, group, &ids, &n);
    if (*err != WSC_OK)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++) {
        if (json_array_append_new(list, json_string(wsc_hubd_plain(ids[i]))) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    wsc_free(ids);
    if (list == NULL) {
        *err = WSC_ERR_NOMEM;
        return NULL;
    }
    return json_pack("{s:s, s:o}", "group", wsc_hubd_plain(group), "user_ids", list);
}

void
wsc_hubd_api_group_get(wsc_hub *hub, wsc_http_req *req, const char *app, const char *group)
{
    char gkey[WSC_MSG_KEY_MAX];
    if (!wsc_hubd_key(req, app, group, gkey))
        return;
    wsc_err e = WSC_OK;
    json_t *body = members_json(hub, gkey, &e);
    if (e != WSC_OK)
        wsc_hubd_reply_wsc_err(req, e, "group members");
    else
        wsc_hubd_reply_json(req, 200, body);
}

/* Checks that user_ids is a non-empty array of non-empty strings. */
static bool
valid_user_ids(json_t *list)
{
    if (!json_is_array(list) || json_array_size(list) == 0)
        return false;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *v = json_array_get(list, i);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return false;
    }
    return true;
}

static void
group_add(wsc_hub *hub, wsc_http_req *req, const char *app, const char *group, json_t *list)
{
    json_int_t added = 0;
    char ukey[WSC_MSG_KEY_MAX];
    for (size_t i = 0; i < json_array_size(list); i++) {
        if (!wsc_hubd_key(req, app, json_string_value(json_array_get(list, i)), ukey))
            return;
        wsc_err e = wsc_hub_group_join(hub, group, ukey);
        /* Adding a member twice is harmless: the request is idempotent. */
        if (e == WSC_OK)
            added++;
        else if (e != WSC_ERR_EXISTS) {
            wsc_hubd_reply_wsc_err(req, e, "group join");
            return;
        }
    }
    wsc_err e = WSC_OK;
    json_t *body = members_json(hub, group, &e);
    if (body != NULL && json_object_set_new(body, "added", json_integer(added)) != 0)
        e = WSC_ERR_NOMEM;
    if (e != WSC_OK) {
        json_decref(body);
        wsc_hubd_reply_wsc_err(req, e, "group members");
        return;
    }
    wsc_hubd_reply_json(req, 200, body);
}

void
wsc_hubd_api_group_add(wsc_hub *hub, wsc_http_req *req, const char *app, const char *group)
{
    char gkey[WSC_MSG_KEY_MAX];
    if (!wsc_hubd_key(req, app, group, gkey))
        return;
    bool ok = false;
    json_t *body = wsc_hubd_body_object(req, false, &ok);
    if (body == NULL)
        return;
    json_t *list = json_object_get(body, "user_ids");
    if (!valid_user_ids(list))
        wsc_hubd_reply_error(req, 400, "invalid_request",
                             "\"user_ids\" must be a non-empty array of user ids");
    else
        group_add(hub, req, app, gkey, list);
    json_decref(body);
}

void
wsc_hubd_api_group_remove(wsc_hub *hub, wsc_http_req *req, const char *app, const char *group,
                          const char *user_id)
{
    char gkey[WSC_MSG_KEY_MAX], ukey[WSC_MSG_KEY_MAX];
    if (!wsc_hubd_key(req, app, group, gkey) || !wsc_hubd_key(req, app, user_id, ukey))
        return;
    wsc_err e = wsc_hub_group_leave(hub, gkey, ukey);
    if (e == WSC_ERR_NOT_FOUND) {
        char reason[160];
        snprintf(reason, sizeof(reason), "%.60s is not a member of group %.60s", user_id, group);
        wsc_hubd_reply_error(req, 404, "not_found", reason);
    } else if (e != WSC_OK) {
        wsc_hubd_reply_wsc_err(req, e, "group leave");
    } else {
        wsc_hubd_reply_json(
            req, 200,
            json_pack("{s:s, s:s, s:b}", "group", group, "user_id", user_id, "removed", 1));
    }
}
