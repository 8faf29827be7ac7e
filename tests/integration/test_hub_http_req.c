/* SPDX-License-Identifier: MIT */
/* The request object of the on_http hook (include/wsc/http.h) beyond test_hub_http.c:
 * - the getters answer NULL (and a length of 0) for a NULL request or name, a query parameter
 *   that is absent or only a prefix of another, a header wsc does not keep;
 * - methods other than GET and POST (PUT, DELETE, PATCH, OPTIONS) reach the hook by name, with
 *   a body and with an empty one ("Content-Length: 0": lws 4.1 ends that with a body completion
 *   for POST only, and the others used to wait for ever);
 * - wsc_http_req_respond refuses a status outside 100..599 and a NULL body with a length, and
 *   the request can still be answered afterwards; an empty answer body is fine;
 * - a body sent in pieces reaches the hook whole; one over 1 MiB is refused (the connection
 *   ends without the hook running);
 * - a request whose client reset the connection can still be answered (WSC_OK, nothing
 *   written), and the hub serves on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "thub.h"
#include "tnet.h"

struct seen {
    size_t calls;
    wsc_http_req *held;
    char method[16], path[64];
    size_t body_len;
    bool body_ok;
    bool hold; /* keep the request unanswered */
};

static void
on_http(wsc_hub *hub, wsc_http_req *req, void *user)
{
    (void)hub;
    struct seen *s = ((thub *)user)->ext;
    s->calls++;
    snprintf(s->method, sizeof(s->method), "%s", wsc_http_req_method(req));
    snprintf(s->path, sizeof(s->path), "%s", wsc_http_req_path(req));
    const char *body = wsc_http_req_body(req, &s->body_len);
    s->body_ok = body != NULL && strlen(body) == s->body_len;
    for (size_t i = 0; s->body_ok && i < s->body_len; i++)
        s->body_ok = body[i] == (char)('a' + i % 26);
    if (s->hold) {
        s->held = req;
        return;
    }
    /* The getters' edges, on a live request. */
    assert_null(wsc_http_req_query(req, NULL));
    assert_null(wsc_http_req_query(req, "absent"));
    assert_null(wsc_http_req_query(req, "ke")); /* a prefix of "key" is not "key" */
    const char *key = wsc_http_req_query(req, "key");
    assert_null(wsc_http_req_header(req, NULL));
    assert_null(wsc_http_req_header(req, "user-agent")); /* not one wsc keeps */
    /* Refused answers leave the request to be answered. */
    assert_int_equal(wsc_http_req_respond(req, 99, NULL, "x", 1), WSC_ERR_INVALID);
    assert_int_equal(wsc_http_req_respond(req, 600, NULL, "x", 1), WSC_ERR_INVALID);
    assert_int_equal(wsc_http_req_respond(req, 200, NULL, NULL, 3), WSC_ERR_INVALID);
    if (key != NULL)
        assert_int_equal(wsc_http_req_respond(req, 200, "text/plain", key, strlen(key)), WSC_OK);
    else
        assert_int_equal(wsc_http_req_respond(req, 204, NULL, NULL, 0), WSC_OK);
}

static void
start(thub *t, struct seen *s)
{
    wsc_hub_config cfg;
    thub_config(t, &cfg);
    cfg.on_http = on_http;
    t->ext = s;
    thub_start(t, &cfg);
}

static thttp *
request(thub *t, const char *method, const char *path, const char *body, size_t len)
{
    return thub_http(t, method, path, NULL, body, len);
}

static void
test_http_req__getters_of_nothing(void **state)
{
    (void)state;
    size_t len = 7;
    assert_null(wsc_http_req_method(NULL));
    assert_null(wsc_http_req_path(NULL));
    assert_null(wsc_http_req_query(NULL, "a"));
    assert_null(wsc_http_req_header(NULL, "origin"));
    assert_null(wsc_http_req_body(NULL, &len));
    assert_int_equal(len, 0);
    assert_null(wsc_http_req_body(NULL, NULL));
    assert_int_equal(wsc_http_req_respond(NULL, 200, NULL, NULL, 0), WSC_ERR_INVALID);
    assert_int_equal(wsc_http_req_respond_h(NULL, 200, NULL, "A", "b", NULL, 0), WSC_ERR_INVALID);
}

static void
test_http_req__methods_queries_and_refused_answers(void **state)
{
    (void)state;
    thub t;
    struct seen s = {0};
    start(&t, &s);
    /* Each method with an empty body ("Content-Length: 0") and with a short one: the hook
     * runs once with the method and the body, and answers. */
    const char *methods[] = {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    size_t calls = 0;
    for (size_t i = 0; i < 5; i++) {
        for (int with_body = 0; with_body < 2; with_body++) {
            const char *body = with_body ? "abc" : "";
            thttp *h = request(&t, methods[i], "/thing?kex=1&key=val&k=2", body, strlen(body));
            thub_http_expect(&t, h, 200);
            assert_string_equal(thttp_body(h), "val");
            assert_int_equal(s.calls, ++calls);
            assert_string_equal(s.method, methods[i]);
            assert_string_equal(s.path, "/thing");
            assert_int_equal(s.body_len, strlen(body));
            assert_true(s.body_ok);
        }
    }
    thttp *h = request(&t, "GET", "/nothing", NULL, 0);
    thub_http_expect(&t, h, 204);
    assert_int_equal(s.calls, calls + 1);
    thub_free(&t);
}

static void
test_http_req__bodies(void **state)
{
    (void)state;
    thub t;
    struct seen s = {0};
    start(&t, &s);
    size_t big = 300 * 1000;
    char *body = malloc((1u << 20) + 2);
    assert_non_null(body);
    for (size_t i = 0; i < (1u << 20) + 1; i++)
        body[i] = (char)('a' + i % 26);
    /* 300 KB arrive in many reads: the hook gets them whole. */
    thttp *h = request(&t, "POST", "/upload", body, big);
    thub_http_expect(&t, h, 204);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.body_len, big);
    assert_true(s.body_ok);
    /* One byte over 1 MiB: refused, the hook never runs. */
    h = request(&t, "POST", "/upload", body, (1u << 20) + 1);
    assert_true(thub_wait(&t, thttp_is_done, h, 5000));
    assert_true(thttp_failed(h) || thttp_status(h) >= 400);
    thub_run_for(&t, 30);
    assert_int_equal(s.calls, 1);
    free(body);
    /* The hub serves on. */
    h = request(&t, "GET", "/after", NULL, 0);
    thub_http_expect(&t, h, 204);
    thub_free(&t);
}

/* A body that begins like a request line of the same method and a longer path is a body, not
 * a pipelined request: the hook gets it whole. */
static void
test_http_req__body_that_looks_like_a_request_line(void **state)
{
    (void)state;
    thub t;
    struct seen s = {0};
    start(&t, &s);
    static const char body[] = "POST /thingamajig is not a request";
    thttp *h = request(&t, "POST", "/thing", body, strlen(body));
    thub_http_expect(&t, h, 204);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.path, "/thing");
    assert_int_equal(s.body_len, strlen(body));
    static const char body2[] = "POST /thing?x=1 is one";
    h = request(&t, "POST", "/thing", body2, strlen(body2));
    thub_http_expect(&t, h, 204);
    assert_int_equal(s.calls, 2);
    assert_int_equal(s.body_len, strlen(body2));
    thub_free(&t);
}

static void
test_http_req__client_reset_before_the_answer(void **state)
{
    (void)state;
    thub t;
    struct seen s = {.hold = true};
    start(&t, &s);
    int fd = tnet_connect(NULL, t.port);
    assert_true(fd >= 0);
    for (int i = 0; i < 200 && tnet_check_connected(fd) == 0; i++)
        thub_run_for(&t, 5);
    tnet_buf out = {0};
    assert_int_equal(tnet_buf_append_str(&out, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(tnet_flush(fd, &out), 0);
    tnet_buf_free(&out);
    assert_true(thub_wait_ge(&t, &s.calls, 1, 3000));
    struct linger lg = {1, 0}; /* close with RST */
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    close(fd);
    thub_run_for(&t, 100);
    assert_int_equal(wsc_http_req_respond(s.held, 200, NULL, "{}", 2), WSC_OK);
    thub_run_for(&t, 30);
    s.hold = false;
    thttp *h = request(&t, "GET", "/after", NULL, 0);
    thub_http_expect(&t, h, 204);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_req__getters_of_nothing),
        cmocka_unit_test(test_http_req__methods_queries_and_refused_answers),
        cmocka_unit_test(test_http_req__bodies),
        cmocka_unit_test(test_http_req__body_that_looks_like_a_request_line),
        cmocka_unit_test(test_http_req__client_reset_before_the_answer),
    };
    return cmocka_run_group_tests_name("integration.hub_http_req", tests, NULL, NULL);
}
