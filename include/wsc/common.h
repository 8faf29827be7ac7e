/* SPDX-License-Identifier: MIT */
/* Shared definitions of the public API: export macro, ids, buffers, freeing. */
#ifndef WSC_COMMON_H
#define WSC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WSC_API __attribute__((visibility("default")))
#else
#define WSC_API
#endif

/** Identifies one connection for as long as the process lives; never reused.  0 is never a
 *  valid id. */
typedef uint64_t wsc_conn_id;

/** A byte buffer returned by the library; release with wsc_buf_free(). */
typedef struct wsc_buf {
    char *data; /**< NUL-terminated for convenience; len excludes the NUL */
    size_t len;
} wsc_buf;

/** Frees memory the library returned as a non-const pointer.  wsc_free(NULL) is fine. */
WSC_API void wsc_free(void *p);

/** Frees buf->data and zeroes *buf.  NULL is fine. */
WSC_API void wsc_buf_free(wsc_buf *buf);

/** The library's version as "MAJOR.MINOR.PATCH"; a static string. */
WSC_API const char *wsc_version(void);

#ifdef __cplusplus
}
#endif
#endif
