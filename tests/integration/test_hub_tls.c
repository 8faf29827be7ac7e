/* SPDX-License-Identifier: MIT */
/* The hub over wss:// (tls_cert/tls_key) with a self-signed certificate made at test time: the
 * C client connects with the certificate as its CA, gets `connected`, and a message from the
 * hub; plain HTTPS answers /healthz; a client that does not trust the certificate is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "twait.h"

struct fx {
    char dir[64], cert[96], key[96], url[128];
    wsc_loop *loop;
    wsc_hub *hub;
    size_t connected, hub_connects, messages, connect_errors;
    char content[64];
};

static void
hub_on_connect(wsc_hub *hub, wsc_conn *conn, void *user)
{
    struct fx *f = user;
    f->hub_connects++;
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "notice", "over tls"), WSC_OK);
    assert_int_equal(wsc_hub_send_to_conn(hub, wsc_conn_get_id(conn), m), WSC_OK);
    wsc_msg_unref(m);
}

static void
on_connected(wsc_client *c, void *user)
{
    (void)c;
    ((struct fx *)user)->connected++;
}

static void
on_message(wsc_client *c, wsc_msg *msg, void *user)
{
    (void)c;
    struct fx *f = user;
    if (strcmp(wsc_msg_get(msg, WSC_F_TYPE), "notice") != 0)
        return;
    f->messages++;
    snprintf(f->content, sizeof(f->content), "%s", wsc_msg_get(msg, WSC_F_CONTENT));
}

static void
on_connect_error(wsc_client *c, wsc_err err, int status, const char *reason, void *user)
{
    (void)c;
    (void)err;
    (void)status;
    (void)reason;
    ((struct fx *)user)->connect_errors++;
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/wsc-hubtls-XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->dir);
    snprintf(f->key, sizeof(f->key), "%s/key.pem", f->dir);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout %s -out %s "
             ">/dev/null 2>&1",
             f->key, f->cert);
    if (system(cmd) != 0 || wsc_loop_new(&f->loop) != WSC_OK)
        return -1;
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.loop = f->loop;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.insecure_user_id = true;
    cfg.tls_cert = f->cert;
    cfg.tls_key = f->key;
    cfg.on_connect = hub_on_connect;
    cfg.user = f;
    if (wsc_hub_new(&f->hub, &cfg) != WSC_OK)
        return -1;
    snprintf(f->url, sizeof(f->url), "wss://127.0.0.1:%d/ws?user_id=tls-user",
             wsc_hub_port(f->hub));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    wsc_hub_free(f->hub);
    wsc_loop_free(f->loop);
    unlink(f->cert);
    unlink(f->key);
    rmdir(f->dir);
    free(f);
    return 0;
}

static bool
ge(void *arg)
{
    size_t *const *p = arg;
    return *p[0] >= (size_t)(uintptr_t)p[1];
}

static bool
wait_ge(struct fx *f, size_t *counter, size_t n)
{
    void *arg[2] = {counter, (void *)(uintptr_t)n};
    return twait_until(NULL, f->loop, ge, arg, 5000);
}

static wsc_client *
client(struct fx *f, const char *ca)
{
    wsc_client_config cc;
    wsc_client_config_init(&cc);
    cc.url = f->url;
    cc.loop = f->loop;
    cc.ca_file = ca;
    cc.reconnect.enabled = false;
    cc.on_connected = on_connected;
    cc.on_message = on_message;
    cc.on_connect_error = on_connect_error;
    cc.user = f;
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cc), WSC_OK);
    assert_int_equal(wsc_client_connect(c), WSC_OK);
    return c;
}

static void
test_hub_tls__client_trusting_the_cert_talks_wss(void **state)
{
    struct fx *f = *state;
    wsc_client *c = client(f, f->cert);
    assert_true(wait_ge(f, &f->connected, 1));
    assert_true(wait_ge(f, &f->messages, 1));
    assert_string_equal(f->content, "over tls");
    assert_int_equal(f->hub_connects, 1);
    assert_true(wsc_hub_is_online(f->hub, "tls-user"));
    wsc_client_free(c);
}

static void
test_hub_tls__untrusted_cert_is_refused(void **state)
{
    struct fx *f = *state;
    wsc_client *c = client(f, NULL); /* the system store does not know our certificate */
    assert_true(wait_ge(f, &f->connect_errors, 1));
    assert_int_equal(f->connected, 0);
    assert_int_equal(f->hub_connects, 0);
    wsc_client_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hub_tls__client_trusting_the_cert_talks_wss, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hub_tls__untrusted_cert_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests_name("integration.hub_tls", tests, NULL, NULL);
}
