/* SPDX-License-Identifier: MIT */
/* Groups: named sets of user ids, kept in join order.  Sending to a group reaches every
 * connection of every member. */
#include <string.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/strv.h"

struct group_member {
    wsc__snode node;      /* group->members, by id */
    struct wsc_list link; /* group->order */
    char id[];
};

struct hub_group {
    wsc__snode node; /* hub->groups, by id */
    wsc__hmap members;
    struct wsc_list order;
    size_t count;
    char id[];
};

static struct hub_group *
group_find(const wsc_hub *hub, const char *id)
{
    wsc__snode *n = wsc__hmap_find_str(&hub->groups, id);
    return n ? wsc_container_of(n, struct hub_group, node) : NULL;
}

static struct group_member *
member_find(const struct hub_group *g, const char *user_id)
{
    wsc__snode *n = wsc__hmap_find_str(&g->members, user_id);
    return n ? wsc_container_of(n, struct group_member, node) : NULL;
}

static void group_free(struct hub_group *g);

static wsc_err
group_add(wsc_hub *hub, const char *group_id, const char *user_id)
{
    struct hub_group *g = group_find(hub, group_id);
    if (g != NULL && member_find(g, user_id) != NULL)
        return WSC_ERR_EXISTS;
    bool created = false;
    if (g == NULL) {
        g = wsc__new_with_str(struct hub_group, id, group_id);
        if (g == NULL)
            return WSC_ERR_NOMEM;
        wsc__hmap_init(&g->members);
        wsc_list_init(&g->order);
        wsc__hmap_insert_str(&hub->groups, &g->node, g->id);
        created = true;
    }
    struct group_member *m = wsc__new_with_str(struct group_member, id, user_id);
    if (m == NULL) {
        if (created) {
            wsc__hmap_remove(&hub->groups, &g->node.h);
            group_free(g);
        }
        return WSC_ERR_NOMEM;
    }
    wsc__hmap_insert_str(&g->members, &m->node, m->id);
    wsc_list_push_back(&g->order, &m->link);
    g->count++;
    return WSC_OK;
}

static void
group_free(struct hub_group *g)
{
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &g->order) {
        wsc__free(wsc_container_of(pos, struct group_member, link));
    }
    wsc__hmap_clear(&g->members);
    wsc__free(g);
}

/* Frees the group of node (a wsc__hmap_each callback). */
static void
group_free_node(wsc__hnode *node, void *arg)
{
    (void)arg;
    group_free(wsc_container_of(node, struct hub_group, node.h));
}

static wsc_err
group_del(wsc_hub *hub, const char *group_id, const char *user_id)
{
    struct hub_group *g = group_find(hub, group_id);
    struct group_member *m = g ? member_find(g, user_id) : NULL;
    if (m == NULL)
        return WSC_ERR_NOT_FOUND;
    wsc__hmap_remove(&g->members, &m->node.h);
    wsc_list_remove(&m->link);
    wsc__free(m);
    if (--g->count == 0) {
        wsc__hmap_remove(&hub->groups, &g->node.h);
        group_free(g);
    }
    return WSC_OK;
}

wsc_err
wsc__hub_group_apply(wsc_hub *hub, const char *group_id, const char *user_id, bool join)
{
    if (join && (!group_id[0] || !user_id[0]))
        return WSC_ERR_INVALID;
    return join ? group_add(hub, group_id, user_id) : group_del(hub, group_id, user_id);
}

/* A change made here: applied, then shared with the other nodes of a cluster. */
static wsc_err
change(wsc_hub *hub, const char *group_id, const char *user_id, bool join)
{
    if (hub == NULL || group_id == NULL || user_id == NULL)
        return WSC_ERR_INVALID;
    wsc_err err = wsc__hub_group_apply(hub, group_id, user_id, join);
    if (err == WSC_OK)
        wsc__cluster_group_changed(hub, group_id, user_id, join);
    return err;
}

wsc_err
wsc_hub_group_join(wsc_hub *hub, const char *group_id, const char *user_id)
{
    return change(hub, group_id, user_id, true);
}

wsc_err
wsc_hub_group_leave(wsc_hub *hub, const char *group_id, const char *user_id)
{
    return change(hub, group_id, user_id, false);
}

bool
wsc_hub_group_has(const wsc_hub *hub, const char *group_id, const char *user_id)
{
    if (hub == NULL || group_id == NULL || user_id == NULL)
        return false;
    const struct hub_group *g = group_find(hub, group_id);
    return g != NULL && member_find(g, user_id) != NULL;
}

static const char *
member_id_of(const struct wsc_list *node)
{
    return wsc_container_of(node, struct group_member, link)->id;
}

wsc_err
wsc_hub_group_members(const wsc_hub *hub, const char *group_id, char ***out, size_t *n)
{
    if (hub == NULL || group_id == NULL || out == NULL)
        return WSC_ERR_INVALID;
    const struct hub_group *g = group_find(hub, group_id);
    struct wsc_list empty;
    wsc_list_init(&empty);
    size_t count = 0;
    wsc_err err =
        wsc__strv_from_list(g ? &g->order : &empty, 0, SIZE_MAX, member_id_of, out, &count);
    if (err == WSC_OK && n != NULL)
        *n = count;
    return err;
}

size_t
wsc__hub_route_group(wsc_hub *hub, const char *group_id, wsc_msg *msg, const char *exclude_user,
                     wsc_conn *exclude)
{
    struct hub_group *g = group_find(hub, group_id);
    if (g == NULL)
        return 0;
    size_t n = 0;
    struct wsc_list *pos;
    wsc_list_foreach(pos, &g->order) {
        const char *uid = wsc_container_of(pos, struct group_member, link)->id;
        if (exclude_user == NULL || strcmp(uid, exclude_user) != 0)
            n += wsc__hub_route_user(hub, uid, msg, exclude);
    }
    return n;
}

void
wsc__hub_groups_free(wsc_hub *hub)
{
    wsc__hmap_each(&hub->groups, group_free_node, NULL);
    wsc__hmap_clear(&hub->groups);
}
