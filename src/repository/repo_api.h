/* SPDX-License-Identifier: MIT */
/* What repo_api.c and repo_api_ext.c share: the body of every public repository function.
 * The checks come first, in this order: a NULL repository is WSC_ERR_INVALID, a backend
 * without the op answers WSC_ERR_UNSUPPORTED before any other check, then a NULL callback or
 * a bad argument is WSC_ERR_INVALID.  Then the request is started on the repository's store
 * (op names it in the metrics) and handed to the backend's op with the arguments; a request
 * the backend refuses is dropped, its error returned (repo_ops.h). */
#ifndef WSC_REPOSITORY_REPO_API_H
#define WSC_REPOSITORY_REPO_API_H

#include "repository/store_internal.h"

/* A NULL repository: WSC_ERR_INVALID; a backend without fn: WSC_ERR_UNSUPPORTED before any
 * other check; a NULL callback or args_ok false: WSC_ERR_INVALID. */
#define WSC__REPO_CHECK(r, fn, cb, args_ok) \
    do {                                    \
        if ((r) == NULL)                    \
            return WSC_ERR_INVALID;         \
        if ((r)->ops->fn == NULL)           \
            return WSC_ERR_UNSUPPORTED;     \
        if ((cb) == NULL || !(args_ok))     \
            return WSC_ERR_INVALID;         \
    } while (0)

/* The whole of a public function: WSC__REPO_CHECK, then the request of op (cb goes in the
 * member field of union wsc__req_cb) handed to the backend's fn with the arguments. */
#define WSC__REPO_CALL(r, fn, args_ok, op, kind, field, cb, user, ...)                             \
    do {                                                                                           \
        WSC__REPO_CHECK(r, fn, cb, args_ok);                                                       \
        struct wsc__req *req_;                                                                     \
        wsc_err err_ =                                                                             \
            wsc__req_new((r)->store, op, kind, (union wsc__req_cb){.field = (cb)}, (user), &req_); \
        if (err_ == WSC_OK && (err_ = (r)->ops->fn((r), req_, __VA_ARGS__)) != WSC_OK)             \
            wsc__req_drop(req_);                                                                   \
        return err_;                                                                               \
    } while (0)

#endif
