/* SPDX-License-Identifier: MIT */
/* Repositories a backend does not have (MySQL has no hub stats, queues or workload): their
 * tables have no ops, so every public function returns WSC_ERR_UNSUPPORTED (repo_api.h), the
 * callback never runs and callers need no NULL checks.  wsc__store_init puts them in every
 * store; backends replace the ones they implement. */
#include "repository/store_internal.h"

static const struct wsc_hubstats_repo_ops hs_ops = {0};
static const struct wsc_queue_repo_ops q_ops = {0};
static const struct wsc_workload_repo_ops wl_ops = {0};

/* Stateless and const: one instance serves every store (no mutable global state). */
static struct wsc_hubstats_repo hs_repo = {&hs_ops, NULL};
static struct wsc_queue_repo q_repo = {&q_ops, NULL};
static struct wsc_workload_repo wl_repo = {&wl_ops, NULL};

void
wsc__store_set_unsupported(wsc_store *store)
{
    store->hubstats = &hs_repo;
    store->queues = &q_repo;
    store->workload = &wl_repo;
}
