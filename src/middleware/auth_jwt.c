/* SPDX-License-Identifier: MIT */
/* JWT identity.  libjwt does the parsing and the HMAC; this file decides what is acceptable.
 * jwt_decode() verifies the signature with whatever algorithm the token's header names (and
 * none at all for "none"), so the algorithm is checked after decoding: HS256 or nothing.
 * Claims are read as JSON through jwt_get_grants_json() and checked with jansson, so that a
 * claim of the wrong type, or a string with an embedded NUL, is refused instead of silently
 * read as absent or cut short. */
#include "middleware/auth_jwt.h"

#include <errno.h>
#include <jwt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "models/alloc.h"
#include "models/utf8.h"

/* Loads claim name as a jansson value; *val is NULL when the claim is absent. */
static wsc_err
claim_json(jwt_t *jwt, const char *name, json_t **val)
{
    *val = NULL;
    char *text = jwt_get_grants_json(jwt, name);
    if (text == NULL)
        return WSC_OK;
    *val = json_loads(text, JSON_DECODE_ANY, NULL);
    /* libjwt 1.10 returns json_dumps() output, allocated by jansson with malloc(). */
    free(text);
    return *val != NULL ? WSC_OK : WSC_ERR_NOMEM;
}

/* A JSON string without embedded NUL, of at most cap - 1 bytes, copied into dst. */
static bool
copy_json_string(const json_t *v, char *dst, size_t cap)
{
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n || n >= cap)
        return false;
    memcpy(dst, s, n + 1);
    return true;
}

static const char *const control_why = "control character in a string claim";

/* Optional string claim: absent leaves dst "", present must be a fitting string without
 * control characters (C0, DEL, C1: ids end up in logs, keys and frames). */
static wsc_err
string_claim(jwt_t *jwt, const char *name, char *dst, size_t cap, const char **why)
{
    json_t *v;
    dst[0] = '\0';
    wsc_err err = claim_json(jwt, name, &v);
    if (err != WSC_OK || v == NULL)
        return err;
    if (!copy_json_string(v, dst, cap)) {
        *why = "string claim of the wrong type or too long";
        err = WSC_ERR_UNAUTHORIZED;
    } else if (wsc__utf8_has_control(dst, strlen(dst))) {
        *why = control_why;
        err = WSC_ERR_UNAUTHORIZED;
    }
    json_decref(v);
    if (err != WSC_OK)
        dst[0] = '\0';
    return err;
}

/* A NumericDate claim (RFC 7519 §2), which wsc takes as a JSON integer of seconds: *present
 * false when absent; anything else (a string, a fraction, a negative) is refused with
 * invalid_why. */
static wsc_err
time_claim(jwt_t *jwt, const char *name, bool *present, int64_t *value, const char *invalid_why,
           const char **why)
{
    json_t *v;
    wsc_err err = claim_json(jwt, name, &v);
    *present = v != NULL;
    if (err != WSC_OK || v == NULL)
        return err;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        *why = invalid_why;
        err = WSC_ERR_UNAUTHORIZED;
    } else {
        *value = (int64_t)json_integer_value(v);
    }
    json_decref(v);
    return err;
}

static wsc_err
read_times(jwt_t *jwt, int64_t now_s, wsc__identity *out, const char **why)
{
    bool has_exp, has_nbf, has_iat;
    int64_t exp = 0, nbf = 0, iat = 0;
    wsc_err err = time_claim(jwt, "exp", &has_exp, &exp, "invalid exp", why);
    if (err == WSC_OK)
        err = time_claim(jwt, "nbf", &has_nbf, &nbf, "invalid nbf", why);
    if (err == WSC_OK)
        err = time_claim(jwt, "iat", &has_iat, &iat, "invalid iat", why);
    if (err != WSC_OK)
        return err;
    if (!has_exp)
        *why = "missing exp";
    else if (exp <= 0)
        *why = "invalid exp";
    else if (exp <= now_s)
        *why = "token expired";
    else if (has_nbf && nbf > now_s)
        *why = "token not yet valid";
    else {
        out->exp = exp;
        return WSC_OK;
    }
    return WSC_ERR_UNAUTHORIZED;
}

static wsc_err
read_user(jwt_t *jwt, wsc__identity *out, const char **why)
{
    wsc_err err = string_claim(jwt, "sub", out->user_id, sizeof(out->user_id), why);
    if (err == WSC_OK && out->user_id[0] == '\0')
        err = string_claim(jwt, "uid", out->user_id, sizeof(out->user_id), why);
    if (err == WSC_OK && out->user_id[0] == '\0') {
        *why = "missing user id (sub or uid)";
        err = WSC_ERR_UNAUTHORIZED;
    }
    if (err == WSC_OK)
        err = string_claim(jwt, "utp", out->user_type, sizeof(out->user_type), why);
    if (err == WSC_OK)
        err = string_claim(jwt, "did", out->device_id, sizeof(out->device_id), why);
    if (err == WSC_OK)
        err = string_claim(jwt, "aid", out->app_id, sizeof(out->app_id), why);
    return err;
}

/* Copies the strings of the "gid" array into out->groups. */
static wsc_err
copy_groups(const json_t *arr, wsc__identity *out, const char **why)
{
    size_t n = json_array_size(arr);
    if (n > WSC__JWT_MAX_GROUPS) {
        *why = "too many groups in gid";
        return WSC_ERR_UNAUTHORIZED;
    }
    if (n == 0)
        return WSC_OK;
    out->groups = wsc__calloc(n, sizeof(*out->groups));
    if (out->groups == NULL)
        return WSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        char id[WSC__JWT_MAX_GROUP_LEN + 1];
        if (!copy_json_string(json_array_get(arr, i), id, sizeof(id)) || id[0] == '\0') {
            *why = "gid must hold non-empty strings of at most 127 bytes";
            return WSC_ERR_UNAUTHORIZED;
        }
        if (wsc__utf8_has_control(id, strlen(id))) {
            *why = control_why;
            return WSC_ERR_UNAUTHORIZED;
        }
        out->groups[i] = wsc__strdup(id);
        if (out->groups[i] == NULL)
            return WSC_ERR_NOMEM;
        out->n_groups = i + 1;
    }
    return WSC_OK;
}

static wsc_err
read_groups(jwt_t *jwt, wsc__identity *out, const char **why)
{
    json_t *arr;
    wsc_err err = claim_json(jwt, "gid", &arr);
    if (err != WSC_OK || arr == NULL)
        return err;
    if (json_is_array(arr)) {
        err = copy_groups(arr, out, why);
    } else {
        *why = "gid must be an array";
        err = WSC_ERR_UNAUTHORIZED;
    }
    json_decref(arr);
    return err;
}

static bool
secret_ok(const char *secret)
{
    size_t n = secret != NULL ? strlen(secret) : 0;
    return n > 0 && n <= INT_MAX;
}

wsc_err
wsc__jwt_verify(const char *token, const char *secret, int64_t now_s, wsc__identity *out,
                const char **why)
{
    const char *ignored;
    why = why != NULL ? why : &ignored;
    *why = NULL;
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (token == NULL || out == NULL || !secret_ok(secret)) {
        *why = "missing token, secret or output";
        return WSC_ERR_INVALID;
    }
    jwt_t *jwt = NULL;
    int rc = jwt_decode(&jwt, token, (const unsigned char *)secret, (int)strlen(secret));
    if (rc != 0) {
        *why = "malformed token or bad signature";
        return rc == ENOMEM ? WSC_ERR_NOMEM : WSC_ERR_UNAUTHORIZED;
    }
    wsc_err err = WSC_ERR_UNAUTHORIZED;
    if (jwt_get_alg(jwt) != JWT_ALG_HS256)
        *why = "algorithm not allowed (HS256 only)";
    else if ((err = read_times(jwt, now_s, out, why)) == WSC_OK &&
             (err = read_user(jwt, out, why)) == WSC_OK)
        err = read_groups(jwt, out, why);
    jwt_free(jwt);
    if (err != WSC_OK) {
        wsc__identity_clear(out);
        if (err == WSC_ERR_NOMEM)
            *why = "out of memory";
    }
    return err;
}

void
wsc__identity_clear(wsc__identity *id)
{
    if (id == NULL)
        return;
    for (size_t i = 0; i < id->n_groups; i++)
        wsc__free(id->groups[i]);
    wsc__free(id->groups);
    memset(id, 0, sizeof(*id));
}

wsc_err
wsc__jwt_sign_hs256(const char *secret, const char *claims_json, char **out)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || claims_json == NULL || !secret_ok(secret))
        return WSC_ERR_INVALID;
    jwt_t *jwt = NULL;
    int rc = jwt_new(&jwt);
    if (rc != 0)
        return rc == ENOMEM ? WSC_ERR_NOMEM : WSC_ERR_INTERNAL;
    wsc_err err = WSC_ERR_INVALID;
    if (jwt_add_grants_json(jwt, claims_json) == 0 &&
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret)) == 0) {
        char *token = jwt_encode_str(jwt);
        err = WSC_ERR_NOMEM;
        if (token != NULL) {
            /* Hand out a copy from our own allocator so that wsc__free() releases it. */
            *out = wsc__strdup(token);
            err = *out != NULL ? WSC_OK : WSC_ERR_NOMEM;
            free(token);
        }
    }
    jwt_free(jwt);
    return err;
}

static const char *
skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

bool
wsc__bearer_token(const char *authorization_header, char *out, size_t cap)
{
    if (out == NULL || cap == 0)
        return false;
    out[0] = '\0';
    if (authorization_header == NULL)
        return false;
    const char *p = skip_blanks(authorization_header);
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
        return false;
    p = skip_blanks(p + 6);
    size_t n = strcspn(p, " \t\r\n");
    if (n == 0 || n >= cap)
        return false;
    /* Only trailing blanks may follow: "Bearer a b" is not one token. */
    const char *rest = p + n;
    while (*rest == ' ' || *rest == '\t' || *rest == '\r' || *rest == '\n')
        rest++;
    if (*rest != '\0')
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}
