/* SPDX-License-Identifier: MIT */
/* max_conns_per_ip: the open WebSockets of each peer address, counted from registration to
 * unregistration in a table of addresses that holds only those with a connection.  Only
 * connections opened while the cap is on are counted (conn->ip_counted), so a hub without the
 * cap pays nothing per connection; a reload that turns it on counts from then on. */

#include "hub/hub_internal.h"
#include "models/alloc.h"

struct ip_conns {
    wsc__snode node; /* hub->ip_conns, keyed by addr */
    unsigned count;
    char addr[48];
};

static struct ip_conns *
find(const wsc_hub *hub, const char *addr)
{
    wsc__snode *n = wsc__hmap_find_str(&hub->ip_conns, addr);
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
        wsc__hmap_insert_str(&hub->ip_conns, &ip->node, ip->addr);
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
    wsc__hmap_remove(&hub->ip_conns, &ip->node.h);
    wsc__free(ip);
}

/* A wsc__hmap_each callback. */
static void
free_entry(wsc__hnode *node, void *arg)
{
    (void)arg;
    wsc__free(wsc_container_of(node, struct ip_conns, node.h));
}

void
wsc__hub_ip_conns_free_all(wsc_hub *hub)
{
    /* Every connection has unregistered by now, taking its count along; what could remain
     * is freed all the same. */
    wsc__hmap_each(&hub->ip_conns, free_entry, NULL);
    wsc__hmap_clear(&hub->ip_conns);
}
