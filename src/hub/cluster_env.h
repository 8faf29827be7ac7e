/* SPDX-License-Identifier: MIT */
/* Envelopes between the nodes of a cluster (docs/cluster.md): what one node publishes on the
 * Redis bus for the others.  Text, binary-safe: "W1", a kind byte, then length-prefixed
 * fields ("<decimal length>:<bytes>") and the payload (the rest: the whole frame, as the
 * receivers get it, or raw bytes for a binary message). */
#ifndef WSC_HUB_CLUSTER_ENV_H
#define WSC_HUB_CLUSTER_ENV_H

#include <stddef.h>
#include <stdint.h>

#include <wsc/common.h>
#include <wsc/error.h>

enum wsc__env_kind {
    WSC__ENV_USER = 'u',    /* a message to target's connections */
    WSC__ENV_GROUP = 'g',   /* a message to the members of group target, but extra */
    WSC__ENV_ALL = 'b',     /* a message to everyone of app */
    WSC__ENV_KICK = 'k',    /* close target's connections with 4001 (reason: payload) */
    WSC__ENV_ACK = 'a',     /* target ACKed message_id payload from sender extra */
    WSC__ENV_JOIN = 'j',    /* extra joined group target */
    WSC__ENV_LEAVE = 'l',   /* extra left group target */
    WSC__ENV_REPORT = 'r',  /* answer to token: payload is the decimal count */
    WSC__ENV_REPORTS = 'R', /* answers: payload is "<token> <count>" pairs, space-separated */
    WSC__ENV_ONLINE = 'o',  /* target came online (payload "1") or went offline ("0") */
    WSC__ENV_STORED = 's',  /* a message for target was stored: replay again */
};

/* One envelope; strings are NUL-terminated views (decode: into its own copy). */
struct wsc__env {
    char kind;
    char binary;        /* '1': the payload is a binary message's bytes */
    const char *origin; /* node id of the sender */
    const char *app;    /* "" for the app-less tenant */
    uint64_t token;     /* non-zero: the origin wants a REPORT with this token */
    const char *target;
    const char *extra;
    const char *payload;
    size_t payload_len;
};

/** Encodes env into *out (the caller's, wsc_buf_free).  WSC_ERR_NOMEM. */
wsc_err wsc__env_encode(const struct wsc__env *env, wsc_buf *out);
/** Decodes data (len bytes) into env, whose strings point into *copy (a NUL-separated copy the
 *  caller frees with wsc_free).  WSC_ERR_PROTOCOL when it is not an envelope, WSC_ERR_NOMEM. */
wsc_err wsc__env_decode(const char *data, size_t len, struct wsc__env *env, char **copy);

#endif
