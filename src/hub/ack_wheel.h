/* SPDX-License-Identifier: MIT */
/* A hashed timer wheel: every ACK timer of the hub in one structure driven by one loop timer
 * that ticks only while entries are armed.  Insert and cancel are O(1); a tick visits one
 * slot.  The core takes the time as an argument so tests can drive it without a loop. */
#ifndef WSC_HUB_ACK_WHEEL_H
#define WSC_HUB_ACK_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop/loop.h"
#include "models/list.h"

struct wsc__wheel_entry;
typedef void (*wsc__wheel_cb)(struct wsc__wheel_entry *e);

/** Embed one per timer; zeroed memory is a valid unarmed entry once cb is set. */
struct wsc__wheel_entry {
    struct wsc_list link; /* slot list while armed */
    uint64_t due_tick;
    wsc__wheel_cb cb;
    bool armed;
};

struct wsc__wheel {
    struct wsc_list *slots;
    size_t mask; /* slot count - 1 */
    uint64_t tick_ms;
    uint64_t origin_ms; /* time of tick 0 */
    uint64_t done_tick; /* every tick up to this one has been processed */
    size_t count;       /* armed entries */
    wsc__timer timer;   /* drives wsc__wheel_advance; only when attached to a loop */
    bool attached;
};

/** slots is rounded up to a power of two.  WSC_ERR_NOMEM. */
wsc_err wsc__wheel_init(struct wsc__wheel *w, size_t slots, uint64_t tick_ms, uint64_t now_ms);
/** Lets the wheel arm a loop timer (one tick period) whenever entries are armed. */
void wsc__wheel_attach(struct wsc__wheel *w, wsc_loop *loop);
/** The entries stay where they are (cancel them first); stops the loop timer. */
void wsc__wheel_free(struct wsc__wheel *w);
/** Arms e to fire once delay_ms after now_ms, rounded up to the next tick (never early).
 *  Re-arming an armed entry moves it. */
void wsc__wheel_add(struct wsc__wheel *w, struct wsc__wheel_entry *e, uint64_t now_ms,
                    uint64_t delay_ms);
/** Disarms e; unarmed entries are fine. */
void wsc__wheel_cancel(struct wsc__wheel *w, struct wsc__wheel_entry *e);
/** Fires every entry due at or before now_ms, in due order per tick.  Callbacks may add and
 *  cancel entries (also the one firing).  Returns the number fired. */
size_t wsc__wheel_advance(struct wsc__wheel *w, uint64_t now_ms);

#endif
