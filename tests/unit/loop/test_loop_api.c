/* SPDX-License-Identifier: MIT */
/* The loop's public API at its edges (include/wsc/loop.h): NULL arguments answer
 * WSC_ERR_INVALID or nothing, an unknown backend has the name "?", running the loop from inside
 * one of its own callbacks is refused with WSC_ERR_STATE (run and run_once), a loop that still
 * carries a client is not freed (and is freed once the client is gone), and both backends
 * chosen explicitly run posted work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "loop/loop.h"

static void
test_loop_api__null_and_unknown(void **state)
{
    (void)state;
    wsc_loop_config_init(NULL); /* harmless */
    assert_int_equal(wsc_loop_new(NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_loop_new_ex(NULL, NULL), WSC_ERR_INVALID);
    wsc_loop *loop = (wsc_loop *)&loop;
    wsc_loop_config cfg;
    wsc_loop_config_init(&cfg);
    cfg.backend = (wsc_loop_backend)42;
    assert_int_equal(wsc_loop_new_ex(&loop, &cfg), WSC_ERR_INVALID);
    assert_null(loop);
    assert_string_equal(wsc_loop_backend_name((wsc_loop_backend)42), "?");
    assert_int_equal(wsc_loop_get_backend(NULL), WSC_LOOP_DEFAULT);
    assert_int_equal(wsc_loop_run(NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_loop_run_once(NULL, 0), WSC_ERR_INVALID);
    assert_false(wsc_loop_is_loop_thread(NULL));
    wsc_loop_stop(NULL);
    wsc_loop_free(NULL);
    assert_true(wsc_loop_now_ms(NULL) > 0);
}

struct reentry {
    wsc_loop *loop;
    wsc_err run, run_once;
    bool ran;
};

static void
reenter(void *arg)
{
    struct reentry *r = arg;
    r->ran = true;
    r->run = wsc_loop_run(r->loop);
    r->run_once = wsc_loop_run_once(r->loop, 0);
    wsc_loop_stop(r->loop);
}

static void
run_reentry(wsc_loop_backend backend)
{
    wsc_loop *loop = NULL;
    wsc_loop_config cfg;
    wsc_loop_config_init(&cfg);
    cfg.backend = backend;
    cfg.max_handshakes = 100000; /* capped to what lws takes */
    assert_int_equal(wsc_loop_new_ex(&loop, &cfg), WSC_OK);
    assert_int_equal(wsc_loop_get_backend(loop), backend);
    struct reentry r = {.loop = loop, .run = WSC_OK, .run_once = WSC_OK};
    assert_int_equal(wsc__loop_post(loop, reenter, &r), WSC_OK);
    assert_int_equal(wsc_loop_run(loop), WSC_OK); /* until reenter's stop */
    assert_true(r.ran);
    assert_int_equal(r.run, WSC_ERR_STATE);
    assert_int_equal(r.run_once, WSC_ERR_STATE);
    assert_true(wsc_loop_is_loop_thread(loop));
    wsc_loop_free(loop);
}

static void
test_loop_api__running_from_inside_is_refused(void **state)
{
    (void)state;
    run_reentry(WSC_LOOP_POLL);
    run_reentry(WSC_LOOP_EPOLL);
}

static void
test_loop_api__not_freed_while_a_client_is_on_it(void **state)
{
    (void)state;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    wsc_client_config cc;
    wsc_client_config_init(&cc);
    cc.url = "ws://127.0.0.1:9/ws";
    cc.loop = loop;
    cc.log.level = WSC_LOG_OFF;
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cc), WSC_OK);
    wsc_loop_free(loop); /* refused (logged): the client still uses it */
    assert_int_equal(wsc_loop_run_once(loop, 0), WSC_OK);
    assert_ptr_equal(wsc_client_loop(c), loop);
    wsc_client_free(c);
    for (int i = 0; i < 3; i++)
        assert_int_equal(wsc_loop_run_once(loop, 0), WSC_OK);
    wsc_loop_free(loop); /* now it goes (ASan: nothing leaks) */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_api__null_and_unknown),
        cmocka_unit_test(test_loop_api__running_from_inside_is_refused),
        cmocka_unit_test(test_loop_api__not_freed_while_a_client_is_on_it),
    };
    return cmocka_run_group_tests_name("unit.loop.loop_api", tests, NULL, NULL);
}
