/* SPDX-License-Identifier: MIT */
/* The HTTP test peer: the incremental response parser fed one byte at a time, then thttp
 * requests against the blocking tserver with every way of delimiting a body, and tjson. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "thttp.h"
#include "tjson.h"
#include "tnet.h"
#include "tserver.h"
#include "twait.h"

/* Feeds text to a fresh parser one byte at a time; returns the final result. */
static int
feed_bytewise(tnet_resp *r, const char *text, tnet_buf *in)
{
    int rc = TNET_RESP_MORE;
    for (size_t i = 0; text[i] != '\0' && rc == TNET_RESP_MORE; i++) {
        assert_int_equal(tnet_buf_append(in, text + i, 1), 0);
        rc = tnet_resp_parse(r, in);
    }
    return rc;
}

static void
test_thttp__parser_chunked_bytewise(void **state)
{
    (void)state;
    tnet_resp r = {0};
    tnet_buf in = {0};
    const char *text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A:  spaced  \r\n\r\n"
                       "5\r\nhello\r\n1;x=y\r\n,\r\n6\r\n world\r\n0\r\n\r\nNEXT";
    assert_int_equal(feed_bytewise(&r, text, &in), TNET_RESP_DONE);
    assert_int_equal(r.status, 200);
    assert_string_equal(tnet_resp_header(&r, "x-a"), "spaced");
    assert_string_equal((const char *)r.body.data, "hello, world");
    assert_int_equal(tnet_buf_size(&in), 0); /* "NEXT" was never fed */
    tnet_resp_free(&r);
    tnet_buf_free(&in);
}

static void
test_thttp__parser_101_leaves_following_bytes(void **state)
{
    (void)state;
    tnet_resp r = {0};
    tnet_buf in = {0};
    const char *text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x01x";
    assert_int_equal(tnet_buf_append_str(&in, text), 0);
    assert_int_equal(tnet_resp_parse(&r, &in), TNET_RESP_DONE);
    assert_int_equal(r.status, 101);
    assert_int_equal(tnet_buf_size(&in), 3);
    assert_memory_equal(tnet_buf_begin(&in), "\x81\x01x", 3);
    tnet_resp_free(&r);
    tnet_buf_free(&in);
}

static void
test_thttp__parser_eof_body_and_bad_input(void **state)
{
    (void)state;
    tnet_resp r = {0};
    tnet_buf in = {0};
    assert_int_equal(tnet_buf_append_str(&in, "HTTP/1.0 200 OK\r\n\r\nuntil eof"), 0);
    assert_int_equal(tnet_resp_parse(&r, &in), TNET_RESP_MORE);
    assert_int_equal(tnet_resp_eof(&r), TNET_RESP_DONE);
    assert_string_equal((const char *)r.body.data, "until eof");
    tnet_resp_free(&r);
    assert_int_equal(tnet_buf_append_str(&in, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"),
                     0);
    assert_int_equal(tnet_resp_parse(&r, &in), TNET_RESP_MORE);
    assert_int_equal(tnet_resp_eof(&r), TNET_RESP_BAD);
    tnet_resp_free(&r);
    tnet_buf_free(&in);
    assert_int_equal(tnet_buf_append_str(&in, "SMTP ready\r\n"), 0);
    assert_int_equal(tnet_resp_parse(&r, &in), TNET_RESP_BAD);
    tnet_resp_free(&r);
    tnet_buf_free(&in);
}

static void
check_request(tserver_mode mode)
{
    tserver *srv = tserver_start(mode);
    assert_non_null(srv);
    const char *const headers[] = {"Authorization: Bearer k", "Content-Type: application/json",
                                   NULL};
    const char *body = "{\"receiver\":\"u1\"}";
    thttp *h =
        thttp_request(tserver_port(srv), "POST", "/api/publish", headers, body, strlen(body));
    assert_non_null(h);
    twait_set *ts = twait_set_new();
    assert_int_equal(twait_add_http(ts, h), 0);
    assert_true(twait_until(ts, NULL, thttp_is_done, h, 5000));
    assert_false(thttp_failed(h));
    assert_int_equal(thttp_status(h), 401);
    assert_string_equal(thttp_header(h, "Retry-After"), "7");
    assert_string_equal(thttp_body(h), TSERVER_REFUSAL_BODY);
    assert_int_equal(thttp_body_len(h), strlen(TSERVER_REFUSAL_BODY));
    assert_int_equal(thttp_fd(h), -1);
    assert_true(tserver_join(srv));
    const char *req = tserver_request(srv);
    assert_non_null(strstr(req, "POST /api/publish HTTP/1.1\r\n"));
    assert_non_null(strstr(req, "\r\nConnection: close\r\n"));
    assert_non_null(strstr(req, "\r\nAuthorization: Bearer k\r\n"));
    assert_non_null(strstr(req, "\r\nContent-Length: 17\r\n\r\n{\"receiver\":\"u1\"}"));
    twait_set_free_all(ts);
    tserver_free(srv);
}

static void
test_thttp__answers_with_length_chunked_and_eof_bodies(void **state)
{
    (void)state;
    check_request(TSERVER_REFUSE_LENGTH);
    check_request(TSERVER_REFUSE_CHUNKED);
    check_request(TSERVER_REFUSE_EOF);
}

static void
test_thttp__connect_refused_fails(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    thttp *h = thttp_request(ntohs(a.sin_port), "GET", "/healthz", NULL, NULL, 0);
    assert_non_null(h);
    twait_set *ts = twait_set_new();
    assert_int_equal(twait_add_http(ts, h), 0);
    assert_true(twait_until(ts, NULL, twait_all_settled, ts, 5000));
    assert_true(thttp_failed(h));
    assert_non_null(strstr(thttp_error_text(h), "connect"));
    assert_string_equal(thttp_body(h), "");
    twait_remove_http(ts, h);
    assert_int_equal(twait_http_count(ts), 0);
    thttp_free(h);
    twait_set_free(ts);
    close(fd);
}

static void
test_thttp__tjson_paths(void **state)
{
    (void)state;
    json_t *o = tjson_parse("{\"message_type\":\"error\",\"data\":{\"code\":\"too_large\","
                            "\"n\":42,\"ok\":true},\"group_ids\":[\"g1\",\"g2\"]}");
    assert_non_null(o);
    assert_string_equal(tjson_str(o, "message_type"), "error");
    assert_string_equal(tjson_str(o, "data.code"), "too_large");
    assert_string_equal(tjson_str(o, "group_ids.1"), "g2");
    assert_null(tjson_str(o, "group_ids.2"));
    assert_null(tjson_str(o, "data.n"));
    assert_null(tjson_str(o, "data.code.deeper"));
    assert_int_equal(tjson_int(o, "data.n", -1), 42);
    assert_int_equal(tjson_int(o, "data.missing", -1), -1);
    assert_true(tjson_bool(o, "data.ok", false));
    assert_true(tjson_has(o, "data"));
    assert_false(tjson_has(o, "nope"));
    json_decref(o);
    assert_null(tjson_parse("{not json"));
    json_t *n = tjson_parsen("{\"a\":1}trailing", 7);
    assert_non_null(n);
    assert_int_equal(tjson_int(n, "a", 0), 1);
    json_decref(n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thttp__parser_chunked_bytewise),
        cmocka_unit_test(test_thttp__parser_101_leaves_following_bytes),
        cmocka_unit_test(test_thttp__parser_eof_body_and_bad_input),
        cmocka_unit_test(test_thttp__answers_with_length_chunked_and_eof_bodies),
        cmocka_unit_test(test_thttp__connect_refused_fails),
        cmocka_unit_test(test_thttp__tjson_paths),
    };
    return cmocka_run_group_tests_name("unit.support.thttp", tests, NULL, NULL);
}
