/* SPDX-License-Identifier: MIT */
/* permessage-deflate on the hub (docs/protocol.md, "permessage-deflate"): the configuration
 * check, and freeing the hub while lws is still compressing a message out (the message must
 * outlive the connection's record: lws's deflater reads it until the wsi is gone).  The wire
 * format against real clients is tested in tests/interop/deflate_clients.py. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
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

static void
test_hub_deflate__needs_a_receive_buffer_of_128(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.deflate = true;
    cfg.rx_buffer_size = 64;
    wsc_hub *h = NULL;
    assert_int_equal(wsc_hub_new(&h, &cfg), WSC_ERR_INVALID);
    assert_null(h);
    cfg.rx_buffer_size = 0; /* lws's own size */
    thub_start(&t, &cfg);
    thub_free(&t);
}

/* wsc_hub_reconfigure keeps deflate (the vhost's extensions are set at creation) and takes
 * deflate_threshold. */
static void
test_hub_deflate__reconfigure_keeps_deflate(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    thub_start(&t, &cfg);
    wsc_hub_config next;
    wsc_hub_get_config(t.hub, &next);
    next.deflate = true;
    next.deflate_threshold = 4096;
    const char *kept = NULL;
    assert_int_equal(wsc_hub_reconfigure(t.hub, &next, &kept), WSC_OK);
    assert_string_equal(kept, "deflate");
    wsc_hub_get_config(t.hub, &next);
    assert_false(next.deflate);
    assert_int_equal(next.deflate_threshold, 4096);
    thub_free(&t);
}

/* A plain socket that offers permessage-deflate and never reads until asked: the hub's
 * compressed fragments pile up in the kernel, not in the test. */
static int
raw_upgrade(thub *t, const char *user)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)t->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET /ws?user_id=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
                     user);
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    return fd;
}

/* Reads what fd has now (the loop has run): the 101 answer, then frames. */
static size_t
drain(int fd, unsigned char *buf, size_t cap)
{
    size_t got = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (got < cap && poll(&p, 1, 200) == 1) {
        ssize_t r = recv(fd, buf + got, cap - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void
test_hub_deflate__free_while_compressing(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.deflate = true;
    cfg.msg_limits.max_bytes = 1u << 20;
    thub_start(&t, &cfg);
    int fd = raw_upgrade(&t, "z");
    assert_true(thub_wait_ge(&t, &t.connects, 1, 2000));
    /* Letters from a small LCG, 256 KiB: more than zlib takes in at once (its 64 KiB window
     * buffer), and ~150 KiB once compressed, in lws's 1 KiB chunks. */
    size_t len = 256 * 1024;
    char *text = malloc(len + 1);
    assert_non_null(text);
    uint32_t x = 7;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        text[i] = (char)('a' + (x >> 16) % 26);
    }
    text[len] = '\0';
    for (int i = 0; i < 3; i++) {
        wsc_msg *m = NULL;
        assert_int_equal(wsc_msg_new_text(&m, "text", text), WSC_OK);
        assert_int_equal(wsc_hub_send_to_user(t.hub, "z", m, NULL), WSC_OK);
        wsc_msg_unref(m);
    }
    free(text);
    /* Free once lws has written a few of the first message's fragments: it has dozens left. */
    unsigned char peek[4096];
    for (int i = 0; i < 2000 && recv(fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT) < 3000; i++)
        thub_run_for(&t, 1);
    wsc_hub_free(t.hub);
    t.hub = NULL;
    assert_int_equal(t.disconnects, 1);
    thub_run_for(&t, 300); /* lws goes on with the wsi it still has; ASan watches */
    unsigned char buf[8192];
    size_t got = drain(fd, buf, sizeof(buf));
    const unsigned char *end = (const unsigned char *)memmem(buf, got, "\r\n\r\n", 4);
    assert_non_null(end);
    assert_non_null(memmem(buf, (size_t)(end - buf), "permessage-deflate", 18));
    const unsigned char *f = end + 4; /* the connected frame: short, uncompressed */
    assert_true(f + 4 <= buf + got);
    assert_int_equal(f[0], 0x81);
    assert_true(f[1] <= 126); /* under 64 KiB */
    f += f[1] < 126 ? 2 + (size_t)f[1] : 4 + ((size_t)f[2] << 8 | f[3]);
    assert_true(f + 1 <= buf + got);
    assert_int_equal(f[0] & 0x4f, 0x41); /* the first message: RSV1, text */
    close(fd);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_deflate__needs_a_receive_buffer_of_128),
        cmocka_unit_test(test_hub_deflate__reconfigure_keeps_deflate),
        cmocka_unit_test(test_hub_deflate__free_while_compressing),
    };
    return cmocka_run_group_tests_name("integration.hub_deflate", tests, NULL, NULL);
}
