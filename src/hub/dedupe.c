/* SPDX-License-Identifier: MIT */
/* Per-user windows of client message_ids.  One hash table indexes every remembered
 * (user, id) pair; each user's window is a FIFO list so eviction is O(1), and the windows
 * themselves sit in an LRU list bounded by max_users. */
#include "hub/dedupe.h"

#include <string.h>

#include "models/alloc.h"

struct window {
    wsc__hnode node;      /* d->users */
    struct wsc_list lru;  /* d->lru */
    struct wsc_list fifo; /* entries, oldest first */
    size_t n;
    char user[];
};

struct entry {
    wsc__hnode node;      /* d->ids */
    struct wsc_list link; /* window->fifo */
    struct window *w;
    enum wsc__receipt receipt;
    const char *error;
    char id[];
};

struct ukey {
    const char *user;
    const char *id;
};

static bool
window_eq(const wsc__hnode *n, const void *key)
{
    return strcmp(wsc_container_of(n, struct window, node)->user, key) == 0;
}

static bool
entry_eq(const wsc__hnode *n, const void *key)
{
    const struct entry *e = wsc_container_of(n, struct entry, node);
    const struct ukey *k = key;
    return strcmp(e->id, k->id) == 0 && strcmp(e->w->user, k->user) == 0;
}

void
wsc__hub_dedupe_init(struct wsc__hub_dedupe *d, size_t per_user, size_t max_users)
{
    memset(d, 0, sizeof(*d));
    wsc__hmap_init(&d->ids);
    wsc__hmap_init(&d->users);
    wsc_list_init(&d->lru);
    d->per_user = per_user;
    d->max_users = max_users ? max_users : 1;
}

static void
entry_drop(struct wsc__hub_dedupe *d, struct entry *e)
{
    wsc__hmap_remove(&d->ids, &e->node);
    wsc_list_remove(&e->link);
    e->w->n--;
    wsc__free(e);
}

static void
window_drop(struct wsc__hub_dedupe *d, struct window *w)
{
    while (!wsc_list_empty(&w->fifo))
        entry_drop(d, wsc_container_of(w->fifo.next, struct entry, link));
    wsc__hmap_remove(&d->users, &w->node);
    wsc_list_remove(&w->lru);
    d->n_users--;
    wsc__free(w);
}

void
wsc__hub_dedupe_free(struct wsc__hub_dedupe *d)
{
    while (!wsc_list_empty(&d->lru))
        window_drop(d, wsc_container_of(d->lru.next, struct window, lru));
    wsc__hmap_clear(&d->ids);
    wsc__hmap_clear(&d->users);
}

static struct entry *
find(const struct wsc__hub_dedupe *d, const char *user, const char *id)
{
    struct ukey k = {user, id};
    wsc__hnode *n = wsc__hmap_find(&d->ids, wsc__hash_pair(user, id), entry_eq, &k);
    return n ? wsc_container_of(n, struct entry, node) : NULL;
}

bool
wsc__hub_dedupe_seen(struct wsc__hub_dedupe *d, const char *user, const char *id,
                     enum wsc__receipt *receipt, const char **error)
{
    if (user == NULL || id == NULL || d->per_user == 0)
        return false;
    struct entry *e = find(d, user, id);
    if (e == NULL)
        return false;
    wsc_list_remove(&e->w->lru);
    wsc_list_push_back(&d->lru, &e->w->lru);
    if (receipt != NULL)
        *receipt = e->receipt;
    if (error != NULL)
        *error = e->error;
    return true;
}

static struct window *
window_get(struct wsc__hub_dedupe *d, const char *user)
{
    wsc__hnode *n = wsc__hmap_find(&d->users, wsc__hash_str(user), window_eq, user);
    if (n != NULL)
        return wsc_container_of(n, struct window, node);
    size_t len = strlen(user);
    struct window *w = wsc__malloc(sizeof(*w) + len + 1);
    if (w == NULL)
        return NULL;
    memcpy(w->user, user, len + 1);
    wsc_list_init(&w->fifo);
    w->n = 0;
    wsc__hmap_insert(&d->users, &w->node, wsc__hash_str(user));
    wsc_list_push_back(&d->lru, &w->lru);
    d->n_users++;
    return w;
}

wsc_err
wsc__hub_dedupe_put(struct wsc__hub_dedupe *d, const char *user, const char *id,
                    enum wsc__receipt receipt, const char *error)
{
    if (user == NULL || id == NULL || d->per_user == 0)
        return WSC_OK;
    struct entry *e = find(d, user, id);
    if (e != NULL) {
        e->receipt = receipt;
        e->error = error;
        return WSC_OK;
    }
    struct window *w = window_get(d, user);
    if (w == NULL)
        return WSC_ERR_NOMEM;
    size_t len = strlen(id);
    e = wsc__malloc(sizeof(*e) + len + 1);
    if (e == NULL)
        return WSC_ERR_NOMEM;
    memcpy(e->id, id, len + 1);
    e->w = w;
    e->receipt = receipt;
    e->error = error;
    wsc__hmap_insert(&d->ids, &e->node, wsc__hash_pair(user, id));
    wsc_list_push_back(&w->fifo, &e->link);
    if (++w->n > d->per_user)
        entry_drop(d, wsc_container_of(w->fifo.next, struct entry, link));
    wsc_list_remove(&w->lru);
    wsc_list_push_back(&d->lru, &w->lru);
    while (d->n_users > d->max_users)
        window_drop(d, wsc_container_of(d->lru.next, struct window, lru));
    return WSC_OK;
}

void
wsc__hub_dedupe_forget(struct wsc__hub_dedupe *d, const char *user, const char *id)
{
    if (user == NULL || id == NULL || d->per_user == 0)
        return;
    struct entry *e = find(d, user, id);
    if (e != NULL)
        entry_drop(d, e);
}
