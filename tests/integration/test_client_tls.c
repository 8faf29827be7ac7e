/* SPDX-License-Identifier: MIT */
/* wss:// against a test server with a self-signed certificate made at test time (openssl
 * command, temp dir): accepted with the certificate as ca_file, refused without it, accepted
 * with insecure_skip_verify.  Plus sends from another thread while the loop runs. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_client_servers.h"

struct tls_fx {
    char dir[64], cert[128], key[128];
    wsc_loop *loop;
    struct ts_ws ws;
    struct ts_rec rec;
    wsc_client *c;
    char url[128];
};

static int
setup(void **state)
{
    struct tls_fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/wsc-tls-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->dir);
    snprintf(f->key, sizeof(f->key), "%s/key.pem", f->dir);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost "
             "-keyout %s -out %s >/dev/null 2>&1",
             f->key, f->cert);
    if (system(cmd) != 0 || wsc_loop_new(&f->loop) != WSC_OK)
        return -1;
    if (!ts_ws_start(&f->ws, f->loop, f->cert, f->key))
        return -1;
    snprintf(f->url, sizeof(f->url), "wss://127.0.0.1:%d/ws", f->ws.port);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct tls_fx *f = *state;
    wsc_client_free(f->c);
    wsc_loop_free(f->loop);
    unlink(f->cert);
    unlink(f->key);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void
test_client__tls_with_ca_file(void **state)
{
    struct tls_fx *f = *state;
    wsc_client_config cfg;
    ts_client_config(&cfg, f->loop, f->url, &f->rec);
    cfg.ca_file = f->cert;
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 1, 5000));
    assert_int_equal(wsc_client_send_text(f->c, "over tls", 8, NULL), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->rec.texts, 1, 5000));
    assert_string_equal(f->rec.text[0], "over tls");
}

static void
test_client__tls_unknown_ca_is_refused(void **state)
{
    struct tls_fx *f = *state;
    wsc_client_config cfg;
    ts_client_config(&cfg, f->loop, f->url, &f->rec);
    cfg.reconnect.enabled = false;
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->rec.closed, 1, 5000));
    assert_int_equal(f->rec.connected, 0);
    assert_int_equal(f->rec.connect_errors, 1);
    assert_int_equal(f->ws.established, 0);
}

static void
test_client__tls_insecure_skip_verify(void **state)
{
    struct tls_fx *f = *state;
    wsc_client_config cfg;
    ts_client_config(&cfg, f->loop, f->url, &f->rec);
    cfg.insecure_skip_verify = true;
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 1, 5000));
}

struct sender {
    wsc_client *c;
    int sent;
};

static void *
send_thread(void *arg)
{
    struct sender *s = arg;
    char buf[32];
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof(buf), "t%d", i);
        if (wsc_client_send_text(s->c, buf, strlen(buf), NULL) == WSC_OK)
            s->sent++;
    }
    return NULL;
}

static void
test_client__sends_from_another_thread_keep_order(void **state)
{
    struct tls_fx *f = *state;
    wsc_client_config cfg;
    ts_client_config(&cfg, f->loop, f->url, &f->rec);
    cfg.insecure_skip_verify = true;
    f->ws.plan[0].echo = false;
    f->ws.plans = 1;
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 1, 5000));
    struct sender s = {f->c, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_thread, &s), 0);
    /* The loop keeps running while the other thread sends. */
    assert_true(ts_wait_ge(f->loop, &f->ws.received, 100, 10000));
    pthread_join(t, NULL);
    assert_int_equal(s.sent, 100);
    char want[32];
    for (int i = 0; i < 100; i++) {
        snprintf(want, sizeof(want), "t%d", i);
        assert_string_equal(f->ws.rx[i], want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_client__tls_with_ca_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__tls_unknown_ca_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__tls_insecure_skip_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__sends_from_another_thread_keep_order, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.client_tls", tests, NULL, NULL);
}
