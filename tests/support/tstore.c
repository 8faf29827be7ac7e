/* SPDX-License-Identifier: MIT */
/* tstore: fixture and callback collectors of the repository contract tests. */
#include "tstore.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "twait.h"

static const char *
backend_url(const char *backend)
{
    if (strcmp(backend, "memory") == 0)
        return "memory:";
    if (strcmp(backend, "redis") == 0)
        return getenv("WSC_TEST_REDIS_URL");
    if (strcmp(backend, "mysql") == 0)
        return getenv("WSC_TEST_MYSQL_URL");
    if (strcmp(backend, "redis_cluster") == 0)
        return getenv("WSC_TEST_REDIS_CLUSTER_URL");
    if (strcmp(backend, "hybrid") == 0)
        return tstore_hybrid_url();
    if (strcmp(backend, "hybrid_cluster") == 0)
        return tstore_hybrid_url_of(getenv("WSC_TEST_REDIS_CLUSTER_URL"));
    return NULL;
}

const char *
tstore_hybrid_url(void)
{
    return tstore_hybrid_url_of(getenv("WSC_TEST_REDIS_URL"));
}

const char *
tstore_hybrid_url_of(const char *r)
{
    static char url[1100];
    const char *m = getenv("WSC_TEST_MYSQL_URL");
    if (r == NULL || m == NULL || r[0] == '\0' || m[0] == '\0')
        return NULL;
    snprintf(url, sizeof(url), "hybrid:%s|%s", r, m);
    return url;
}

int
tstore_setup_cfg(void **state, const wsc_store_config *cfg)
{
    *state = NULL;
    const char *backend = getenv("WSC_TEST_BACKEND");
    const char *url = backend ? backend_url(backend) : getenv("WSC_TEST_STORE_URL");
    if (url == NULL || url[0] == '\0') {
        print_message("[  SKIP    ] backend %s: no URL configured (see tests/repository)\n",
                      backend ? backend : "?");
        return 0;
    }
    tstore *ts = calloc(1, sizeof(*ts));
    if (ts == NULL)
        return -1;
    ts->backend = backend ? backend : "url";
    if (strlen(url) >= sizeof(ts->url)) {
        print_message("store URL longer than %zu bytes\n", sizeof(ts->url) - 1);
        free(ts);
        return -1;
    }
    memcpy(ts->url, url, strlen(url) + 1);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(ts->run, sizeof(ts->run), "%ld-%ld-%ld", (long)getpid(), (long)now.tv_sec,
             now.tv_nsec / 1000);
    wsc_err err = wsc_loop_new(&ts->loop);
    if (err == WSC_OK)
        err = wsc_store_open(ts->loop, ts->url, cfg, &ts->store);
    if (err != WSC_OK) {
        wsc_loop_free(ts->loop);
        free(ts);
        if (err != WSC_ERR_UNSUPPORTED)
            return -1;
        print_message("[  SKIP    ] backend %s: not implemented in this build\n", backend);
        return 0;
    }
    /* Wait until the backend answers, so the first test does not pay for the connect. */
    tres r = {0};
    if (wsc_store_ping(ts->store, tres_done, &r) == WSC_OK)
        tstore_wait(ts, &r);
    *state = ts;
    return 0;
}

int
tstore_setup(void **state)
{
    return tstore_setup_cfg(state, NULL);
}

int
tstore_teardown(void **state)
{
    tstore *ts = *state;
    if (ts == NULL)
        return 0;
    wsc_store_close(ts->store);
    /* Let lws release what the store detached (adopted descriptors close on the loop). */
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(ts->loop, 1);
    /* A test that stopped a server and then failed must not leave it down for the next
     * programs (a cascade of failures that hides the first).  Only the servers of this
     * program's backend: ctest's RESOURCE_LOCK keeps the others' users apart, and a test of
     * another backend may have stopped them on purpose. */
    bool redis =
        strncmp(ts->url, "redis://", 8) == 0 || strncmp(ts->url, "hybrid:redis://", 15) == 0;
    bool mysql = strncmp(ts->url, "mysql://", 8) == 0 || strncmp(ts->url, "hybrid:", 7) == 0;
    wsc_loop_free(ts->loop);
    free(ts);
    if (redis)
        (void)tstore_services("ensure-redis");
    if (mysql)
        (void)tstore_services("ensure-mysql");
    return 0;
}

/* Test-only bookkeeping: how many tests of this program skipped (one program per ctest
 * entry), so that a program whose tests all skipped can say so with its exit status. */
static size_t skipped_tests;

void
tstore_skip(void)
{
    skipped_tests++;
    skip();
}

int
tstore_exit(int rc, size_t n)
{
    return rc == 0 && n > 0 && skipped_tests == n ? 77 : rc;
}

tstore *
tstore_get(void **state)
{
    if (*state == NULL)
        tstore_skip();
    return *state;
}

const char *
tstore_id(tstore *ts, const char *name)
{
    char *slot = ts->ids[ts->next_id++ % 16];
    snprintf(slot, 128, "%s-%s", name, ts->run);
    return slot;
}

static bool
called(void *arg)
{
    return ((tres *)arg)->calls > 0;
}

bool
tstore_until(tstore *ts, bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    return twait_until(NULL, ts->loop, cond, arg, timeout_ms);
}

void
tstore_wait(tstore *ts, tres *r)
{
    assert_true(tstore_until(ts, called, r, 8000));
    wsc_loop_run_once(ts->loop, 1);
    assert_int_equal(r->calls, 1);
}

void
tres_done(wsc_err status, void *user)
{
    tres *r = user;
    r->calls++;
    r->status = status;
}

void
tres_count(wsc_err status, uint64_t count, void *user)
{
    tres *r = user;
    r->calls++;
    r->status = status;
    r->count = count;
}

void
tres_fetch(wsc_err status, wsc_msg *const *msgs, size_t count, uint64_t next_cursor, void *user)
{
    tres *r = user;
    r->calls++;
    r->status = status;
    r->n = count;
    r->cursor = next_cursor;
    for (size_t i = 0; i < count && i < 64; i++) {
        const char *mid = wsc_msg_get(msgs[i], WSC_F_MESSAGE_ID);
        const char *content = wsc_msg_get(msgs[i], WSC_F_CONTENT);
        snprintf(r->mids[i], 64, "%s", mid ? mid : "");
        snprintf(r->nodes[i], 64, "%s", content ? content : "");
    }
}

void
tres_record(wsc_err status, const wsc_msg_record *rec, void *user)
{
    tres *r = user;
    r->calls++;
    r->status = status;
    if (rec == NULL)
        return;
    r->rec = *rec;
    snprintf(r->rec_sender, sizeof(r->rec_sender), "%s", rec->sender ? rec->sender : "");
    snprintf(r->rec_text, sizeof(r->rec_text), "%s", rec->error_text ? rec->error_text : "");
    snprintf(r->mids[0], 64, "%s", rec->message_id);
    snprintf(r->nodes[0], 64, "%s", rec->receiver);
    r->rec.message_id = r->rec.receiver = r->rec.sender = r->rec.error_text = NULL;
}

void
tres_online(wsc_err status, const wsc_online_entry *entries, size_t count, void *user)
{
    tres *r = user;
    r->calls++;
    r->status = status;
    r->n = count;
    for (size_t i = 0; i < count && i < 64; i++) {
        snprintf(r->mids[i], 64, "%s", entries[i].client_id);
        snprintf(r->nodes[i], 64, "%s", entries[i].node_id);
    }
}

void
tres_connrec(wsc_err status, const wsc_conn_record *rec, void *user)
{
    tres *r = user;
    r->calls++;
    r->status = status;
    if (rec == NULL)
        return;
    r->conn = *rec;
    snprintf(r->conn_user, sizeof(r->conn_user), "%s", rec->user_id ? rec->user_id : "");
    snprintf(r->conn_reason, sizeof(r->conn_reason), "%s",
             rec->close_reason ? rec->close_reason : "");
    r->conn.node_id = r->conn.user_id = r->conn.client_id = r->conn.remote_ip = NULL;
    r->conn.close_reason = NULL;
}

wsc_msg *
tstore_msg(const char *message_id, const char *content)
{
    wsc_msg *m = NULL;
    if (wsc_msg_new_text(&m, "text", content) != WSC_OK)
        return NULL;
    if (message_id != NULL)
        wsc_msg_set(m, WSC_F_MESSAGE_ID, message_id);
    return m;
}

void
tres_stats(wsc_err status, const wsc_node_stats *stats, size_t count, void *user)
{
    tres *r = user;
    r->calls++;
    r->status = status;
    r->n = count;
    for (size_t i = 0; i < count && i < 8; i++) {
        r->stats[i] = stats[i];
        snprintf(r->mids[i], 64, "%s", stats[i].node_id);
        r->stats[i].node_id = r->mids[i];
    }
}

void
tres_ids(wsc_err status, const char *const *ids, size_t count, void *user)
{
    tres *r = user;
    r->calls++;
    r->status = status;
    r->n = count;
    for (size_t i = 0; i < count && i < 64; i++)
        snprintf(r->mids[i], 64, "%s", ids[i]);
}

void
tres_msgs(wsc_err status, wsc_msg *const *msgs, size_t count, void *user)
{
    tres_fetch(status, msgs, count, 0, user);
}

void
tres_acquire(wsc_err status, const char *agent, uint64_t load, void *user)
{
    tres *r = user;
    r->calls++;
    r->status = status;
    r->count = load;
    snprintf(r->mids[0], 64, "%s", agent ? agent : "");
}

wsc_err
tstore_supported(wsc_err err)
{
    if (err == WSC_ERR_UNSUPPORTED)
        tstore_skip();
    return err;
}

int
tstore_services(const char *what)
{
    const char *script = getenv("WSC_SERVICES_SCRIPT"), *dir = getenv("WSC_SERVICES_DIR");
    if (script == NULL || dir == NULL)
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s %s %s >/dev/null 2>&1", script, what, dir);
    return system(cmd);
}

const char *
tstore_redis_db_url(int db, char *out, size_t cap)
{
    const char *url = getenv("WSC_TEST_REDIS_URL");
    if (url == NULL)
        return NULL;
    /* redis://[:pw@]host[:port][/db]: the part after the authority's last '/' is the db. */
    const char *at = strrchr(url, '@');
    const char *auth = at != NULL ? at + 1 : url + strlen("redis://");
    const char *slash = strchr(auth, '/');
    int head = slash != NULL ? (int)(slash - url) : (int)strlen(url);
    int n = snprintf(out, cap, "%.*s/%d", head, url, db);
    return n > 0 && (size_t)n < cap ? out : NULL;
}

struct pinger {
    wsc_store *s;
    tres r;
    bool sent;
};

/* Pings until one answers WSC_OK (a tstore_until condition). */
static bool
ping_ok(void *arg)
{
    struct pinger *p = arg;
    if (p->sent && p->r.calls == 0)
        return false;
    if (p->sent && p->r.status == WSC_OK)
        return true;
    memset(&p->r, 0, sizeof(p->r));
    p->sent = wsc_store_ping(p->s, tres_done, &p->r) == WSC_OK;
    return false;
}

bool
tstore_until_ping_ok(tstore *ts, wsc_store *s, int ms)
{
    struct pinger p = {.s = s};
    return tstore_until(ts, ping_ok, &p, ms);
}
