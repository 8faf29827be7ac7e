/* SPDX-License-Identifier: MIT */
/* A message larger than the limit is refused with close 1009 as soon as a frame header
 * announces it (PROTOCOL.md §2), not after its bytes arrive: a header announcing 2^62 bytes
 * followed by a few bytes, and a fragmented message whose next fragment's header takes the
 * total over the limit, are both closed within a second while the rest never comes. */
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

#define LIMIT 4096

/* A masked client frame header (mask 0, so the payload goes as is) announcing len bytes. */
static size_t
header(uint8_t *out, int opcode, bool fin, uint64_t len)
{
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        out[n++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        out[n++] = 0x80 | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)(len >> (8 * i));
    }
    memset(out + n, 0, 4);
    return n + 4;
}

static thub *
start(void)
{
    thub *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    wsc_hub_config cfg;
    thub_config(t, &cfg);
    cfg.msg_limits.max_bytes = LIMIT;
    thub_start(t, &cfg);
    return t;
}

/* c is closed with 1009 within a second, and another connection still works. */
static void
expect_1009_soon(thub *t, tws *c)
{
    if (!thub_wait(t, tws_is_closed, c, 1000))
        fail_msg("still open a second after the header (state %s)", tws_state_name(tws_state(c)));
    assert_int_equal(tws_close_code(c), 1009);
    tws *d = thub_open(t, "other", NULL);
    thub_send(d, "{\"message_type\":\"ping\"}");
    json_decref(thub_recv_type(t, d, "pong", 3000));
    thub_free(t);
    free(t);
}

static void
test_hub_frame_header__huge_length_closes_1009_at_once(void **state)
{
    (void)state;
    thub *t = start();
    tws *c = thub_open(t, "big", NULL);
    uint8_t f[32];
    size_t n = header(f, TWS_OP_BINARY, true, (uint64_t)1 << 62);
    memcpy(f + n, "hello", 5);
    assert_int_equal(tws_send_raw(c, f, n + 5), 0);
    expect_1009_soon(t, c);
}

static void
test_hub_frame_header__text_one_byte_over_closes_1009_at_once(void **state)
{
    (void)state;
    thub *t = start();
    tws *c = thub_open(t, "over", NULL);
    uint8_t f[32];
    size_t n = header(f, TWS_OP_TEXT, true, LIMIT + 1);
    memcpy(f + n, "{\"a\"", 4);
    assert_int_equal(tws_send_raw(c, f, n + 4), 0);
    expect_1009_soon(t, c);
}

static void
test_hub_frame_header__fragment_taking_total_over_closes_1009(void **state)
{
    (void)state;
    thub *t = start();
    tws *c = thub_open(t, "frag", NULL);
    /* 3000 bytes in a first fragment (under the limit, kept), then a continuation whose
     * header announces 2000 more: 5000 > 4096 before any of them is read. */
    char chunk[3000];
    memset(chunk, ' ', sizeof(chunk));
    chunk[0] = '{';
    assert_int_equal(tws_send_frame(c, TWS_OP_TEXT, false, chunk, sizeof(chunk)), 0);
    thub_run_for(t, 50);
    assert_int_equal(tws_state(c), TWS_OPEN);
    uint8_t f[32];
    size_t n = header(f, TWS_OP_CONT, true, 2000);
    memcpy(f + n, "   ", 3);
    assert_int_equal(tws_send_raw(c, f, n + 3), 0);
    expect_1009_soon(t, c);
}

static void
test_hub_frame_header__at_the_limit_is_delivered(void **state)
{
    (void)state;
    thub *t = start();
    tws *a = thub_open(t, "a", NULL), *b = thub_open(t, "b", NULL);
    char *s = malloc(LIMIT + 1);
    int n = snprintf(s, LIMIT + 1, "{\"receiver\":\"b\",\"content\":\"");
    memset(s + n, 'x', (size_t)(LIMIT - n - 2));
    memcpy(s + LIMIT - 2, "\"}", 3);
    assert_int_equal(strlen(s), LIMIT);
    thub_send(a, s);
    free(s);
    json_t *j = thub_recv_type(t, b, "text", 3000);
    assert_int_equal(strlen(tjson_str(j, "content")), (size_t)(LIMIT - n - 2));
    json_decref(j);
    assert_int_equal(tws_state(a), TWS_OPEN);
    thub_free(t);
    free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_frame_header__huge_length_closes_1009_at_once),
        cmocka_unit_test(test_hub_frame_header__text_one_byte_over_closes_1009_at_once),
        cmocka_unit_test(test_hub_frame_header__fragment_taking_total_over_closes_1009),
        cmocka_unit_test(test_hub_frame_header__at_the_limit_is_delivered),
    };
    return cmocka_run_group_tests_name("integration.hub_frame_header", tests, NULL, NULL);
}
