/* SPDX-License-Identifier: MIT */
/* Refused upgrades are HTTP/1.1 answers (PROTOCOL.md §1): every refusal (401, 403, 429, 503)
 * of an HTTP/1.1 upgrade request starts with the status line "HTTP/1.1 <status> <phrase>"
 * and carries the JSON body {"error","reason"}; an HTTP/1.0 request is answered in HTTP/1.0.
 * The answer is read byte for byte from a raw socket: the test peers' parser would accept
 * either version, and clients such as Python `websockets` accept only HTTP/1.1. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "thub.h"
#include "tjson.h"
#include "tnet.h"

typedef struct raw {
    int fd;
    tnet_buf out, in;
    bool eof, failed;
} raw;

/* The whole answer is in: the head and Content-Length bytes of body, or the peer closed. */
static bool
raw_done(void *arg)
{
    raw *r = arg;
    if (r->eof || r->failed)
        return true;
    if (tnet_flush(r->fd, &r->out) != 0 || tnet_read(r->fd, &r->in, &r->eof) != 0) {
        r->failed = errno != EAGAIN && errno != EINPROGRESS && errno != ENOTCONN;
        return r->failed;
    }
    if (tnet_buf_append(&r->in, "", 1) != 0)
        return r->failed = true;
    r->in.len--; /* keep a NUL after the data */
    const char *s = (const char *)tnet_buf_begin(&r->in), *head_end = strstr(s, "\r\n\r\n");
    const char *cl = strstr(s, "content-length: ");
    if (head_end == NULL || cl == NULL)
        return r->eof;
    return strlen(head_end + 4) >= (size_t)atoi(cl + 16);
}

/* Sends an upgrade request for path (HTTP/1.<minor>, with the extra header lines) from src
 * and returns the answer as received, head and body (free it). */
static char *
raw_upgrade(thub *t, const char *src, int minor, const char *path, const char *extra)
{
    raw r;
    memset(&r, 0, sizeof(r));
    r.fd = tnet_connect(src, t->port);
    assert_true(r.fd >= 0);
    char req[1024];
    snprintf(req, sizeof(req),
             "GET %s HTTP/1.%d\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n%s\r\n",
             path, minor, extra ? extra : "");
    assert_int_equal(tnet_buf_append_str(&r.out, req), 0);
    assert_true(thub_wait(t, raw_done, &r, 5000));
    assert_false(r.failed);
    char *answer = strndup((const char *)tnet_buf_begin(&r.in), tnet_buf_size(&r.in));
    tnet_buf_free(&r.in);
    tnet_buf_free(&r.out);
    close(r.fd);
    return answer;
}

/* The answer starts with "HTTP/1.1 <status> " and its body is {"error":code,...}. */
static void
expect_status(char *answer, int status, const char *code)
{
    char want[32];
    snprintf(want, sizeof(want), "HTTP/1.1 %d ", status);
    if (strncmp(answer, want, strlen(want)) != 0)
        fail_msg("want \"%s...\", got \"%.40s\"", want, answer);
    const char *body = strstr(answer, "\r\n\r\n");
    assert_non_null(body);
    json_t *j = tjson_parse(body + 4);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "error"), code);
    assert_non_null(tjson_str(j, "reason"));
    json_decref(j);
    free(answer);
}

static void
test_hub_refusal_http__401_is_http11_with_www_authenticate(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.insecure_user_id = false;
    thub_start(&t, &cfg);
    char *a = raw_upgrade(&t, NULL, 1, "/ws", NULL);
    assert_non_null(strstr(a, "\r\nwww-authenticate: Bearer\r\n"));
    expect_status(a, 401, "unauthorized");
    /* An HTTP/1.0 request gets an HTTP/1.0 answer. */
    a = raw_upgrade(&t, NULL, 0, "/ws", NULL);
    assert_memory_equal(a, "HTTP/1.0 401 ", 13);
    free(a);
    thub_free(&t);
}

static void
test_hub_refusal_http__403_origin(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    const char *origins[] = {"https://good.example", NULL};
    cfg.origins = origins;
    thub_start(&t, &cfg);
    expect_status(raw_upgrade(&t, NULL, 1, "/ws?user_id=u", "Origin: https://evil.example\r\n"),
                  403, "forbidden");
    thub_free(&t);
}

static void
test_hub_refusal_http__429_rate_limited_with_retry_after(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.insecure_user_id = false;
    cfg.connect_rate_per_ip = 0.001; /* no refill during the test */
    cfg.connect_burst_per_ip = 1;
    thub_start(&t, &cfg);
    expect_status(raw_upgrade(&t, "127.0.0.21", 1, "/ws", NULL), 401, "unauthorized");
    char *a = raw_upgrade(&t, "127.0.0.21", 1, "/ws", NULL);
    assert_non_null(strstr(a, "\r\nretry-after: "));
    expect_status(a, 429, "rate_limited");
    thub_free(&t);
}

static void
test_hub_refusal_http__503_node_full_and_draining(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.max_conns = 1;
    thub_start(&t, &cfg);
    tws *first = thub_open(&t, "u1", NULL);
    assert_non_null(first);
    char *a = raw_upgrade(&t, NULL, 1, "/ws?user_id=u2", NULL);
    assert_non_null(strstr(a, "\r\nretry-after: "));
    expect_status(a, 503, "unavailable");
    wsc_hub_stop(t.hub);
    expect_status(raw_upgrade(&t, NULL, 1, "/ws?user_id=u3", NULL), 503, "unavailable");
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_refusal_http__401_is_http11_with_www_authenticate),
        cmocka_unit_test(test_hub_refusal_http__403_origin),
        cmocka_unit_test(test_hub_refusal_http__429_rate_limited_with_retry_after),
        cmocka_unit_test(test_hub_refusal_http__503_node_full_and_draining),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
