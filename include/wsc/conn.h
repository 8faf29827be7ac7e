/* SPDX-License-Identifier: MIT */
/* A hub-side connection as callbacks see it.  A wsc_conn pointer is valid only until the
 * callback that received it returns; keep its wsc_conn_id to refer to it later. */
#ifndef WSC_CONN_H
#define WSC_CONN_H

#include <wsc/common.h>
#include <wsc/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsc_conn wsc_conn;

/** The connection's id (never reused). */
WSC_API wsc_conn_id wsc_conn_get_id(const wsc_conn *conn);
/** The authenticated user id (plain, as in the token); borrowed for the callback. */
WSC_API const char *wsc_conn_user_id(const wsc_conn *conn);
/** The user's key, which the hub's calls take (wsc_user_key: the app id is part of the
 *  identity); the plain id for a user without app.  Borrowed for the callback. */
WSC_API const char *wsc_conn_user_key(const wsc_conn *conn);
/** The app id of the connection's identity (`aid` claim or the authenticate callback), or
 *  NULL; borrowed for the callback. */
WSC_API const char *wsc_conn_app_id(const wsc_conn *conn);
/** The client id (from ?client_id=, else generated); borrowed for the callback. */
WSC_API const char *wsc_conn_client_id(const wsc_conn *conn);
/** The peer's address as text ("127.0.0.1"; "" if unknown).  Formatted on demand into one
 *  buffer per hub, so the string is valid until the next wsc_conn_peer() call for any
 *  connection of the same hub, and at most until the callback returns: copy it to keep it. */
WSC_API const char *wsc_conn_peer(const wsc_conn *conn);
/** The application's pointer for this connection (NULL until set).  wsc never frees it;
 *  on_disconnect is the last callback where it can be read. */
WSC_API void wsc_conn_set_user(wsc_conn *conn, void *user);
WSC_API void *wsc_conn_get_user(const wsc_conn *conn);
/** Closes the connection with code and reason (reason may be NULL; at most 123 bytes are
 *  sent).  Queued frames already handed to the socket are not recalled; the rest are reported
 *  through on_send_failed with WSC_ERR_CLOSED.  WSC_ERR_INVALID for a code outside 1000-4999. */
WSC_API wsc_err wsc_conn_close(wsc_conn *conn, int code, const char *reason);

#ifdef __cplusplus
}
#endif
#endif
