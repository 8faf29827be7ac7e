/* SPDX-License-Identifier: MIT */
/* The router of wsc-hub's HTTP side: the demo page at /, /metrics without a key, and the
 * /api routes of PROTOCOL.md §7 behind the API key; plus the JSON answers they share and the
 * check of which users may broadcast. */
#include "api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_internal.h"

#define MAX_SEGMENTS 5

void
wsc_hubd_reply_json(wsc_http_req *req, int status, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        static const char oom[] = "{\"error\":\"internal\",\"reason\":\"out of memory\"}";
        wsc_http_req_respond(req, 500, NULL, oom, sizeof(oom) - 1);
        return;
    }
    wsc_http_req_respond(req, status, NULL, text, strlen(text));
    free(text);
}

void
wsc_hubd_reply_error(wsc_http_req *req, int status, const char *code, const char *reason)
{
    json_t *body = json_pack("{s:s, s:s}", "error", code, "reason", reason);
    if (status == 401 && body != NULL) {
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (text != NULL)
            wsc_http_req_respond_h(req, 401, NULL, "WWW-Authenticate", "Bearer", text,
                                   strlen(text));
        else
            wsc_hubd_reply_json(req, 401, NULL);
        free(text);
        return;
    }
    wsc_hubd_reply_json(req, status, body);
}

void
wsc_hubd_reply_wsc_err(wsc_http_req *req, wsc_err err, const char *what)
{
    char reason[160];
    snprintf(reason, sizeof(reason), "%s: %s", what, wsc_strerror(err));
    switch (err) {
    case WSC_ERR_INVALID:
    case WSC_ERR_TOO_LARGE:
    case WSC_ERR_PROTOCOL:
        wsc_hubd_reply_error(req, 400, "invalid_request", reason);
        return;
    case WSC_ERR_NOT_FOUND:
        wsc_hubd_reply_error(req, 404, "not_found", reason);
        return;
    case WSC_ERR_STATE:
    case WSC_ERR_LIMIT:
        wsc_hubd_reply_error(req, 503, "unavailable", reason);
        return;
    default:
        wsc_hubd_reply_error(req, 500, "internal", reason);
        return;
    }
}

json_t *
wsc_hubd_body_object(wsc_http_req *req, bool optional, bool *ok)
{
    size_t len = 0;
    const char *body = wsc_http_req_body(req, &len);
    *ok = true;
    if (body == NULL || len == 0) {
        if (optional)
            return NULL;
        *ok = false;
        wsc_hubd_reply_error(req, 400, "invalid_request", "a JSON object body is required");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (root == NULL || !json_is_object(root)) {
        char reason[200];
        if (root == NULL)
            snprintf(reason, sizeof(reason), "body is not JSON: %s", jerr.text);
        else
            snprintf(reason, sizeof(reason), "body must be a JSON object");
        json_decref(root);
        *ok = false;
        wsc_hubd_reply_error(req, 400, "invalid_request", reason);
        return NULL;
    }
    return root;
}

/* Compares the whole configured key whatever the candidate is, so that the time taken does
 * not tell how many leading bytes were right. */
static bool
key_equal(const char *given, const char *key)
{
    size_t glen = strlen(given), klen = strlen(key);
    unsigned char diff = glen != klen;
    for (size_t i = 0; i < klen; i++)
        diff |= (unsigned char)key[i] ^ (unsigned char)(i < glen ? given[i] : 0);
    return diff == 0;
}

/* given matches api_key or one of api_keys; every key is compared in full. */
static bool
key_accepted(const wsc_hubd_api *api, const char *given)
{
    bool ok = api->api_key != NULL && api->api_key[0] != '\0' && key_equal(given, api->api_key);
    for (size_t i = 0; api->api_keys != NULL && api->api_keys[i] != NULL; i++)
        ok |= key_equal(given, api->api_keys[i]);
    return ok;
}

static bool
authorized(const wsc_hubd_api *api, wsc_http_req *req)
{
    if (api->insecure_api)
        return true;
    if ((api->api_key == NULL || api->api_key[0] == '\0') &&
        (api->api_keys == NULL || api->api_keys[0] == NULL)) {
        wsc_hubd_reply_error(req, 401, "unauthorized",
                             "no api_key is configured, so the HTTP API is disabled (set "
                             "api_key, or start with --insecure-api for demos)");
        return false;
    }
    const char *given = wsc_http_req_header(req, "x-api-key");
    const char *auth = wsc_http_req_header(req, "authorization");
    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0)
        given = auth + 7;
    if (given == NULL || !key_accepted(api, given)) {
        wsc_hubd_reply_error(req, 401, "unauthorized",
                             given == NULL ? "missing Authorization: Bearer <api key>"
                                           : "wrong api key");
        return false;
    }
    return true;
}

static void
reply_405(wsc_http_req *req, const char *allow)
{
    char reason[96];
    snprintf(reason, sizeof(reason), "method not allowed here (allowed: %s)", allow);
    json_t *body = json_pack("{s:s, s:s}", "error", "method_not_allowed", "reason", reason);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text != NULL)
        wsc_http_req_respond_h(req, 405, NULL, "Allow", allow, text, strlen(text));
    else
        wsc_hubd_reply_json(req, 500, NULL);
    free(text);
}

/* Checks the method; answers 405 and returns false when it is not the allowed one. */
static bool
method_is(wsc_http_req *req, const char *method)
{
    if (strcmp(wsc_http_req_method(req), method) == 0)
        return true;
    reply_405(req, method);
    return false;
}

/* Splits "/users/u1/kick" into segments (in place); returns their count, or MAX_SEGMENTS + 1
 * when there are too many. */
static size_t
split_path(char *path, char **seg)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(path, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGMENTS)
            return MAX_SEGMENTS + 1;
        seg[n++] = tok;
    }
    return n;
}

bool
wsc_hubd_key(wsc_http_req *req, const char *app, const char *id, char *out)
{
    wsc_err e = wsc_user_key(app, id, out, WSC_MSG_KEY_MAX);
    if (e != WSC_OK)
        wsc_hubd_reply_error(req, 400, "invalid_request",
                             e == WSC_ERR_TOO_LARGE ? "user or group id too long"
                                                    : "empty user or group id");
    return e == WSC_OK;
}

const char *
wsc_hubd_plain(const char *key)
{
    const char *s = key != NULL ? strchr(key, '\x1f') : NULL;
    return s != NULL ? s + 1 : key;
}

/* The `app` query parameter: NULL when absent; false (answered 400) when empty or holding
 * control characters. */
static bool
app_param(wsc_http_req *req, const char **app)
{
    *app = wsc_http_req_query(req, "app");
    if (*app == NULL)
        return true;
    bool ok = (*app)[0] != '\0';
    for (const unsigned char *p = (const unsigned char *)*app; ok && *p != '\0'; p++)
        ok = *p >= 0x20 && *p != 0x7f;
    if (!ok)
        wsc_hubd_reply_error(req, 400, "invalid_request",
                             "\"app\" must be a non-empty id without control characters");
    return ok;
}

static void
route_groups(wsc_hub *hub, wsc_http_req *req, const char *app, char **seg, size_t n)
{
    const char *method = wsc_http_req_method(req);
    if (n == 3 && strcmp(seg[2], "members") == 0) {
        if (strcmp(method, "GET") == 0)
            wsc_hubd_api_group_get(hub, req, app, seg[1]);
        else if (strcmp(method, "POST") == 0)
            wsc_hubd_api_group_add(hub, req, app, seg[1]);
        else
            reply_405(req, "GET, POST");
    } else if (n == 4 && strcmp(seg[2], "members") == 0) {
        if (method_is(req, "DELETE"))
            wsc_hubd_api_group_remove(hub, req, app, seg[1], seg[3]);
    } else {
        wsc_hubd_reply_error(req, 404, "not_found", "no such API route");
    }
}

static void
route_api(wsc_hubd_api *api, wsc_hub *hub, wsc_http_req *req, char *rest)
{
    char *seg[MAX_SEGMENTS];
    size_t n = split_path(rest, seg);
    const char *app = NULL;
    if (!app_param(req, &app))
        return;
    if (n == 1 && strcmp(seg[0], "publish") == 0) {
        if (method_is(req, "POST"))
            wsc_hubd_api_publish(api, hub, req, app);
    } else if (n == 1 && strcmp(seg[0], "stats") == 0) {
        if (method_is(req, "GET"))
            wsc_hubd_api_stats(api, hub, req);
    } else if (n == 2 && strcmp(seg[0], "users") == 0) {
        if (method_is(req, "GET"))
            wsc_hubd_api_user_get(hub, req, app, seg[1]);
    } else if (n == 3 && strcmp(seg[0], "users") == 0 && strcmp(seg[2], "kick") == 0) {
        if (method_is(req, "POST"))
            wsc_hubd_api_user_kick(hub, req, app, seg[1]);
    } else if (n >= 3 && n <= 4 && strcmp(seg[0], "groups") == 0) {
        route_groups(hub, req, app, seg, n);
    } else {
        wsc_hubd_reply_error(req, 404, "not_found", "no such API route");
    }
}

static void
serve_demo(wsc_hubd_api *api, wsc_http_req *req)
{
    size_t len = 0;
    char *page = wsc_hubd_demo_page(api->ws_path, &len);
    if (page == NULL) {
        wsc_hubd_reply_json(req, 500, NULL);
        return;
    }
    wsc_http_req_respond(req, 200, "text/html; charset=utf-8", page, len);
    free(page);
}

void
wsc_hubd_api_handle(wsc_hub *hub, wsc_http_req *req, void *user)
{
    wsc_hubd_api *api = user;
    const char *path = wsc_http_req_path(req);
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
        if (method_is(req, "GET"))
            serve_demo(api, req);
        return;
    }
    if (strcmp(path, "/metrics") == 0) {
        if (method_is(req, "GET"))
            wsc_hubd_api_metrics(api, hub, req);
        return;
    }
    if (strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0) {
        wsc_hubd_reply_error(req, 404, "not_found", "no such path");
        return;
    }
    if (!authorized(api, req))
        return;
    api->requests++;
    char *rest = strdup(path + 4);
    if (rest == NULL) {
        wsc_hubd_reply_json(req, 500, NULL);
        return;
    }
    route_api(api, hub, req, rest);
    free(rest);
}

void
wsc_hubd_api_broadcast_check(wsc_hub *hub, wsc_conn *conn, bool *allow, void *user)
{
    (void)hub;
    const wsc_hubd_api *api = user;
    const char *uid = wsc_conn_user_id(conn);
    *allow = false;
    for (size_t i = 0; api->broadcast_users != NULL && api->broadcast_users[i] != NULL; i++) {
        if (uid != NULL && strcmp(uid, api->broadcast_users[i]) == 0)
            *allow = true;
    }
}

void
wsc_hubd_api_attach(wsc_hub_config *cfg, wsc_hubd_api *api)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    api->boot_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    api->seq = 0;
    api->requests = 0;
    api->limits = cfg->msg_limits;
    api->ws_path = cfg->ws_path != NULL ? cfg->ws_path : "/ws";
    cfg->on_http = wsc_hubd_api_handle;
    cfg->on_broadcast_check = wsc_hubd_api_broadcast_check;
    cfg->user = api;
}
