/* SPDX-License-Identifier: MIT */
/* Encoding and decoding of the envelopes between nodes (cluster_env.h). */
#include "hub/cluster_env.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"

#define NFIELDS 5 /* origin, app, token, target, extra */

static size_t
field_len(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

static char *
put_field(char *at, const char *s, size_t n)
{
    at += sprintf(at, "%zu:", n);
    if (n > 0)
        memcpy(at, s, n);
    return at + n;
}

wsc_err
wsc__env_encode(const struct wsc__env *env, wsc_buf *out)
{
    char token[24];
    snprintf(token, sizeof(token), "%" PRIu64, env->token);
    const char *f[NFIELDS] = {env->origin, env->app, token, env->target, env->extra};
    size_t total = 4 + env->payload_len + 1;
    for (size_t i = 0; i < NFIELDS; i++)
        total += field_len(f[i]) + 21;
    char *buf = wsc__malloc(total);
    if (buf == NULL)
        return WSC_ERR_NOMEM;
    char *at = buf;
    *at++ = 'W';
    *at++ = '1';
    *at++ = env->kind;
    *at++ = env->binary == '1' ? '1' : '0';
    for (size_t i = 0; i < NFIELDS; i++)
        at = put_field(at, f[i], field_len(f[i]));
    if (env->payload_len > 0)
        memcpy(at, env->payload, env->payload_len);
    at += env->payload_len;
    *at = '\0';
    out->data = buf;
    out->len = (size_t)(at - buf);
    return WSC_OK;
}

/* Reads "<len>:<bytes>" at *p (end: one past the data) into dst (NUL-terminated); advances. */
static bool
take_field(const char **p, const char *end, char **dst)
{
    const char *s = *p;
    size_t n = 0;
    if (s >= end || *s < '0' || *s > '9')
        return false;
    while (s < end && *s >= '0' && *s <= '9' && n < (1u << 20))
        n = n * 10 + (size_t)(*s++ - '0');
    if (s >= end || *s != ':' || (size_t)(end - s - 1) < n)
        return false;
    s++;
    memcpy(*dst, s, n);
    (*dst)[n] = '\0';
    *p = s + n;
    *dst += n + 1;
    return true;
}

wsc_err
wsc__env_decode(const char *data, size_t len, struct wsc__env *env, char **copy)
{
    *copy = NULL;
    if (data == NULL || len < 4 || data[0] != 'W' || data[1] != '1')
        return WSC_ERR_PROTOCOL;
    char *buf = wsc__malloc(len + 1);
    if (buf == NULL)
        return WSC_ERR_NOMEM;
    const char *p = data + 4, *end = data + len;
    char *at = buf;
    char *f[NFIELDS];
    for (size_t i = 0; i < NFIELDS; i++) {
        f[i] = at;
        if (!take_field(&p, end, &at)) {
            wsc__free(buf);
            return WSC_ERR_PROTOCOL;
        }
    }
    memset(env, 0, sizeof(*env));
    env->kind = data[2];
    env->binary = data[3];
    env->origin = f[0];
    env->app = f[1];
    env->token = strtoull(f[2], NULL, 10);
    env->target = f[3];
    env->extra = f[4];
    env->payload = p;
    env->payload_len = (size_t)(end - p);
    *copy = buf;
    return WSC_OK;
}
