/* SPDX-License-Identifier: MIT */
/* A strict UTF-8 validator (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. */
#ifndef WSC_MODELS_UTF8_H
#define WSC_MODELS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** True when the len bytes at s are well-formed UTF-8.  NUL bytes count as valid (U+0000). */
bool wsc__utf8_valid(const char *s, size_t len);

/** True when the len bytes of UTF-8 at s hold a control character: C0 (U+0000-U+001F), DEL
 *  (U+007F) or C1 (U+0080-U+009F, bytes C2 80-C2 9F).  Ids (user, client, app, group) must
 *  hold none. */
bool wsc__utf8_has_control(const char *s, size_t len);

#endif
