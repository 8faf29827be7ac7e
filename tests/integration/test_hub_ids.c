/* SPDX-License-Identifier: MIT */
/* The ids a hub assigns cannot be predicted: message ids "<node_id>-<seq>-<tag>", client ids
 * "c-<tag>" and default node ids "node-<tag>" carry a 64-bit tag keyed per hub from the
 * kernel's CSPRNG.  Two hubs with the same node id, or one hub restarted, give other ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thub.h"
#include "tjson.h"

#define N_IDS 64

struct ids {
    char node[128];
    char client[N_IDS][64];
    char msg[N_IDS][128];
};

/* The value of 13 base-36 digits (asserting that is what s is). */
static uint64_t
tag_value(const char *s)
{
    assert_int_equal(strlen(s), 13);
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        const char *digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        const char *d = strchr(digits, *p);
        assert_non_null(d);
        uint64_t digit = (uint64_t)(d - digits);
        assert_true(v <= (UINT64_MAX - digit) / 36); /* fits 64 bits */
        v = v * 36 + digit;
    }
    return v;
}

/* The tag of a message id "<node>-<seq>-<tag>" of a hub named node. */
static uint64_t
msg_tag(const char *id, const char *node)
{
    size_t n = strlen(node);
    assert_int_equal(strncmp(id, node, n), 0);
    assert_int_equal(id[n], '-');
    const char *dash = strrchr(id, '-');
    assert_true(dash > id + n + 1);
    return tag_value(dash + 1);
}

static uint64_t
client_tag(const char *cid)
{
    assert_int_equal(strncmp(cid, "c-", 2), 0);
    return tag_value(cid + 2);
}

/* Runs a hub (node_id as given, NULL for the default), opens N_IDS connections of "u" and
 * has each send one message to "sink": records the client ids and message ids it assigned. */
static void
collect(const char *node_id, struct ids *out)
{
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.node_id = node_id;
    cfg.max_conns_per_user = 0;
    thub_start(&t, &cfg);
    snprintf(out->node, sizeof(out->node), "%s", wsc_hub_node_id(t.hub));
    tws *sink = thub_open(&t, "sink", NULL);
    for (int i = 0; i < N_IDS; i++) {
        tws *c = thub_ws(&t, "/ws?user_id=u", NULL);
        assert_true(thub_settle(&t, c));
        json_t *j = thub_recv_type(&t, c, "connected", 3000);
        snprintf(out->client[i], sizeof(out->client[i]), "%s", tjson_str(j, "data.client_id"));
        json_decref(j);
        thub_send(c, "{\"receiver\":\"sink\"}");
        j = thub_recv_type(&t, sink, "text", 3000);
        snprintf(out->msg[i], sizeof(out->msg[i]), "%s", tjson_str(j, "id"));
        assert_string_equal(tjson_str(j, "message_id"), out->msg[i]);
        json_decref(j);
    }
    thub_free(&t);
}

/* Every one of the 64 bits of the tags takes both values: 64 bits vary, none is fixed or a
 * counter's high bits.  (A fair bit stays the same in all 64 samples with chance 2^-63.) */
static void
assert_64_varying_bits(const uint64_t *tags, size_t n)
{
    uint64_t ones = 0, zeros = 0;
    for (size_t i = 0; i < n; i++) {
        ones |= tags[i];
        zeros |= ~tags[i];
    }
    assert_true(ones == UINT64_MAX);
    assert_true(zeros == UINT64_MAX);
}

static void
test_hub_ids__unpredictable_across_hubs(void **state)
{
    (void)state;
    struct ids *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    collect("n1", a); /* two hubs with the same node id and the same sequence ... */
    collect("n1", b);
    uint64_t tags[N_IDS], ctags[N_IDS];
    for (int i = 0; i < N_IDS; i++) {
        assert_string_not_equal(a->msg[i], b->msg[i]); /* ... give other ids */
        assert_string_not_equal(a->client[i], b->client[i]);
        tags[i] = msg_tag(a->msg[i], "n1");
        ctags[i] = client_tag(a->client[i]);
        assert_true(tags[i] != msg_tag(b->msg[i], "n1"));
        for (int k = 0; k < i; k++) {
            assert_string_not_equal(a->msg[i], a->msg[k]);
            assert_string_not_equal(a->client[i], a->client[k]);
        }
    }
    assert_64_varying_bits(tags, N_IDS);
    assert_64_varying_bits(ctags, N_IDS);
    free(a);
    free(b);
}

static void
test_hub_ids__default_node_id_is_random(void **state)
{
    (void)state;
    struct ids *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    collect(NULL, a); /* a restart: same process, same config */
    collect(NULL, b);
    assert_int_equal(strncmp(a->node, "node-", 5), 0);
    assert_true(tag_value(a->node + 5) != tag_value(b->node + 5));
    msg_tag(a->msg[0], a->node);
    msg_tag(b->msg[0], b->node);
    free(a);
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_ids__unpredictable_across_hubs),
        cmocka_unit_test(test_hub_ids__default_node_id_is_random),
    };
    return cmocka_run_group_tests_name("integration.hub_ids", tests, NULL, NULL);
}
