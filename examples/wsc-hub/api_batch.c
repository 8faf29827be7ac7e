/* SPDX-License-Identifier: MIT */
/* The results of POST /api/publish (PROTOCOL.md §7), and the batch form ("messages": up to
 * 1,000 frames to one target, sent in order in one request): every message gets its own
 * result, in order, and the answer leaves once the last one is in — a result says "stored"
 * only once the store has confirmed, as for a single message. */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

json_t *
wsc_hubd_publish_result(const char *message_id, wsc_err status, uint64_t n)
{
    /* A node that did not answer in time is left out of the count (it may have queued). */
    if (status == WSC_OK || status == WSC_ERR_TIMEOUT)
        return json_pack("{s:s, s:I, s:I}", "message_id", message_id, "delivered", (json_int_t)n,
                         "stored", (json_int_t)0);
    return json_pack("{s:s, s:s, s:s}", "message_id", message_id, "error",
                     status == WSC_ERR_NOMEM ? "internal" : "unavailable", "reason",
                     wsc_strerror(status));
}

json_t *
wsc_hubd_accepted_result(const wsc_accepted *a)
{
    if (a->failed == 0)
        return json_pack("{s:s, s:I, s:I}", "message_id", a->message_id, "delivered",
                         (json_int_t)a->delivered, "stored", (json_int_t)a->stored);
    char reason[200];
    snprintf(reason, sizeof(reason), "%zu of %zu receivers not taken: %s", a->failed,
             a->online + a->stored + a->duplicates + a->unreachable + a->failed,
             wsc_strerror(a->error));
    const char *code = a->error == WSC_ERR_LIMIT ? "inbox_full"
                       : a->error == WSC_ERR_NOMEM || a->error == WSC_ERR_INTERNAL
                           ? "internal"
                           : "store_unavailable";
    return json_pack("{s:s, s:s, s:s}", "message_id", a->message_id, "error", code, "reason",
                     reason);
}

struct wsc_hubd_batch {
    wsc_http_req *req;
    json_t *results; /* one entry per message, null until its result is in */
    size_t waits;    /* results not in yet, plus one until sealed */
};

struct wsc_hubd_slot {
    wsc_hubd_batch *b;
    size_t i;
    char message_id[];
};

wsc_hubd_batch *
wsc_hubd_batch_new(wsc_http_req *req, size_t n)
{
    wsc_hubd_batch *b = calloc(1, sizeof(*b));
    json_t *results = json_array();
    for (size_t i = 0; results != NULL && i < n; i++)
        if (json_array_append_new(results, json_null()) != 0) {
            json_decref(results);
            results = NULL;
        }
    if (b == NULL || results == NULL) {
        free(b);
        json_decref(results);
        wsc_hubd_reply_wsc_err(req, WSC_ERR_NOMEM, "publish");
        return NULL;
    }
    *b = (wsc_hubd_batch){req, results, n + 1};
    return b;
}

static void
batch_wait_done(wsc_hubd_batch *b)
{
    if (--b->waits > 0)
        return;
    wsc_hubd_reply_json(b->req, 200, json_pack("{s:o}", "results", b->results));
    free(b);
}

static void
slot_done(wsc_hubd_slot *s, json_t *result)
{
    wsc_hubd_batch *b = s->b;
    if (result == NULL) /* out of memory: the entry says what it can */
        result = json_pack("{s:s}", "error", "internal");
    json_array_set_new(b->results, s->i, result);
    free(s);
    batch_wait_done(b);
}

wsc_hubd_slot *
wsc_hubd_batch_slot(wsc_hubd_batch *b, size_t i, const char *message_id)
{
    size_t len = strlen(message_id) + 1;
    wsc_hubd_slot *s = malloc(sizeof(*s) + len);
    if (s == NULL) {
        json_array_set_new(b->results, i,
                           json_pack("{s:s, s:s}", "message_id", message_id, "error", "internal"));
        batch_wait_done(b);
        return NULL;
    }
    s->b = b;
    s->i = i;
    memcpy(s->message_id, message_id, len);
    return s;
}

void
wsc_hubd_batch_published(wsc_hub *hub, wsc_err status, uint64_t n, void *slot)
{
    (void)hub;
    wsc_hubd_slot *s = slot;
    slot_done(s, wsc_hubd_publish_result(s->message_id, status, n));
}

void
wsc_hubd_batch_accepted(const wsc_accepted *a, void *slot)
{
    slot_done(slot, wsc_hubd_accepted_result(a));
}

void
wsc_hubd_batch_failed(wsc_hubd_slot *slot, wsc_err err)
{
    slot_done(slot, wsc_hubd_publish_result(slot->message_id, err, 0));
}

void
wsc_hubd_batch_seal(wsc_hubd_batch *b)
{
    batch_wait_done(b);
}
