/* SPDX-License-Identifier: MIT */
/* The last-error text an object keeps for its wsc_<obj>_last_error(): on the object, never
 * global or per thread (STYLE.md §3).  The hub, the client and the store each hold one. */
#ifndef WSC_MODELS_ERRTEXT_H
#define WSC_MODELS_ERRTEXT_H

typedef struct wsc__errtext {
    char text[256]; /* "" until the first failure */
} wsc__errtext;

/** Formats the text of e (printf-style, truncated to fit).  Cannot fail. */
void wsc__errtext_set(wsc__errtext *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
