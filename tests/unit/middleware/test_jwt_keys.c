/* SPDX-License-Identifier: MIT */
/* JWT verification against several secrets (rotation): a token signed with any configured
 * secret is accepted, one signed with another is refused as a bad signature, and what is
 * wrong with a token signed by a known secret (expired) is what the caller is told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "middleware/jwt_keys.h"
#include "models/alloc.h"

#define NOW 1700000000

static char *
sign(const char *secret, long long exp)
{
    char claims[128];
    snprintf(claims, sizeof(claims), "{\"sub\":\"alice\",\"exp\":%lld}", exp);
    char *token = NULL;
    assert_int_equal(wsc__jwt_sign_hs256(secret, claims, &token), WSC_OK);
    return token;
}

static void
test_jwt_keys__any_configured_secret_is_accepted(void **state)
{
    (void)state;
    static const char *const secrets[] = {"secret-b", "secret-c", NULL};
    const char *signers[] = {"secret-a", "secret-b", "secret-c"};
    for (size_t i = 0; i < 3; i++) {
        char *token = sign(signers[i], NOW + 60);
        wsc__identity id;
        const char *why = "x";
        assert_int_equal(wsc__jwt_verify_keys(token, "secret-a", secrets, NOW, &id, &why), WSC_OK);
        assert_string_equal(id.user_id, "alice");
        wsc__identity_clear(&id);
        /* Without the main secret the listed ones still work. */
        wsc_err want = i == 0 ? WSC_ERR_UNAUTHORIZED : WSC_OK;
        assert_int_equal(wsc__jwt_verify_keys(token, NULL, secrets, NOW, &id, &why), want);
        wsc__identity_clear(&id);
        wsc__free(token);
    }
}

static void
test_jwt_keys__unknown_secret_and_expired_token_are_refused(void **state)
{
    (void)state;
    static const char *const secrets[] = {"secret-b", NULL};
    char *other = sign("secret-z", NOW + 60);
    wsc__identity id;
    const char *why = NULL;
    assert_int_equal(wsc__jwt_verify_keys(other, "secret-a", secrets, NOW, &id, &why),
                     WSC_ERR_UNAUTHORIZED);
    assert_string_equal(why, "malformed token or bad signature");
    /* Signed with the second secret and expired: the reason is the expiry, not a mismatch
     * with the first secret. */
    char *expired = sign("secret-b", NOW - 1);
    assert_int_equal(wsc__jwt_verify_keys(expired, "secret-a", secrets, NOW, &id, &why),
                     WSC_ERR_UNAUTHORIZED);
    assert_string_equal(why, "token expired");
    wsc__free(other);
    wsc__free(expired);
}

static void
test_jwt_keys__on_when_any_secret_is_set(void **state)
{
    (void)state;
    static const char *const none[] = {NULL};
    static const char *const one[] = {"s", NULL};
    assert_false(wsc__jwt_keys_on(NULL, NULL));
    assert_false(wsc__jwt_keys_on(NULL, none));
    assert_true(wsc__jwt_keys_on(NULL, one));
    assert_true(wsc__jwt_keys_on("s", NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_keys__any_configured_secret_is_accepted),
        cmocka_unit_test(test_jwt_keys__unknown_secret_and_expired_token_are_refused),
        cmocka_unit_test(test_jwt_keys__on_when_any_secret_is_set),
    };
    return cmocka_run_group_tests_name("unit.middleware.jwt_keys", tests, NULL, NULL);
}
