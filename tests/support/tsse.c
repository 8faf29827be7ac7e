/* SPDX-License-Identifier: MIT */
/* tsse: see tsse.h. */
#include "tsse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

void
tsse_open(thub *t, tsse *s, const char *query, const char *header)
{
    memset(s, 0, sizeof(*s));
    s->fd = tnet_connect(NULL, t->port);
    assert_true(s->fd >= 0);
    for (int i = 0; i < 200 && tnet_check_connected(s->fd) == 0; i++)
        thub_run_for(t, 5);
    assert_int_equal(tnet_check_connected(s->fd), 1);
    char req[1024];
    int n = snprintf(req, sizeof(req), "GET /sse?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s\r\n", query,
                     header != NULL ? header : "", header != NULL ? "\r\n" : "");
    assert_true(n > 0 && (size_t)n < sizeof(req));
    tnet_buf out = {0};
    assert_int_equal(tnet_buf_append_str(&out, req), 0);
    assert_int_equal(tnet_flush(s->fd, &out), 0);
    assert_int_equal(tnet_buf_size(&out), 0);
    tnet_buf_free(&out);
}

const char *
tsse_text(tsse *s)
{
    assert_int_equal(tnet_buf_append(&s->in, "", 1), 0); /* NUL, then drop it again */
    s->in.len--;
    return (const char *)tnet_buf_begin(&s->in);
}

bool
tsse_wait(thub *t, tsse *s, const char *text, int ms)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        if (tnet_read(s->fd, &s->in, &s->eof) == 0 && strstr(tsse_text(s), text) != NULL)
            return true;
        if (s->eof)
            return false;
        thub_run_for(t, 10);
    }
    return false;
}

size_t
tsse_ids(tsse *s)
{
    size_t n = 0;
    for (const char *p = tsse_text(s); (p = strstr(p, "\nid: ")) != NULL; p++)
        n++;
    return n;
}

void
tsse_close(tsse *s)
{
    close(s->fd);
    tnet_buf_free(&s->in);
}
