/* SPDX-License-Identifier: MIT */
/* tstore: the fixture of the repository contract tests.  One test file per repository runs
 * against every backend; the backend comes from WSC_TEST_BACKEND (memory, redis, mysql, hybrid, set
 * by ctest) and its URL from WSC_TEST_REDIS_URL / WSC_TEST_MYSQL_URL (or WSC_TEST_STORE_URL
 * when WSC_TEST_BACKEND is unset).  Without a URL the tests are skipped and reported so.
 *
 *     static void test_x__y(void **state) {
 *         tstore *ts = tstore_get(state);     (skips when the backend is not configured)
 *         tres r = {0};
 *         assert_int_equal(wsc_offline_count(repo, tstore_id(ts, "u"), tres_count, &r), WSC_OK);
 *         tstore_wait(ts, &r);                (runs the loop; asserts exactly one callback)
 *     } */
#ifndef WSC_TEST_TSTORE_H
#define WSC_TEST_TSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/loop.h>
#include <wsc/repository.h>
#include <wsc/store.h>

typedef struct tstore {
    wsc_loop *loop;
    wsc_store *store;
    const char *backend;
    char url[512];
    char run[48]; /* unique per run: ids of persistent backends never collide */
    char ids[16][128];
    unsigned next_id;
} tstore;

/** One callback's result, copied out of the callback. */
typedef struct tres {
    int calls;
    wsc_err status;
    uint64_t count, cursor;
    size_t n;
    char mids[64][64]; /* message_ids of fetched messages, or client ids of online entries */
    char nodes[64][64];
    wsc_msg_record rec;
    char rec_sender[64], rec_text[128];
    wsc_conn_record conn;
    char conn_user[64], conn_reason[128];
    wsc_node_stats stats[8]; /* node_id points into mids[i] */
} tres;

/** cmocka group setup/teardown: loop + store of the configured backend (state NULL when the
 *  backend is not configured).  cfg may be NULL. */
int tstore_setup_cfg(void **state, const wsc_store_config *cfg);
int tstore_setup(void **state);
int tstore_teardown(void **state);
/** The fixture, or skip() when the backend is not configured. */
tstore *tstore_get(void **state);
/** name made unique for this run; valid until 16 more calls. */
const char *tstore_id(tstore *ts, const char *name);
/** Runs the loop until r->calls > 0 (5 s at most), then one more turn; asserts exactly one
 *  callback. */
void tstore_wait(tstore *ts, tres *r);
/** Runs the loop until cond(arg) or timeout_ms. */
bool tstore_until(tstore *ts, bool (*cond)(void *arg), void *arg, int timeout_ms);
/** Pings s until it answers WSC_OK, for ms at most; true when it did. */
bool tstore_until_ping_ok(tstore *ts, wsc_store *s, int ms);

void tres_done(wsc_err status, void *user);
void tres_count(wsc_err status, uint64_t count, void *user);
void tres_fetch(wsc_err status, wsc_msg *const *msgs, size_t count, uint64_t next_cursor,
                void *user);
void tres_record(wsc_err status, const wsc_msg_record *rec, void *user);
void tres_online(wsc_err status, const wsc_online_entry *entries, size_t count, void *user);
void tres_connrec(wsc_err status, const wsc_conn_record *rec, void *user);

/* The repositories of wsc/repository_ext.h: ids (hub stats list), the agent (acquire) and
 * popped messages land in mids (contents in nodes), loads in count. */
void tres_stats(wsc_err status, const wsc_node_stats *stats, size_t count, void *user);
void tres_ids(wsc_err status, const char *const *ids, size_t count, void *user);
void tres_msgs(wsc_err status, wsc_msg *const *msgs, size_t count, void *user);
void tres_acquire(wsc_err status, const char *agent, uint64_t load, void *user);
/** Skips the test when the backend answers WSC_ERR_UNSUPPORTED (err); else returns err. */
wsc_err tstore_supported(wsc_err err);

/** Skips the current test and counts it (tests that skip on their own call this). */
void tstore_skip(void);
/** The exit status of a test program: 77 (ctest SKIP_RETURN_CODE) when every one of its n
 *  tests was skipped and none failed, else cmocka's result rc. */
int tstore_exit(int rc, size_t n);
/** "hybrid:<redis URL>|<mysql URL>" from WSC_TEST_REDIS_URL and WSC_TEST_MYSQL_URL, or NULL
 *  when either is unset (a static buffer). */
const char *tstore_hybrid_url(void);
/** The same on the Redis of redis_url (a redis:// or redis+cluster:// URL); NULL when either
 *  is not set. */
const char *tstore_hybrid_url_of(const char *redis_url);
/** WSC_TEST_REDIS_URL with database db in place of its own, written into out; NULL when the
 *  variable is unset or out is too small.  Tests that need a database of their own (the node
 *  registry of a cluster is per database) use this. */
const char *tstore_redis_db_url(int db, char *out, size_t cap);
/** Runs `scripts/services.sh WHAT DIR` (WSC_SERVICES_SCRIPT, WSC_SERVICES_DIR: stop-redis,
 *  start-mysql, ...) and returns its exit status; -1 when those are not set. */
int tstore_services(const char *what);

/** A text message with the given message_id and content (one reference, the caller's). */
wsc_msg *tstore_msg(const char *message_id, const char *content);

#endif
