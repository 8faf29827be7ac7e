/* SPDX-License-Identifier: MIT */
/* Dotted-path lookups on jansson values, for test assertions. */
#include "tjson.h"

#include <stdlib.h>
#include <string.h>

json_t *
tjson_parse(const char *s)
{
    return s != NULL ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
}

json_t *
tjson_parsen(const char *s, size_t len)
{
    return s != NULL ? json_loadb(s, len, JSON_DECODE_ANY, NULL) : NULL;
}

/* Steps from o into the member or element named by the len bytes at key. */
static json_t *
step(json_t *o, const char *key, size_t len)
{
    if (json_is_object(o)) {
        char name[256];
        if (len >= sizeof(name))
            return NULL;
        memcpy(name, key, len);
        name[len] = '\0';
        return json_object_get(o, name);
    }
    if (json_is_array(o) && len > 0) {
        size_t idx = 0;
        for (size_t i = 0; i < len; i++) {
            if (key[i] < '0' || key[i] > '9')
                return NULL;
            idx = idx * 10 + (size_t)(key[i] - '0');
        }
        return json_array_get(o, idx);
    }
    return NULL;
}

json_t *
tjson_get(json_t *o, const char *dotted_path)
{
    const char *p = dotted_path;
    while (o != NULL && p != NULL && *p != '\0') {
        const char *dot = strchr(p, '.');
        size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
        o = step(o, p, len);
        p = dot != NULL ? dot + 1 : NULL;
    }
    return o;
}

const char *
tjson_str(json_t *o, const char *dotted_path)
{
    return json_string_value(tjson_get(o, dotted_path));
}

long long
tjson_int(json_t *o, const char *dotted_path, long long dflt)
{
    json_t *v = tjson_get(o, dotted_path);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

bool
tjson_bool(json_t *o, const char *dotted_path, bool dflt)
{
    json_t *v = tjson_get(o, dotted_path);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

bool
tjson_has(json_t *o, const char *dotted_path)
{
    return tjson_get(o, dotted_path) != NULL;
}
