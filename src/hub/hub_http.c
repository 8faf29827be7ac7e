/* SPDX-License-Identifier: MIT */
/* Plain HTTP on the hub's port: /healthz and /readyz, and every other request handed to the
 * application's on_http callback as a wsc_http_req (wsc/http.h), answered asynchronously. */
#include <stdio.h>
#include <string.h>

#include "hub/hub_internal.h"
#include "models/alloc.h"

#define BODY_MAX (1u << 20)

enum { H_AUTH, H_CTYPE, H_ORIGIN, H_APIKEY, H_LAST_EVENT, H_COUNT_ };

struct wsc_http_req {
    wsc_hub *hub;
    struct wsc_list link; /* hub->http_reqs */
    wsc_conn *pss;        /* the session that points at this request, or NULL */
    struct lws *wsi;      /* NULL once the connection is gone */
    char method[8];
    char *path;
    char *query; /* "k=v\0k=v\0\0", decoded */
    char *hdr[H_COUNT_];
    char *body;
    size_t body_len;
    bool responded, dispatched;
    bool pipelined; /* more requests wait behind this one: the connection closes after it */
    bool misread;   /* lws handed over the request's own head as its body (see HTTP_BODY) */
    bool held;      /* reading paused until the answer (see HTTP_BODY_COMPLETION) */
    int status;
    char ctype[64], xname[32], xvalue[64];
    unsigned char *out; /* LWS_PRE + response body */
    size_t out_len;
};

static void
req_free(struct wsc_http_req *r)
{
    if (r == NULL)
        return;
    wsc_list_remove(&r->link);
    if (r->pss != NULL)
        r->pss->http = NULL;
    wsc__free(r->path);
    wsc__free(r->query);
    for (int i = 0; i < H_COUNT_; i++)
        wsc__free(r->hdr[i]);
    wsc__free(r->body);
    wsc__free(r->out);
    wsc__free(r);
}

static char *
copy_header(struct lws *wsi, enum lws_token_indexes tok)
{
    int n = lws_hdr_total_length(wsi, tok);
    if (n <= 0)
        return NULL;
    char *s = wsc__malloc((size_t)n + 1);
    if (s != NULL && lws_hdr_copy(wsi, s, n + 1, tok) < 0) {
        wsc__free(s);
        return NULL;
    }
    return s;
}

static char *
copy_custom(struct lws *wsi, const char *name)
{
    int n = lws_hdr_custom_length(wsi, name, (int)strlen(name));
    if (n <= 0)
        return NULL;
    char *s = wsc__malloc((size_t)n + 1);
    if (s != NULL && lws_hdr_custom_copy(wsi, s, n + 1, name, (int)strlen(name)) < 0) {
        wsc__free(s);
        return NULL;
    }
    return s;
}

static const char *
method_of(struct lws *wsi)
{
    static const struct {
        enum lws_token_indexes tok;
        const char *name;
    } m[] = {{WSI_TOKEN_GET_URI, "GET"},     {WSI_TOKEN_POST_URI, "POST"},
             {WSI_TOKEN_PUT_URI, "PUT"},     {WSI_TOKEN_DELETE_URI, "DELETE"},
             {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
             {WSI_TOKEN_HEAD_URI, "HEAD"}};
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        if (lws_hdr_total_length(wsi, m[i].tok) > 0)
            return m[i].name;
    }
    return "GET";
}

static char *
copy_query(struct lws *wsi)
{
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    char *q = wsc__calloc(1, (size_t)(total > 0 ? total : 0) + 66);
    if (q == NULL || total <= 0)
        return q;
    size_t off = 0;
    for (int i = 0; i < 64; i++) {
        int n =
            lws_hdr_copy_fragment(wsi, q + off, total + 2 - (int)off, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            break;
        off += (size_t)n + 1;
    }
    return q;
}

static struct wsc_http_req *
req_new(wsc_hub *hub, struct lws *wsi, const char *path)
{
    struct wsc_http_req *r = wsc__calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->hub = hub;
    r->wsi = wsi;
    wsc_list_push_back(&hub->http_reqs, &r->link);
    snprintf(r->method, sizeof(r->method), "%s", method_of(wsi));
    r->path = wsc__strdup(path);
    r->query = copy_query(wsi);
    r->hdr[H_AUTH] = copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    r->hdr[H_CTYPE] = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
    r->hdr[H_ORIGIN] = copy_header(wsi, WSI_TOKEN_ORIGIN);
    r->hdr[H_APIKEY] = copy_custom(wsi, "x-api-key:");
    r->hdr[H_LAST_EVENT] = copy_custom(wsi, "last-event-id:");
    r->body = wsc__calloc(1, 1);
    if (r->path == NULL || r->query == NULL || r->body == NULL) {
        req_free(r);
        return NULL;
    }
    return r;
}

static void
dispatch(wsc_hub *hub, struct wsc_http_req *r)
{
    r->dispatched = true;
    /* What the request publishes is written when it is handled (a batch: once per receiver),
     * not at each receiver's next WRITEABLE. */
    struct lws *wsi = r->wsi;
    wsc__hub_cork_begin(hub);
    if (wsc__sse_is_send(hub, r))
        wsc__sse_send(hub, r);
    else if (hub->cfg.on_http != NULL)
        hub->cfg.on_http(hub, r, hub->cfg.user);
    else
        wsc_http_req_respond(r, 404, NULL, "{\"error\":\"not_found\",\"reason\":\"no such path\"}",
                             46);
    wsc__hub_cork_end(hub, wsi, false, 0);
}

static int
builtin(wsc_hub *hub, struct wsc_http_req *r)
{
    if (strcmp(r->path, "/healthz") == 0) {
        wsc_http_req_respond(r, 200, NULL, "{\"status\":\"ok\"}", 15);
        return 1;
    }
    if (strcmp(r->path, "/readyz") == 0) {
        bool ready = hub->ready && !hub->draining && !hub->store_down;
        if (ready)
            wsc_http_req_respond(r, 200, NULL, "{\"status\":\"ready\"}", 18);
        else if (hub->store_down && hub->ready && !hub->draining)
            wsc_http_req_respond_h(r, 503, NULL, "Retry-After", "1",
                                   "{\"error\":\"unavailable\",\"reason\":\"store down\"}", 45);
        else
            wsc_http_req_respond_h(r, 503, NULL, "Retry-After", "1",
                                   "{\"error\":\"unavailable\",\"reason\":\"not ready\"}", 44);
        return 1;
    }
    return 0;
}

static int
write_response(struct wsc_http_req *r, struct lws *wsi)
{
    unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr);
    if (lws_add_http_common_headers(wsi, (unsigned int)r->status, r->ctype, r->out_len, &p, end))
        return -1;
    if (r->xname[0] != '\0') {
        char name[40];
        snprintf(name, sizeof(name), "%s:", r->xname);
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                        (const unsigned char *)r->xvalue, (int)strlen(r->xvalue),
                                        &p, end))
            return -1;
    }
    if (r->pipelined && lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                                     (const unsigned char *)"close", 5, &p, end))
        return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (lws_write(wsi, r->out + LWS_PRE, r->out_len, LWS_WRITE_HTTP_FINAL) < 0)
        return -1;
    if (r->pipelined)
        return -1; /* closed after the answer: the client sends the rest again (RFC 9112 9.3.2) */
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* True when in (len bytes, the start of r's body) is r's own request line: "METHOD path", then
 * a space or a query, and " HTTP/" before the line ends.  A body that merely begins with the
 * method and the path ("POST /thingamajig..." to /thing) is a body. */
static bool
starts_with_request_line(const struct wsc_http_req *r, const void *in, size_t len)
{
    const char *s = in;
    size_t m = strlen(r->method), at = m + 1 + strlen(r->path);
    if (s == NULL || len <= at || memcmp(s, r->method, m) != 0 || s[m] != ' ' ||
        memcmp(s + m + 1, r->path, at - m - 1) != 0 || (s[at] != ' ' && s[at] != '?'))
        return false;
    for (size_t i = at; i + 6 <= len && s[i] != '\r' && s[i] != '\n'; i++) {
        if (memcmp(s + i, " HTTP/", 6) == 0)
            return true;
    }
    return false;
}

/* Writes r's answer and frees r. */
static int
answer(wsc_conn *pss, struct wsc_http_req *r, struct lws *wsi)
{
    /* Detach first: on a keep-alive connection lws_http_transaction_completed() drops the
     * protocol at once (LWS_CALLBACK_HTTP_DROP_PROTOCOL), whose abandon() would free r under
     * us. */
    pss->http = NULL;
    r->pss = NULL;
    int rc = write_response(r, wsi);
    req_free(r);
    return rc;
}

/* The socket is gone: an unanswered request stays valid until the application answers. */
static void
abandon(struct wsc_http_req *r)
{
    if (r->pss != NULL)
        r->pss->http = NULL;
    r->pss = NULL;
    r->wsi = NULL;
    if (r->responded || !r->dispatched)
        req_free(r);
}

void
wsc__hub_http_abandon_all(wsc_hub *hub)
{
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &hub->http_reqs) {
        /* Requests still waiting for the application go with the hub (wsc/http.h). */
        req_free(wsc_container_of(pos, struct wsc_http_req, link));
    }
}

/* Whether lws will hand r a body (HTTP_BODY, then HTTP_BODY_COMPLETION) before it can go to
 * the application.  lws 4.1 ends an empty body ("Content-Length: 0") that way for POST only:
 * a PUT, PATCH or DELETE with it would wait for a completion that never comes. */
static bool
body_follows(struct lws *wsi, const struct wsc_http_req *r)
{
    char cl[24];
    if (strcmp(r->method, "GET") == 0 ||
        lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return false;
    return strcmp(r->method, "POST") == 0 ||
           lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0 ||
           strspn(cl, "0") != strlen(cl);
}

/* A request's headers are in: builtin paths, the event stream, or (once its body is in) the
 * application's callback. */
static int
on_request(wsc_hub *hub, wsc_conn *pss, struct lws *wsi, void *in)
{
    struct wsc_http_req *r = pss->http;
    req_free(r);
    r = pss->http = req_new(hub, wsi, in ? (const char *)in : "/");
    if (r == NULL)
        return -1;
    r->pss = pss;
    if (builtin(hub, r))
        return 0;
    if (wsc__sse_is_stream(hub, r)) {
        r->dispatched = true;
        int rc = wsc__sse_open(hub, pss, wsi, r);
        if (rc != 1)
            req_free(r); /* a stream now (or gone): no answer of this request to write */
        return rc < 0 ? -1 : 0;
    }
    if (body_follows(wsi, r))
        return 0;
    dispatch(hub, r);
    return 0;
}

int
wsc__hub_http(wsc_hub *hub, wsc_conn *pss, struct lws *wsi, enum lws_callback_reasons reason,
              void *in, size_t len)
{
    struct wsc_http_req *r = pss->http;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_request(hub, pss, wsi, in);
    case LWS_CALLBACK_HTTP_BODY:
        if (r == NULL || r->body_len + len > BODY_MAX)
            return -1;
        /* lws 4.1 gives a request read from what it buffered behind an earlier one (a client
         * pipelining) its own request line and headers as the body: refused below. */
        if (r->body_len == 0 && starts_with_request_line(r, in, len))
            r->misread = r->pipelined = true;
        if (r->misread)
            return 0;
        char *nb = wsc__realloc(r->body, r->body_len + len + 1);
        if (nb == NULL)
            return -1;
        if (len > 0) /* an empty body ("Content-Length: 0") comes with in == NULL */
            memcpy(nb + r->body_len, in, len);
        r->body = nb;
        r->body_len += len;
        r->body[r->body_len] = '\0';
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (r == NULL)
            return 0;
        if (!r->dispatched && r->misread) {
            r->dispatched = true;
            wsc__http_req_refuse(r, 400, "invalid_request",
                                 "pipelined request: send one request at a time on a connection",
                                 0);
            return 0;
        }
        if (!r->dispatched) {
            dispatch(hub, r);
            return 0;
        }
        /* Again, before the answer: lws 4.1 does this on every loop pass while it holds bytes
         * read past this request's body (a client pipelining requests), and would parse those
         * wrongly after the answer (a POST gets a wrong body).  Pipelining is not offered: the
         * connection closes after this answer, as RFC 9112 9.3.2 lets a server do, and the
         * client sends the unanswered requests again. */
        r->pipelined = true;
        if (r->responded)
            return answer(pss, r, wsi);
        /* Until the answer, reading is paused: lws stops calling this (its loop still does
         * not sleep until then), and gives no WRITEABLE; wsc_http_req_respond lets reading go
         * on, which calls this again. */
        r->held = true;
        lws_rx_flow_control(wsi, 0);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (r == NULL || !r->responded)
            return 0;
        return answer(pss, r, wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (r != NULL)
            abandon(r);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, pss, in, len);
    }
}

const char *
wsc_http_req_method(const wsc_http_req *req)
{
    return req ? req->method : NULL;
}

const char *
wsc_http_req_path(const wsc_http_req *req)
{
    return req ? req->path : NULL;
}

const char *
wsc_http_req_query(const wsc_http_req *req, const char *name)
{
    if (req == NULL || name == NULL)
        return NULL;
    size_t n = strlen(name);
    for (const char *q = req->query; *q; q += strlen(q) + 1) {
        if (strncmp(q, name, n) == 0 && q[n] == '=')
            return q + n + 1;
    }
    return NULL;
}

const char *
wsc_http_req_header(const wsc_http_req *req, const char *name)
{
    static const char *const names[H_COUNT_] = {"authorization", "content-type", "origin",
                                                "x-api-key", "last-event-id"};
    for (int i = 0; req != NULL && name != NULL && i < H_COUNT_; i++) {
        if (strcasecmp(names[i], name) == 0)
            return req->hdr[i];
    }
    return NULL;
}

const char *
wsc_http_req_body(const wsc_http_req *req, size_t *len)
{
    if (len != NULL)
        *len = req ? req->body_len : 0;
    return req ? req->body : NULL;
}

wsc_err
wsc_http_req_respond_h(wsc_http_req *req, int status, const char *content_type,
                       const char *header_name, const char *header_value, const char *body,
                       size_t len)
{
    if (req == NULL || status < 100 || status > 599 || (body == NULL && len > 0))
        return WSC_ERR_INVALID;
    if (req->responded)
        return WSC_ERR_STATE;
    req->out = wsc__malloc(LWS_PRE + len + 1);
    if (req->out == NULL)
        return WSC_ERR_NOMEM;
    if (len > 0)
        memcpy(req->out + LWS_PRE, body, len);
    req->out_len = len;
    req->status = status;
    snprintf(req->ctype, sizeof(req->ctype), "%s",
             content_type ? content_type : "application/json");
    if (header_name != NULL && header_value != NULL) {
        snprintf(req->xname, sizeof(req->xname), "%s", header_name);
        snprintf(req->xvalue, sizeof(req->xvalue), "%s", header_value);
    }
    req->responded = true;
    if (req->wsi == NULL) {
        req_free(req); /* the client left; nothing to write */
        return WSC_OK;
    }
    if (req->held)
        lws_rx_flow_control(req->wsi, 1); /* HTTP_BODY_COMPLETION again, which answers */
    lws_callback_on_writable(req->wsi);
    return WSC_OK;
}

wsc_err
wsc__http_req_refuse(wsc_http_req *req, int status, const char *code, const char *why, int retry_s)
{
    char body[320], esc[260], ra[16];
    wsc__json_escape(why, esc, sizeof(esc));
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"reason\":\"%s\"}", code, esc);
    snprintf(ra, sizeof(ra), "%d", retry_s);
    if (status == 401)
        return wsc_http_req_respond_h(req, status, NULL, "WWW-Authenticate", "Bearer", body,
                                      (size_t)n);
    return wsc_http_req_respond_h(req, status, NULL, retry_s > 0 ? "Retry-After" : NULL,
                                  retry_s > 0 ? ra : NULL, body, (size_t)n);
}

struct lws *
wsc__http_req_wsi(const wsc_http_req *req)
{
    return req->wsi;
}

wsc_err
wsc_http_req_respond(wsc_http_req *req, int status, const char *content_type, const char *body,
                     size_t len)
{
    return wsc_http_req_respond_h(req, status, content_type, NULL, NULL, body, len);
}
