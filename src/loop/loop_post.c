/* SPDX-License-Identifier: MIT */
/* The loop's post queue (loop_post.h): the waiting array is swapped out under the lock and run
 * without it, so a post never waits for work being run and the loop takes everything that
 * waits with one lock. */
#include "loop/loop_post.h"

#include <string.h>

#include "models/alloc.h"

#define FIRST_CAP 64

void
wsc__postq_init(struct wsc__postq *q, size_t max)
{
    memset(q, 0, sizeof(*q));
    /* Adaptive: a poster that finds the lock taken spins briefly (the holder only copies an
     * item) before it sleeps in the kernel. */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&q->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    q->max = max;
}

void
wsc__postq_fini(struct wsc__postq *q)
{
    wsc__free(q->in);
    wsc__free(q->spare);
    pthread_mutex_destroy(&q->lock);
}

/* Under the lock: room for one more item in q->in. */
static wsc_err
grow(struct wsc__postq *q)
{
    if (q->n_in < q->cap_in)
        return WSC_OK;
    if (q->in == NULL && q->spare != NULL) {
        q->in = q->spare;
        q->cap_in = q->cap_spare;
        q->spare = NULL;
        q->cap_spare = 0;
        return WSC_OK;
    }
    struct wsc__post_item *p = wsc__grow(q->in, &q->cap_in, q->n_in + 1, sizeof(*p), FIRST_CAP);
    if (p == NULL)
        return WSC_ERR_NOMEM;
    q->in = p;
    return WSC_OK;
}

/* Appends fn with arg, or with len bytes of data when len > 0. */
static wsc_err
push(struct wsc__postq *q, wsc__post_fn fn, void *arg, const void *data, size_t len, bool force,
     bool *wake)
{
    *wake = false;
    pthread_mutex_lock(&q->lock);
    wsc_err err = !force && q->n_in >= q->max ? WSC_ERR_BUSY : grow(q);
    if (err == WSC_OK) {
        struct wsc__post_item *it = &q->in[q->n_in++];
        it->fn = fn;
        it->len = (uint32_t)len;
        if (len > 0)
            memcpy(it->u.data, data, len);
        else
            it->u.arg = arg;
        q->posts++;
        *wake = q->n_in == 1;
        q->wakes += *wake ? 1 : 0;
    }
    pthread_mutex_unlock(&q->lock);
    return err;
}

wsc_err
wsc__postq_push(struct wsc__postq *q, wsc__post_fn fn, void *arg, bool force, bool *wake)
{
    return push(q, fn, arg, NULL, 0, force, wake);
}

wsc_err
wsc__postq_push_copy(struct wsc__postq *q, wsc__post_fn fn, const void *data, size_t len,
                     bool *wake)
{
    *wake = false;
    if (len == 0 || len > WSC__LOOP_POST_INLINE)
        return WSC_ERR_INVALID;
    return push(q, fn, NULL, data, len, false, wake);
}

size_t
wsc__postq_drain(struct wsc__postq *q)
{
    pthread_mutex_lock(&q->lock);
    struct wsc__post_item *items = q->in;
    size_t n = q->n_in, cap = q->cap_in;
    /* Posts from now on fill the spare array (or a new one when an outer drain holds it). */
    q->in = q->spare;
    q->cap_in = q->cap_spare;
    q->n_in = 0;
    q->spare = NULL;
    q->cap_spare = 0;
    pthread_mutex_unlock(&q->lock);
    for (size_t i = 0; i < n; i++)
        items[i].fn(items[i].len > 0 ? (void *)items[i].u.data : items[i].u.arg);
    pthread_mutex_lock(&q->lock);
    if (q->spare == NULL) {
        q->spare = items;
        q->cap_spare = cap;
        items = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    wsc__free(items);
    return n;
}
