/* SPDX-License-Identifier: MIT */
/* String arrays: copies of NULL-terminated ones, and strings packed from an intrusive list into
 * one freeable block. */
#include "models/strv.h"

#include <string.h>

#include "models/alloc.h"

wsc_err
wsc__strv_from_list(const struct wsc_list *head, size_t offset, size_t limit, wsc__strv_get get,
                    char ***out, size_t *n)
{
    size_t count = 0, bytes = 0, i = 0;
    const struct wsc_list *pos;
    wsc_list_foreach(pos, head) {
        if (i++ >= offset && count < limit) {
            bytes += strlen(get(pos)) + 1;
            count++;
        }
    }
    char **arr = wsc__malloc((count + 1) * sizeof(char *) + bytes);
    if (arr == NULL)
        return WSC_ERR_NOMEM;
    char *s = (char *)(arr + count + 1);
    size_t k = 0;
    i = 0;
    wsc_list_foreach(pos, head) {
        if (i++ < offset || k >= count)
            continue;
        const char *id = get(pos);
        size_t len = strlen(id) + 1;
        memcpy(s, id, len);
        arr[k++] = s;
        s += len;
    }
    arr[k] = NULL;
    *out = arr;
    *n = k;
    return WSC_OK;
}

size_t
wsc__strv_len(const char *const *v)
{
    size_t n = 0;
    while (v != NULL && v[n] != NULL)
        n++;
    return n;
}

char **
wsc__strv_copy(const char *const *v)
{
    if (v == NULL)
        return NULL;
    size_t n = wsc__strv_len(v);
    char **out = wsc__calloc(n + 1, sizeof(char *));
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        out[i] = wsc__strdup(v[i]);
        if (out[i] == NULL) {
            wsc__strv_free(out);
            return NULL;
        }
    }
    return out;
}

void
wsc__strv_free(char **v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; v[i] != NULL; i++)
        wsc__free(v[i]);
    wsc__free(v);
}
