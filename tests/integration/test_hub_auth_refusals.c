/* SPDX-License-Identifier: MIT */
/* What on_auth decides, at its edges (include/wsc/hub.h, wsc_auth_result): a status other than
 * the usual ones is sent as it is (with a generic reason phrase) and its reason in the JSON
 * body; a status of 0 without a user_id is a refusal too (401, "refused by the application");
 * a reason with quotes, backslashes and control characters stays valid JSON.  And on an open
 * connection: a broadcast_type other than "global" is refused (receipt rejected/forbidden)
 * even for a client allowed to broadcast, and reaches nobody. */
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

static void
auth(wsc_hub *hub, const wsc_auth_request *req, wsc_auth_result *res, void *user)
{
    (void)hub;
    (void)user;
    const char *u = req->user_id ? req->user_id : "";
    if (strcmp(u, "teapot") == 0) {
        res->status = 418;
        snprintf(res->reason, sizeof(res->reason), "short and \"stout\"\\\t\x01");
    } else if (strcmp(u, "nobody") == 0) {
        res->user_id[0] = '\0'; /* status 0 but no identity */
    } else {
        snprintf(res->user_id, sizeof(res->user_id), "%s", u);
    }
}

static tws *
refused(thub *t, const char *user, int status)
{
    char path[64];
    snprintf(path, sizeof(path), "/ws?user_id=%s", user);
    tws *c = thub_ws(t, path, NULL);
    assert_true(thub_settle(t, c));
    assert_int_equal(tws_state(c), TWS_REFUSED);
    assert_int_equal(tws_http_status(c), status);
    return c;
}

static void
test_auth_refusals__statuses_and_reasons(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.on_auth = auth;
    thub_start(&t, &cfg);
    tws *c = refused(&t, "teapot", 418);
    json_t *j = tjson_parse(tws_http_body(c));
    assert_non_null(j); /* valid JSON despite the reason's characters */
    const char *reason = tjson_str(j, "reason");
    assert_non_null(reason);
    assert_non_null(strstr(reason, "short and \"stout\"\\"));
    json_decref(j);
    c = refused(&t, "nobody", 401);
    assert_non_null(strstr(tws_http_body(c), "refused by the application"));
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.refused, 2);
    assert_int_equal(t.connects, 0);
    tws *ok = thub_open(&t, "fine", NULL); /* and the others get in */
    (void)ok;
    thub_free(&t);
}

static void
test_auth_refusals__only_global_broadcasts(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.allow_client_broadcast = true;
    thub_start(&t, &cfg);
    tws *a = thub_open(&t, "a", NULL);
    tws *b = thub_open(&t, "b", NULL);
    thub_send(a, "{\"broadcast_type\":\"local\",\"message_id\":\"bl1\",\"require_ack\":true,"
                 "\"content\":\"x\"}");
    json_t *j = thub_recv_type(&t, a, "ack", 2000);
    assert_string_equal(tjson_str(j, "message_id"), "bl1");
    assert_string_equal(tjson_str(j, "data.status"), "rejected");
    assert_string_equal(tjson_str(j, "data.error"), "forbidden");
    json_decref(j);
    thub_run_for(&t, 50);
    assert_int_equal(tws_pending(b), 0);
    /* global is fine */
    thub_send(a, "{\"broadcast_type\":\"global\",\"content\":\"all\"}");
    j = thub_recv_type(&t, b, "text", 2000);
    assert_string_equal(tjson_str(j, "content"), "all");
    json_decref(j);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_refusals__statuses_and_reasons),
        cmocka_unit_test(test_auth_refusals__only_global_broadcasts),
    };
    return cmocka_run_group_tests_name("integration.hub_auth_refusals", tests, NULL, NULL);
}
