/* SPDX-License-Identifier: MIT */
/* Loading the JSON config file: every key is looked up in the settings table by its dotted
 * path ("limits.max_conns"); sections recurse; anything else is an error that names the key,
 * so a typo never silently falls back to a default. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "config_options.h"

static wsc_err
apply_users(wsc_hubd_config *cfg, const wsc_hubd_opt *opt, const char *path, json_t *v, char *err,
            size_t errcap)
{
    if (!json_is_array(v)) {
        snprintf(err, errcap, "%s: expected an array of %s", path,
                 opt->kind == WSC_HUBD_OPT_USERS ? "user ids" : "strings");
        return WSC_ERR_INVALID;
    }
    size_t n = json_array_size(v);
    const char **ids = calloc(n + 1, sizeof(*ids));
    if (ids == NULL)
        return WSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        ids[i] = json_string_value(json_array_get(v, i));
        if (ids[i] == NULL || ids[i][0] == '\0') {
            snprintf(err, errcap, "%s[%zu]: expected a non-empty string", path, i);
            free(ids);
            return WSC_ERR_INVALID;
        }
    }
    wsc_err e = opt->kind == WSC_HUBD_OPT_LIST ? wsc_hubd_config_set_list(cfg, opt, ids, n)
                                               : wsc_hubd_config_set_users(cfg, ids, n);
    free(ids);
    return e;
}

/* Turns a scalar JSON value into the text the flag parser would have seen, after checking
 * that its JSON type fits the setting. */
static bool
scalar_text(const wsc_hubd_opt *opt, json_t *v, char *buf, size_t cap, const char **text)
{
    switch (opt->kind) {
    case WSC_HUBD_OPT_BOOL:
        *text = json_is_true(v) ? "true" : "false";
        return json_is_boolean(v);
    case WSC_HUBD_OPT_UNSIGNED:
    case WSC_HUBD_OPT_SIZE:
        if (!json_is_integer(v))
            return false;
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *text = buf;
        return true;
    case WSC_HUBD_OPT_STRING:
        /* null leaves an optional string unset (handy to disable redis in a copied file). */
        *text = json_is_null(v) ? NULL : json_string_value(v);
        return json_is_null(v) || json_is_string(v);
    default:
        *text = json_string_value(v);
        return json_is_string(v);
    }
}

static wsc_err
apply_value(wsc_hubd_config *cfg, const wsc_hubd_opt *opt, const char *path, json_t *v, char *err,
            size_t errcap)
{
    if (opt->kind == WSC_HUBD_OPT_USERS || opt->kind == WSC_HUBD_OPT_LIST)
        return apply_users(cfg, opt, path, v, err, errcap);
    char num[32];
    const char *text = NULL;
    if (!scalar_text(opt, v, num, sizeof(num), &text)) {
        static const char *const names[] = {"a string",   "true or false",          "an integer",
                                            "an integer", "a \"HOST:PORT\" string", "an array",
                                            "a string"};
        snprintf(err, errcap, "%s: wrong type (expected %s)", path, names[opt->kind]);
        return WSC_ERR_INVALID;
    }
    return wsc_hubd_opt_set_text(cfg, opt, path, text, err, errcap);
}

static wsc_err
apply_object(wsc_hubd_config *cfg, const char *prefix, json_t *obj, char *err, size_t errcap)
{
    const char *key = NULL;
    json_t *v = NULL;
    json_object_foreach(obj, key, v)
    {
        char path[128];
        int n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
        const wsc_hubd_opt *opt =
            n > 0 && (size_t)n < sizeof(path) ? wsc_hubd_opt_by_key(path) : NULL;
        wsc_err e = WSC_OK;
        if (opt != NULL) {
            e = apply_value(cfg, opt, path, v, err, errcap);
        } else if (n > 0 && (size_t)n < sizeof(path) && wsc_hubd_opt_is_section(path)) {
            if (!json_is_object(v)) {
                snprintf(err, errcap, "%s: expected an object", path);
                return WSC_ERR_INVALID;
            }
            e = apply_object(cfg, path, v, err, errcap);
        } else {
            snprintf(err, errcap, "unknown key \"%s%s%s\" (see docs/configuration.md)", prefix,
                     *prefix ? "." : "", key);
            return WSC_ERR_INVALID;
        }
        if (e != WSC_OK)
            return e;
    }
    return WSC_OK;
}

wsc_err
wsc_hubd_config_load_json(wsc_hubd_config *cfg, const char *json, size_t len, char *err,
                          size_t errcap)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, errcap, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return WSC_ERR_INVALID;
    }
    wsc_err e = WSC_ERR_INVALID;
    if (!json_is_object(root))
        snprintf(err, errcap, "the config must be one JSON object");
    else
        e = apply_object(cfg, "", root, err, errcap);
    json_decref(root);
    return e;
}

wsc_err
wsc_hubd_config_load_file(wsc_hubd_config *cfg, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return WSC_ERR_IO;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    wsc_err e = WSC_OK;
    while (buf != NULL) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        char *bigger = cap < (1u << 24) ? realloc(buf, cap * 2) : NULL;
        if (bigger == NULL) {
            snprintf(err, errcap, "%s: too large or out of memory", path);
            e = WSC_ERR_NOMEM;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf == NULL) {
        snprintf(err, errcap, "%s: out of memory", path);
        e = WSC_ERR_NOMEM;
    } else if (ferror(f)) {
        snprintf(err, errcap, "%s: read error", path);
        e = WSC_ERR_IO;
    }
    fclose(f);
    if (e == WSC_OK) {
        char inner[384];
        e = wsc_hubd_config_load_json(cfg, buf, len, inner, sizeof(inner));
        if (e != WSC_OK)
            snprintf(err, errcap, "%s: %s", path, inner);
    }
    free(buf);
    return e;
}
