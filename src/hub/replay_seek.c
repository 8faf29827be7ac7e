/* SPDX-License-Identifier: MIT */
/* Resuming an event stream (PROTOCOL.md §6, Last-Event-ID): before the replay starts, the
 * user's stored messages are read in order up to the one whose message_id the client names.
 * Found: it and every message before it count as received (removed as if ACKed) and the
 * replay starts right after it.  Not found: nothing is removed and everything is replayed.
 *
 * The replay holds the connection's live traffic meanwhile (wsc__replay_hold), so stored
 * messages still go out before live ones.  Nothing is removed before the position after the
 * match is known exactly: the page holding the match is read again up to the match, so that
 * the cursor the replay starts from does not depend on removals still under way.  Should the
 * store change between the two reads (another connection ACKed), nothing is removed and the
 * whole backlog is replayed: a duplicate is allowed (at-least-once), a loss is not.  When two
 * senders' stored messages share the id, the first one counts (later ones are replayed). */
#include <string.h>

#include "hub/rel_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

#define SEEK_PAGE 100

struct seek {
    struct wsc__rel_op op;
    wsc_conn_id conn;
    uint64_t cursor;  /* the page being read starts after this */
    size_t limit;     /* size of the page asked for */
    bool positioning; /* re-reading the match's page up to the match */
    wsc_msg **passed; /* references to the stored messages before the page read */
    size_t n_passed, cap;
    char id[]; /* the message_id named by the client */
};

static void
seek_free(struct seek *s)
{
    for (size_t i = 0; i < s->n_passed; i++)
        wsc_msg_unref(s->passed[i]);
    wsc__free(s->passed);
    wsc__free(s);
}

/* Keeps references to msgs; false when out of memory. */
static bool
pass(struct seek *s, wsc_msg *const *msgs, size_t count)
{
    if (s->n_passed + count > s->cap) {
        size_t cap = s->cap ? s->cap : 64;
        while (cap < s->n_passed + count)
            cap *= 2;
        wsc_msg **v = wsc__realloc(s->passed, cap * sizeof(*v));
        if (v == NULL)
            return false;
        s->passed = v;
        s->cap = cap;
    }
    for (size_t i = 0; i < count; i++)
        s->passed[s->n_passed++] = wsc_msg_ref(msgs[i]);
    return true;
}

static bool
is_match(const struct seek *s, const wsc_msg *m)
{
    const char *mid = wsc_msg_get(m, WSC_F_MESSAGE_ID);
    return mid != NULL && strcmp(mid, s->id) == 0;
}

static void seek_page(wsc_err status, wsc_msg *const *msgs, size_t count, uint64_t next_cursor,
                      void *user);

/* Reads the next page; false when the store refused (the replay is then started). */
static bool
seek_fetch(struct wsc__rel *rel, struct seek *s, const char *user)
{
    wsc__rel_op_begin(rel, &s->op);
    if (wsc_offline_fetch(rel->offline, user, s->cursor, s->limit, seek_page, s) == WSC_OK)
        return true;
    wsc__rel_op_end(&s->op);
    return false;
}

/* The match is the last of the passed messages: every passed one counts as received. */
static void
remove_passed(struct wsc__rel *rel, struct seek *s, wsc_conn *conn)
{
    for (size_t i = 0; i < s->n_passed; i++) {
        const char *sender = wsc_msg_get(s->passed[i], WSC_F_SENDER);
        wsc__offline_acked(rel, conn->id, conn->user->id, sender != NULL ? sender : "",
                           wsc_msg_get(s->passed[i], WSC_F_MESSAGE_ID));
    }
}

/* One page read.  Returns true when s goes on (another read is out). */
static bool
seek_step(struct wsc__rel *rel, struct seek *s, wsc_conn *conn, wsc_msg *const *msgs, size_t count,
          uint64_t next_cursor)
{
    if (s->positioning) {
        bool same = count == s->limit && count > 0 && is_match(s, msgs[count - 1]);
        if (same && pass(s, msgs, count)) {
            remove_passed(rel, s, conn);
            wsc__replay_go(rel, conn, next_cursor);
        } else {
            wsc__replay_go(rel, conn, 0);
        }
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        if (is_match(s, msgs[i])) {
            s->positioning = true; /* read this page again, up to the match */
            s->limit = i + 1;
            return seek_fetch(rel, s, conn->user->id);
        }
    }
    if (count < s->limit || !pass(s, msgs, count)) {
        wsc__replay_go(rel, conn, 0); /* not stored (or out of memory): replay it all */
        return false;
    }
    s->cursor = next_cursor;
    return seek_fetch(rel, s, conn->user->id);
}

static void
seek_page(wsc_err status, wsc_msg *const *msgs, size_t count, uint64_t next_cursor, void *user)
{
    struct seek *s = user;
    struct wsc__rel *rel = wsc__rel_op_end(&s->op);
    wsc_conn *conn = rel != NULL ? wsc__hub_conn_find(rel->hub, s->conn) : NULL;
    if (conn != NULL && conn->state == CONN_OPEN) {
        if (status == WSC_OK && seek_step(rel, s, conn, msgs, count, next_cursor))
            return;
        wsc__replay_go(rel, conn, 0); /* does nothing once seek_step started the replay */
    }
    seek_free(s);
}

void
wsc__replay_seek(struct wsc__rel *rel, wsc_conn *conn, const char *last_id)
{
    if (!wsc__replay_hold(rel, conn))
        return;
    struct seek *s = wsc__new_with_str(struct seek, id, last_id);
    if (s != NULL) {
        s->conn = conn->id;
        s->limit = SEEK_PAGE;
        if (seek_fetch(rel, s, conn->user->id))
            return;
        seek_free(s);
    }
    wsc__replay_go(rel, conn, 0);
}
