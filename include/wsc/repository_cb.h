/* SPDX-License-Identifier: MIT */
/* The completion callbacks every repository shares (wsc/repository.h, wsc/repository_ext.h). */
#ifndef WSC_REPOSITORY_CB_H
#define WSC_REPOSITORY_CB_H

#include <stdint.h>

#include <wsc/error.h>
#ifdef __cplusplus
extern "C" {
#endif

/** Completion of an op without a result / of a counting op (count is 0 on error). */
typedef void (*wsc_repo_done_cb)(wsc_err status, void *user);
typedef void (*wsc_repo_count_cb)(wsc_err status, uint64_t count, void *user);

#ifdef __cplusplus
}
#endif
#endif
