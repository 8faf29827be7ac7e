/* SPDX-License-Identifier: MIT */
/* What repo_api.c and repo_api_ext.c share: the first step of every public repository
 * function (a NULL repository is WSC_ERR_INVALID, a backend without the op answers
 * WSC_ERR_UNSUPPORTED before any other check, then a NULL callback is WSC_ERR_INVALID). */
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

#endif
