/* SPDX-License-Identifier: MIT */
/* wsc_store: the repositories of one storage backend (memory, Redis, MySQL/MariaDB) on one
 * loop, chosen by URL.  The repositories and their contract are in wsc/repository.h. */
#ifndef WSC_STORE_H
#define WSC_STORE_H

#include <stdbool.h>
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
    /* Bounds of the offline store by sender, so that one sender cannot lock others out of an
     * inbox or fill the store (docs/storage.md, "Offline bounds").  The sender is the
     * message's WSC_F_SENDER; a message without one (sent by the application itself) is
     * exempt from the per-sender bounds.  0 turns a bound off.  Over a bound a store
     * completes WSC_ERR_LIMIT. */
    uint32_t offline_max_per_sender;       /**< messages of one sender in one user's inbox
                                                (its share of offline_max_per_user); default
                                                100 */
    uint32_t offline_max_msgs_per_sender;  /**< messages of one sender in all inboxes; default
                                                10000 */
    uint64_t offline_max_bytes_per_sender; /**< bytes (stored JSON) of one sender in all
                                                inboxes; default 64 MiB */
    uint32_t offline_max_total;            /**< messages in the whole store; memory backend
                                                only; default 1000000 */
    uint64_t offline_max_bytes;            /**< bytes (stored JSON) in the whole store; memory
                                                backend only; default 1 GiB */
    uint32_t purge_interval_ms;            /**< MySQL: how often expired rows are deleted (they are
                                                never read once expired); default 60000; 0: the
                                                default */
    uint32_t record_max_total;             /**< message records in the whole store; memory
                                                backend only: past it the oldest record is
                                                dropped (records are history; TTL alone would
                                                let a busy hub hold a day of them); default
                                                100000; 0: off */
} wsc_store_config;

/** Fills cfg with the defaults above. */
WSC_API void wsc_store_config_init(wsc_store_config *cfg);

/** A store in memory (lost on exit).  cfg may be NULL (defaults).  WSC_ERR_NOMEM. */
WSC_API wsc_err wsc_repo_memory_new(wsc_loop *loop, const wsc_store_config *cfg, wsc_store **out);

/** Opens a store chosen by url: "memory:", "redis://[:password@]host:port[/db]",
 *  "redis+cluster://host:port[,host:port...][?password=PW]" (a Redis Cluster: seed nodes,
 *  database 0; docs/cluster.md) or
 *  "mysql://user:password@host:port/database" (or "hybrid:<redis URL>|<mysql URL>",
 *  wsc_store_open_hybrid).  Returns at once; Redis and MySQL connect in
 *  the background and reconnect with backoff, ops issued meanwhile wait up to the command
 *  timeout.  A Redis host name is resolved here, once, on the calling thread (this blocks:
 *  call it before running the loop or off the loop thread, or give a numeric address);
 *  connects and reconnects on the loop use that address and never resolve.  A MySQL store
 *  owns one worker thread (the connector blocks; the loop never does), started here and
 *  joined by wsc_store_close() (docs/storage.md).
 *  WSC_ERR_INVALID (bad url), WSC_ERR_NOMEM, WSC_ERR_IO (also: a Redis host name that does
 *  not resolve). */
WSC_API wsc_err wsc_store_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg,
                               wsc_store **out);

/** How a hybrid store (Redis hot copy + MySQL durable copy) answers.  New fields only at
 *  the end. */
typedef struct wsc_hybrid_config {
    /** false (default): an offline store completes WSC_OK once MySQL has the message (then
     *  it is "stored": it survives the loss of Redis and of the hub).  true: once either
     *  backend has it (Redis, usually first); a message only Redis holds is written to MySQL
     *  later from the write-ahead list.  Either way a message Redis holds while MySQL is down
     *  waits there and reaches MySQL when it is back. */
    bool ack_on_cache;
    uint32_t retry_ms;    /**< how often the write-ahead list is drained into MySQL; default
                               1000 */
    uint32_t drain_batch; /**< markers read per drain turn (1..1000); default 100 */
} wsc_hybrid_config;

/** Fills cfg with the defaults above. */
WSC_API void wsc_hybrid_config_init(wsc_hybrid_config *cfg);

/** Opens a hybrid store on loop: a Redis store (redis_url, "redis://...") as the hot copy and
 *  a MySQL store (mysql_url, "mysql://...") as the durable one, both opened here with cfg and
 *  owned by the hybrid store (docs/storage.md, "Hybrid").  Offline messages are written to
 *  both and read from Redis, falling back to MySQL; online status, hub stats, queues and
 *  workload live in Redis; message and connection records in MySQL.  wsc_store_open() also
 *  takes "hybrid:<redis URL>|<mysql URL>" (with hcfg's defaults).  cfg and hcfg may be NULL.
 *  WSC_ERR_INVALID (a bad URL), WSC_ERR_NOMEM, WSC_ERR_IO. */
WSC_API wsc_err wsc_store_open_hybrid(wsc_loop *loop, const char *redis_url, const char *mysql_url,
                                      const wsc_store_config *cfg, const wsc_hybrid_config *hcfg,
                                      wsc_store **out);

/** Completes WSC_OK once the backend answers (a round trip), else STORE/TIMEOUT. */
WSC_API wsc_err wsc_store_ping(wsc_store *store, wsc_repo_done_cb cb, void *user);

/** Closes the store (loop thread): callbacks of unfinished ops run with WSC_ERR_CANCELED
 *  before it returns (they must not use the store).  NULL is fine. */
WSC_API void wsc_store_close(wsc_store *store);

/** The backend's name ("memory", "redis", "mysql", "hybrid"); a static string. */
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
