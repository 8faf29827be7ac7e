/* SPDX-License-Identifier: MIT */
/* Rate limits over real sockets: 429 before the upgrade for too many connects from one
 * address, and rate_limited error frames (then 1008) for a connection that sends too fast. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "tjson.h"
#include "twait.h"
#include "tws.h"

struct fixture {
    wsc_loop *loop;
    wsc_hub *hub;
    twait_set *ts;
};

static void
start(struct fixture *f, const wsc_hub_config *base)
{
    wsc_hub_config cfg = *base;
    assert_int_equal(wsc_loop_new(&f->loop), WSC_OK);
    cfg.loop = f->loop;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.insecure_user_id = true;
    assert_int_equal(wsc_hub_new(&f->hub, &cfg), WSC_OK);
    f->ts = twait_set_new();
    assert_non_null(f->ts);
}

static void
stop(struct fixture *f)
{
    twait_set_free_all(f->ts);
    wsc_hub_free(f->hub);
    wsc_loop_free(f->loop);
}

static tws *
connect_user(struct fixture *f, const char *src, const char *user)
{
    char path[128];
    snprintf(path, sizeof(path), "/ws?user_id=%s", user);
    tws *c = tws_connect_from(src, wsc_hub_port(f->hub), path, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(twait_add_ws(f->ts, c), 0);
    assert_true(twait_until(f->ts, f->loop, tws_is_settled, c, 3000));
    return c;
}

static void
test_limits__connects_per_address_get_429(void **state)
{
    (void)state;
    struct fixture f;
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.connect_rate_per_ip = 0.001; /* effectively no refill during the test */
    cfg.connect_burst_per_ip = 3;
    start(&f, &cfg);
    for (int i = 0; i < 3; i++)
        assert_int_equal(tws_state(connect_user(&f, "127.0.0.1", "u")), TWS_OPEN);
    tws *c = connect_user(&f, "127.0.0.1", "u");
    assert_int_equal(tws_state(c), TWS_REFUSED);
    assert_int_equal(tws_http_status(c), 429);
    assert_non_null(tws_http_header(c, "retry-after"));
    json_t *body = tjson_parse(tws_http_body(c));
    assert_string_equal(tjson_str(body, "error"), "rate_limited");
    json_decref(body);
    /* Another address has its own bucket. */
    assert_int_equal(tws_state(connect_user(&f, "127.0.0.2", "u")), TWS_OPEN);
    wsc_hub_stats st;
    wsc_hub_get_stats(f.hub, &st);
    assert_int_equal(st.refused, 1);
    stop(&f);
}

struct frames {
    tws *c;
    size_t errors;
};

static bool
saw_close(void *arg)
{
    struct frames *fr = arg;
    int op;
    char *data;
    size_t len;
    while (tws_next(fr->c, &op, &data, &len)) {
        json_t *j = tjson_parsen(data, len);
        const char *t = j ? tjson_str(j, "message_type") : NULL;
        if (t != NULL && strcmp(t, "error") == 0 &&
            strcmp(tjson_str(j, "data.code"), "rate_limited") == 0)
            fr->errors++;
        json_decref(j);
        free(data);
    }
    return tws_state(fr->c) == TWS_CLOSED;
}

static void
test_limits__fast_sender_gets_rate_limited_then_1008(void **state)
{
    (void)state;
    struct fixture f;
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.msg_rate_per_conn = 0.001;
    cfg.msg_burst_per_conn = 5;
    cfg.max_violations = 3;
    start(&f, &cfg);
    tws *c = connect_user(&f, "127.0.0.1", "fast");
    tws *other = connect_user(&f, "127.0.0.1", "calm");
    for (int i = 0; i < 20; i++)
        tws_send_text(c, "{\"message_type\":\"ping\"}", 23);
    struct frames fr = {c, 0};
    assert_true(twait_until(f.ts, f.loop, saw_close, &fr, 3000));
    assert_int_equal(tws_close_code(c), 1008);
    assert_int_equal(fr.errors, 3);
    /* The other connection is untouched. */
    assert_int_equal(tws_state(other), TWS_OPEN);
    assert_true(wsc_hub_is_online(f.hub, "calm"));
    stop(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits__connects_per_address_get_429),
        cmocka_unit_test(test_limits__fast_sender_gets_rate_limited_then_1008),
    };
    return cmocka_run_group_tests_name("integration.hub_limits", tests, NULL, NULL);
}
