/* SPDX-License-Identifier: MIT */
/* The Redis side of the hybrid store's write-ahead list (src/repository/pending.h,
 * redis/redis_pending.c) on a fake Redis (tests/support/tfakeredis.h).  pending.h promises:
 * parse splits "<op> <escaped user> <message_id>" and refuses anything else; body answers one
 * message or none (gone or expired: count 0) with the user's epoch as the cursor, and a reply
 * of the wrong shape is WSC_ERR_STORE, never a made-up message; done's two steps report the
 * first one's error; every op refuses bad arguments with WSC_ERR_INVALID, before any request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/store.h>

#include "repository/pending.h"
#include "repository/store_internal.h"
#include "tfakeredis.h"
#include "tstore.h"
#include "twait.h"

struct fixture {
    wsc_loop *loop;
    wsc_store *store;
    const struct wsc__pending_ops *p;
    tfakeredis f;
};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || wsc_loop_new(&fx->loop) != WSC_OK)
        return -1;
    tfakeredis_start(&fx->f);
    if (tfakeredis_open_store(&fx->f, fx->loop, 1000, &fx->store) != WSC_OK)
        return -1;
    fx->p = fx->store->ops->pending;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    tfakeredis_close_store(&fx->f, fx->loop, fx->store);
    wsc_loop_free(fx->loop);
    free(fx);
    return 0;
}

static void
wait_one(struct fixture *fx, tres *r)
{
    tfakeredis_wait_one(&fx->f, fx->loop, r);
}

static void
test_redis_pending_fake__parse_takes_markers_only(void **state)
{
    struct fixture *fx = *state;
    char op, uid[256];
    const char *mid;
    assert_true(fx->p->parse("s u1 m 1", &op, uid, &mid));
    assert_int_equal(op, 's');
    assert_string_equal(uid, "u1");
    assert_string_equal(mid, "m 1"); /* the rest is the message's key, spaces and all */
    assert_true(fx->p->parse("r a%20b%3Ac x", &op, uid, &mid));
    assert_int_equal(op, 'r');
    assert_string_equal(uid, "a b:c"); /* unescaped */
    assert_string_equal(mid, "x");
    static const char *const not_markers[] = {
        "", "s", "x u m", "su m", "s  m", "s u", "s u ", "s %4 m", "s %zz m", "s %4z m",
    };
    for (size_t i = 0; i < sizeof(not_markers) / sizeof(not_markers[0]); i++)
        if (fx->p->parse(not_markers[i], &op, uid, &mid))
            fail_msg("\"%s\" taken for a marker", not_markers[i]);
    /* A user id of 255 bytes is the longest; one more byte is no marker. */
    char m[600];
    memset(m, 0, sizeof(m));
    m[0] = 's';
    m[1] = ' ';
    memset(m + 2, 'u', 255);
    strcat(m, " mid");
    assert_true(fx->p->parse(m, &op, uid, &mid));
    assert_int_equal(strlen(uid), 255);
    m[2 + 255] = 'u';
    strcpy(m + 2 + 256, " mid");
    assert_false(fx->p->parse(m, &op, uid, &mid));
}

static void
test_redis_pending_fake__bad_arguments_are_refused(void **state)
{
    struct fixture *fx = *state;
    const struct wsc__pending_ops *p = fx->p;
    tres r = {0};
    wsc_msg *msg = tstore_msg("m", "x");
    assert_int_equal(p->store(fx->store, "", msg, tres_done, &r), WSC_ERR_INVALID);
    wsc_msg_unref(msg);
    assert_int_equal(p->mark_remove(fx->store, "u", "", tres_done, &r), WSC_ERR_INVALID);
    assert_int_equal(p->mark_remove(fx->store, NULL, "m", tres_done, &r), WSC_ERR_INVALID);
    assert_int_equal(p->list(fx->store, 0, 0, tres_ids, &r), WSC_ERR_INVALID);
    assert_int_equal(p->list(fx->store, 0, 1001, tres_ids, &r), WSC_ERR_INVALID);
    assert_int_equal(p->body(fx->store, "u", "", tres_fetch, &r), WSC_ERR_INVALID);
    assert_int_equal(p->done(fx->store, 'x', "u", "m", 0, tres_count, &r), WSC_ERR_INVALID);
    assert_int_equal(p->done(fx->store, 's', "", "m", 0, tres_count, &r), WSC_ERR_INVALID);
    assert_int_equal(p->forget(fx->store, NULL, tres_done, &r), WSC_ERR_INVALID);
    wsc_loop_run_once(fx->loop, 1);
    assert_int_equal(r.calls, 0);
    assert_int_equal(fx->f.commands, 0);
}

static void
body(struct fixture *fx, const char *reply, tres *r)
{
    fx->f.canned = reply;
    memset(r, 0, sizeof(*r));
    assert_int_equal(fx->p->body(fx->store, "u", "m", tres_fetch, r), WSC_OK);
    wait_one(fx, r);
}

static void
test_redis_pending_fake__body_of_every_shape(void **state)
{
    struct fixture *fx = *state;
    tres r;
    body(fx, "*2\r\n$0\r\n\r\n$2\r\n42\r\n", &r); /* gone */
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.cursor, 42);
    body(fx, "*2\r\n$4\r\n1 {}\r\n$1\r\n7\r\n", &r); /* expired long ago: as good as gone */
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.cursor, 7);
    static const char *const wrong[] = {
        "+OK\r\n",                                             /* no array */
        "*1\r\n$0\r\n\r\n",                                    /* one element */
        "*2\r\n:1\r\n$1\r\n0\r\n",                             /* a copy that is no string */
        "*2\r\n$0\r\n\r\n:0\r\n",                              /* an epoch that is no string */
        "*2\r\n$5\r\nnoSpc\r\n$1\r\n1\r\n",                    /* no expiry before the copy */
        "*2\r\n$23\r\n99999999999999 not-json\r\n$1\r\n1\r\n", /* a copy that does not parse */
    };
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        body(fx, wrong[i], &r);
        if (r.status != WSC_ERR_STORE || r.n != 0)
            fail_msg("reply %zu: %s with %zu messages", i, wsc_err_name(r.status), r.n);
    }
    /* A live copy. */
    wsc_msg *m = tstore_msg("m", "live");
    wsc_buf json = {0};
    assert_int_equal(wsc_msg_to_json(m, &json), WSC_OK);
    wsc_msg_unref(m);
    char copy[512], reply[640];
    snprintf(copy, sizeof(copy), "99999999999999 %s", json.data);
    snprintf(reply, sizeof(reply), "*2\r\n$%zu\r\n%s\r\n$1\r\n5\r\n", strlen(copy), copy);
    wsc_buf_free(&json);
    body(fx, reply, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.mids[0], "m");
    assert_int_equal(r.cursor, 5);
}

static void
test_redis_pending_fake__done_reports_the_first_step_failing(void **state)
{
    struct fixture *fx = *state;
    fx->f.canned = "-ERR no ZREM today\r\n";
    tres r = {0};
    assert_int_equal(fx->p->done(fx->store, 's', "u", "m", 1, tres_count, &r), WSC_OK);
    wait_one(fx, &r);
    assert_int_equal(r.status, WSC_ERR_STORE);
    assert_int_equal(fx->f.commands, 1); /* the second step was not sent */
    /* Both steps answered: the second one's count. */
    fx->f.canned = ":2\r\n";
    memset(&r, 0, sizeof(r));
    assert_int_equal(fx->p->done(fx->store, 'r', "u", "m", 1, tres_count, &r), WSC_OK);
    wait_one(fx, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 2);
    assert_int_equal(fx->f.commands, 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_pending_fake__parse_takes_markers_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redis_pending_fake__bad_arguments_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redis_pending_fake__body_of_every_shape, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_redis_pending_fake__done_reports_the_first_step_failing, setup, teardown),
    };
    return cmocka_run_group_tests_name("unit.repository.redis_pending_fake", tests, NULL, NULL);
}
