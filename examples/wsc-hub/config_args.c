/* SPDX-License-Identifier: MIT */
/* Command-line flags of wsc-hub: "--flag VALUE" or "--flag=VALUE"; boolean flags take no
 * value (or "=true"/"=false").  --config is applied first wherever it stands, so flags always
 * override the file. */
#include <string.h>

#include "config.h"
#include "config_options.h"

/* Splits "--flag=value" into the flag name (copied into name) and the value, or returns the
 * argument unchanged with *value NULL. */
static void
split_arg(const char *arg, char *name, size_t cap, const char **value)
{
    const char *eq = strchr(arg, '=');
    size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    if (n >= cap)
        n = cap - 1;
    memcpy(name, arg, n);
    name[n] = '\0';
    *value = eq != NULL ? eq + 1 : NULL;
}

static wsc_err
load_config_flag(wsc_hubd_config *cfg, int argc, const char *const *argv, char *err, size_t errcap)
{
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *value = NULL;
        split_arg(argv[i], name, sizeof(name), &value);
        if (strcmp(name, "--config") != 0)
            continue;
        if (value == NULL && i + 1 < argc)
            value = argv[i + 1];
        if (value == NULL || *value == '\0') {
            snprintf(err, errcap, "--config needs a FILE");
            return WSC_ERR_INVALID;
        }
        return wsc_hubd_config_load_file(cfg, value, err, errcap);
    }
    return WSC_OK;
}

/* Applies argv[*i]; advances *i past a separate value. */
static wsc_err
apply_flag(wsc_hubd_config *cfg, int argc, const char *const *argv, int *i, char *err,
           size_t errcap)
{
    char name[64];
    const char *value = NULL;
    split_arg(argv[*i], name, sizeof(name), &value);
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        cfg->help = true;
        return WSC_OK;
    }
    if (strcmp(name, "--version") == 0) {
        cfg->version = true;
        return WSC_OK;
    }
    bool is_config = strcmp(name, "--config") == 0;
    const wsc_hubd_opt *opt = is_config ? NULL : wsc_hubd_opt_by_flag(name);
    if (!is_config && opt == NULL) {
        snprintf(err, errcap, "unknown option \"%s\" (try --help)", argv[*i]);
        return WSC_ERR_INVALID;
    }
    bool takes_value = is_config || opt->kind != WSC_HUBD_OPT_BOOL;
    if (value == NULL && takes_value) {
        if (*i + 1 >= argc) {
            snprintf(err, errcap, "%s needs a value", name);
            return WSC_ERR_INVALID;
        }
        value = argv[++*i];
    }
    if (is_config)
        return WSC_OK; /* applied before every other flag */
    return wsc_hubd_opt_set_text(cfg, opt, name, value, err, errcap);
}

wsc_err
wsc_hubd_config_parse_args(wsc_hubd_config *cfg, int argc, const char *const *argv, char *err,
                           size_t errcap)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            /* --help wins over everything, even a broken config file. */
            cfg->help = true;
            return WSC_OK;
        }
    }
    wsc_err e = load_config_flag(cfg, argc, argv, err, errcap);
    for (int i = 1; e == WSC_OK && i < argc; i++)
        e = apply_flag(cfg, argc, argv, &i, err, errcap);
    return e;
}

void
wsc_hubd_config_usage(FILE *out)
{
    fprintf(out, "usage: wsc-hub [--config FILE] [options]\n\n"
                 "A standalone wsc WebSocket hub with an HTTP API and a demo chat page.\n"
                 "Options override the config file (docs/configuration.md):\n\n"
                 "  --config FILE                JSON config file\n");
    for (const wsc_hubd_opt *o = wsc_hubd_opts; o->key != NULL || o->flag != NULL; o++) {
        if (o->flag == NULL)
            continue;
        char left[64];
        snprintf(left, sizeof(left), "%s%s%s", o->flag, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        fprintf(out, "  %-28s %s\n", left, o->help);
    }
    fprintf(out, "  %-28s %s\n  %-28s %s\n", "--help", "show this text", "--version",
            "print the version");
}
