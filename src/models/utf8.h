/* SPDX-License-Identifier: MIT */
/* A strict UTF-8 validator (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. */
#ifndef WSC_MODELS_UTF8_H
#define WSC_MODELS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** True when the len bytes at s are well-formed UTF-8.  NUL bytes count as valid (U+0000). */
bool wsc__utf8_valid(const char *s, size_t len);

#endif
