/* SPDX-License-Identifier: MIT */
/* Verification of a JWT against a set of HS256 secrets, so that operators can rotate the
 * secret: the new one is added beside the old, tokens signed with either are accepted, and
 * the old one is removed once its tokens have expired. */
#ifndef WSC_MIDDLEWARE_JWT_KEYS_H
#define WSC_MIDDLEWARE_JWT_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "middleware/auth_jwt.h"

/** True when secret is set or secrets (NULL-terminated, may be NULL) holds one: JWT is on. */
bool wsc__jwt_keys_on(const char *secret, const char *const *secrets);

/** wsc__jwt_verify with the secret whose signature matches the token: secret first (may be
 *  NULL), then each of secrets.  The claims are checked against that secret's decoding only,
 *  so *why tells what is wrong with the token ("token expired") rather than that the other
 *  secrets do not match.  No matching secret: WSC_ERR_UNAUTHORIZED with "malformed token or
 *  bad signature".  Other returns as wsc__jwt_verify. */
wsc_err wsc__jwt_verify_keys(const char *token, const char *secret, const char *const *secrets,
                             int64_t now_s, wsc__identity *out, const char **why);

#endif
