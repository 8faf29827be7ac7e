/* SPDX-License-Identifier: MIT */
/* The failure policy: an error's kind, the default action, the application's handler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "handler/failure_handlers.h"

struct seen {
    int calls;
    wsc_failure_kind kind;
    wsc_failure_action preset;
    wsc_hub *hub;
};

static void
drop_it(wsc_hub *hub, const wsc_failure *f, wsc_failure_action *action, void *user)
{
    struct seen *s = user;
    s->calls++;
    s->kind = f->kind;
    s->preset = *action;
    s->hub = hub;
    *action = WSC_FAILURE_DROP;
}

static void
test_failure_handlers__kinds(void **state)
{
    (void)state;
    assert_int_equal(wsc__failure_kind_of(WSC_ERR_QUEUE_FULL), WSC_FAILURE_QUEUE_FULL);
    assert_int_equal(wsc__failure_kind_of(WSC_ERR_OFFLINE), WSC_FAILURE_OFFLINE);
    assert_int_equal(wsc__failure_kind_of(WSC_ERR_NOT_FOUND), WSC_FAILURE_OFFLINE);
    assert_int_equal(wsc__failure_kind_of(WSC_ERR_CLOSED), WSC_FAILURE_CONN_ERROR);
    assert_int_equal(wsc__failure_kind_of(WSC_ERR_IO), WSC_FAILURE_CONN_ERROR);
    assert_int_equal(wsc__failure_kind_of(WSC_ERR_TIMEOUT), WSC_FAILURE_TIMEOUT);
    assert_int_equal(wsc__failure_kind_of(WSC_ERR_TOO_LARGE), WSC_FAILURE_SEND);
    assert_string_equal(wsc__failure_kind_name(WSC_FAILURE_OFFLINE), "user_offline");
    assert_string_equal(wsc__failure_kind_name(WSC_FAILURE_TIMEOUT), "timeout");
}

static void
test_failure_handlers__defaults_without_handlers(void **state)
{
    (void)state;
    wsc_failure_handlers h;
    memset(&h, 0, sizeof(h));
    wsc_failure f = {WSC_FAILURE_TIMEOUT, WSC_ERR_TIMEOUT, "u", 0, NULL, true, 4};
    /* Tracked, retryable, storage on: stored. */
    assert_int_equal(wsc__failure_decide(&h, NULL, &f, true), WSC_FAILURE_STORE);
    /* Storage off for this send, or not tracked: counted and reported only. */
    assert_int_equal(wsc__failure_decide(&h, NULL, &f, false), WSC_FAILURE_DROP);
    f.tracked = false;
    assert_int_equal(wsc__failure_decide(&h, NULL, &f, true), WSC_FAILURE_DROP);
    /* A terminal error is never stored. */
    wsc_failure g = {WSC_FAILURE_SEND, WSC_ERR_TOO_LARGE, "u", 0, NULL, true, 1};
    assert_int_equal(wsc__failure_decide(&h, NULL, &g, true), WSC_FAILURE_DROP);
}

static void
test_failure_handlers__handler_of_the_kind_decides(void **state)
{
    (void)state;
    struct seen s = {0};
    wsc_failure_handlers h;
    memset(&h, 0, sizeof(h));
    h.on_timeout = drop_it;
    h.user = &s;
    wsc_hub *hub = (wsc_hub *)&s; /* opaque here: only handed on */
    wsc_failure f = {WSC_FAILURE_TIMEOUT, WSC_ERR_TIMEOUT, "u", 0, NULL, true, 4};
    assert_int_equal(wsc__failure_decide(&h, hub, &f, true), WSC_FAILURE_DROP);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.kind, WSC_FAILURE_TIMEOUT);
    assert_int_equal(s.preset, WSC_FAILURE_STORE);
    assert_ptr_equal(s.hub, hub);
    /* Another kind goes to its own handler (none set here): the default stands. */
    wsc_failure q = {WSC_FAILURE_QUEUE_FULL, WSC_ERR_QUEUE_FULL, "u", 1, NULL, true, 1};
    assert_int_equal(wsc__failure_decide(&h, hub, &q, true), WSC_FAILURE_STORE);
    assert_int_equal(s.calls, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_handlers__kinds),
        cmocka_unit_test(test_failure_handlers__defaults_without_handlers),
        cmocka_unit_test(test_failure_handlers__handler_of_the_kind_decides),
    };
    return cmocka_run_group_tests_name("unit.handler.failure_handlers", tests, NULL, NULL);
}
