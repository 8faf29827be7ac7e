/* SPDX-License-Identifier: MIT */
/* Identity from a JWT (PROTOCOL.md section 1): HS256 verification with libjwt, the claims wsc
 * reads, and extraction of the token from an Authorization header.  Tokens are secrets: never
 * log them, and never log why-strings together with the token. */
#ifndef WSC_MIDDLEWARE_AUTH_JWT_H
#define WSC_MIDDLEWARE_AUTH_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/error.h>

#define WSC__JWT_MAX_GROUPS    64  /* most entries accepted in "gid" */
#define WSC__JWT_MAX_GROUP_LEN 127 /* longest group id, in bytes */

/** Who a verified token says the caller is.  Strings are NUL-terminated; absent optional
 *  claims are "". */
typedef struct wsc__identity {
    char user_id[128];  /* "sub", else "uid"; never empty */
    char app_id[64];    /* "aid" */
    char user_type[32]; /* "utp" */
    char device_id[64]; /* "did" */
    char **groups;      /* owned copies of "gid", n_groups of them; NULL when none */
    size_t n_groups;
    int64_t exp; /* expiry, seconds since the epoch */
} wsc__identity;

/** Verifies token (a compact JWS) with secret and fills *out.
 *  Only HS256 is accepted: "none", other HMAC sizes and public-key algorithms are refused, as
 *  are bad signatures, a missing, non-integer or past "exp" (exp <= now_s), an "nbf" after
 *  now_s, an "nbf" or "iat" that is not a non-negative integer (a string, a fraction), a
 *  missing or empty user id, string claims of another type, too long for their field or
 *  holding a control character (C0, DEL, C1), and a "gid" that is not an array of at most
 *  WSC__JWT_MAX_GROUPS non-empty strings of at most WSC__JWT_MAX_GROUP_LEN bytes without
 *  control characters.
 *  Returns WSC_OK, WSC_ERR_UNAUTHORIZED (the token is not acceptable), WSC_ERR_INVALID (NULL
 *  argument or empty secret) or WSC_ERR_NOMEM.  On any error *out is cleared and, when why is
 *  not NULL, *why gets a static reason ("token expired") fit for logs and HTTP bodies.
 *  Release a filled *out with wsc__identity_clear(). */
wsc_err wsc__jwt_verify(const char *token, const char *secret, int64_t now_s, wsc__identity *out,
                        const char **why);

/** Frees id's groups and zeroes it.  Safe on a zeroed or already cleared identity; NULL is
 *  fine. */
void wsc__identity_clear(wsc__identity *id);

/** Mints an HS256 token whose payload is claims_json (a JSON object), for tests, examples and
 *  benchmarks.  *out gets the token, to be freed with wsc__free() (or wsc_free()).
 *  Returns WSC_OK, WSC_ERR_INVALID (NULL argument, empty secret, claims not a JSON object) or
 *  WSC_ERR_NOMEM. */
wsc_err wsc__jwt_sign_hs256(const char *secret, const char *claims_json, char **out);

/** Copies the token of an "Authorization: Bearer <token>" header value into out (cap bytes,
 *  NUL included).  The scheme is matched case-insensitively; surrounding blanks are skipped.
 *  False (out = "" when cap > 0) for another scheme, no token, a token with blanks inside, or a
 *  token that does not fit. */
bool wsc__bearer_token(const char *authorization_header, char *out, size_t cap);

#endif
