/* SPDX-License-Identifier: MIT */
/* The private side of the repositories: one function table per entity, and the base struct
 * each backend embeds first in its repository.  The public functions (src/repository/
 * repo_api.c, repo_api_ext.c) check their arguments as wsc/repository.h says and then call
 * the op, so an op may rely on: repo and cb not NULL, every id wsc__str_ok, messages and
 * records not NULL and valid (wsc__record_ok, wsc__conn_record_ok, wsc__node_stats_ok),
 * counts and limits in the documented ranges, ttl_ms > 0.  A NULL op means the backend does
 * not have it: the call returns WSC_ERR_UNSUPPORTED before any check. */
#ifndef WSC_REPOSITORY_REPO_OPS_H
#define WSC_REPOSITORY_REPO_OPS_H

#include <wsc/repository.h>

struct wsc_offline_repo_ops {
    wsc_err (*store)(struct wsc_offline_repo *repo, const char *user_id, wsc_msg *msg,
                     wsc_repo_done_cb cb, void *user);
    wsc_err (*fetch)(struct wsc_offline_repo *repo, const char *user_id, uint64_t after_cursor,
                     size_t limit, wsc_offline_fetch_cb cb, void *user);
    wsc_err (*remove)(struct wsc_offline_repo *repo, const char *user_id, const char *message_id,
                      wsc_repo_done_cb cb, void *user);
    wsc_err (*count)(struct wsc_offline_repo *repo, const char *user_id, wsc_repo_count_cb cb,
                     void *user);
    wsc_err (*clear)(struct wsc_offline_repo *repo, const char *user_id, wsc_repo_done_cb cb,
                     void *user);
};
struct wsc_offline_repo {
    const struct wsc_offline_repo_ops *ops;
};

struct wsc_record_repo_ops {
    wsc_err (*put)(struct wsc_record_repo *repo, const wsc_msg_record *rec, wsc_repo_done_cb cb,
                   void *user);
    wsc_err (*update)(struct wsc_record_repo *repo, const char *message_id, const char *receiver,
                      wsc_record_state state, uint32_t retry_inc, wsc_err last_error,
                      const char *error_text, wsc_repo_done_cb cb, void *user);
    wsc_err (*get)(struct wsc_record_repo *repo, const char *message_id, const char *receiver,
                   wsc_record_get_cb cb, void *user);
    wsc_err (*remove)(struct wsc_record_repo *repo, const char *message_id, const char *receiver,
                      wsc_repo_done_cb cb, void *user);
};
struct wsc_record_repo {
    const struct wsc_record_repo_ops *ops;
};

struct wsc_online_repo_ops {
    wsc_err (*set)(struct wsc_online_repo *repo, const char *user_id, const char *client_id,
                   const char *node_id, uint32_t ttl_ms, wsc_repo_done_cb cb, void *user);
    wsc_err (*refresh)(struct wsc_online_repo *repo, const char *user_id, const char *client_id,
                       uint32_t ttl_ms, wsc_repo_done_cb cb, void *user);
    wsc_err (*remove)(struct wsc_online_repo *repo, const char *user_id, const char *client_id,
                      wsc_repo_done_cb cb, void *user);
    wsc_err (*get)(struct wsc_online_repo *repo, const char *user_id, wsc_online_get_cb cb,
                   void *user);
};
struct wsc_online_repo {
    const struct wsc_online_repo_ops *ops;
};

struct wsc_connrec_repo_ops {
    wsc_err (*connect)(struct wsc_connrec_repo *repo, const wsc_conn_record *rec,
                       wsc_repo_done_cb cb, void *user);
    wsc_err (*add_counters)(struct wsc_connrec_repo *repo, const char *node_id, wsc_conn_id conn_id,
                            const wsc_conn_record *delta, wsc_repo_done_cb cb, void *user);
    wsc_err (*disconnect)(struct wsc_connrec_repo *repo, const char *node_id, wsc_conn_id conn_id,
                          int close_code, const char *reason, wsc_repo_done_cb cb, void *user);
    wsc_err (*get)(struct wsc_connrec_repo *repo, const char *node_id, wsc_conn_id conn_id,
                   wsc_connrec_get_cb cb, void *user);
};
struct wsc_connrec_repo {
    const struct wsc_connrec_repo_ops *ops;
};

struct wsc_hubstats_repo_ops {
    wsc_err (*put)(struct wsc_hubstats_repo *repo, const wsc_node_stats *st, uint32_t ttl_ms,
                   wsc_repo_done_cb cb, void *user);
    wsc_err (*get_many)(struct wsc_hubstats_repo *repo, const char *const *node_ids, size_t n,
                        wsc_hubstats_get_cb cb, void *user);
    wsc_err (*list)(struct wsc_hubstats_repo *repo, wsc_hubstats_list_cb cb, void *user);
    wsc_err (*remove)(struct wsc_hubstats_repo *repo, const char *node_id, wsc_repo_done_cb cb,
                      void *user);
};
struct wsc_hubstats_repo {
    const struct wsc_hubstats_repo_ops *ops;
};

struct wsc_queue_repo_ops {
    wsc_err (*push)(struct wsc_queue_repo *repo, const char *name, wsc_msg *msg,
                    wsc_repo_count_cb cb, void *user);
    wsc_err (*pop)(struct wsc_queue_repo *repo, const char *name, size_t max, wsc_queue_pop_cb cb,
                   void *user);
    wsc_err (*length)(struct wsc_queue_repo *repo, const char *name, wsc_repo_count_cb cb,
                      void *user);
};
struct wsc_queue_repo {
    const struct wsc_queue_repo_ops *ops;
};

struct wsc_workload_repo_ops {
    wsc_err (*set)(struct wsc_workload_repo *repo, const char *ns, const char *agent, uint64_t load,
                   wsc_repo_done_cb cb, void *user);
    wsc_err (*add)(struct wsc_workload_repo *repo, const char *ns, const char *agent, int64_t delta,
                   wsc_repo_count_cb cb, void *user);
    wsc_err (*get)(struct wsc_workload_repo *repo, const char *ns, const char *agent,
                   wsc_repo_count_cb cb, void *user);
    wsc_err (*remove)(struct wsc_workload_repo *repo, const char *ns, const char *agent,
                      wsc_repo_done_cb cb, void *user);
    wsc_err (*acquire_least_loaded)(struct wsc_workload_repo *repo, const char *ns,
                                    const char *const *candidates, size_t n, uint64_t max_load,
                                    wsc_workload_acquire_cb cb, void *user);
};
struct wsc_workload_repo {
    const struct wsc_workload_repo_ops *ops;
};

#endif
