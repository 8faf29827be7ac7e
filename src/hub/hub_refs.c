/* SPDX-License-Identifier: MIT */
/* Message references the loop thread takes and drops in bulk.  A message sent from other
 * threads has its count changed by them too, so each atomic step on it is a cache miss; the
 * hot path (a posted send queued, then written) would take three per delivery.  Here drops are
 * deferred and counted for one message at a time, a take cancels a deferred drop, and what is
 * left is dropped in one step when another message comes along or at the end of the pass.
 * The count in memory is never below the references the hub holds, so nothing is freed early;
 * a message lives at most until the end of the pass after its last drop. */
#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

static void
refs_soon(wsc__soon *s)
{
    wsc__hub_refs_flush(wsc_container_of(s, struct wsc__hub_refs, soon));
}

void
wsc__hub_refs_init(struct wsc__hub_refs *r, wsc_loop *loop)
{
    r->msg = NULL;
    r->n = 0;
    r->loop = loop;
    wsc__soon_init(&r->soon, refs_soon);
}

void
wsc__hub_refs_flush(struct wsc__hub_refs *r)
{
    wsc_msg *m = r->msg;
    unsigned n = r->n;
    r->msg = NULL;
    r->n = 0;
    wsc__soon_cancel(&r->soon);
    wsc__msg_unref_n(m, n);
}

void
wsc__hub_ref(struct wsc__hub_refs *r, wsc_msg *msg)
{
    if (msg == r->msg && r->n > 0)
        r->n--;
    else
        wsc_msg_ref(msg);
}

void
wsc__hub_unref(struct wsc__hub_refs *r, wsc_msg *msg)
{
    if (msg == NULL)
        return;
    if (msg != r->msg) {
        wsc__hub_refs_flush(r);
        r->msg = msg;
        wsc__loop_soon(r->loop, &r->soon);
    }
    r->n++;
}
