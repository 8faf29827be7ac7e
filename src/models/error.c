/* SPDX-License-Identifier: MIT */
/* The error table: names, texts and retryability generated from WSC_ERR_MAP. */
#include <wsc/error.h>

struct err_row {
    const char *name;
    const char *text;
    bool retryable;
};

static const struct err_row *
row_of(wsc_err err)
{
    static const struct err_row rows[] = {
#define ROW_(name, value, retry, text) [value] = {#name, text, retry},
        WSC_ERR_MAP(ROW_)
#undef ROW_
    };
    if ((unsigned)err >= sizeof(rows) / sizeof(rows[0]) || rows[err].name == NULL)
        return NULL;
    return &rows[err];
}

const char *
wsc_strerror(wsc_err err)
{
    const struct err_row *r = row_of(err);
    return r ? r->text : "unknown error";
}

const char *
wsc_err_name(wsc_err err)
{
    const struct err_row *r = row_of(err);
    return r ? r->name : "UNKNOWN";
}

bool
wsc_err_is_retryable(wsc_err err)
{
    const struct err_row *r = row_of(err);
    return r ? r->retryable : false;
}
