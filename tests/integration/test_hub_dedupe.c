/* SPDX-License-Identifier: MIT */
/* A client that sends the same message_id again (a resend after a lost receipt, say) is
 * routed once (integration.hub_dedupe; the hub's dedupe window, docs/reliability.md): the
 * receiver gets the message once; a sender that asked for a receipt gets the first one's status
 * again for the copy; a fire-and-forget copy is dropped silently; each copy counts in the
 * reliability stats' duplicates.  The window is per sender: another user may use the same id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "thub.h"
#include "tjson.h"

static void
send_to_bob(tws *c, const char *mid, bool ack)
{
    char buf[256];
    snprintf(buf, sizeof(buf),
             "{\"message_type\":\"text\",\"receiver\":\"bob\",\"content\":\"%s\","
             "\"message_id\":\"%s\"%s}",
             mid, mid, ack ? ",\"require_ack\":true" : "");
    thub_send(c, buf);
}

/* The receipt of mid on c: its status. */
static void
expect_receipt(thub *t, tws *c, const char *mid, const char *status)
{
    json_t *j = thub_recv_type(t, c, "ack", 3000);
    assert_string_equal(tjson_str(j, "message_id"), mid);
    assert_string_equal(tjson_str(j, "data.status"), status);
    json_decref(j);
}

static void
expect_content(thub *t, tws *c, const char *content)
{
    json_t *j = thub_recv(t, c, 3000);
    assert_string_equal(tjson_str(j, "content"), content);
    json_decref(j);
}

/* What bob read after the first d1: per sender and content, until alice's "end" (alice's
 * frames are routed in her order; carol's may come between them). */
struct tally {
    int alice_d1, alice_f1, carol_d1, other;
};

static void
read_until_end(thub *t, tws *bob, struct tally *n)
{
    for (;;) {
        json_t *j = thub_recv(t, bob, 3000);
        const char *from = tjson_str(j, "sender"), *content = tjson_str(j, "content");
        bool end = strcmp(content, "end") == 0;
        if (strcmp(from, "alice") == 0 && strcmp(content, "d1") == 0)
            n->alice_d1++;
        else if (strcmp(from, "alice") == 0 && strcmp(content, "f1") == 0)
            n->alice_f1++;
        else if (strcmp(from, "carol") == 0 && strcmp(content, "d1") == 0)
            n->carol_d1++;
        else if (!end)
            n->other++;
        json_decref(j);
        if (end)
            break;
    }
    thub_run_for(t, 100);
    while (tws_pending(bob) > 0) { /* carol's may still come after the end */
        json_t *j = thub_recv(t, bob, 100);
        if (strcmp(tjson_str(j, "sender"), "carol") == 0)
            n->carol_d1++;
        else
            n->other++;
        json_decref(j);
    }
}

static void
test_dedupe__resent_message_routed_once(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *alice = thub_open(&t, "alice", NULL), *bob = thub_open(&t, "bob", NULL);
    tws *carol = thub_open(&t, "carol", NULL);
    /* With a receipt: delivered, and delivered again for the copy; bob reads it once. */
    send_to_bob(alice, "d1", true);
    expect_receipt(&t, alice, "d1", "delivered");
    expect_content(&t, bob, "d1");
    thub_send(bob, "{\"message_type\":\"ack\",\"message_id\":\"d1\"}");
    send_to_bob(alice, "d1", true);
    expect_receipt(&t, alice, "d1", "delivered");
    /* Fire-and-forget, twice: one copy reaches bob. */
    send_to_bob(alice, "f1", false);
    send_to_bob(alice, "f1", false);
    /* Another sender may use the same id: not a duplicate of alice's. */
    send_to_bob(carol, "d1", false);
    send_to_bob(alice, "end", false);
    struct tally n = {0};
    read_until_end(&t, bob, &n);
    assert_int_equal(n.alice_d1, 0);
    assert_int_equal(n.alice_f1, 1);
    assert_int_equal(n.carol_d1, 1);
    assert_int_equal(n.other, 0);
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(t.hub, &st);
    assert_int_equal(st.duplicates, 2);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedupe__resent_message_routed_once),
    };
    return cmocka_run_group_tests_name("integration.hub_dedupe", tests, NULL, NULL);
}
