/* SPDX-License-Identifier: MIT */
/* Store health: the hub pings its store (wsc_store_ping) every store_check_ms, one ping at a
 * time.  A failed ping (STORE, TIMEOUT) marks the store down and /readyz answers 503 until a
 * ping succeeds again; local WebSocket delivery is not affected.  The store may outlive the
 * hub, so a ping in flight when the hub goes is orphaned: its callback only frees it. */
#include "hub/hub_internal.h"
#include "hub/rel_internal.h"
#include "models/alloc.h"

struct wsc__store_probe {
    wsc_hub *hub; /* NULL once orphaned */
};

static void
probe_done(wsc_err status, void *user)
{
    struct wsc__store_probe *p = user;
    wsc_hub *hub = p->hub;
    wsc__free(p);
    if (hub == NULL || status == WSC_ERR_CANCELED)
        return;
    hub->probe = NULL;
    bool down = status != WSC_OK;
    if (down != hub->store_down) {
        wsc__log(&hub->log, down ? WSC_LOG_WARN : WSC_LOG_INFO, down ? "store_down" : "store_up",
                 "s:backend,s:error", wsc_store_backend(hub->rel->store), wsc_strerror(status));
    }
    hub->store_down = down;
}

static void
check(wsc__timer *t)
{
    wsc_hub *hub = wsc_container_of(t, wsc_hub, store_check);
    if (hub->probe == NULL && hub->rel != NULL && hub->rel->store != NULL) {
        struct wsc__store_probe *p = wsc__calloc(1, sizeof(*p));
        if (p != NULL) {
            p->hub = hub;
            if (wsc_store_ping(hub->rel->store, probe_done, p) == WSC_OK)
                hub->probe = p;
            else
                wsc__free(p);
        }
    }
    wsc__timer_start(&hub->store_check, hub->cfg.store_check_ms);
}

void
wsc__hub_store_check_start(wsc_hub *hub)
{
    if (hub->cfg.store_check_ms == 0)
        return;
    hub->store_check.cb = check;
    wsc__timer_start(&hub->store_check, hub->cfg.store_check_ms);
}

void
wsc__hub_store_check_stop(wsc_hub *hub)
{
    wsc__timer_stop(&hub->store_check);
    if (hub->probe != NULL)
        hub->probe->hub = NULL;
    hub->probe = NULL;
}
