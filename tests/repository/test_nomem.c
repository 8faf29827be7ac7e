/* SPDX-License-Identifier: MIT */
/* Out of memory in every repository op, on every backend (issue 15): for each N, the Nth
 * allocation of the library (models/alloc.h hook) from the start of the op fails, until a run
 * goes past every allocation the op makes.  Each time the contract holds: the call returns an
 * error and its callback never runs, or it returns WSC_OK and its callback runs exactly once,
 * with the op's own answer or WSC_ERR_NOMEM (or WSC_ERR_TIMEOUT: a MySQL completion whose post
 * to the loop failed is bounded by the command timeout).  No leak (the asan preset runs this
 * too), and the store keeps working: the next run, with its allocation further on, must
 * succeed where the first allocations are spared.  Hub stats, queues and the workload are
 * Redis/memory only: MySQL answers WSC_ERR_UNSUPPORTED, and this test says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/alloc.h"
#include "tstore.h"

#define MAX_N 400 /* far more allocations than one op makes */

/* One op under test: prep runs unarmed (its setup), start starts the op armed. */
struct ctx {
    tstore *ts;
    const char *uid, *node, *ns, *queue;
    const char *fixed_uid; /* the same data every run: reads allocate as much each time */
    long n;                /* the run: unique message ids per run */
    char mid[32], key[WSC_MSG_KEY_MAX];
    wsc_msg *msg; /* made by prep (unarmed) for the ops that take one */
};

struct flow {
    const char *name;
    void (*prep)(struct ctx *c);
    wsc_err (*start)(struct ctx *c, tres *r);
    wsc_err ok, also_ok; /* its answers when nothing fails */
    /* An answer WSC_OK is whole: a read never answers OK with a value missing. */
    void (*check)(struct ctx *c, const tres *r);
};

static int
setup(void **state)
{
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = 1000;
    cfg.reconnect_max_ms = 200;
    return tstore_setup_cfg(state, &cfg);
}

static bool
is_mysql(const tstore *ts)
{
    return strcmp(ts->backend, "mysql") == 0;
}

static void
wait_ok(tstore *ts, tres *r)
{
    tstore_wait(ts, r);
    assert_int_equal(r->status, WSC_OK);
}

/* Runs fl with the Nth allocation failing, N = 1, 2, ... until a run makes fewer than N. */
static void
run_flow(struct ctx *c, const struct flow *fl)
{
    bool fired = true;
    size_t sync_err = 0, nomem = 0, timeout = 0, ok = 0;
    long n;
    for (n = 1; fired && n < MAX_N; n++) {
        c->n = n;
        snprintf(c->mid, sizeof(c->mid), "nm-%ld", n);
        c->msg = tstore_msg(c->mid, "out of memory");
        assert_non_null(c->msg);
        assert_int_equal(wsc_msg_set(c->msg, WSC_F_SENDER, "nm-sender"), WSC_OK);
        assert_int_equal(wsc_msg_key_of(c->msg, c->key, sizeof(c->key)), WSC_OK);
        if (fl->prep != NULL)
            fl->prep(c);
        tres r = {0};
        wsc__alloc_fail_nth(n);
        wsc_err err = fl->start(c, &r);
        wsc_msg_unref(c->msg); /* the store keeps its own copy */
        c->msg = NULL;
        if (err != WSC_OK) {
            fired = !wsc__alloc_fail_armed();
            wsc__alloc_fail_nth(0);
            assert_int_equal(err, WSC_ERR_NOMEM);
            assert_true(fired);
            /* Its callback never runs. */
            wsc_loop_run_once(c->ts->loop, 1);
            wsc_loop_run_once(c->ts->loop, 1);
            assert_int_equal(r.calls, 0);
            sync_err++;
            continue;
        }
        tstore_wait(c->ts, &r);
        fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        if (r.status == WSC_ERR_NOMEM) {
            nomem++;
        } else if (r.status == WSC_ERR_TIMEOUT && is_mysql(c->ts)) {
            timeout++;
        } else {
            if (r.status != fl->ok && r.status != fl->also_ok)
                fail_msg("%s, allocation %ld failed: %s", fl->name, n, wsc_err_name(r.status));
            if (r.status == WSC_OK && fl->check != NULL)
                fl->check(c, &r);
            ok++;
        }
    }
    print_message("[  INFO    ] %s: %ld runs: %zu refused, %zu NOMEM, %zu TIMEOUT, %zu answered\n",
                  fl->name, n - 1, sync_err, nomem, timeout, ok);
    assert_false(fired); /* went past every allocation of the op */
    assert_true(sync_err + nomem + timeout >= 1);
    /* The last run failed nothing: the op's own answer. */
    assert_true(ok >= 1);
}

static void
run_all(void **state, const struct flow *flows, size_t n)
{
    tstore *ts = tstore_get(state);
    struct ctx c = {.ts = ts};
    c.uid = tstore_id(ts, "nm-user");
    c.node = tstore_id(ts, "nm-node");
    c.ns = tstore_id(ts, "nm-ns");
    c.queue = tstore_id(ts, "nm-q");
    c.fixed_uid = tstore_id(ts, "nm-fixed");
    for (size_t i = 0; i < n; i++)
        run_flow(&c, &flows[i]);
    /* Afterwards the store still answers. */
    tres r = {0};
    assert_int_equal(wsc_store_ping(ts->store, tres_done, &r), WSC_OK);
    wait_ok(ts, &r);
}

/* ---- offline messages ---- */

static struct wsc_offline_repo *
off(struct ctx *c)
{
    return wsc_store_offline(c->ts->store);
}

static void
prep_stored(struct ctx *c)
{
    tres r = {0};
    assert_int_equal(wsc_offline_store(off(c), c->uid, c->msg, tres_done, &r), WSC_OK);
    wait_ok(c->ts, &r);
}

/* The fixed user holds the same three messages (stored again: idempotent). */
static void
prep_fixed(struct ctx *c)
{
    for (int i = 0; i < 3; i++) {
        char mid[16];
        snprintf(mid, sizeof(mid), "fixed-%d", i);
        wsc_msg *m = tstore_msg(mid, "kept");
        tres r = {0};
        assert_int_equal(wsc_offline_store(off(c), c->fixed_uid, m, tres_done, &r), WSC_OK);
        wsc_msg_unref(m);
        wait_ok(c->ts, &r);
    }
}

static wsc_err
off_store(struct ctx *c, tres *r)
{
    return wsc_offline_store(off(c), c->uid, c->msg, tres_done, r);
}

/* An answer WSC_OK to a write means it was done: the message is there to remove. */
static void
check_stored(struct ctx *c, const tres *r)
{
    (void)r;
    tres rm = {0};
    assert_int_equal(wsc_offline_remove(off(c), c->uid, c->key, tres_done, &rm), WSC_OK);
    wait_ok(c->ts, &rm);
}

static wsc_err
off_fetch(struct ctx *c, tres *r)
{
    return wsc_offline_fetch(off(c), c->fixed_uid, 0, 10, tres_fetch, r);
}

static wsc_err
off_count(struct ctx *c, tres *r)
{
    return wsc_offline_count(off(c), c->fixed_uid, tres_count, r);
}

static wsc_err
off_remove(struct ctx *c, tres *r)
{
    return wsc_offline_remove(off(c), c->uid, c->key, tres_done, r);
}

static wsc_err
off_clear(struct ctx *c, tres *r)
{
    return wsc_offline_clear(off(c), c->uid, tres_done, r);
}

static void
check_fetch(struct ctx *c, const tres *r)
{
    (void)c;
    assert_int_equal(r->n, 3);
    assert_string_equal(r->mids[0], "fixed-0");
    assert_string_equal(r->mids[2], "fixed-2");
    assert_string_equal(r->nodes[1], "kept");
}

static void
check_count(struct ctx *c, const tres *r)
{
    (void)c;
    assert_int_equal(r->count, 3);
}

static void
test_nomem__offline(void **state)
{
    const struct flow flows[] = {
        {"offline store", NULL, off_store, WSC_OK, WSC_OK, check_stored},
        {"offline fetch", prep_fixed, off_fetch, WSC_OK, WSC_OK, check_fetch},
        {"offline count", prep_fixed, off_count, WSC_OK, WSC_OK, check_count},
        /* NOT_FOUND: a failed run of remove may have removed it before failing. */
        {"offline remove", prep_stored, off_remove, WSC_OK, WSC_ERR_NOT_FOUND, NULL},
        {"offline clear", prep_stored, off_clear, WSC_OK, WSC_OK, NULL},
    };
    run_all(state, flows, sizeof(flows) / sizeof(flows[0]));
}

/* ---- message records ---- */

static struct wsc_record_repo *
recs(struct ctx *c)
{
    return wsc_store_records(c->ts->store);
}

static wsc_err
rec_put(struct ctx *c, tres *r)
{
    wsc_msg_record rec = {.message_id = c->mid,
                          .receiver = c->uid,
                          .sender = "nm-sender",
                          .state = WSC_REC_PENDING,
                          .error_text = "none yet"};
    return wsc_record_put(recs(c), &rec, tres_done, r);
}

static void
prep_record(struct ctx *c)
{
    tres r = {0};
    assert_int_equal(rec_put(c, &r), WSC_OK);
    wait_ok(c->ts, &r);
}

static wsc_err
rec_update(struct ctx *c, tres *r)
{
    return wsc_record_update(recs(c), c->mid, c->uid, WSC_REC_FAILED, 1, WSC_ERR_TIMEOUT, "gave up",
                             tres_done, r);
}

static wsc_err
rec_get(struct ctx *c, tres *r)
{
    return wsc_record_get(recs(c), c->mid, c->uid, tres_record, r);
}

static void
check_record(struct ctx *c, const tres *r)
{
    assert_string_equal(r->mids[0], c->mid);
    assert_string_equal(r->nodes[0], c->uid);
    assert_string_equal(r->rec_sender, "nm-sender");
    assert_string_equal(r->rec_text, "none yet");
}

static void
check_put(struct ctx *c, const tres *r)
{
    (void)r;
    tres got = {0};
    assert_int_equal(rec_get(c, &got), WSC_OK);
    wait_ok(c->ts, &got);
    check_record(c, &got);
}

static wsc_err
rec_remove(struct ctx *c, tres *r)
{
    return wsc_record_remove(recs(c), c->mid, c->uid, tres_done, r);
}

static void
test_nomem__records(void **state)
{
    const struct flow flows[] = {
        {"record put", NULL, rec_put, WSC_OK, WSC_OK, check_put},
        {"record update", prep_record, rec_update, WSC_OK, WSC_OK, NULL},
        {"record get", prep_record, rec_get, WSC_OK, WSC_OK, check_record},
        {"record remove", prep_record, rec_remove, WSC_OK, WSC_ERR_NOT_FOUND, NULL},
    };
    run_all(state, flows, sizeof(flows) / sizeof(flows[0]));
}

/* ---- online status and connection records ---- */

static struct wsc_online_repo *
onl(struct ctx *c)
{
    return wsc_store_online(c->ts->store);
}

static wsc_err
on_set(struct ctx *c, tres *r)
{
    return wsc_online_set(onl(c), c->uid, c->mid, c->node, 60000, tres_done, r);
}

static void
prep_online(struct ctx *c)
{
    tres r = {0};
    assert_int_equal(on_set(c, &r), WSC_OK);
    wait_ok(c->ts, &r);
}

static wsc_err
on_refresh(struct ctx *c, tres *r)
{
    return wsc_online_refresh(onl(c), c->uid, c->mid, 60000, tres_done, r);
}

static void
prep_online_fixed(struct ctx *c)
{
    tres r = {0};
    assert_int_equal(
        wsc_online_set(onl(c), c->fixed_uid, "nm-client", c->node, 60000, tres_done, &r), WSC_OK);
    wait_ok(c->ts, &r);
}

static wsc_err
on_get(struct ctx *c, tres *r)
{
    return wsc_online_get(onl(c), c->fixed_uid, tres_online, r);
}

static void
check_online(struct ctx *c, const tres *r)
{
    assert_int_equal(r->n, 1);
    assert_string_equal(r->mids[0], "nm-client");
    assert_string_equal(r->nodes[0], c->node);
}

static wsc_err
on_remove(struct ctx *c, tres *r)
{
    return wsc_online_remove(onl(c), c->uid, c->mid, tres_done, r);
}

static struct wsc_connrec_repo *
crs(struct ctx *c)
{
    return wsc_store_connrecs(c->ts->store);
}

static wsc_err
cr_connect(struct ctx *c, tres *r)
{
    wsc_conn_record rec = {.node_id = c->node,
                           .conn_id = (wsc_conn_id)c->n,
                           .user_id = c->uid,
                           .client_id = "nm-client",
                           .remote_ip = "127.0.0.1"};
    return wsc_connrec_connect(crs(c), &rec, tres_done, r);
}

static void
prep_connrec(struct ctx *c)
{
    tres r = {0};
    assert_int_equal(cr_connect(c, &r), WSC_OK);
    wait_ok(c->ts, &r);
}

static wsc_err
cr_counters(struct ctx *c, tres *r)
{
    wsc_conn_record d = {.msgs_in = 1, .msgs_out = 2, .bytes_in = 3, .bytes_out = 4, .errors = 5};
    return wsc_connrec_add_counters(crs(c), c->node, (wsc_conn_id)c->n, &d, tres_done, r);
}

static wsc_err
cr_disconnect(struct ctx *c, tres *r)
{
    return wsc_connrec_disconnect(crs(c), c->node, (wsc_conn_id)c->n, 1000, "bye", tres_done, r);
}

static wsc_err
cr_get(struct ctx *c, tres *r)
{
    return wsc_connrec_get(crs(c), c->node, (wsc_conn_id)c->n, tres_connrec, r);
}

static void
check_connrec(struct ctx *c, const tres *r)
{
    assert_int_equal(r->conn.conn_id, (wsc_conn_id)c->n);
    assert_string_equal(r->conn_user, c->uid);
    assert_true(r->conn.active);
}

static void
check_connected(struct ctx *c, const tres *r)
{
    (void)r;
    tres got = {0};
    assert_int_equal(cr_get(c, &got), WSC_OK);
    wait_ok(c->ts, &got);
    check_connrec(c, &got);
}

static void
check_set(struct ctx *c, const tres *r)
{
    (void)r;
    tres got = {0};
    assert_int_equal(on_refresh(c, &got), WSC_OK);
    wait_ok(c->ts, &got); /* the entry is there to refresh */
}

static void
test_nomem__online_and_connrecs(void **state)
{
    const struct flow flows[] = {
        {"online set", NULL, on_set, WSC_OK, WSC_OK, check_set},
        {"online refresh", prep_online, on_refresh, WSC_OK, WSC_OK, NULL},
        {"online get", prep_online_fixed, on_get, WSC_OK, WSC_OK, check_online},
        {"online remove", prep_online, on_remove, WSC_OK, WSC_ERR_NOT_FOUND, NULL},
        {"connrec connect", NULL, cr_connect, WSC_OK, WSC_OK, check_connected},
        {"connrec counters", prep_connrec, cr_counters, WSC_OK, WSC_OK, NULL},
        {"connrec disconnect", prep_connrec, cr_disconnect, WSC_OK, WSC_OK, NULL},
        {"connrec get", prep_connrec, cr_get, WSC_OK, WSC_OK, check_connrec},
    };
    run_all(state, flows, sizeof(flows) / sizeof(flows[0]));
}

/* ---- hub stats, queues, workload (Redis and memory) ---- */

/* MySQL has none of these (docs/storage.md): every op says so, at once. */
static bool
unsupported_here(void **state)
{
    tstore *ts = tstore_get(state);
    if (!is_mysql(ts))
        return false;
    tres r = {0};
    wsc_node_stats st = {.node_id = "n"};
    assert_int_equal(wsc_hubstats_put(wsc_store_hubstats(ts->store), &st, 10, tres_done, &r),
                     WSC_ERR_UNSUPPORTED);
    assert_int_equal(wsc_queue_length(wsc_store_queues(ts->store), "q", tres_count, &r),
                     WSC_ERR_UNSUPPORTED);
    assert_int_equal(wsc_workload_get(wsc_store_workload(ts->store), "ns", "a", tres_count, &r),
                     WSC_ERR_UNSUPPORTED);
    wsc_loop_run_once(ts->loop, 1);
    assert_int_equal(r.calls, 0);
    return true;
}

static struct wsc_hubstats_repo *
hs(struct ctx *c)
{
    return wsc_store_hubstats(c->ts->store);
}

static wsc_err
hs_put(struct ctx *c, tres *r)
{
    wsc_node_stats st = {.node_id = c->node, .connections = 3, .users = 2, .uptime_ms = 7};
    return wsc_hubstats_put(hs(c), &st, 60000, tres_done, r);
}

static void
prep_stats(struct ctx *c)
{
    tres r = {0};
    assert_int_equal(hs_put(c, &r), WSC_OK);
    wait_ok(c->ts, &r);
}

static wsc_err
hs_get_many(struct ctx *c, tres *r)
{
    const char *ids[] = {c->node, "nm-absent-node"};
    return wsc_hubstats_get_many(hs(c), ids, 2, tres_stats, r);
}

static wsc_err
hs_list(struct ctx *c, tres *r)
{
    return wsc_hubstats_list(hs(c), tres_ids, r);
}

static wsc_err
hs_remove(struct ctx *c, tres *r)
{
    return wsc_hubstats_remove(hs(c), c->node, tres_done, r);
}

static struct wsc_queue_repo *
qs(struct ctx *c)
{
    return wsc_store_queues(c->ts->store);
}

static wsc_err
q_push(struct ctx *c, tres *r)
{
    return wsc_queue_push(qs(c), c->queue, c->msg, tres_count, r);
}

static void
prep_queued(struct ctx *c)
{
    tres r = {0};
    assert_int_equal(q_push(c, &r), WSC_OK);
    wait_ok(c->ts, &r);
}

static wsc_err
q_pop(struct ctx *c, tres *r)
{
    return wsc_queue_pop(qs(c), c->queue, 5, tres_msgs, r);
}

static wsc_err
q_length(struct ctx *c, tres *r)
{
    return wsc_queue_length(qs(c), c->queue, tres_count, r);
}

static struct wsc_workload_repo *
wl(struct ctx *c)
{
    return wsc_store_workload(c->ts->store);
}

static wsc_err
wl_set(struct ctx *c, tres *r)
{
    return wsc_workload_set(wl(c), c->ns, "agent-a", 2, tres_done, r);
}

static void
prep_agent(struct ctx *c)
{
    tres r = {0};
    assert_int_equal(wl_set(c, &r), WSC_OK);
    wait_ok(c->ts, &r);
}

static wsc_err
wl_add(struct ctx *c, tres *r)
{
    return wsc_workload_add(wl(c), c->ns, "agent-a", 3, tres_count, r);
}

static wsc_err
wl_get(struct ctx *c, tres *r)
{
    return wsc_workload_get(wl(c), c->ns, "agent-a", tres_count, r);
}

static wsc_err
wl_remove(struct ctx *c, tres *r)
{
    return wsc_workload_remove(wl(c), c->ns, "agent-a", tres_done, r);
}

static wsc_err
wl_acquire(struct ctx *c, tres *r)
{
    const char *cand[] = {"agent-a", "agent-b"};
    return wsc_workload_acquire_least_loaded(wl(c), c->ns, cand, 2, 0, tres_acquire, r);
}

static wsc_err
wl_acquire_any(struct ctx *c, tres *r)
{
    return wsc_workload_acquire_least_loaded(wl(c), c->ns, NULL, 0, 0, tres_acquire, r);
}

static void
check_stats(struct ctx *c, const tres *r)
{
    assert_int_equal(r->n, 1);
    assert_string_equal(r->mids[0], c->node);
    assert_int_equal(r->stats[0].connections, 3);
}

static void
check_list(struct ctx *c, const tres *r)
{
    bool found = false;
    for (size_t i = 0; i < r->n && i < 64; i++)
        found = found || strcmp(r->mids[i], c->node) == 0;
    assert_true(found);
}

static void
check_popped(struct ctx *c, const tres *r)
{
    (void)c;
    assert_true(r->n >= 1);
    assert_string_equal(r->nodes[0], "out of memory");
}

static void
check_load(struct ctx *c, const tres *r)
{
    (void)c;
    assert_int_equal(r->count, 2);
}

static void
check_acquired(struct ctx *c, const tres *r)
{
    (void)c;
    assert_string_equal(r->mids[0], "agent-a");
    assert_int_equal(r->count, 3);
}

static void
check_stats_put(struct ctx *c, const tres *r)
{
    (void)r;
    tres got = {0};
    assert_int_equal(hs_get_many(c, &got), WSC_OK);
    wait_ok(c->ts, &got);
    check_stats(c, &got);
}

static void
check_pushed(struct ctx *c, const tres *r)
{
    assert_true(r->count >= 1);
    tres got = {0};
    assert_int_equal(q_length(c, &got), WSC_OK);
    wait_ok(c->ts, &got);
    assert_true(got.count >= 1);
}

static void
check_agent_set(struct ctx *c, const tres *r)
{
    (void)r;
    tres got = {0};
    assert_int_equal(wl_get(c, &got), WSC_OK);
    wait_ok(c->ts, &got);
    check_load(c, &got);
}

static void
test_nomem__stats_queues_workload(void **state)
{
    if (unsupported_here(state))
        return;
    const struct flow flows[] = {
        {"hubstats put", NULL, hs_put, WSC_OK, WSC_OK, check_stats_put},
        {"hubstats get_many", prep_stats, hs_get_many, WSC_OK, WSC_OK, check_stats},
        {"hubstats list", prep_stats, hs_list, WSC_OK, WSC_OK, check_list},
        {"hubstats remove", prep_stats, hs_remove, WSC_OK, WSC_ERR_NOT_FOUND, NULL},
        {"queue push", NULL, q_push, WSC_OK, WSC_OK, check_pushed},
        {"queue pop", prep_queued, q_pop, WSC_OK, WSC_OK, check_popped},
        {"queue length", prep_queued, q_length, WSC_OK, WSC_OK, NULL},
        {"workload set", NULL, wl_set, WSC_OK, WSC_OK, check_agent_set},
        {"workload add", prep_agent, wl_add, WSC_OK, WSC_OK, NULL},
        {"workload get", prep_agent, wl_get, WSC_OK, WSC_OK, check_load},
        {"workload acquire", prep_agent, wl_acquire, WSC_OK, WSC_OK, check_acquired},
        {"workload acquire any", prep_agent, wl_acquire_any, WSC_OK, WSC_OK, check_acquired},
        {"workload remove", prep_agent, wl_remove, WSC_OK, WSC_ERR_NOT_FOUND, NULL},
    };
    run_all(state, flows, sizeof(flows) / sizeof(flows[0]));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nomem__offline),
        cmocka_unit_test(test_nomem__records),
        cmocka_unit_test(test_nomem__online_and_connrecs),
        cmocka_unit_test(test_nomem__stats_queues_workload),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.nomem.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
