/* SPDX-License-Identifier: MIT */
/* max_conns_per_ip: the open WebSockets of each peer address, counted from registration to
 * unregistration in a table of addresses that holds only those with a connection.  Only
 * connections opened while the cap is on are counted (conn->ip_counted), so a hub without the
 * cap pays nothing per connection; a reload that turns it on counts from then on. */
#include <string.h>

#include "hub/hub_internal.h"
#include "models/alloc.h"

struct ip_conns {
    wsc__hnode node; /* hub->ip_conns, by address */
    unsigned count;
    char addr[48];
};

static bool
addr_eq(const wsc__hnode *node, const void *key)
{
    return strcmp(wsc_container_of(node, struct ip_conns, node)->addr, key) == 0;
}

static struct ip_conns *
find(const wsc_hub *hub, const char *addr)
{
    wsc__hnode *n = wsc__hmap_find(&hub->ip_conns, wsc__hash_str(addr), addr_eq, addr);
    return n != NULL ? wsc_container_of(n, struct ip_conns, node) : NULL;
}

bool
wsc__hub_ip_conns_full(wsc_hub *hub, const char *addr)
{
    unsigned cap = hub->cfg.max_conns_per_ip;
    if (cap == 0)
        return false;
    const struct ip_conns *ip = find(hub, addr);
    unsigned count = ip != NULL ? ip->count : 0;
    if (count < cap)
        return false;
    wsc__hub_alert(hub, WSC_LIMIT_CONNS_PER_IP, NULL, addr, cap, count);
    return true;
}

void
wsc__hub_ip_conns_add(wsc_hub *hub, wsc_conn *conn, const char *addr)
{
    if (hub->cfg.max_conns_per_ip == 0)
        return;
    struct ip_conns *ip = find(hub, addr);
    if (ip == NULL) {
        ip = wsc__calloc(1, sizeof(*ip));
        if (ip == NULL)
            return; /* uncounted: a limiter that cannot allocate refuses no one */
        snprintf(ip->addr, sizeof(ip->addr), "%s", addr);
        wsc__hmap_insert(&hub->ip_conns, &ip->node, wsc__hash_str(ip->addr));
    }
    ip->count++;
    conn->ip_counted = 1;
}

void
wsc__hub_ip_conns_remove(wsc_hub *hub, wsc_conn *conn)
{
    if (!conn->ip_counted)
        return;
    conn->ip_counted = 0;
    struct ip_conns *ip = find(hub, wsc_conn_peer(conn));
    if (ip == NULL || --ip->count > 0)
        return;
    wsc__hmap_remove(&hub->ip_conns, &ip->node);
    wsc__free(ip);
}

void
wsc__hub_ip_conns_free_all(wsc_hub *hub)
{
    /* Every connection has unregistered by now, taking its count along; what could remain
     * is freed all the same. */
    for (size_t i = 0; hub->ip_conns.buckets != NULL && i <= hub->ip_conns.mask; i++) {
        wsc__hnode *n = hub->ip_conns.buckets[i];
        while (n != NULL) {
            wsc__hnode *next = n->next;
            wsc__free(wsc_container_of(n, struct ip_conns, node));
            n = next;
        }
    }
    wsc__hmap_clear(&hub->ip_conns);
}
