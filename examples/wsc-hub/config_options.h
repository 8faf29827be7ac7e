/* SPDX-License-Identifier: MIT */
/* The one table of wsc-hub settings: each row names a key of the JSON file, the flag that
 * overrides it, its type and where it lands in wsc_hubd_config.  The file loader and the
 * flag parser both apply values through it, so the two never disagree. */
#ifndef WSC_HUBD_CONFIG_OPTIONS_H
#define WSC_HUBD_CONFIG_OPTIONS_H

#include <stddef.h>

#include "config.h"

typedef enum wsc_hubd_opt_kind {
    WSC_HUBD_OPT_STRING,   /**< char *, owned */
    WSC_HUBD_OPT_BOOL,     /**< bool */
    WSC_HUBD_OPT_UNSIGNED, /**< unsigned, 0..max */
    WSC_HUBD_OPT_SIZE,     /**< size_t, 0..max */
    WSC_HUBD_OPT_LISTEN,   /**< "HOST:PORT" into host and port */
    WSC_HUBD_OPT_USERS,    /**< list of user ids (JSON array, or comma-separated flag) */
    WSC_HUBD_OPT_LOGLEVEL, /**< "debug", "info", "warn", "error", "off" */
    WSC_HUBD_OPT_LIST      /**< char **, NULL-terminated, owned; NULL when empty (JSON array of
                                non-empty strings, or comma-separated flag) */
} wsc_hubd_opt_kind;

typedef struct wsc_hubd_opt {
    const char *key;  /**< JSON path ("limits.max_conns"), or NULL for flag-only settings */
    const char *flag; /**< "--max-conns", or NULL for file-only settings */
    wsc_hubd_opt_kind kind;
    size_t offset;          /**< of the field in wsc_hubd_config */
    unsigned long long max; /**< upper bound of numbers (0: none beyond the type) */
    const char *metavar;    /**< for --help */
    const char *help;
} wsc_hubd_opt;

/** The table, ended by a row whose key and flag are both NULL. */
extern const wsc_hubd_opt wsc_hubd_opts[];

/** The row whose JSON path is key, or NULL. */
const wsc_hubd_opt *wsc_hubd_opt_by_key(const char *key);
/** The row whose flag is flag ("--listen"), or NULL. */
const wsc_hubd_opt *wsc_hubd_opt_by_flag(const char *flag);
/** True when some row's key lies below the section path ("limits"). */
bool wsc_hubd_opt_is_section(const char *path);

/** Applies a value given as text (a flag's argument; for BOOL, NULL means true).  The name
 *  in messages is what the user typed (flag or key).  WSC_ERR_INVALID or WSC_ERR_NOMEM. */
wsc_err wsc_hubd_opt_set_text(wsc_hubd_config *cfg, const wsc_hubd_opt *opt, const char *name,
                              const char *text, char *err, size_t errcap);

/** Replaces the list of opt (kind LIST) with copies of n items; n 0 unsets it (NULL).
 *  WSC_ERR_NOMEM. */
wsc_err wsc_hubd_config_set_list(wsc_hubd_config *cfg, const wsc_hubd_opt *opt,
                                 const char *const *items, size_t n);

/** Frees a NULL-terminated list of strings.  NULL is fine. */
void wsc_hubd_list_free(char **list);

/** Replaces the broadcast user list with copies of n ids.  WSC_ERR_NOMEM. */
wsc_err wsc_hubd_config_set_users(wsc_hubd_config *cfg, const char *const *ids, size_t n);

#endif
