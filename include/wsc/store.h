/* SPDX-License-Identifier: MIT */
/* wsc_store: the repositories of one storage backend (memory, Redis, MySQL/MariaDB) on one
 * loop, chosen by URL.  The repositories and their contract are in wsc/repository.h. */
#ifndef WSC_STORE_H
#define WSC_STORE_H

#include <stdint.h>

#include <wsc/common.h>
#include <wsc/error.h>
#include <wsc/loop.h>
#include <wsc/repository.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsc_store wsc_store;

/** Limits and timings of a store.  Units in the names; new fields only at the end. */
typedef struct wsc_store_config {
    uint32_t offline_max_per_user; /**< default 1000 */
    uint64_t offline_ttl_ms;       /**< default 7 days */
    uint64_t record_ttl_ms;        /**< default 1 day */
    uint64_t connrec_ttl_ms;       /**< default 7 days */
    uint32_t command_timeout_ms;   /**< Redis/MySQL; default 5000 */
    uint32_t reconnect_min_ms;     /**< first reconnect delay; default 100 */
    uint32_t reconnect_max_ms;     /**< backoff cap; default 5000 */
    uint64_t queue_ttl_ms;         /**< a message queue lapses this long after its last
                                        push/pop; default 1 day */
    uint64_t workload_ttl_ms;      /**< a workload namespace lapses this long after its last
                                        write; default 1 day */
} wsc_store_config;

/** Fills cfg with the defaults above. */
WSC_API void wsc_store_config_init(wsc_store_config *cfg);

/** A store in memory (lost on exit).  cfg may be NULL (defaults).  WSC_ERR_NOMEM. */
WSC_API wsc_err wsc_repo_memory_new(wsc_loop *loop, const wsc_store_config *cfg, wsc_store **out);

/** Opens a store chosen by url: "memory:", "redis://[:password@]host:port[/db]" or
 *  "mysql://user:password@host:port/database".  Returns at once; Redis and MySQL connect in
 *  the background and reconnect with backoff, ops issued meanwhile wait up to the command
 *  timeout.  A MySQL store owns one worker thread (the connector blocks; the loop never
 *  does), started here and joined by wsc_store_close() (docs/storage.md).
 *  WSC_ERR_INVALID (bad url), WSC_ERR_NOMEM, WSC_ERR_IO. */
WSC_API wsc_err wsc_store_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg,
                               wsc_store **out);

/** Completes WSC_OK once the backend answers (a round trip), else STORE/TIMEOUT. */
WSC_API wsc_err wsc_store_ping(wsc_store *store, wsc_repo_done_cb cb, void *user);

/** Closes the store (loop thread): callbacks of unfinished ops run with WSC_ERR_CANCELED
 *  before it returns (they must not use the store).  NULL is fine. */
WSC_API void wsc_store_close(wsc_store *store);

/** The backend's name ("memory", "redis", "mysql"); a static string. */
WSC_API const char *wsc_store_backend(const wsc_store *store);

/** Text of the store's last backend error ("" when none); valid until the next loop turn. */
WSC_API const char *wsc_store_last_error(const wsc_store *store);

/** The repositories of a store, borrowed until wsc_store_close(). */
WSC_API struct wsc_offline_repo *wsc_store_offline(wsc_store *store);
WSC_API struct wsc_record_repo *wsc_store_records(wsc_store *store);
WSC_API struct wsc_online_repo *wsc_store_online(wsc_store *store);
WSC_API struct wsc_connrec_repo *wsc_store_connrecs(wsc_store *store);
/** Hub stats, message queues and workload (wsc/repository_ext.h); never NULL for an open
 *  store: a backend without them (MySQL) answers WSC_ERR_UNSUPPORTED from every op. */
WSC_API struct wsc_hubstats_repo *wsc_store_hubstats(wsc_store *store);
WSC_API struct wsc_queue_repo *wsc_store_queues(wsc_store *store);
WSC_API struct wsc_workload_repo *wsc_store_workload(wsc_store *store);

#ifdef __cplusplus
}
#endif
#endif
