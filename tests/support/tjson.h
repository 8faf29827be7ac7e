/* SPDX-License-Identifier: MIT */
/* tjson: JSON helpers for assertions on frames and HTTP bodies, on jansson.  Paths are
 * dotted: "data.code", "group_ids.0" (a number indexes an array). */
#ifndef WSC_TEST_TJSON_H
#define WSC_TEST_TJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/** Parses a NUL-terminated document; NULL when it is not valid JSON.  Free with
 *  json_decref. */
json_t *tjson_parse(const char *s);
/** Same for len bytes (need not be NUL-terminated). */
json_t *tjson_parsen(const char *s, size_t len);
/** The value at path, or NULL.  Borrowed from o. */
json_t *tjson_get(json_t *o, const char *dotted_path);
/** The string at path, or NULL when absent or not a string.  Borrowed from o. */
const char *tjson_str(json_t *o, const char *dotted_path);
/** The integer at path, or dflt when absent or not an integer. */
long long tjson_int(json_t *o, const char *dotted_path, long long dflt);
/** The boolean at path, or dflt when absent or not a boolean. */
bool tjson_bool(json_t *o, const char *dotted_path, bool dflt);
/** True when path exists (even with a null value). */
bool tjson_has(json_t *o, const char *dotted_path);

#endif
