/* SPDX-License-Identifier: MIT */
/* Plain HTTP requests that reach a hub's port outside its WebSocket and built-in paths.  The
 * standalone wsc-hub serves its API and demo page this way; embedders may add their own. */
#ifndef WSC_HTTP_H
#define WSC_HTTP_H

#include <wsc/common.h>
#include <wsc/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsc_http_req wsc_http_req;

/** "GET", "POST", "DELETE", "PUT", ...; borrowed for the callback. */
WSC_API const char *wsc_http_req_method(const wsc_http_req *req);
/** The path without the query string, percent-decoded ("/api/users/u1"). */
WSC_API const char *wsc_http_req_path(const wsc_http_req *req);
/** The value of one query parameter (decoded), or NULL. */
WSC_API const char *wsc_http_req_query(const wsc_http_req *req, const char *name);
/** A request header by lower-case name ("authorization"), or NULL.  Only the headers wsc
 *  keeps are available: authorization, content-type, origin, x-api-key, last-event-id. */
WSC_API const char *wsc_http_req_header(const wsc_http_req *req, const char *name);
/** The request body (NUL-terminated) and its length; "" for none. */
WSC_API const char *wsc_http_req_body(const wsc_http_req *req, size_t *len);

/** Answers the request: status, content type (NULL: application/json), body (copied; may be
 *  NULL).  Exactly once per request, inside the callback or later on the loop.  After the
 *  answer req is gone; requests not answered when their hub is freed go with it (do not
 *  answer them afterwards; callbacks that run inside wsc_hub_free, such as wsc_hub_publish's
 *  with WSC_ERR_CANCELED, may still answer).  WSC_ERR_STATE when already answered. */
WSC_API wsc_err wsc_http_req_respond(wsc_http_req *req, int status, const char *content_type,
                                     const char *body, size_t len);

/** Like wsc_http_req_respond with one extra header line ("Retry-After: 1"). */
WSC_API wsc_err wsc_http_req_respond_h(wsc_http_req *req, int status, const char *content_type,
                                       const char *header_name, const char *header_value,
                                       const char *body, size_t len);

#ifdef __cplusplus
}
#endif
#endif
