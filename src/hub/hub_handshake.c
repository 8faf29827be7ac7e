/* SPDX-License-Identifier: MIT */
/* Before the upgrade (PROTOCOL.md §1): the path, draining and capacity checks, the origin
 * allow-list, and identity from the authenticate callback, a JWT, or (only when enabled) the
 * user_id query parameter.  Refusals are HTTP answers with a JSON body. */
#include <stdio.h>
#include <string.h>

#include "hub/hub_internal.h"
#include "middleware/auth_jwt.h"
#include "middleware/jwt_keys.h"
#include "models/alloc.h"
#include "models/strv.h"
#include "models/utf8.h"
#include "protocol/frames.h"

void
wsc__json_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s != '\0' && o + 3 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20)
            continue;
        if (ch == '"' || ch == '\\')
            out[o++] = '\\';
        out[o++] = (char)ch;
    }
    out[o] = '\0';
}

static const char *
reason_phrase(int status)
{
    switch (status) {
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

/* Writes the status line.  Not lws_add_http_header_status(): lws takes the HTTP version from
 * wsi->http.request_version, which lws_http_action() sets, and lws calls
 * LWS_CALLBACK_HTTP_CONFIRM_UPGRADE before that, so during the callback the version is still
 * its zero value, HTTP/1.0, whatever the request said.  Clients that insist on HTTP/1.1 (Python
 * `websockets`) then read no valid response at all.  The request's own version is answered:
 * HTTP/1.0 only to an HTTP/1.0 request (PROTOCOL.md §1). */
static int
add_status_line(struct lws *wsi, int status, unsigned char **p, unsigned char *end)
{
    char ver[16] = "", line[64];
    bool v10 = lws_hdr_copy(wsi, ver, (int)sizeof(ver), WSI_TOKEN_HTTP) > 0 &&
               strcmp(ver, "HTTP/1.0") == 0;
    int n =
        snprintf(line, sizeof(line), "HTTP/1.%d %d %s", v10 ? 0 : 1, status, reason_phrase(status));
    return lws_add_http_header_by_name(wsi, NULL, (const unsigned char *)line, n, p, end);
}

int
wsc__hub_http_refuse(struct lws *wsi, int status, const char *code, const char *reason,
                     int retry_after_s)
{
    char body[320], esc[260];
    wsc__json_escape(reason, esc, sizeof(esc));
    int blen = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"reason\":\"%s\"}", code, esc);
    unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf);
    if (add_status_line(wsi, status, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                     (const unsigned char *)"application/json", 16, &p, end) ||
        lws_add_http_header_content_length(wsi, (lws_filepos_t)blen, &p, end))
        return -1;
    if (status == 401 && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE,
                                                      (const unsigned char *)"Bearer", 6, &p, end))
        return -1;
    if (retry_after_s > 0) {
        char ra[16];
        int n = snprintf(ra, sizeof(ra), "%d", retry_after_s);
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_RETRY_AFTER, (const unsigned char *)ra,
                                         n, &p, end))
            return -1;
    }
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5,
                                     &p, end) ||
        lws_finalize_http_header(wsi, &p, end))
        return -1;
    if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS) < 0 ||
        lws_write(wsi, (unsigned char *)body, (size_t)blen, LWS_WRITE_HTTP_FINAL) < 0)
        return -1;
    return 1;
}

void
wsc__pending_free(struct pending_identity *p)
{
    if (p == NULL)
        return;
    wsc__free(p->user_id);
    wsc__free(p->client_id);
    wsc__free(p->app_id);
    wsc__strv_free(p->groups);
    wsc__free(p);
}

/* Copies the value of query parameter name into out; false when absent. */
static bool
query_arg(struct lws *wsi, const char *name, char *out, size_t cap)
{
    char frag[512];
    size_t nlen = strlen(name);
    for (int i = 0; i < 64; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            return false;
        if ((size_t)n > nlen && strncmp(frag, name, nlen) == 0 && frag[nlen] == '=') {
            snprintf(out, cap, "%s", frag + nlen + 1);
            return true;
        }
    }
    return false;
}

static bool
header(struct lws *wsi, enum lws_token_indexes tok, char *out, size_t cap)
{
    if (lws_hdr_total_length(wsi, tok) <= 0)
        return false;
    return lws_hdr_copy(wsi, out, (int)cap, tok) > 0;
}

static bool
valid_id(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 127 && wsc__utf8_valid(s, n) && !wsc__utf8_has_control(s, n);
}

static char **
copy_groups(char **src, size_t n)
{
    char **g = wsc__calloc(n + 1, sizeof(char *));
    for (size_t i = 0; g != NULL && i < n; i++) {
        if ((g[i] = wsc__strdup(src[i])) == NULL) {
            wsc__strv_free(g); /* all or nothing: a hole would drop groups silently */
            return NULL;
        }
    }
    return g;
}

/* Out of memory copying the identity's app_id or groups: refused (503) rather than let the
 * user in under the default tenant or without its groups. */
static int
identity_copied(const struct pending_identity *p, bool app_id, size_t n_groups, const char **why)
{
    if ((app_id && p->app_id == NULL) || (n_groups > 0 && p->groups == NULL)) {
        *why = "out of memory";
        return 503;
    }
    return 0;
}

/* Decides who connects.  Returns 0 and fills p, or an HTTP status with code/why set. */
static int
identify(wsc_hub *hub, struct wsc__creds *r, struct pending_identity *p, const char **why)
{
    char uid[256] = "";
    if (hub->cfg.on_auth != NULL) {
        wsc_auth_request req = {r->path,
                                r->token[0] ? r->token : NULL,
                                r->user_id[0] ? r->user_id : NULL,
                                r->client_id[0] ? r->client_id : NULL,
                                r->origin[0] ? r->origin : NULL,
                                r->peer};
        wsc_auth_result res;
        memset(&res, 0, sizeof(res));
        hub->cfg.on_auth(hub, &req, &res, hub->cfg.user);
        res.user_id[sizeof(res.user_id) - 1] = res.app_id[sizeof(res.app_id) - 1] = '\0';
        res.reason[sizeof(res.reason) - 1] = '\0';
        if (res.status != 0 || res.user_id[0] == '\0') {
            snprintf(r->why, sizeof(r->why), "%s",
                     res.reason[0] ? res.reason : "refused by the application");
            *why = r->why;
            return res.status ? res.status : 401;
        }
        snprintf(uid, sizeof(uid), "%s", res.user_id);
        p->app_id = res.app_id[0] ? wsc__strdup(res.app_id) : NULL;
        size_t n = wsc__strv_len(res.groups);
        p->groups = n ? copy_groups((char **)(uintptr_t)res.groups, n) : NULL;
        if (identity_copied(p, res.app_id[0] != '\0', n, why) != 0)
            return 503;
    } else if (wsc__jwt_keys_on(hub->cfg.jwt_secret, hub->cfg.jwt_secrets) && r->token[0] != '\0') {
        wsc__identity id;
        if (wsc__jwt_verify_keys(r->token, hub->cfg.jwt_secret, hub->cfg.jwt_secrets,
                                 (int64_t)(wsc__wall_ms() / 1000), &id, why) != WSC_OK)
            return 401;
        snprintf(uid, sizeof(uid), "%s", id.user_id);
        p->app_id = id.app_id[0] ? wsc__strdup(id.app_id) : NULL;
        p->groups = id.n_groups ? copy_groups(id.groups, id.n_groups) : NULL;
        p->exp_s = id.exp;
        int st = identity_copied(p, id.app_id[0] != '\0', id.n_groups, why);
        wsc__identity_clear(&id);
        if (st != 0)
            return st;
    } else if (hub->cfg.insecure_user_id && r->user_id[0] != '\0') {
        snprintf(uid, sizeof(uid), "%s", r->user_id);
    } else {
        *why = "missing credentials";
        return 401;
    }
    if (!valid_id(uid)) {
        *why = "invalid user id";
        return 401;
    }
    p->user_id = wsc__strdup(uid);
    return p->user_id ? 0 : 503;
}

static bool
origin_allowed(const wsc_hub *hub, const char *origin)
{
    if (hub->cfg.origins == NULL)
        return true;
    for (size_t i = 0; hub->cfg.origins[i] != NULL; i++) {
        if (strcmp(hub->cfg.origins[i], origin) == 0)
            return true;
    }
    return false;
}

const char *
wsc__hub_refusal_code(int status)
{
    switch (status) {
    case 403:
        return "forbidden";
    case 429:
        return "rate_limited";
    case 503:
        return "unavailable";
    default:
        return "unauthorized";
    }
}

/* Capacity: the node, and the user unless this connection replaces one of the same client. */
static const char *
over_capacity(const wsc_hub *hub, const struct pending_identity *p)
{
    if (hub->n_conns + hub->n_upgrading >= hub->cfg.max_conns)
        return "node is full";
    const struct hub_user *u = wsc__hub_user_find(hub, p->user_id);
    if (u == NULL || hub->cfg.max_conns_per_user == 0)
        return NULL;
    size_t n = 0; /* counted, at most max_conns_per_user steps: users carry no count */
    const struct wsc_list *pos;
    wsc_list_foreach(pos, &u->conns) {
        if (++n >= hub->cfg.max_conns_per_user)
            break;
    }
    if (n < hub->cfg.max_conns_per_user)
        return NULL;
    wsc_list_foreach(pos, &u->conns) {
        const wsc_conn *c = wsc_container_of(pos, wsc_conn, user_link);
        if (p->client_id != NULL && strcmp(wsc__conn_client_id(c), p->client_id) == 0)
            return NULL;
    }
    return "too many connections for this user";
}

/* The metrics' reason of an identity or capacity refusal. */
static enum wsc__refusal
refusal_of(int status, bool full)
{
    if (full || status == 503)
        return WSC__REFUSE_CAPACITY;
    return status == 401 ? WSC__REFUSE_AUTH : WSC__REFUSE_FORBIDDEN;
}

static int
refuse(wsc_hub *hub, int status, enum wsc__refusal kind, const char *why, const char *peer,
       int *retry_s)
{
    hub->stats.refused++;
    hub->metrics.refused[kind]++;
    hub->metrics.refused[kind]++;
    wsc__log(&hub->log, WSC_LOG_INFO, "upgrade_refused", "i:status,s:reason,s:peer", status, why,
             peer);
    *retry_s = status == 503 ? 1 : 0;
    return status;
}

struct pending_identity *
wsc__hub_pending_take(wsc_hub *hub, struct lws *wsi)
{
    struct pending_identity *p = lws_get_opaque_user_data(wsi);
    if (p != NULL) {
        lws_set_opaque_user_data(wsi, NULL);
        if (hub->n_upgrading > 0)
            hub->n_upgrading--;
    }
    return p;
}

void
wsc__hub_pending_drop(wsc_hub *hub, struct lws *wsi)
{
    wsc__pending_free(wsc__hub_pending_take(hub, wsi));
}

/* Identity and the client id of c into *out; 0, or a refusal status with *why. */
static int
identity(wsc_hub *hub, struct wsc__creds *c, struct pending_identity **out, const char **why)
{
    struct pending_identity *p = wsc__calloc(1, sizeof(*p));
    if (p == NULL) {
        *why = "out of memory";
        return 503;
    }
    int status = identify(hub, c, p, why);
    if (status == 0 && c->client_id[0] != '\0') {
        if (!valid_id(c->client_id)) {
            status = 401;
            *why = "invalid client id";
        } else if ((p->client_id = wsc__strdup(c->client_id)) == NULL) {
            status = 503;
        }
    }
    if (status != 0) {
        wsc__pending_free(p);
        return status;
    }
    memcpy(p->peer, c->peer, sizeof(p->peer));
    *out = p;
    return 0;
}

int
wsc__hub_admit(wsc_hub *hub, struct wsc__creds *c, bool open, struct pending_identity **out,
               const char **why, int *retry_s)
{
    *out = NULL;
    *retry_s = 0;
    if (open && hub->draining)
        return refuse(hub, 503, WSC__REFUSE_DRAINING, *why = "hub is shutting down", c->peer,
                      retry_s);
    int retry = open ? wsc__hub_connect_limited(hub, c->peer) : 0;
    if (retry > 0) {
        hub->stats.refused++;
        hub->metrics.refused[WSC__REFUSE_RATE]++;
        *retry_s = retry;
        *why = "too many connects";
        return 429;
    }
    if (open && wsc__hub_ip_conns_full(hub, c->peer))
        return refuse(hub, 503, WSC__REFUSE_CAPACITY,
                      *why = "too many connections from this address", c->peer, retry_s);
    if (c->origin[0] != '\0' && !origin_allowed(hub, c->origin)) {
        wsc__hub_alert(hub, WSC_LIMIT_ORIGIN, NULL, c->peer, 0, 0);
        return refuse(hub, 403, WSC__REFUSE_ORIGIN, *why = "origin not allowed", c->peer, retry_s);
    }
    struct pending_identity *p = NULL;
    int status = identity(hub, c, &p, why);
    const char *full = status == 0 && open ? over_capacity(hub, p) : NULL;
    if (status != 0 || full != NULL) {
        wsc__pending_free(p);
        if (full != NULL)
            *why = full;
        return refuse(hub, full ? 503 : status, refusal_of(status, full != NULL), *why, c->peer,
                      retry_s);
    }
    if (p->client_id == NULL && open) {
        char cid[WSC__PROTO_ID_MAX];
        wsc__hub_make_client_id(hub, cid, sizeof(cid));
        if ((p->client_id = wsc__strdup(cid)) == NULL) {
            wsc__pending_free(p);
            return refuse(hub, 503, WSC__REFUSE_CAPACITY, *why = "out of memory", c->peer, retry_s);
        }
    }
    *out = p;
    return 0;
}

int
wsc__hub_confirm_upgrade(wsc_hub *hub, struct lws *wsi)
{
    /* About 5 KiB on the stack, never shared: hubs on loops of different threads may run
     * this at the same time. */
    struct wsc__creds c;
    char path[256] = "", auth[2100] = "";
    memset(&c, 0, sizeof(c));
    c.path = hub->cfg.ws_path;
    lws_get_peer_simple(wsi, c.peer, sizeof(c.peer));
    header(wsi, WSI_TOKEN_GET_URI, path, sizeof(path));
    if (strcmp(path, hub->cfg.ws_path) != 0)
        return wsc__hub_http_refuse(wsi, 404, "not_found", "no WebSocket endpoint here", 0);
    header(wsi, WSI_TOKEN_ORIGIN, c.origin, sizeof(c.origin));
    if (!(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth, sizeof(auth)) &&
          wsc__bearer_token(auth, c.token, sizeof(c.token))))
        query_arg(wsi, "token", c.token, sizeof(c.token));
    query_arg(wsi, "user_id", c.user_id, sizeof(c.user_id));
    query_arg(wsi, "client_id", c.client_id, sizeof(c.client_id));
    struct pending_identity *p = NULL;
    const char *why = "refused";
    int retry = 0, status = wsc__hub_admit(hub, &c, true, &p, &why, &retry);
    if (status != 0)
        return wsc__hub_http_refuse(wsi, status, wsc__hub_refusal_code(status), why, retry);
    lws_set_opaque_user_data(wsi, p);
    hub->n_upgrading++;
    return 0;
}
