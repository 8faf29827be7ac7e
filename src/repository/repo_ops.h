/* SPDX-License-Identifier: MIT */
/* The private side of the repositories: one function table per entity, and the base struct
 * each backend embeds first in its repository.  The public functions (src/repository/
 * repo_api.c, repo_api_ext.c) check their arguments as wsc/repository.h says, start the
 * request (the caller's callback, the op's name for the metrics) and then call the op, so an
 * op may rely on: every id wsc__str_ok, messages and records not NULL and valid
 * (wsc__record_ok, wsc__conn_record_ok, wsc__node_stats_ok), counts and limits in the
 * documented ranges, ttl_ms > 0.  An op either finishes req exactly once (now or on a later
 * turn) and returns WSC_OK, or returns an error without having touched req: the public
 * function then drops req and returns that error, and the callback never runs.  A NULL op
 * means the backend does not have it: the call returns WSC_ERR_UNSUPPORTED before any check.
 * store is the store the repository belongs to (NULL for the unsupported ones). */
#ifndef WSC_REPOSITORY_REPO_OPS_H
#define WSC_REPOSITORY_REPO_OPS_H

#include <wsc/repository.h>

struct wsc__req;

struct wsc_offline_repo_ops {
    wsc_err (*store)(struct wsc_offline_repo *repo, struct wsc__req *req, const char *user_id,
                     wsc_msg *msg);
    wsc_err (*fetch)(struct wsc_offline_repo *repo, struct wsc__req *req, const char *user_id,
                     uint64_t after_cursor, size_t limit);
    wsc_err (*remove)(struct wsc_offline_repo *repo, struct wsc__req *req, const char *user_id,
                      const char *message_id);
    wsc_err (*count)(struct wsc_offline_repo *repo, struct wsc__req *req, const char *user_id);
    wsc_err (*clear)(struct wsc_offline_repo *repo, struct wsc__req *req, const char *user_id);
};
struct wsc_offline_repo {
    const struct wsc_offline_repo_ops *ops;
    struct wsc_store *store;
};

struct wsc_record_repo_ops {
    wsc_err (*put)(struct wsc_record_repo *repo, struct wsc__req *req, const wsc_msg_record *rec);
    wsc_err (*update)(struct wsc_record_repo *repo, struct wsc__req *req, const char *message_id,
                      const char *receiver, wsc_record_state state, uint32_t retry_inc,
                      wsc_err last_error, const char *error_text);
    wsc_err (*get)(struct wsc_record_repo *repo, struct wsc__req *req, const char *message_id,
                   const char *receiver);
    wsc_err (*remove)(struct wsc_record_repo *repo, struct wsc__req *req, const char *message_id,
                      const char *receiver);
};
struct wsc_record_repo {
    const struct wsc_record_repo_ops *ops;
    struct wsc_store *store;
};

struct wsc_online_repo_ops {
    wsc_err (*set)(struct wsc_online_repo *repo, struct wsc__req *req, const char *user_id,
                   const char *client_id, const char *node_id, uint32_t ttl_ms);
    wsc_err (*refresh)(struct wsc_online_repo *repo, struct wsc__req *req, const char *user_id,
                       const char *client_id, uint32_t ttl_ms);
    wsc_err (*remove)(struct wsc_online_repo *repo, struct wsc__req *req, const char *user_id,
                      const char *client_id);
    wsc_err (*get)(struct wsc_online_repo *repo, struct wsc__req *req, const char *user_id);
};
struct wsc_online_repo {
    const struct wsc_online_repo_ops *ops;
    struct wsc_store *store;
};

struct wsc_connrec_repo_ops {
    wsc_err (*connect)(struct wsc_connrec_repo *repo, struct wsc__req *req,
                       const wsc_conn_record *rec);
    wsc_err (*add_counters)(struct wsc_connrec_repo *repo, struct wsc__req *req,
                            const char *node_id, wsc_conn_id conn_id, const wsc_conn_record *delta);
    wsc_err (*disconnect)(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node_id,
                          wsc_conn_id conn_id, int close_code, const char *reason);
    wsc_err (*get)(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node_id,
                   wsc_conn_id conn_id);
};
struct wsc_connrec_repo {
    const struct wsc_connrec_repo_ops *ops;
    struct wsc_store *store;
};

struct wsc_hubstats_repo_ops {
    wsc_err (*put)(struct wsc_hubstats_repo *repo, struct wsc__req *req, const wsc_node_stats *st,
                   uint32_t ttl_ms);
    wsc_err (*get_many)(struct wsc_hubstats_repo *repo, struct wsc__req *req,
                        const char *const *node_ids, size_t n);
    wsc_err (*list)(struct wsc_hubstats_repo *repo, struct wsc__req *req);
    wsc_err (*remove)(struct wsc_hubstats_repo *repo, struct wsc__req *req, const char *node_id);
};
struct wsc_hubstats_repo {
    const struct wsc_hubstats_repo_ops *ops;
    struct wsc_store *store;
};

struct wsc_queue_repo_ops {
    wsc_err (*push)(struct wsc_queue_repo *repo, struct wsc__req *req, const char *name,
                    wsc_msg *msg);
    wsc_err (*pop)(struct wsc_queue_repo *repo, struct wsc__req *req, const char *name, size_t max);
    wsc_err (*length)(struct wsc_queue_repo *repo, struct wsc__req *req, const char *name);
};
struct wsc_queue_repo {
    const struct wsc_queue_repo_ops *ops;
    struct wsc_store *store;
};

struct wsc_workload_repo_ops {
    wsc_err (*set)(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns,
                   const char *agent, uint64_t load);
    wsc_err (*add)(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns,
                   const char *agent, int64_t delta);
    wsc_err (*get)(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns,
                   const char *agent);
    wsc_err (*remove)(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns,
                      const char *agent);
    wsc_err (*acquire_least_loaded)(struct wsc_workload_repo *repo, struct wsc__req *req,
                                    const char *ns, const char *const *candidates, size_t n,
                                    uint64_t max_load);
};
struct wsc_workload_repo {
    const struct wsc_workload_repo_ops *ops;
    struct wsc_store *store;
};

#endif
