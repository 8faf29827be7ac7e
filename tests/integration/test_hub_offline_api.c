/* SPDX-License-Identifier: MIT */
/* The offline API of the hub (include/wsc/reliability.h) on its default memory store:
 * wsc_hub_offline_fetch pages the stored messages oldest first, wsc_hub_offline_mark_delivered
 * marks the record DELIVERED and leaves the message stored (and replayed), wsc_hub_offline_count
 * counts and wsc_hub_offline_clear removes them (nothing replayed after).  Bad arguments are
 * refused with WSC_ERR_INVALID and no callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "thub.h"
#include "tjson.h"

struct res {
    bool done;
    wsc_err status;
    uint64_t count, next;
    char ids[8][32];
    size_t n;
    wsc_record_state state;
};

static bool
is_done(void *arg)
{
    return ((struct res *)arg)->done;
}

static void
on_accepted(const wsc_accepted *a, void *user)
{
    struct res *r = user;
    r->done = true;
    r->count = a->stored;
}

static void
on_fetch(wsc_err status, wsc_msg *const *msgs, size_t count, uint64_t next_cursor, void *user)
{
    struct res *r = user;
    r->done = true;
    r->status = status;
    r->next = next_cursor;
    for (size_t i = 0; i < count && r->n < 8; i++)
        snprintf(r->ids[r->n++], sizeof(r->ids[0]), "%s", wsc_msg_get(msgs[i], WSC_F_MESSAGE_ID));
}

static void
on_done(wsc_err status, void *user)
{
    struct res *r = user;
    r->done = true;
    r->status = status;
}

static void
on_count(wsc_err status, uint64_t count, void *user)
{
    struct res *r = user;
    r->done = true;
    r->status = status;
    r->count = count;
}

static void
on_record(wsc_err status, const wsc_msg_record *rec, void *user)
{
    struct res *r = user;
    r->done = true;
    r->status = status;
    if (rec != NULL)
        r->state = rec->state;
}

/* Stores message mid for the offline user u (the answer confirms the store's write). */
static void
store(thub *t, const char *u, const char *mid)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", mid), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
    const char *users[] = {u};
    struct res r = {0};
    assert_int_equal(wsc_hub_publish_ack(t->hub, users, 1, NULL, NULL, m, NULL, on_accepted, &r),
                     WSC_OK);
    wsc_msg_unref(m);
    assert_true(thub_wait(t, is_done, &r, 3000));
    assert_int_equal(r.count, 1);
}

static uint64_t
count(thub *t, const char *u)
{
    struct res r = {0};
    assert_int_equal(wsc_hub_offline_count(t->hub, u, on_count, &r), WSC_OK);
    assert_true(thub_wait(t, is_done, &r, 3000));
    assert_int_equal(r.status, WSC_OK);
    return r.count;
}

static struct res
fetch(thub *t, const char *u, uint64_t after, size_t limit)
{
    struct res r = {0};
    assert_int_equal(wsc_hub_offline_fetch(t->hub, u, after, limit, on_fetch, &r), WSC_OK);
    assert_true(thub_wait(t, is_done, &r, 3000));
    assert_int_equal(r.status, WSC_OK);
    return r;
}

/* The text messages u's new connection gets within ms, in order (ACKed as they come). */
static size_t
replayed(thub *t, const char *u, char ids[][32], size_t cap, int ms)
{
    tws *c = thub_open(t, u, NULL);
    size_t n = 0;
    while (thub_wait_msgs(t, c, 1, ms)) {
        int op;
        char *data;
        size_t len;
        assert_true(tws_next(c, &op, &data, &len));
        json_t *j = tjson_parsen(data, len);
        free(data);
        const char *ty = tjson_str(j, "message_type"), *id = tjson_str(j, "message_id");
        if (ty != NULL && strcmp(ty, "text") == 0 && id != NULL && n < cap)
            snprintf(ids[n++], 32, "%s", id);
        json_decref(j);
    }
    twait_remove_ws(t->ts, c);
    tws_free(c);
    thub_run_for(t, 20);
    return n;
}

static void
test_offline_api__fetch_pages_mark_and_clear(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    store(&t, "u", "m1");
    store(&t, "u", "m2");
    store(&t, "u", "m3");
    assert_int_equal(count(&t, "u"), 3);

    /* Pages, oldest first; the cursor goes on where the page ended. */
    struct res p1 = fetch(&t, "u", 0, 2);
    assert_int_equal(p1.n, 2);
    assert_string_equal(p1.ids[0], "m1");
    assert_string_equal(p1.ids[1], "m2");
    struct res p2 = fetch(&t, "u", p1.next, 2);
    assert_int_equal(p2.n, 1);
    assert_string_equal(p2.ids[0], "m3");
    struct res p3 = fetch(&t, "u", p2.next, 2);
    assert_int_equal(p3.n, 0);
    assert_int_equal(count(&t, "u"), 3); /* fetching removes nothing */

    /* Marked delivered: the record says so, the message stays stored and is replayed. */
    struct res r = {0};
    assert_int_equal(wsc_hub_offline_mark_delivered(t.hub, "u", "m2", on_done, &r), WSC_OK);
    assert_true(thub_wait(&t, is_done, &r, 3000));
    assert_int_equal(r.status, WSC_OK);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_hub_record_get(t.hub, "m2", "u", on_record, &r), WSC_OK);
    assert_true(thub_wait(&t, is_done, &r, 3000));
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.state, WSC_REC_DELIVERED);
    assert_int_equal(count(&t, "u"), 3);

    /* Cleared: nothing left, nothing replayed. */
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_hub_offline_clear(t.hub, "u", on_done, &r), WSC_OK);
    assert_true(thub_wait(&t, is_done, &r, 3000));
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(count(&t, "u"), 0);
    char ids[8][32];
    assert_int_equal(replayed(&t, "u", ids, 8, 300), 0);
    thub_free(&t);
}

static void
test_offline_api__marked_delivered_is_still_replayed(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    store(&t, "v", "a1");
    store(&t, "v", "a2");
    struct res r = {0};
    assert_int_equal(wsc_hub_offline_mark_delivered(t.hub, "v", "a1", on_done, &r), WSC_OK);
    assert_true(thub_wait(&t, is_done, &r, 3000));
    char ids[8][32];
    size_t n = replayed(&t, "v", ids, 8, 500);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], "a1");
    assert_string_equal(ids[1], "a2");
    thub_free(&t);
}

static void
test_offline_api__bad_arguments_are_refused(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    struct res r = {0};
    assert_int_equal(wsc_hub_offline_fetch(t.hub, NULL, 0, 10, on_fetch, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_offline_fetch(t.hub, "u", 0, 0, on_fetch, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_offline_fetch(t.hub, "u", 0, 1001, on_fetch, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_offline_fetch(NULL, "u", 0, 10, on_fetch, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_offline_mark_delivered(t.hub, "u", NULL, on_done, &r),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_offline_count(t.hub, NULL, on_count, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_offline_clear(t.hub, NULL, on_done, &r), WSC_ERR_INVALID);
    thub_run_for(&t, 50);
    assert_false(r.done); /* no callback for a refused call */
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_api__fetch_pages_mark_and_clear),
        cmocka_unit_test(test_offline_api__marked_delivered_is_still_replayed),
        cmocka_unit_test(test_offline_api__bad_arguments_are_refused),
    };
    return cmocka_run_group_tests_name("integration.hub_offline_api", tests, NULL, NULL);
}
