/* SPDX-License-Identifier: MIT */
/* A cap on the connections of one peer address that are not WebSockets: lws hands the hub each
 * accepted socket (LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED) before it gives it one of its
 * header tables, and the hub closes it there when its address already has
 * max_pending_per_ip of them.  So one address cannot hold the table pool (lws's
 * max_http_header_pool, wsc_loop_config.max_handshakes) with silent or slow sockets and lock
 * every other client out.  A connection counts from its accept until it becomes a WebSocket
 * or closes: plain HTTP connections count all their life, since lws takes a table again for
 * each request a keep-alive connection starts.  Entries exist only while counted, so memory
 * follows the number of such connections. */
#include <string.h>

#include "hub/hub_internal.h"
#include "models/alloc.h"

struct hs_ip {
    wsc__snode node; /* hub->hs_ips, by address */
    unsigned count;
    char addr[48];
};

struct hs_mark {
    wsc__hnode node;      /* hub->hs_wsis, by wsi */
    struct wsc_list link; /* hub->hs_marks */
    struct lws *wsi;
    struct hs_ip *ip;
};

static bool
mark_eq(const wsc__hnode *node, const void *key)
{
    return wsc_container_of(node, struct hs_mark, node)->wsi == key;
}

static uint64_t
wsi_hash(const struct lws *wsi)
{
    return wsc__hash_u64((uint64_t)(uintptr_t)wsi);
}

/* The address's entry, made when absent; NULL when out of memory. */
static struct hs_ip *
ip_get(wsc_hub *hub, const char *addr)
{
    wsc__snode *n = wsc__hmap_find_str(&hub->hs_ips, addr);
    if (n != NULL)
        return wsc_container_of(n, struct hs_ip, node);
    struct hs_ip *ip = wsc__calloc(1, sizeof(*ip));
    if (ip == NULL)
        return NULL;
    snprintf(ip->addr, sizeof(ip->addr), "%s", addr);
    wsc__hmap_insert_str(&hub->hs_ips, &ip->node, ip->addr);
    return ip;
}

int
wsc__hub_accept_admit(wsc_hub *hub, struct lws *wsi)
{
    unsigned cap = hub->cfg.max_pending_per_ip;
    if (cap == 0)
        return 0;
    char addr[48] = "";
    lws_get_peer_simple(wsi, addr, sizeof(addr));
    struct hs_ip *ip = ip_get(hub, addr);
    if (ip == NULL)
        return 0; /* a limiter that cannot allocate refuses no one */
    if (ip->count >= cap) {
        hub->metrics.refused[WSC__REFUSE_PENDING]++;
        wsc__log(&hub->log, WSC_LOG_DEBUG, "accept_refused", "s:peer,u:pending", addr,
                 (uint64_t)ip->count);
        return -1; /* lws closes the socket at once */
    }
    struct hs_mark *m = wsc__calloc(1, sizeof(*m));
    if (m == NULL) {
        if (ip->count == 0) {
            wsc__hmap_remove(&hub->hs_ips, &ip->node.h);
            wsc__free(ip);
        }
        return 0;
    }
    m->wsi = wsi;
    m->ip = ip;
    ip->count++;
    wsc__hmap_insert(&hub->hs_wsis, &m->node, wsi_hash(wsi));
    wsc_list_push_back(&hub->hs_marks, &m->link);
    return 0;
}

static void
mark_free(wsc_hub *hub, struct hs_mark *m)
{
    wsc__hmap_remove(&hub->hs_wsis, &m->node);
    wsc_list_remove(&m->link);
    if (--m->ip->count == 0) {
        wsc__hmap_remove(&hub->hs_ips, &m->ip->node.h);
        wsc__free(m->ip);
    }
    wsc__free(m);
}

void
wsc__hub_accept_release(wsc_hub *hub, struct lws *wsi)
{
    if (hub->hs_wsis.count == 0)
        return;
    wsc__hnode *n = wsc__hmap_find(&hub->hs_wsis, wsi_hash(wsi), mark_eq, wsi);
    if (n != NULL)
        mark_free(hub, wsc_container_of(n, struct hs_mark, node));
}

void
wsc__hub_accept_free_all(wsc_hub *hub)
{
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &hub->hs_marks) {
        mark_free(hub, wsc_container_of(pos, struct hs_mark, link));
    }
    wsc__hmap_clear(&hub->hs_wsis);
    wsc__hmap_clear(&hub->hs_ips);
}
