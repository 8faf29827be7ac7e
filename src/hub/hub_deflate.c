/* SPDX-License-Identifier: MIT */
/* permessage-deflate (RFC 7692) on the hub's WebSockets.  lws negotiates it and owns the
 * compressor (its own extension, with context takeover): a message written with
 * lws_write(TEXT|BINARY) leaves compressed (RSV1 set), in as many fragments as lws's 1 KiB
 * output chunk needs, which lws writes on later WRITEABLE turns that it serves itself.  The
 * hub's callback is not called until the message is all out, so nothing of ours can land in
 * the middle of it.  Messages shorter than deflate_threshold are framed by the hub and leave
 * uncompressed (RSV1 clear) in one raw write, several at once as without deflate: RFC 7692
 * lets each message choose, and an uncompressed message does not touch the compressor's
 * window, so both kinds interleave freely (docs/protocol.md, "permessage-deflate"). */
#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

const struct lws_extension wsc__hub_deflate_exts[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_max_window_bits"},
    {NULL, NULL, NULL},
};

void
wsc__hub_deflate_open(wsc_hub *hub, wsc_conn *conn)
{
    /* lws has no "is this extension active" call; setting an option of an extension that is
     * not active on the wsi answers -1.  The level set is lws's own default (1). */
    conn->deflate = hub->cfg.deflate && lws_set_extension_option(conn->wsi, "permessage-deflate",
                                                                 "compression_level", "1") == 0;
}

void
wsc__hub_deflate_writeable(wsc_conn *conn)
{
    struct conn_extra *x = conn->x;
    if (x != NULL && x->tx_hold != NULL) {
        wsc_msg_unref(x->tx_hold);
        x->tx_hold = NULL;
    }
}

bool
wsc__hub_deflate_busy(const wsc_conn *conn)
{
    return conn->x != NULL && conn->x->tx_hold != NULL;
}

/* lws's deflater reads the message's buffer until the last fragment is written, after
 * lws_write has returned and the message has been reported sent: conn keeps a reference until
 * its next WRITEABLE (asked for here: lws gives it once the last fragment is out), or its
 * close. */
static int
write_compressed(wsc_hub *hub, wsc_conn *conn, wsc_msg *m)
{
    struct conn_extra *x = wsc__conn_extra(conn);
    if (x == NULL)
        return -1;
    wsc_msg_ref(m);
    x->tx_hold = m;
    if (wsc__hub_write_one(hub, conn, m) < 0)
        return -1;
    lws_callback_on_writable(conn->wsi);
    return 0;
}

int
wsc__hub_deflate_write(wsc_hub *hub, wsc_conn *conn, size_t waiting)
{
    size_t total = 0;
    size_t n = wsc__hub_frame_run(hub, conn, waiting, hub->cfg.deflate_threshold, &total);
    if (n > 0)
        return wsc__hub_write_run(hub, conn, n, total);
    return write_compressed(hub, conn, wsc__conn_queue_peek(&conn->q, 0));
}

void
wsc__hub_deflate_park(wsc_hub *hub, wsc_conn *conn)
{
    struct conn_extra *x = conn->x;
    if (x == NULL || x->tx_hold == NULL)
        return;
    wsc_msg **v = wsc__realloc(hub->deflate_parked, (hub->n_parked + 1) * sizeof(*v));
    if (v == NULL)
        return; /* out of memory: release() drops the reference as for a closed wsi */
    hub->deflate_parked = v;
    v[hub->n_parked++] = x->tx_hold;
    x->tx_hold = NULL;
}

void
wsc__hub_deflate_free(wsc_hub *hub)
{
    for (size_t i = 0; i < hub->n_parked; i++)
        wsc_msg_unref(hub->deflate_parked[i]);
    wsc__free(hub->deflate_parked);
    hub->deflate_parked = NULL;
    hub->n_parked = 0;
}
