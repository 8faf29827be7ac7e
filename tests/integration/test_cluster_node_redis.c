/* SPDX-License-Identifier: MIT */
/* examples/cluster-node.c does what docs/cluster.md says (label redis; skipped without
 * WSC_TEST_REDIS_URL and WSC_CLUSTER_NODE_BIN): two of its processes on one Redis act as one
 * hub.  alice on the first reaches bob on the second, and a message to "lobby" (every user
 * joins it on connect, the membership shared through Redis) reaches bob from the first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "thubproc.h"
#include "tjson.h"
#include "tstore.h"
#include "twait.h"
#include "tws.h"

#define WAIT_MS 15000

static char tag[32];
static char url6[512]; /* a database of its own (the node registry is per database) */

static tws *
client(twait_set *ts, int port, const char *user)
{
    char path[128];
    snprintf(path, sizeof(path), "/ws?user_id=%s-%s", tag, user);
    tws *c = tws_connect(port, path, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(twait_add_ws(ts, c), 0);
    twait_count one = {c, 1};
    assert_true(twait_until(ts, NULL, twait_has_messages, &one, WAIT_MS));
    assert_true(tws_next(c, NULL, NULL, NULL)); /* connected */
    return c;
}

static void
expect(twait_set *ts, tws *c, const char *content)
{
    twait_count one = {c, 1};
    assert_true(twait_until(ts, NULL, twait_has_messages, &one, WAIT_MS));
    char *data = NULL;
    assert_true(tws_next(c, NULL, &data, NULL));
    json_t *j = tjson_parse(data);
    assert_string_equal(tjson_str(j, "content"), content);
    json_decref(j);
    free(data);
}

static void
test_two_processes_one_hub(void **state)
{
    (void)state;
    thubproc node[2];
    char port[2][16];
    for (int i = 0; i < 2; i++) {
        node[i].port = thubproc_free_port();
        snprintf(port[i], sizeof(port[i]), "%d", node[i].port);
        const char *args[] = {port[i], url6, NULL};
        assert_int_equal(thubproc_start(&node[i], node[i].port, args, WAIT_MS), 0);
    }
    twait_set *ts = twait_set_new();
    tws *bob = client(ts, node[1].port, "bob");
    tws *alice = client(ts, node[0].port, "alice");
    char frame[256];
    snprintf(frame, sizeof(frame), "{\"receiver\":\"%s-bob\",\"content\":\"hi\"}", tag);
    assert_int_equal(tws_send_text(alice, frame, strlen(frame)), 0);
    expect(ts, bob, "hi");
    /* alice's own lobby membership is shared once her node has written it: poll with a
     * message until bob's node knows her as a member (it refuses "forbidden" until then). */
    const char *lobby = "{\"group_ids\":[\"lobby\"],\"content\":\"to lobby\"}";
    bool got = false;
    for (int tries = 0; tries < 50 && !got; tries++) {
        assert_int_equal(tws_send_text(alice, lobby, strlen(lobby)), 0);
        twait_count one = {bob, 1};
        got = twait_until(ts, NULL, twait_has_messages, &one, 200);
        while (tws_next(alice, NULL, NULL, NULL)) {
        }
    }
    assert_true(got);
    expect(ts, bob, "to lobby");
    twait_set_free_all(ts);
    for (int i = 0; i < 2; i++)
        assert_int_equal(thubproc_stop(&node[i], 10000), 0);
}

/* A hub on another database of the same Redis server is another cluster: Redis shares
 * channels between databases, so the bus keeps them apart. */
static void
test_other_database_other_cluster(void **state)
{
    (void)state;
    const char *url = url6;
    char other[512];
    assert_non_null(tstore_redis_db_url(7, other, sizeof(other)));
    thubproc node[2];
    char port[2][16];
    const char *urls[2] = {url, other};
    for (int i = 0; i < 2; i++) {
        node[i].port = thubproc_free_port();
        snprintf(port[i], sizeof(port[i]), "%d", node[i].port);
        const char *args[] = {port[i], urls[i], NULL};
        assert_int_equal(thubproc_start(&node[i], node[i].port, args, WAIT_MS), 0);
    }
    twait_set *ts = twait_set_new();
    tws *bob = client(ts, node[1].port, "bob2");
    tws *alice = client(ts, node[0].port, "alice2");
    char frame[256];
    snprintf(frame, sizeof(frame), "{\"receiver\":\"%s-bob2\",\"content\":\"x\"}", tag);
    assert_int_equal(tws_send_text(alice, frame, strlen(frame)), 0);
    twait_count one = {alice, 1};
    assert_true(twait_until(ts, NULL, twait_has_messages, &one, WAIT_MS));
    char *data = NULL;
    assert_true(tws_next(alice, NULL, &data, NULL));
    assert_non_null(strstr(data, "unknown_receiver"));
    free(data);
    assert_int_equal(tws_pending(bob), 0);
    twait_set_free_all(ts);
    for (int i = 0; i < 2; i++)
        assert_int_equal(thubproc_stop(&node[i], 10000), 0);
}

int
main(void)
{
    if (getenv("WSC_TEST_REDIS_URL") == NULL || getenv("WSC_HUB_BIN") == NULL) {
        fprintf(stderr, "skipped: needs WSC_TEST_REDIS_URL and WSC_HUB_BIN (cluster-node)\n");
        return 77;
    }
    snprintf(tag, sizeof(tag), "p%ld", (long)getpid());
    if (tstore_redis_db_url(6, url6, sizeof(url6)) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_two_processes_one_hub),
                                       cmocka_unit_test(test_other_database_other_cluster)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
