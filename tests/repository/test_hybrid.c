/* SPDX-License-Identifier: MIT */
/* The hybrid store's own behaviour (labels redis, mysql; run on the hybrid backend only):
 * MariaDB stopped -> stores complete from Redis (ack_on_cache), the messages are fetchable,
 * and once MariaDB is back the drain writes them to MySQL (checked with a plain MySQL store)
 * and applies a removal MySQL missed; Redis emptied or stopped -> fetch falls back to MySQL
 * with MySQL cursors; remove takes the message out of both; the drain does not take a copy
 * Redis lost for an ACK, and undoes its MySQL write when an ACK overtook it (on a scripted
 * Redis).  Servers are stopped and started
 * through scripts/services.sh (WSC_SERVICES_SCRIPT, WSC_SERVICES_DIR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "repository/hybrid/hybrid_internal.h"
#include "tfakeredis.h"
#include "tstore.h"
#include "twait.h"

static int
setup(void **state)
{
    if (getenv("WSC_SERVICES_SCRIPT") == NULL || getenv("WSC_SERVICES_DIR") == NULL) {
        print_message(
            "[  SKIP    ] hybrid tests need servers started by scripts/test-storage.sh\n");
        *state = NULL;
        return 0;
    }
    return tstore_setup(state);
}

/* A store of its own on ts's loop: plain (url) or hybrid (hcfg). */
static wsc_store *
open_store(tstore *ts, const char *url, const wsc_hybrid_config *hcfg)
{
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = 1000;
    cfg.reconnect_max_ms = 200;
    wsc_store *s = NULL;
    if (hcfg != NULL)
        assert_int_equal(wsc_store_open_hybrid(ts->loop, getenv("WSC_TEST_REDIS_URL"),
                                               getenv("WSC_TEST_MYSQL_URL"), &cfg, hcfg, &s),
                         WSC_OK);
    else
        assert_int_equal(wsc_store_open(ts->loop, url, &cfg, &s), WSC_OK);
    return s;
}

static wsc_err
store_one(tstore *ts, wsc_store *s, const char *uid, const char *mid)
{
    wsc_msg *m = tstore_msg(mid, mid);
    tres r = {0};
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), uid, m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    return r.status;
}

static void
fetch(tstore *ts, wsc_store *s, const char *uid, uint64_t after, size_t limit, tres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_offline_fetch(wsc_store_offline(s), uid, after, limit, tres_fetch, r),
                     WSC_OK);
    tstore_wait(ts, r);
}

static wsc_err
remove_one(tstore *ts, wsc_store *s, const char *uid, const char *mid)
{
    tres r = {0};
    assert_int_equal(wsc_offline_remove(wsc_store_offline(s), uid, mid, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    return r.status;
}

/* Polls a plain MySQL store until uid holds exactly want messages (the first named first). */
struct poll {
    wsc_store *s;
    const char *uid, *first;
    size_t want;
    tres r;
    bool out;
};

static bool
mysql_holds(void *arg)
{
    struct poll *p = arg;
    if (p->out && p->r.calls > 0) {
        p->out = false;
        if (p->r.status == WSC_OK && p->r.n == p->want &&
            (p->want == 0 || strcmp(p->r.mids[0], p->first) == 0))
            return true;
    }
    if (!p->out) {
        memset(&p->r, 0, sizeof(p->r));
        p->out =
            wsc_offline_fetch(wsc_store_offline(p->s), p->uid, 0, 64, tres_fetch, &p->r) == WSC_OK;
    }
    return false;
}

static void
test_hybrid__mysql_down_messages_wait_in_redis(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "mysqldown");
    wsc_hybrid_config hc;
    wsc_hybrid_config_init(&hc);
    hc.ack_on_cache = true;
    hc.retry_ms = 100;
    wsc_store *cached = open_store(ts, NULL, &hc);
    wsc_hybrid_config_init(&hc);
    hc.retry_ms = 100;
    wsc_store *durable = open_store(ts, NULL, &hc);
    assert_int_equal(store_one(ts, durable, uid, "old"), WSC_OK);

    assert_int_equal(tstore_services("stop-mysql"), 0);
    /* ack_on_cache: complete from Redis.  Default: MySQL's error, but the copy waits too. */
    char mid[16];
    for (int i = 0; i < 5; i++) {
        snprintf(mid, sizeof(mid), "w%d", i);
        assert_int_equal(store_one(ts, cached, uid, mid), WSC_OK);
    }
    wsc_err st = store_one(ts, durable, uid, "w5");
    assert_true(st == WSC_ERR_STORE || st == WSC_ERR_TIMEOUT);
    /* An ACK while MySQL is down: gone from Redis now, from MySQL once it is back. */
    assert_int_equal(remove_one(ts, cached, uid, "old"), WSC_OK);
    tres r;
    fetch(ts, cached, uid, 0, 64, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 6);
    assert_string_equal(r.mids[0], "w0");
    assert_string_equal(r.mids[5], "w5");

    assert_int_equal(tstore_services("start-mysql"), 0);
    wsc_store *plain = open_store(ts, getenv("WSC_TEST_MYSQL_URL"), NULL);
    struct poll p = {plain, uid, "w0", 6, {0}, false};
    assert_true(tstore_until(ts, mysql_holds, &p, 20000));
    p.want = 0; /* let the last probe finish before closing */
    tstore_until(ts, mysql_holds, &p, 3000);
    wsc_store_close(plain);
    wsc_store_close(durable);
    wsc_store_close(cached);
}

static void
test_hybrid__fetch_falls_back_to_mysql(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "fallback");
    const char *mids[] = {"f0", "f1", "f2"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_one(ts, ts->store, uid, mids[i]), WSC_OK);
    /* Redis loses the user (a flush, a restart without persistence). */
    wsc_store *redis = open_store(ts, getenv("WSC_TEST_REDIS_URL"), NULL);
    tres r = {0};
    assert_int_equal(wsc_offline_clear(wsc_store_offline(redis), uid, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    fetch(ts, ts->store, uid, 0, 2, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.mids[0], "f0");
    assert_true((r.cursor & WSC__HYB_MYSQL_CURSOR) != 0); /* pages on MySQL from here */
    fetch(ts, ts->store, uid, r.cursor, 2, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.mids[0], "f2");
    uint64_t last = r.cursor;
    fetch(ts, ts->store, uid, last, 2, &r);
    assert_int_equal(r.n, 0);
    assert_true(r.cursor == last);

    /* Redis down: the same answer from MySQL (after Redis's command timeout). */
    wsc_store *hy = open_store(ts, NULL, &(wsc_hybrid_config){false, 100, 100});
    assert_int_equal(tstore_services("stop-redis"), 0);
    fetch(ts, hy, uid, 0, 10, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(tstore_services("start-redis"), 0);
    wsc_store_close(hy);
    wsc_store_close(redis);
}

/* Some messages were stored while Redis was down (MySQL only) and Redis still holds older ones
 * of the user: the replay must not stop at Redis's subset. */
static void
test_hybrid__fetch_prefers_mysql_when_it_holds_more(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "subset");
    assert_int_equal(store_one(ts, ts->store, uid, "s0"), WSC_OK); /* both */
    wsc_store *mysql = open_store(ts, getenv("WSC_TEST_MYSQL_URL"), NULL);
    assert_int_equal(store_one(ts, mysql, uid, "s1"), WSC_OK); /* as if Redis was down */
    assert_int_equal(store_one(ts, mysql, uid, "s2"), WSC_OK);
    tres r;
    fetch(ts, ts->store, uid, 0, 10, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.mids[0], "s0");
    assert_string_equal(r.mids[2], "s2");
    assert_true((r.cursor & WSC__HYB_MYSQL_CURSOR) != 0);
    /* Redis holding as many (or more): its page is used. */
    assert_int_equal(remove_one(ts, mysql, uid, "s1"), WSC_OK);
    assert_int_equal(remove_one(ts, mysql, uid, "s2"), WSC_OK);
    fetch(ts, ts->store, uid, 0, 10, &r);
    assert_int_equal(r.n, 1);
    assert_true((r.cursor & WSC__HYB_MYSQL_CURSOR) == 0);
    wsc_store_close(mysql);
}

static void
test_hybrid__remove_takes_both_copies(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "both");
    assert_int_equal(store_one(ts, ts->store, uid, "b1"), WSC_OK);
    assert_int_equal(store_one(ts, ts->store, uid, "b2"), WSC_OK);
    assert_int_equal(remove_one(ts, ts->store, uid, "b1"), WSC_OK);
    assert_int_equal(remove_one(ts, ts->store, uid, "b1"), WSC_ERR_NOT_FOUND);
    const char *urls[] = {getenv("WSC_TEST_REDIS_URL"), getenv("WSC_TEST_MYSQL_URL")};
    for (int i = 0; i < 2; i++) {
        wsc_store *plain = open_store(ts, urls[i], NULL);
        tres r;
        fetch(ts, plain, uid, 0, 10, &r);
        assert_int_equal(r.status, WSC_OK);
        assert_int_equal(r.n, 1);
        assert_string_equal(r.mids[0], "b2");
        wsc_store_close(plain);
    }
    tres r = {0};
    assert_int_equal(wsc_offline_count(wsc_store_offline(ts->store), uid, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.count, 1);
}

/* The pending list's store of mid for uid, then the body's read: the message is there; its
 * epoch is returned. */
static uint64_t
mark_and_read(tstore *ts, wsc_store *redis, const char *uid, const char *mid, char *key)
{
    const struct wsc__pending_ops *p = redis->ops->pending;
    wsc_msg *m = tstore_msg(mid, mid);
    assert_int_equal(wsc_msg_key_of(m, key, WSC_MSG_KEY_MAX), WSC_OK);
    tres r = {0};
    assert_int_equal(p->store(redis, uid, m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    memset(&r, 0, sizeof(r));
    assert_int_equal(p->body(redis, uid, key, tres_fetch, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 1);
    return r.cursor;
}

/* The pending list's "done" of the 's' marker of key: 1 (copy there), 0 (ACKed), 2 (lost). */
static uint64_t
marker_done(tstore *ts, wsc_store *redis, const char *uid, const char *key, uint64_t epoch)
{
    tres r = {0};
    assert_int_equal(redis->ops->pending->done(redis, 's', uid, key, epoch, tres_count, &r),
                     WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    return r.count;
}

/* The drain writes a marked copy to MySQL, then asks whether the copy is still in Redis: "no"
 * means an ACK removed it meanwhile, and the row just written goes too.  A Redis that lost the
 * user in between (a restart without persistence) must not pass for an ACK, or the drain
 * deletes the only copy left: the user's epoch tells the two apart. */
static void
test_hybrid__copy_lost_by_redis_is_not_an_ack(void **state)
{
    tstore *ts = tstore_get(state);
    wsc_store *redis = open_store(ts, getenv("WSC_TEST_REDIS_URL"), NULL);
    const char *uid = tstore_id(ts, "epoch");
    char k0[WSC_MSG_KEY_MAX], k1[WSC_MSG_KEY_MAX];
    uint64_t e0 = mark_and_read(ts, redis, uid, "x0", k0);
    assert_true(e0 != 0);
    assert_int_equal(remove_one(ts, redis, uid, k0), WSC_OK); /* the ACK */
    assert_int_equal(marker_done(ts, redis, uid, k0, e0), 0);
    uint64_t e1 = mark_and_read(ts, redis, uid, "x1", k1);
    assert_true(e1 == e0); /* removals keep the epoch */
    assert_int_equal(tstore_services("restart-redis"), 0);
    /* Gone with the restart, and the user's keys with it: not an ACK. */
    tres r = {.status = WSC_ERR_STORE};
    for (int i = 0; i < 100 && r.status != WSC_OK; i++) { /* until the store has reconnected */
        memset(&r, 0, sizeof(r));
        assert_int_equal(redis->ops->pending->done(redis, 's', uid, k1, e1, tres_count, &r),
                         WSC_OK);
        tstore_wait(ts, &r);
    }
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 2);
    /* A store after the restart makes a new epoch: still not an ACK of what was lost. */
    assert_int_equal(store_one(ts, redis, uid, "x2"), WSC_OK);
    assert_int_equal(marker_done(ts, redis, uid, k1, e1), 2);
    char k2[WSC_MSG_KEY_MAX];
    uint64_t e2 = mark_and_read(ts, redis, uid, "x2", k2);
    assert_true(e2 != e1);
    assert_int_equal(marker_done(ts, redis, uid, k2, e2), 1); /* still there */
    wsc_store_close(redis);
}

/* On a Redis Cluster the Redis half of a store is two round trips (the marker, on the node of
 * the write-ahead list, then the message, on the user's node); MySQL may answer first.  The
 * store's answer waits for that half: a clear issued on the answer finds the message in Redis
 * and takes it, rather than running before it lands (the copy would then outlive the clear,
 * or an ACK).  The cluster holds every command 300 ms so that MySQL surely answers first. */
static void
test_hybrid__answer_waits_for_the_redis_half(void **state)
{
    tstore *ts = tstore_get(state);
    const char *cluster = getenv("WSC_TEST_REDIS_CLUSTER_URL");
    if (cluster == NULL || cluster[0] == '\0') {
        tstore_skip();
        return;
    }
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    wsc_hybrid_config hc;
    wsc_hybrid_config_init(&hc);
    wsc_store *s = NULL;
    assert_int_equal(
        wsc_store_open_hybrid(ts->loop, cluster, getenv("WSC_TEST_MYSQL_URL"), &cfg, &hc, &s),
        WSC_OK);
    const char *uid = tstore_id(ts, "paused");
    assert_int_equal(store_one(ts, s, uid, "p0"), WSC_OK); /* both sides connected */
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s pause-cluster %s 300 >/dev/null 2>&1",
             getenv("WSC_SERVICES_SCRIPT"), getenv("WSC_SERVICES_DIR"));
    assert_int_equal(system(cmd), 0);
    assert_int_equal(store_one(ts, s, uid, "p1"), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_clear(wsc_store_offline(s), uid, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    twait_for(NULL, ts->loop, 300); /* a late Redis half would land now */
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_offline_count(wsc_store_offline(s), uid, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 0);
    wsc_store_close(s);
}

/* A plain connection to WSC_TEST_REDIS_URL (redis://:password@host:port/0). */
static redisContext *
redis_raw(void)
{
    char pass[64], host[64];
    int port;
    assert_int_equal(
        sscanf(getenv("WSC_TEST_REDIS_URL"), "redis://:%63[^@]@%63[^:]:%d", pass, host, &port), 3);
    redisContext *c = redisConnect(host, port);
    assert_true(c != NULL && c->err == 0);
    redisReply *r = redisCommand(c, "AUTH %s", pass);
    assert_true(r != NULL && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    return c;
}

struct marker_gone {
    redisContext *c;
    const char *marker;
};

static bool
marker_gone(void *arg)
{
    struct marker_gone *g = arg;
    redisReply *r = redisCommand(g->c, "ZSCORE wsc:hyb:pend %s", g->marker);
    assert_non_null(r);
    bool gone = r->type == REDIS_REPLY_NIL;
    freeReplyObject(r);
    return gone;
}

/* Entries of the write-ahead list that are no markers (left by hand, or by another version)
 * and older than every marker must not fill each turn's page: they are dropped, and the
 * markers behind them are drained. */
static void
test_hybrid__entries_that_are_no_markers_do_not_hold_the_drain(void **state)
{
    tstore *ts = tstore_get(state);
    /* The fixture's own hybrid store would drain the list with its larger page: only ours. */
    wsc_store_close(ts->store);
    ts->store = NULL;
    redisContext *c = redis_raw();
    char junk[2][96];
    for (int i = 0; i < 2; i++) {
        snprintf(junk[i], sizeof(junk[i]), "%s junk-%s-%d", i ? "s" : "x", ts->run, i);
        redisReply *r = redisCommand(c, "ZADD wsc:hyb:pend 1 %s", junk[i]);
        assert_true(r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
        freeReplyObject(r);
    }
    /* A message owed to MySQL: in Redis with its marker (as when MySQL was down). */
    wsc_store *redis = open_store(ts, getenv("WSC_TEST_REDIS_URL"), NULL);
    const char *uid = tstore_id(ts, "behind");
    char key[WSC_MSG_KEY_MAX], marker[WSC_MSG_KEY_MAX + 300];
    mark_and_read(ts, redis, uid, "b0", key);
    wsc_store_close(redis);
    snprintf(marker, sizeof(marker), "s %s %s", uid, key);
    wsc_hybrid_config hc;
    wsc_hybrid_config_init(&hc);
    hc.drain_batch = 2;
    hc.retry_ms = 100;
    wsc_store *s = open_store(ts, NULL, &hc);
    struct marker_gone g = {c, marker};
    assert_false(marker_gone(&g)); /* drained once older than the command timeout */
    assert_true(tstore_until(ts, marker_gone, &g, 6000));
    tres r;
    fetch(ts, s, uid, 0, 10, &r); /* MySQL has it (read through the hybrid: Redis first) */
    assert_int_equal(r.n, 1);
    for (int i = 0; i < 2; i++) {
        g.marker = junk[i];
        assert_true(marker_gone(&g));
    }
    wsc_store_close(s);
    redisFree(c);
}

/* ---- the drain against a scripted Redis (tests/support/tfakeredis.h) ---- */

/* Redis holding one 's' marker and its copy; the check that follows the marker's removal is
 * left unanswered (silent mode) for the test to answer. */
struct scripted {
    tfakeredis f;
    char list[128], body[256];
    bool dropped;   /* the marker's ZREM came: it is listed no more */
    int still_conn; /* the connection the check came on (-1: not yet) */
};

static const char *
scripted_reply(tfakeredis *f, int argc, char argv[][64], void *user)
{
    struct scripted *sc = user;
    if (strcmp(argv[0], "ZRANGEBYSCORE") == 0)
        return sc->dropped ? "*0\r\n" : sc->list;
    if (strcmp(argv[0], "ZREM") == 0) {
        sc->dropped = true;
        return ":1\r\n";
    }
    if (strcmp(argv[0], "EVAL") == 0 && argc >= 4 &&
        strncmp(argv[1], "return {redis.call('HGET'", 25) == 0)
        return sc->body;
    if (strcmp(argv[0], "EVAL") == 0 && argc >= 4 &&
        strncmp(argv[1], "if redis.call('HEXISTS'", 23) == 0) {
        sc->still_conn = f->cur;
        return NULL;
    }
    return "*0\r\n";
}

struct pumped {
    struct scripted *sc;
    struct poll *p; /* or NULL: until the check came */
};

static bool
pumped_until(void *arg)
{
    struct pumped *pu = arg;
    tfakeredis_pump(&pu->sc->f);
    return pu->p != NULL ? mysql_holds(pu->p) : pu->sc->still_conn >= 0;
}

/* The drain wrote a copy to MySQL; when dropping its marker it finds the copy gone from Redis
 * with the user's epoch unchanged (an ACK removed it meanwhile): the row just written is
 * removed again, so no copy outlives its ACK.  Still there: the row stays. */
static void
test_hybrid__drain_undoes_a_write_an_ack_overtook(void **state)
{
    tstore *ts = tstore_get(state);
    wsc_store *my = open_store(ts, getenv("WSC_TEST_MYSQL_URL"), NULL);
    for (int acked = 0; acked < 2; acked++) {
        const char *uid = tstore_id(ts, acked ? "overtaken" : "kept");
        struct scripted *sc = calloc(1, sizeof(*sc));
        assert_non_null(sc);
        sc->still_conn = -1;
        char marker[96];
        snprintf(marker, sizeof(marker), "s %s m1", uid);
        snprintf(sc->list, sizeof(sc->list), "*1\r\n$%zu\r\n%s\r\n", strlen(marker), marker);
        const char *copy = "9999999999999 {\"type\":\"text\",\"message_id\":\"m1\"}";
        snprintf(sc->body, sizeof(sc->body), "*2\r\n$%zu\r\n%s\r\n$1\r\n0\r\n", strlen(copy), copy);
        tfakeredis_start(&sc->f);
        sc->f.reply = scripted_reply;
        sc->f.user = sc;
        sc->f.mode = TFAKEREDIS_SILENT;
        char url[64];
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", sc->f.port);
        wsc_store_config cfg;
        wsc_store_config_init(&cfg);
        cfg.command_timeout_ms = 2000;
        wsc_hybrid_config hc;
        wsc_hybrid_config_init(&hc);
        hc.retry_ms = 50;
        wsc_store *s = NULL;
        assert_int_equal(
            wsc_store_open_hybrid(ts->loop, url, getenv("WSC_TEST_MYSQL_URL"), &cfg, &hc, &s),
            WSC_OK);
        /* Written to MySQL, the marker dropped, the check out. */
        struct pumped pu = {sc, NULL};
        assert_true(tstore_until(ts, pumped_until, &pu, 5000));
        struct poll p = {.s = my, .uid = uid, .first = "m1", .want = 1};
        pu.p = &p;
        assert_true(tstore_until(ts, pumped_until, &pu, 5000));
        tfakeredis_send(&sc->f, sc->still_conn, acked ? ":0\r\n" : ":1\r\n");
        if (acked) {
            struct poll q = {.s = my, .uid = uid, .first = "m1", .want = 0};
            pu.p = &q;
            assert_true(tstore_until(ts, pumped_until, &pu, 5000));
        }
        wsc_store_close(s);
        wsc_loop_run_once(ts->loop, 1);
        tfakeredis_stop(&sc->f);
        free(sc);
    }
    wsc_store_close(my);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hybrid__remove_takes_both_copies),
        cmocka_unit_test(test_hybrid__copy_lost_by_redis_is_not_an_ack),
        cmocka_unit_test(test_hybrid__fetch_falls_back_to_mysql),
        cmocka_unit_test(test_hybrid__fetch_prefers_mysql_when_it_holds_more),
        cmocka_unit_test(test_hybrid__mysql_down_messages_wait_in_redis),
        cmocka_unit_test(test_hybrid__answer_waits_for_the_redis_half),
        cmocka_unit_test(test_hybrid__entries_that_are_no_markers_do_not_hold_the_drain),
        cmocka_unit_test(test_hybrid__drain_undoes_a_write_an_ack_overtook),
    };
    return tstore_exit(
        cmocka_run_group_tests_name("repository.hybrid.hybrid", tests, setup, tstore_teardown),
        sizeof(tests) / sizeof(tests[0]));
}
