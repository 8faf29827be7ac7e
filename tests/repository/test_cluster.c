/* SPDX-License-Identifier: MIT */
/* The Redis Cluster store follows the cluster when a slot moves (repository.cluster.
 * redis_cluster; label redis; runs on the redis+cluster:// store of
 * WSC_TEST_REDIS_CLUSTER_URL and needs scripts/services.sh's cluster): a user's offline
 * messages, stored before their slot moved to another master, are read after the move (the
 * store's map is stale: the old master answers MOVED, the store updates its map and asks the
 * new one), and stores go on in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repository/redis/redis_internal.h"
#include "tstore.h"

static struct wsc_offline_repo *
repo(tstore *ts)
{
    return wsc_store_offline(ts->store);
}

static void
store_one(tstore *ts, const char *uid, const char *mid)
{
    wsc_msg *m = tstore_msg(mid, "moved");
    tres r = {0};
    assert_int_equal(wsc_offline_store(repo(ts), uid, m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
}

/* Moves uid's slot (its keys share the tag {uid}) to another master. */
static void
move_slot_of(const char *uid)
{
    char esc[3 * 256 + 1], cmd[1024];
    wsc__rs_escape(uid, esc);
    int slot = wsc__rs_slot(esc, strlen(esc));
    snprintf(cmd, sizeof(cmd), "%s move-slot %s %d >/dev/null 2>&1", getenv("WSC_SERVICES_SCRIPT"),
             getenv("WSC_SERVICES_DIR"), slot);
    assert_int_equal(system(cmd), 0);
}

static void
test_cluster__moved_slot_is_followed(void **state)
{
    tstore *ts = tstore_get(state);
    if (getenv("WSC_SERVICES_SCRIPT") == NULL || getenv("WSC_SERVICES_DIR") == NULL) {
        tstore_skip();
        return;
    }
    const char *uid = tstore_id(ts, "mover");
    store_one(ts, uid, "a1");
    store_one(ts, uid, "a2");
    move_slot_of(uid);
    tres r = {0};
    assert_int_equal(wsc_offline_fetch(repo(ts), uid, 0, 10, tres_fetch, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.mids[0], "a1");
    assert_string_equal(r.mids[1], "a2");
    store_one(ts, uid, "a3");
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_offline_count(repo(ts), uid, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 3);
    /* Moved back: the map follows again. */
    move_slot_of(uid);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_offline_remove(repo(ts), uid, "a1", tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster__moved_slot_is_followed),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.cluster.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
