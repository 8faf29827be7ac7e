/* SPDX-License-Identifier: MIT */
/* The order of the checks of the public repository functions and what they do with a request
 * the backend refuses (src/repository/repo_api.h, repo_ops.h), on a fake backend of the vtable:
 * a backend without an op answers WSC_ERR_UNSUPPORTED before any other check (a NULL callback
 * or a bad id included); an op that returns an error leaves the call returning that error, the
 * callback never runs and the request is gone (the asan preset checks it is freed).  Also the
 * store's own rules (src/repository/store.c): a NULL loop and bounds it corrects, a ping
 * without a callback or refused by the backend, the cluster bus on a store that is not Redis,
 * and a store closing (a request started from a
 * callback it cancels is refused WSC_ERR_STATE; closing it again there does nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/repository_ext.h>
#include <wsc/store.h>

#include "models/alloc.h"
#include "repository/bus.h"
#include "repository/store_internal.h"
#include "tstore.h"
#include "twait.h"

/* A backend whose core repositories have no ops and whose ext ops (and ping) all refuse with
 * refuse: they never finish the request. */
struct fake_store {
    wsc_store base; /* must stay first */
    struct wsc__repos repos;
    wsc_err refuse;
    int op_calls;
    int closed;
};

static struct fake_store *
fake_of(wsc_store *store)
{
    return wsc_container_of(store, struct fake_store, base);
}

static wsc_err
refused(wsc_store *store)
{
    struct fake_store *fs = fake_of(store);
    fs->op_calls++;
    return fs->refuse;
}

static wsc_err
fake_ping(wsc_store *store, struct wsc__req *req)
{
    (void)req;
    return refused(store);
}

static wsc_err
fake_hs_put(struct wsc_hubstats_repo *r, struct wsc__req *req, const wsc_node_stats *st,
            uint32_t ttl_ms)
{
    (void)req, (void)st, (void)ttl_ms;
    return refused(r->store);
}

static wsc_err
fake_hs_get_many(struct wsc_hubstats_repo *r, struct wsc__req *req, const char *const *ids,
                 size_t n)
{
    (void)req, (void)ids, (void)n;
    return refused(r->store);
}

static wsc_err
fake_hs_list(struct wsc_hubstats_repo *r, struct wsc__req *req)
{
    (void)req;
    return refused(r->store);
}

static wsc_err
fake_hs_remove(struct wsc_hubstats_repo *r, struct wsc__req *req, const char *id)
{
    (void)req, (void)id;
    return refused(r->store);
}

static wsc_err
fake_q_push(struct wsc_queue_repo *r, struct wsc__req *req, const char *name, wsc_msg *msg)
{
    (void)req, (void)name, (void)msg;
    return refused(r->store);
}

static wsc_err
fake_q_pop(struct wsc_queue_repo *r, struct wsc__req *req, const char *name, size_t max)
{
    (void)req, (void)name, (void)max;
    return refused(r->store);
}

static wsc_err
fake_q_length(struct wsc_queue_repo *r, struct wsc__req *req, const char *name)
{
    (void)req, (void)name;
    return refused(r->store);
}

static wsc_err
fake_wl_set(struct wsc_workload_repo *r, struct wsc__req *req, const char *ns, const char *agent,
            uint64_t load)
{
    (void)req, (void)ns, (void)agent, (void)load;
    return refused(r->store);
}

static wsc_err
fake_wl_add(struct wsc_workload_repo *r, struct wsc__req *req, const char *ns, const char *agent,
            int64_t delta)
{
    (void)req, (void)ns, (void)agent, (void)delta;
    return refused(r->store);
}

static wsc_err
fake_wl_get(struct wsc_workload_repo *r, struct wsc__req *req, const char *ns, const char *agent)
{
    (void)req, (void)ns, (void)agent;
    return refused(r->store);
}

static wsc_err
fake_wl_remove(struct wsc_workload_repo *r, struct wsc__req *req, const char *ns, const char *agent)
{
    (void)req, (void)ns, (void)agent;
    return refused(r->store);
}

static wsc_err
fake_wl_acquire(struct wsc_workload_repo *r, struct wsc__req *req, const char *ns,
                const char *const *candidates, size_t n, uint64_t max_load)
{
    (void)req, (void)ns, (void)candidates, (void)n, (void)max_load;
    return refused(r->store);
}

static void
fake_close(wsc_store *store)
{
    free(fake_of(store));
}

static const struct wsc_offline_repo_ops no_offline = {0};
static const struct wsc_record_repo_ops no_records = {0};
static const struct wsc_online_repo_ops no_online = {0};
static const struct wsc_connrec_repo_ops no_connrecs = {0};
static const struct wsc_hubstats_repo_ops refusing_hubstats = {.put = fake_hs_put,
                                                               .get_many = fake_hs_get_many,
                                                               .list = fake_hs_list,
                                                               .remove = fake_hs_remove};
static const struct wsc_queue_repo_ops refusing_queues = {
    .push = fake_q_push, .pop = fake_q_pop, .length = fake_q_length};
static const struct wsc_workload_repo_ops refusing_workload = {.set = fake_wl_set,
                                                               .add = fake_wl_add,
                                                               .get = fake_wl_get,
                                                               .remove = fake_wl_remove,
                                                               .acquire_least_loaded =
                                                                   fake_wl_acquire};

static const struct wsc__store_ops fake_ops = {
    .name = "fake",
    .ping = fake_ping,
    .close = fake_close,
    .repos = {.offline = &no_offline,
              .records = &no_records,
              .online = &no_online,
              .connrecs = &no_connrecs,
              .hubstats = &refusing_hubstats,
              .queues = &refusing_queues,
              .workload = &refusing_workload},
};

static int
setup(void **state)
{
    wsc_loop *loop = NULL;
    if (wsc_loop_new(&loop) != WSC_OK)
        return -1;
    *state = loop;
    return 0;
}

static int
teardown(void **state)
{
    wsc_loop_free(*state);
    return 0;
}

static struct fake_store *
fake_new(wsc_loop *loop, wsc_err refuse)
{
    struct fake_store *fs = calloc(1, sizeof(*fs));
    assert_non_null(fs);
    fs->refuse = refuse;
    assert_int_equal(wsc__store_init(&fs->base, &fake_ops, &fs->repos, loop, NULL), WSC_OK);
    return fs;
}

#define UNSUP(expr) assert_int_equal((expr), WSC_ERR_UNSUPPORTED)

static void
test_repo_api__missing_op_is_unsupported_before_other_checks(void **state)
{
    wsc_loop *loop = *state;
    struct fake_store *fs = fake_new(loop, WSC_ERR_STORE);
    wsc_store *s = &fs->base;
    struct wsc_offline_repo *off = wsc_store_offline(s);
    struct wsc_record_repo *recs = wsc_store_records(s);
    struct wsc_online_repo *on = wsc_store_online(s);
    struct wsc_connrec_repo *conns = wsc_store_connrecs(s);
    assert_non_null(off);
    assert_non_null(conns);
    tres r = {0};
    /* A NULL callback and empty ids: the missing op is what the caller hears about. */
    UNSUP(wsc_offline_store(off, "", NULL, NULL, &r));
    UNSUP(wsc_offline_fetch(off, "", 0, 0, NULL, &r));
    UNSUP(wsc_offline_remove(off, "", "", NULL, &r));
    UNSUP(wsc_offline_count(off, "", NULL, &r));
    UNSUP(wsc_offline_clear(off, "", NULL, &r));
    UNSUP(wsc_record_put(recs, NULL, NULL, &r));
    UNSUP(wsc_record_update(recs, "", "", WSC_REC_SENT, 0, WSC_OK, NULL, NULL, &r));
    UNSUP(wsc_record_get(recs, "", "", NULL, &r));
    UNSUP(wsc_record_remove(recs, "", "", NULL, &r));
    UNSUP(wsc_online_set(on, "", "", "", 0, NULL, &r));
    UNSUP(wsc_online_refresh(on, "", "", 0, NULL, &r));
    UNSUP(wsc_online_remove(on, "", "", NULL, &r));
    UNSUP(wsc_online_get(on, "", NULL, &r));
    UNSUP(wsc_connrec_connect(conns, NULL, NULL, &r));
    UNSUP(wsc_connrec_add_counters(conns, "", 0, NULL, NULL, &r));
    UNSUP(wsc_connrec_disconnect(conns, "", 0, 0, NULL, NULL, &r));
    UNSUP(wsc_connrec_get(conns, "", 0, NULL, &r));
    /* With good arguments too, and no request is left behind. */
    wsc_msg *m = tstore_msg("m1", "x");
    UNSUP(wsc_offline_store(off, "u", m, tres_done, &r));
    UNSUP(wsc_record_get(recs, "m", "r", tres_record, &r));
    UNSUP(wsc_online_get(on, "u", tres_online, &r));
    UNSUP(wsc_connrec_get(conns, "n", 1, tres_connrec, &r));
    wsc_msg_unref(m);
    assert_true(wsc_list_empty(&s->live));
    wsc_loop_run_once(loop, 5);
    assert_int_equal(r.calls, 0);
    assert_int_equal(fs->op_calls, 0);
    wsc_store_close(s);
}

static void
test_repo_api__refused_request_is_dropped(void **state)
{
    wsc_loop *loop = *state;
    struct fake_store *fs = fake_new(loop, WSC_ERR_STORE);
    wsc_store *s = &fs->base;
    struct wsc_hubstats_repo *hs = wsc_store_hubstats(s);
    struct wsc_queue_repo *q = wsc_store_queues(s);
    struct wsc_workload_repo *wl = wsc_store_workload(s);
    tres r = {0};
    wsc_msg *m = tstore_msg("m1", "x");
    wsc_node_stats st = {.node_id = "n"};
    const char *ids[] = {"a", "b"};
    wsc_err want = WSC_ERR_STORE;
    for (int round = 0; round < 2; round++) {
        int before = fs->op_calls;
        assert_int_equal(wsc_hubstats_put(hs, &st, 5, tres_done, &r), want);
        assert_int_equal(wsc_hubstats_get_many(hs, ids, 2, tres_stats, &r), want);
        assert_int_equal(wsc_hubstats_get(hs, "n", tres_stats, &r), want);
        assert_int_equal(wsc_hubstats_list(hs, tres_ids, &r), want);
        assert_int_equal(wsc_hubstats_remove(hs, "n", tres_done, &r), want);
        assert_int_equal(wsc_queue_push(q, "q", m, tres_count, &r), want);
        assert_int_equal(wsc_queue_pop(q, "q", 10, tres_msgs, &r), want);
        assert_int_equal(wsc_queue_length(q, "q", tres_count, &r), want);
        assert_int_equal(wsc_workload_set(wl, "ns", "a", 1, tres_done, &r), want);
        assert_int_equal(wsc_workload_incr(wl, "ns", "a", tres_count, &r), want);
        assert_int_equal(wsc_workload_decr(wl, "ns", "a", tres_count, &r), want);
        assert_int_equal(wsc_workload_get(wl, "ns", "a", tres_count, &r), want);
        assert_int_equal(wsc_workload_remove(wl, "ns", "a", tres_done, &r), want);
        assert_int_equal(wsc_workload_acquire_least_loaded(wl, "ns", ids, 2, 0, tres_acquire, &r),
                         want);
        assert_int_equal(wsc_store_ping(s, tres_done, &r), want);
        assert_int_equal(fs->op_calls - before, 15);
        assert_true(wsc_list_empty(&s->live));
        /* The backend's own error comes back unchanged, whichever it is. */
        fs->refuse = want = WSC_ERR_UNSUPPORTED;
    }
    wsc_msg_unref(m);
    wsc_loop_run_once(loop, 5);
    assert_int_equal(r.calls, 0);
    wsc_store_close(s);
}

static void
test_repo_api__store_init_rules(void **state)
{
    wsc_loop *loop = *state;
    struct fake_store *fs = calloc(1, sizeof(*fs));
    assert_non_null(fs);
    assert_int_equal(wsc__store_init(&fs->base, &fake_ops, &fs->repos, NULL, NULL),
                     WSC_ERR_INVALID);
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.queue_ttl_ms = 0;
    assert_int_equal(wsc__store_init(&fs->base, &fake_ops, &fs->repos, loop, &cfg),
                     WSC_ERR_INVALID);
    wsc_store_config_init(&cfg);
    cfg.workload_ttl_ms = 0;
    assert_int_equal(wsc__store_init(&fs->base, &fake_ops, &fs->repos, loop, &cfg),
                     WSC_ERR_INVALID);
    /* A zero reconnect delay becomes 1 ms, and the largest is never below the smallest. */
    wsc_store_config_init(&cfg);
    cfg.reconnect_min_ms = 0;
    cfg.reconnect_max_ms = 0;
    assert_int_equal(wsc__store_init(&fs->base, &fake_ops, &fs->repos, loop, &cfg), WSC_OK);
    assert_int_equal(fs->base.cfg.reconnect_min_ms, 1);
    assert_int_equal(fs->base.cfg.reconnect_max_ms, 1);
    assert_string_equal(wsc_store_backend(&fs->base), "fake");
    wsc_store_close(&fs->base);
    /* Public: a store without them is refused; config_init takes NULL. */
    wsc_store_config_init(NULL);
    wsc_store *s = NULL;
    wsc_store_config_init(&cfg);
    cfg.workload_ttl_ms = 0;
    assert_int_equal(wsc_store_open(loop, "memory://", &cfg, &s), WSC_ERR_INVALID);
    assert_null(s);
    assert_int_equal(wsc_store_open(loop, "memory://", NULL, &s), WSC_OK);
    assert_string_equal(wsc_store_backend(s), "memory");
    /* A ping needs a callback. */
    assert_int_equal(wsc_store_ping(s, NULL, NULL), WSC_ERR_INVALID);
    /* The cluster bus needs Redis. */
    wsc__bus_cbs cbs = {0};
    wsc__bus *bus = (wsc__bus *)&cbs;
    assert_int_equal(wsc__bus_open(s, &cbs, NULL, &bus), WSC_ERR_UNSUPPORTED);
    assert_null(bus);
    wsc_store_close(s);
    assert_null(wsc_store_records(NULL));
    assert_null(wsc_store_online(NULL));
    assert_null(wsc_store_connrecs(NULL));
    assert_null(wsc_store_hubstats(NULL));
    assert_null(wsc_store_queues(NULL));
    assert_null(wsc_store_workload(NULL));
}

/* Canceled by close: tries a new request and a second close on the closing store. */
struct at_close {
    wsc_store *store;
    int calls;
    wsc_err status, again;
};

static void
count_at_close(wsc_err status, uint64_t count, void *user)
{
    (void)count;
    struct at_close *c = user;
    c->calls++;
    c->status = status;
    tres r = {0};
    c->again = wsc_offline_count(wsc_store_offline(c->store), "u", tres_count, &r);
    wsc_store_close(c->store); /* already closing: nothing happens */
}

static void
test_repo_api__closing_store_refuses_new_requests(void **state)
{
    wsc_loop *loop = *state;
    struct at_close c = {0};
    assert_int_equal(wsc_store_open(loop, "memory:", NULL, &c.store), WSC_OK);
    /* Finished at once (memory answers on the next turn): close cancels it. */
    assert_int_equal(wsc_offline_count(wsc_store_offline(c.store), "u", count_at_close, &c),
                     WSC_OK);
    wsc_store_close(c.store);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.status, WSC_ERR_CANCELED);
    assert_int_equal(c.again, WSC_ERR_STATE);
    wsc_loop_run_once(loop, 5);
    assert_int_equal(c.calls, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repo_api__missing_op_is_unsupported_before_other_checks),
        cmocka_unit_test(test_repo_api__refused_request_is_dropped),
        cmocka_unit_test(test_repo_api__store_init_rules),
        cmocka_unit_test(test_repo_api__closing_store_refuses_new_requests),
    };
    return cmocka_run_group_tests_name("unit.repository.repo_api", tests, setup, teardown);
}
