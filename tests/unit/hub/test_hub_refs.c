/* SPDX-License-Identifier: MIT */
/* Message references the hub takes and drops in bulk on the loop thread (hub_refs.c): drops
 * wait until another message comes along or the pass ends, a take cancels a waiting drop, and
 * the count in memory never falls below the references held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hub/hub_internal.h"
#include "models/msg_internal.h"

static wsc_msg *
mk(void)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "hello"), WSC_OK);
    return m;
}

static void
test_hub_refs__drops_wait_for_the_end_of_the_pass(void **state)
{
    (void)state;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    struct wsc__hub_refs r;
    wsc__hub_refs_init(&r, loop);
    wsc_msg *m = mk(); /* the test's own reference */
    wsc__hub_ref(&r, m);
    wsc__hub_ref(&r, m);
    assert_int_equal(wsc__msg_refs(m), 3);
    wsc__hub_unref(&r, m);
    wsc__hub_unref(&r, m);
    assert_int_equal(wsc__msg_refs(m), 3); /* both drops wait */
    wsc__hub_ref(&r, m);                   /* cancels one: no atomic step */
    assert_int_equal(wsc__msg_refs(m), 3);
    wsc__hub_unref(&r, m);
    /* The end of the pass drops the two that wait, in one step. */
    wsc_loop_run_once(loop, 0);
    assert_int_equal(wsc__msg_refs(m), 1);
    assert_null(r.msg);
    /* With nothing waiting, a take is a real one. */
    wsc__hub_ref(&r, m);
    assert_int_equal(wsc__msg_refs(m), 2);
    wsc__hub_unref(&r, m);
    wsc_msg_unref(m); /* the test lets go first: the hub's waiting drop frees it (ASan) */
    wsc_loop_run_once(loop, 0);
    assert_null(r.msg);
    wsc_loop_free(loop);
}

static void
test_hub_refs__another_message_flushes_the_first(void **state)
{
    (void)state;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    struct wsc__hub_refs r;
    wsc__hub_refs_init(&r, loop);
    wsc_msg *a = mk(), *b = mk();
    wsc__hub_ref(&r, a);
    wsc__hub_ref(&r, b);
    wsc__hub_unref(&r, a);
    assert_int_equal(wsc__msg_refs(a), 2);
    wsc__hub_unref(&r, b); /* a's drop is made now */
    assert_int_equal(wsc__msg_refs(a), 1);
    assert_int_equal(wsc__msg_refs(b), 2);
    wsc__hub_ref(&r, a); /* not the waiting message: a real take */
    assert_int_equal(wsc__msg_refs(a), 2);
    wsc__hub_unref(&r, a);
    assert_int_equal(wsc__msg_refs(b), 1);
    /* An explicit flush (hub free) drops what waits and takes it off the loop's end of pass. */
    wsc__hub_refs_flush(&r);
    assert_int_equal(wsc__msg_refs(a), 1);
    assert_false(r.soon.queued);
    wsc_msg_unref(a);
    wsc_msg_unref(b);
    wsc_loop_free(loop);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_refs__drops_wait_for_the_end_of_the_pass),
        cmocka_unit_test(test_hub_refs__another_message_flushes_the_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
