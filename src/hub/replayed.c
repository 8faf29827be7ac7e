/* SPDX-License-Identifier: MIT */
/* (user, message_id) -> senders of the replayed stored messages, in one chained hash table and
 * a FIFO for the bound (replayed.h). */
#include "hub/replayed.h"

#include <string.h>

#include "models/alloc.h"

struct entry {
    wsc__hnode node;
    struct wsc_list link;     /* fifo */
    const char *mid, *sender; /* point into user[] */
    char user[];
};

struct rkey {
    const char *user, *mid;
};

static bool
entry_eq(const wsc__hnode *n, const void *key)
{
    const struct entry *e = wsc_container_of(n, struct entry, node);
    const struct rkey *k = key;
    return strcmp(e->mid, k->mid) == 0 && strcmp(e->user, k->user) == 0;
}

void
wsc__replayed_init(struct wsc__replayed *r, size_t cap)
{
    wsc__hmap_init(&r->map);
    wsc_list_init(&r->fifo);
    r->n = 0;
    r->cap = cap > 0 ? cap : 1;
}

static void
entry_drop(struct wsc__replayed *r, struct entry *e)
{
    wsc__hmap_remove(&r->map, &e->node);
    wsc_list_remove(&e->link);
    r->n--;
    wsc__free(e);
}

void
wsc__replayed_free(struct wsc__replayed *r)
{
    while (!wsc_list_empty(&r->fifo))
        entry_drop(r, wsc_container_of(r->fifo.next, struct entry, link));
    wsc__hmap_clear(&r->map);
}

/* The next entry of (user, mid) after n (NULL: the first). */
static struct entry *
find_next(struct wsc__replayed *r, const char *user, const char *mid, wsc__hnode *after)
{
    struct rkey k = {user, mid};
    uint64_t h = wsc__hash_pair(user, mid);
    wsc__hnode *n = after != NULL ? after->next : wsc__hmap_find(&r->map, h, entry_eq, &k);
    if (after == NULL)
        return n != NULL ? wsc_container_of(n, struct entry, node) : NULL;
    for (; n != NULL; n = n->next) {
        if (n->hash == h && entry_eq(n, &k))
            return wsc_container_of(n, struct entry, node);
    }
    return NULL;
}

wsc_err
wsc__replayed_put(struct wsc__replayed *r, const char *user, const char *message_id,
                  const char *sender)
{
    sender = sender != NULL ? sender : "";
    for (struct entry *e = find_next(r, user, message_id, NULL); e != NULL;
         e = find_next(r, user, message_id, &e->node)) {
        if (strcmp(e->sender, sender) == 0)
            return WSC_OK;
    }
    size_t nu = strlen(user) + 1, nm = strlen(message_id) + 1, ns = strlen(sender) + 1;
    struct entry *e = wsc__malloc(sizeof(*e) + nu + nm + ns);
    if (e == NULL)
        return WSC_ERR_NOMEM;
    memcpy(e->user, user, nu);
    e->mid = memcpy(e->user + nu, message_id, nm);
    e->sender = memcpy(e->user + nu + nm, sender, ns);
    if (wsc__hmap_insert(&r->map, &e->node, wsc__hash_pair(user, message_id)) != WSC_OK) {
        wsc__free(e);
        return WSC_ERR_NOMEM;
    }
    wsc_list_push_back(&r->fifo, &e->link);
    if (++r->n > r->cap)
        entry_drop(r, wsc_container_of(r->fifo.next, struct entry, link));
    return WSC_OK;
}

size_t
wsc__replayed_take(struct wsc__replayed *r, const char *user, const char *message_id,
                   const char *sender, void (*fn)(const char *sender, void *arg), void *arg)
{
    size_t n = 0;
    struct entry *e = find_next(r, user, message_id, NULL);
    while (e != NULL) {
        struct entry *next = find_next(r, user, message_id, &e->node);
        if (sender == NULL || strcmp(e->sender, sender) == 0) {
            fn(e->sender, arg);
            entry_drop(r, e);
            n++;
        }
        e = next;
    }
    return n;
}
