/* SPDX-License-Identifier: MIT */
/* JWT verification against several secrets (rotation).  libjwt's jwt_decode() checks the
 * signature; the first secret it accepts is the token's, and wsc__jwt_verify then checks the
 * claims with it.  With a single secret nothing is decoded twice. */
#include "middleware/jwt_keys.h"

#include <errno.h>
#include <jwt.h>
#include <limits.h>
#include <string.h>

#include "models/strv.h"

bool
wsc__jwt_keys_on(const char *secret, const char *const *secrets)
{
    return secret != NULL || (secrets != NULL && secrets[0] != NULL);
}

/* 1 when secret verifies token's signature, 0 when not, -1 when out of memory. */
static int
signature_matches(const char *token, const char *secret)
{
    size_t n = strlen(secret);
    if (n == 0 || n > INT_MAX)
        return 0;
    jwt_t *jwt = NULL;
    int rc = jwt_decode(&jwt, token, (const unsigned char *)secret, (int)n);
    jwt_free(jwt);
    return rc == 0 ? 1 : rc == ENOMEM ? -1 : 0;
}

wsc_err
wsc__jwt_verify_keys(const char *token, const char *secret, const char *const *secrets,
                     int64_t now_s, wsc__identity *out, const char **why)
{
    size_t n = wsc__strv_len(secrets);
    if (n == 0 || token == NULL)
        return wsc__jwt_verify(token, secret, now_s, out, why);
    for (size_t i = 0; i <= n; i++) {
        const char *s = i == 0 ? secret : secrets[i - 1];
        if (s == NULL)
            continue;
        int m = signature_matches(token, s);
        if (m != 0) {
            if (m > 0)
                return wsc__jwt_verify(token, s, now_s, out, why);
            if (why != NULL)
                *why = "out of memory";
            return WSC_ERR_NOMEM;
        }
    }
    /* None matches: let the first secret's verification say so in its usual words. */
    return wsc__jwt_verify(token, secret != NULL ? secret : secrets[0], now_s, out, why);
}
