/* SPDX-License-Identifier: MIT */
/* What repo_api.c and repo_api_ext.c share: the first and the last step of every public
 * repository function.  First (WSC__REPO_OP): a NULL repository is WSC_ERR_INVALID, a backend
 * without the op answers WSC_ERR_UNSUPPORTED before any other check, then a NULL callback is
 * WSC_ERR_INVALID.  Last (WSC__REPO_RUN), once the arguments are checked: the request is
 * started on the repository's store (op names it in the metrics; field is the member of
 * union wsc__req_cb that cb goes in) and handed to the backend's fn with the arguments; a
 * request the backend refuses is dropped, its error returned (repo_ops.h). */
#ifndef WSC_REPOSITORY_REPO_API_H
#define WSC_REPOSITORY_REPO_API_H

#include "repository/store_internal.h"

#define WSC__REPO_OP(r, op, cb)         \
    do {                                \
        if ((r) == NULL)                \
            return WSC_ERR_INVALID;     \
        if ((r)->ops->op == NULL)       \
            return WSC_ERR_UNSUPPORTED; \
        if ((cb) == NULL)               \
            return WSC_ERR_INVALID;     \
    } while (0)

#define WSC__REPO_RUN(r, fn, op, kind, field, cb, user, ...)                                       \
    do {                                                                                           \
        struct wsc__req *req_;                                                                     \
        wsc_err err_ =                                                                             \
            wsc__req_new((r)->store, op, kind, (union wsc__req_cb){.field = (cb)}, (user), &req_); \
        if (err_ == WSC_OK && (err_ = (r)->ops->fn((r), req_, __VA_ARGS__)) != WSC_OK)             \
            wsc__req_drop(req_);                                                                   \
        return err_;                                                                               \
    } while (0)

#endif
