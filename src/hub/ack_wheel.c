/* SPDX-License-Identifier: MIT */
/* The hashed timer wheel of ACK timers.  An entry due at tick t sits in slot t & mask and
 * fires when the wheel has processed tick t; entries further away than one turn simply wait
 * in their slot until their own tick comes round.  The loop timer runs only while something
 * is armed, so an idle hub has no wake-ups from here. */
#include "hub/ack_wheel.h"

#include "models/alloc.h"

wsc_err
wsc__wheel_init(struct wsc__wheel *w, size_t slots, uint64_t tick_ms, uint64_t now_ms)
{
    size_t n = 1;
    while (n < slots)
        n <<= 1;
    *w = (struct wsc__wheel){0};
    w->slots = wsc__malloc(n * sizeof(*w->slots));
    if (w->slots == NULL)
        return WSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        wsc_list_init(&w->slots[i]);
    w->mask = n - 1;
    w->tick_ms = tick_ms ? tick_ms : 1;
    w->origin_ms = now_ms;
    return WSC_OK;
}

static void
on_timer(wsc__timer *t)
{
    struct wsc__wheel *w = wsc_container_of(t, struct wsc__wheel, timer);
    wsc__wheel_advance(w, wsc__now_ms());
    if (w->count > 0)
        wsc__timer_start(&w->timer, w->tick_ms);
}

void
wsc__wheel_attach(struct wsc__wheel *w, wsc_loop *loop)
{
    wsc__timer_init(&w->timer, loop, on_timer);
    w->attached = true;
}

void
wsc__wheel_free(struct wsc__wheel *w)
{
    if (w->attached)
        wsc__timer_stop(&w->timer);
    w->attached = false;
    wsc__free(w->slots);
    w->slots = NULL;
}

/* The tick whose processing covers time ms (rounded up: never fire early). */
static uint64_t
tick_of(const struct wsc__wheel *w, uint64_t ms)
{
    if (ms <= w->origin_ms)
        return 0;
    return (ms - w->origin_ms + w->tick_ms - 1) / w->tick_ms;
}

void
wsc__wheel_add(struct wsc__wheel *w, struct wsc__wheel_entry *e, uint64_t now_ms, uint64_t delay_ms)
{
    wsc__wheel_cancel(w, e);
    uint64_t due = tick_of(w, now_ms + delay_ms);
    if (due <= w->done_tick)
        due = w->done_tick + 1;
    e->due_tick = due;
    e->armed = true;
    wsc_list_push_back(&w->slots[due & w->mask], &e->link);
    if (w->count++ == 0 && w->attached)
        wsc__timer_start(&w->timer, w->tick_ms);
}

void
wsc__wheel_cancel(struct wsc__wheel *w, struct wsc__wheel_entry *e)
{
    if (!e->armed)
        return;
    wsc_list_remove(&e->link);
    e->armed = false;
    w->count--;
    if (w->count == 0 && w->attached)
        wsc__timer_stop(&w->timer);
}

/* Fires the entries of one tick.  They are moved to a private list first, so callbacks that
 * add entries to this very slot (a later turn) do not run again now. */
static size_t
fire_tick(struct wsc__wheel *w, uint64_t tick)
{
    struct wsc_list due, *pos, *tmp;
    wsc_list_init(&due);
    struct wsc_list *slot = &w->slots[tick & w->mask];
    wsc_list_foreach_safe(pos, tmp, slot) {
        struct wsc__wheel_entry *e = wsc_container_of(pos, struct wsc__wheel_entry, link);
        if (e->due_tick <= tick) {
            wsc_list_remove(&e->link);
            wsc_list_push_back(&due, &e->link);
        }
    }
    size_t n = 0;
    while (!wsc_list_empty(&due)) {
        struct wsc__wheel_entry *e = wsc_container_of(due.next, struct wsc__wheel_entry, link);
        wsc_list_remove(&e->link);
        e->armed = false;
        w->count--;
        n++;
        e->cb(e);
    }
    return n;
}

size_t
wsc__wheel_advance(struct wsc__wheel *w, uint64_t now_ms)
{
    uint64_t target = now_ms <= w->origin_ms ? 0 : (now_ms - w->origin_ms) / w->tick_ms;
    size_t n = 0;
    /* After a long stall, skip empty turns: visiting each slot once covers every entry. */
    if (target > w->done_tick + w->mask + 1 && w->count == 0)
        w->done_tick = target;
    while (w->done_tick < target) {
        w->done_tick++;
        if (w->count > 0)
            n += fire_tick(w, w->done_tick);
    }
    return n;
}
