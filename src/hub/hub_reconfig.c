/* SPDX-License-Identifier: MIT */
/* Live reconfiguration (wsc_hub_reconfigure): a new wsc_hub_config is checked as a whole,
 * the strings it brings are copied before anything changes, and then it replaces the running
 * one in a single assignment, except for the fields that are wired into the listening socket,
 * the loop or the reliability engine at creation: those keep their running value and are
 * reported by name.  Everything that reads the configuration reads hub->cfg at the moment it
 * needs it (handshakes, frames, queues, sweeps, token buckets), so the new values apply from
 * the next event on, to existing connections too. */
#include <stddef.h>
#include <string.h>

#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/strv.h"

/* The owned copies a reconfiguration installs, made before anything changes. */
struct live_strings {
    char *secret;
    char **secrets;
    char **origins;
};

static void
live_strings_free(struct live_strings *s)
{
    wsc__free(s->secret);
    wsc__strv_free(s->secrets);
    wsc__strv_free(s->origins);
}

static wsc_err
live_strings_copy(struct live_strings *s, const wsc_hub_config *cfg)
{
    s->secret = wsc__strdup(cfg->jwt_secret);
    s->secrets = wsc__strv_copy(cfg->jwt_secrets);
    s->origins = wsc__strv_copy(cfg->origins);
    if ((cfg->jwt_secret != NULL && s->secret == NULL) ||
        (cfg->jwt_secrets != NULL && s->secrets == NULL) ||
        (cfg->origins != NULL && s->origins == NULL)) {
        live_strings_free(s);
        return WSC_ERR_NOMEM;
    }
    return WSC_OK;
}

/* Both NULL, or equal strings. */
static bool
same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
note_kept(wsc_hub *hub, bool differs, const char *field)
{
    if (!differs)
        return;
    size_t n = strlen(hub->kept);
    snprintf(hub->kept + n, sizeof(hub->kept) - n, "%s%s", n > 0 ? "," : "", field);
}

/* The other fixed fields, which compare plainly: by value, or as strings (both NULL, or
 * equal).  collect_kept and install read this one list. */
struct fixed {
    const char *name;
    size_t off, size;
    bool str;
};
#define FIXED_SIZE(f) sizeof(((wsc_hub_config *)0)->f)
#define FIXED(f, is_str)                                                                     \
    {                                                                                        \
        .name = #f, .off = offsetof(wsc_hub_config, f), .size = FIXED_SIZE(f), .str = is_str \
    }
static const struct fixed fixed_fields[] = {
    FIXED(tls_cert, true),
    FIXED(tls_key, true),
    FIXED(rx_buffer_size, false),
    FIXED(deflate, false), /* the vhost's extensions */
    FIXED(store, false),
    FIXED(dedupe_window, false),
    FIXED(dedupe_max_users, false),
    FIXED(ack_tick_ms, false),
    FIXED(rng_seed, false),
    FIXED(store_check_ms, false),
    FIXED(handshake_timeout_ms, false), /* set on the vhost */
    FIXED(cluster_redis, true),
};
#undef FIXED
#undef FIXED_SIZE

static bool
fixed_differs(const struct fixed *f, const wsc_hub_config *a, const wsc_hub_config *b)
{
    const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
    if (!f->str)
        return memcmp(pa, pb, f->size) != 0;
    const char *sa, *sb;
    memcpy(&sa, pa, sizeof(sa));
    memcpy(&sb, pb, sizeof(sb));
    return !same_str(sa, sb);
}

/* Lists in hub->kept the fixed fields for which cfg asks another value than the running one.
 * A NULL loop or host, a NULL or empty node_id and the bound port for a hub started on port
 * 0 all mean "the running one". */
static void
collect_kept(wsc_hub *hub, const wsc_hub_config *cfg)
{
    const wsc_hub_config *run = &hub->cfg;
    hub->kept[0] = '\0';
    note_kept(hub, cfg->loop != NULL && cfg->loop != hub->loop, "loop");
    note_kept(hub, cfg->host != NULL && !same_str(cfg->host, run->host), "host");
    note_kept(hub, cfg->port != run->port && cfg->port != hub->port, "port");
    note_kept(hub, !same_str(cfg->ws_path, run->ws_path), "ws_path");
    note_kept(hub, !same_str(cfg->sse_path ? cfg->sse_path : "", run->sse_path), "sse_path");
    note_kept(hub,
              cfg->node_id != NULL && cfg->node_id[0] != '\0' &&
                  !same_str(cfg->node_id, run->node_id),
              "node_id");
    for (size_t i = 0; i < sizeof(fixed_fields) / sizeof(fixed_fields[0]); i++)
        note_kept(hub, fixed_differs(&fixed_fields[i], cfg, run), fixed_fields[i].name);
}

/* Installs cfg with the fixed fields of the running configuration and the prepared copies
 * (whose ownership moves to the hub).  Cannot fail. */
static void
install(wsc_hub *hub, const wsc_hub_config *cfg, struct live_strings *s)
{
    const wsc_hub_config *run = &hub->cfg;
    wsc_hub_config next = *cfg;
    next.loop = run->loop;
    next.host = run->host;
    next.port = run->port;
    next.ws_path = run->ws_path;
    next.sse_path = run->sse_path;
    next.node_id = run->node_id;
    for (size_t i = 0; i < sizeof(fixed_fields) / sizeof(fixed_fields[0]); i++) {
        const struct fixed *f = &fixed_fields[i];
        memcpy((char *)&next + f->off, (const char *)run + f->off, f->size);
    }
    wsc__free(hub->str_secret);
    wsc__strv_free(hub->str_secrets);
    wsc__strv_free(hub->str_origins);
    hub->str_secret = s->secret;
    hub->str_secrets = s->secrets;
    hub->str_origins = s->origins;
    next.jwt_secret = hub->str_secret;
    next.jwt_secrets = (const char *const *)hub->str_secrets;
    next.origins = (const char *const *)hub->str_origins;
    hub->cfg = next;
    wsc__logger_init(&hub->log, &hub->cfg.log, "hub");
}

wsc_err
wsc_hub_reconfigure(wsc_hub *hub, const wsc_hub_config *cfg, const char **kept)
{
    if (kept != NULL)
        *kept = "";
    if (hub == NULL || cfg == NULL)
        return WSC_ERR_INVALID;
    char why[160];
    if (wsc__hub_config_check(cfg, why, sizeof(why)) != WSC_OK) {
        wsc__errtext_set(&hub->last_error, "%s", why);
        return WSC_ERR_INVALID;
    }
    struct live_strings s;
    if (live_strings_copy(&s, cfg) != WSC_OK) {
        wsc__errtext_set(&hub->last_error, "out of memory copying the new configuration");
        return WSC_ERR_NOMEM;
    }
    collect_kept(hub, cfg);
    install(hub, cfg, &s);
    wsc__log(&hub->log, WSC_LOG_INFO, "hub_reconfigured", "s:kept,u:secrets,u:max_bytes", hub->kept,
             (uint64_t)(wsc__strv_len(hub->cfg.jwt_secrets) + (hub->cfg.jwt_secret != NULL)),
             (uint64_t)hub->cfg.msg_limits.max_bytes);
    if (kept != NULL)
        *kept = hub->kept;
    return WSC_OK;
}

void
wsc_hub_get_config(const wsc_hub *hub, wsc_hub_config *out)
{
    if (hub == NULL || out == NULL)
        return;
    *out = hub->cfg;
}
