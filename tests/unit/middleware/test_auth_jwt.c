/* SPDX-License-Identifier: MIT */
/* JWT identity: accepted tokens and their claims, every way a token is refused, minting, and
 * Bearer header parsing. */
#include <jwt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "middleware/auth_jwt.h"
#include "models/alloc.h"

#define SECRET "test-secret-of-reasonable-length"
#define NOW    INT64_C(1700000000)

/* Mints an HS256 token over claims; the caller frees it with wsc__free().  Not inlined: gcc 12
 * at -O3 then loses track of which object the returned pointer refers to and reports its uses
 * in the callers as dangling (-Wdangling-pointer, a false positive). */
__attribute__((noinline)) static char *
mint(const char *claims)
{
    char *token = NULL;
    assert_int_equal(wsc__jwt_sign_hs256(SECRET, claims, &token), WSC_OK);
    assert_non_null(token);
    return token;
}

/* Verifies a token expected to be refused and checks the reason when one is given. */
static void
expect_refused(const char *token, const char *secret, const char *why_expected)
{
    wsc__identity id;
    const char *why = NULL;
    assert_int_equal(wsc__jwt_verify(token, secret, NOW, &id, &why), WSC_ERR_UNAUTHORIZED);
    assert_non_null(why);
    if (why_expected != NULL)
        assert_string_equal(why, why_expected);
    /* A refused verification leaves nothing to free. */
    assert_null(id.groups);
    assert_int_equal(id.n_groups, 0);
    assert_string_equal(id.user_id, "");
}

static void
expect_claims_refused(const char *claims, const char *why_expected)
{
    char *token = mint(claims);
    expect_refused(token, SECRET, why_expected);
    wsc__free(token);
}

/* base64url without padding, enough for short test headers and payloads. */
static void
b64url(const char *in, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(in), o = 0;
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = tab[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = tab[v & 63];
    }
    out[o] = '\0';
}

static void
test_jwt__accepts_sub_with_all_claims(void **state)
{
    (void)state;
    char *token =
        mint("{\"sub\":\"alice\",\"uid\":\"ignored\",\"exp\":1700000060,\"utp\":\"admin\","
             "\"did\":\"phone-1\",\"aid\":\"app-7\",\"gid\":[\"g1\",\"g2\"]}");
    wsc__identity id;
    const char *why = "unchanged";
    assert_int_equal(wsc__jwt_verify(token, SECRET, NOW, &id, &why), WSC_OK);
    assert_null(why);
    assert_string_equal(id.user_id, "alice");
    assert_string_equal(id.user_type, "admin");
    assert_string_equal(id.device_id, "phone-1");
    assert_string_equal(id.app_id, "app-7");
    assert_int_equal(id.exp, 1700000060);
    assert_int_equal(id.n_groups, 2);
    assert_string_equal(id.groups[0], "g1");
    assert_string_equal(id.groups[1], "g2");
    wsc__identity_clear(&id);
    assert_null(id.groups);
    wsc__identity_clear(&id);
    wsc__identity_clear(NULL);
    wsc__free(token);
}

static void
test_jwt__accepts_uid_without_optional_claims(void **state)
{
    (void)state;
    char *token = mint("{\"uid\":\"bob\",\"exp\":1700000001,\"gid\":[]}");
    wsc__identity id;
    assert_int_equal(wsc__jwt_verify(token, SECRET, NOW, &id, NULL), WSC_OK);
    assert_string_equal(id.user_id, "bob");
    assert_string_equal(id.user_type, "");
    assert_string_equal(id.device_id, "");
    assert_string_equal(id.app_id, "");
    assert_null(id.groups);
    assert_int_equal(id.n_groups, 0);
    wsc__identity_clear(&id);
    wsc__free(token);
}

static void
test_jwt__refuses_expired_and_missing_exp(void **state)
{
    (void)state;
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1699999999}", "token expired");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1700000000}", "token expired");
    expect_claims_refused("{\"sub\":\"a\"}", "missing exp");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":\"1800000000\"}", "invalid exp");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000.5}", "invalid exp");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000,\"nbf\":1700000100}",
                          "token not yet valid");
}

static void
test_jwt__refuses_bad_signature_and_wrong_secret(void **state)
{
    (void)state;
    char *token = mint("{\"sub\":\"a\",\"exp\":1800000000}");
    expect_refused(token, "another-secret", NULL);
    assert_non_null(strrchr(token, '.'));
    size_t dot = (size_t)(strrchr(token, '.') - token);
    /* Change a character in the middle of the signature. */
    token[dot + 10] = token[dot + 10] == 'A' ? 'B' : 'A';
    expect_refused(token, SECRET, NULL);
    /* Drop the signature entirely. */
    token[dot + 1] = '\0';
    expect_refused(token, SECRET, NULL);
    wsc__free(token);
}

static void
test_jwt__refuses_alg_none(void **state)
{
    (void)state;
    char head[128], body[256], token[512];
    b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", head);
    b64url("{\"sub\":\"mallory\",\"exp\":1800000000}", body);
    snprintf(token, sizeof(token), "%s.%s.", head, body);
    expect_refused(token, SECRET, NULL);
    snprintf(token, sizeof(token), "%s.%s", head, body);
    expect_refused(token, SECRET, NULL);
    /* "none" with a signature borrowed from a genuine token is refused too. */
    char *genuine = mint("{\"sub\":\"mallory\",\"exp\":1800000000}");
    snprintf(token, sizeof(token), "%s.%s%s", head, body, strrchr(genuine, '.'));
    expect_refused(token, SECRET, NULL);
    wsc__free(genuine);
}

static void
test_jwt__refuses_hs512(void **state)
{
    (void)state;
    jwt_t *jwt = NULL;
    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_add_grants_json(jwt, "{\"sub\":\"a\",\"exp\":1800000000}"), 0);
    assert_int_equal(
        jwt_set_alg(jwt, JWT_ALG_HS512, (const unsigned char *)SECRET, (int)strlen(SECRET)), 0);
    char *token = jwt_encode_str(jwt);
    assert_non_null(token);
    expect_refused(token, SECRET, "algorithm not allowed (HS256 only)");
    free(token); /* libjwt 1.10 strings come from malloc() */
    jwt_free(jwt);
}

static void
test_jwt__refuses_garbage(void **state)
{
    (void)state;
    const char *garbage[] = {"",    "abc",      "a.b.c",    "..",
                             "...", "eyJ.eyJ.", "Bearer x", "eyJhbGciOiJIUzI1NiJ9.!!!!.abc"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        expect_refused(garbage[i], SECRET, NULL);
    char header[64], body[64], token[256];
    b64url("{\"alg\":\"HS256\"}", header);
    b64url("not json", body);
    snprintf(token, sizeof(token), "%s.%s.c2ln", header, body);
    expect_refused(token, SECRET, NULL);
}

static void
test_jwt__refuses_bad_user_claims(void **state)
{
    (void)state;
    const char *missing = "missing user id (sub or uid)";
    expect_claims_refused("{\"exp\":1800000000}", missing);
    expect_claims_refused("{\"sub\":\"\",\"exp\":1800000000}", missing);
    expect_claims_refused("{\"sub\":42,\"exp\":1800000000}", NULL);
    expect_claims_refused("{\"uid\":[\"a\"],\"exp\":1800000000}", NULL);
    expect_claims_refused("{\"sub\":\"a\",\"utp\":7,\"exp\":1800000000}", NULL);
    expect_claims_refused("{\"sub\":\"a\",\"aid\":\"" /* 64 bytes: one too many */
                          "0123456789012345678901234567890123456789012345678901234567890123"
                          "\",\"exp\":1800000000}",
                          NULL);
}

/* Ids hold no control character: C0, DEL (U+007F) and C1 (U+0080-U+009F, e.g. U+0085). */
static void
test_jwt__refuses_control_characters(void **state)
{
    (void)state;
    const char *why = "control character in a string claim";
    static const char *const bad[] = {"\\u007f", "\\u0085", "\\u0080", "\\u009f", "\\u0001", "\\t"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char claims[256];
        snprintf(claims, sizeof(claims), "{\"sub\":\"a%sb\",\"exp\":1800000000}", bad[i]);
        expect_claims_refused(claims, why);
        snprintf(claims, sizeof(claims), "{\"uid\":\"%s\",\"exp\":1800000000}", bad[i]);
        expect_claims_refused(claims, why);
        snprintf(claims, sizeof(claims), "{\"sub\":\"a\",\"aid\":\"x%s\",\"exp\":1800000000}",
                 bad[i]);
        expect_claims_refused(claims, why);
        snprintf(claims, sizeof(claims), "{\"sub\":\"a\",\"did\":\"%s\",\"exp\":1800000000}",
                 bad[i]);
        expect_claims_refused(claims, why);
        snprintf(claims, sizeof(claims),
                 "{\"sub\":\"a\",\"gid\":[\"g\",\"h%s\"],\"exp\":1800000000}", bad[i]);
        expect_claims_refused(claims, why);
    }
    /* Printable non-ASCII is fine: U+00A0 (right after C1), U+00E9, U+2028, U+1F600. */
    char *token = mint("{\"sub\":\"a\\u00a0\\u00e9\\u2028\\ud83d\\ude00\",\"exp\":1800000000}");
    wsc__identity id;
    assert_int_equal(wsc__jwt_verify(token, SECRET, NOW, &id, NULL), WSC_OK);
    assert_string_equal(id.user_id, "a\xc2\xa0\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80");
    wsc__identity_clear(&id);
    wsc__free(token);
}

/* exp, nbf and iat are NumericDates: JSON integers, never strings or fractions. */
static void
test_jwt__refuses_time_claims_of_wrong_type(void **state)
{
    (void)state;
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000,\"nbf\":\"1800000000\"}",
                          "invalid nbf");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000,\"nbf\":\"0\"}", "invalid nbf");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000,\"nbf\":1600000000.5}", "invalid nbf");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000,\"nbf\":-1}", "invalid nbf");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000,\"nbf\":null}", "invalid nbf");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000,\"iat\":\"1600000000\"}",
                          "invalid iat");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000,\"iat\":true}", "invalid iat");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":\"1800000000\"}", "invalid exp");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":null}", "invalid exp");
    expect_claims_refused("{\"sub\":\"a\",\"exp\":0}", "invalid exp");
    /* Integers in the past (nbf, iat) are what they should be. */
    char *token = mint("{\"sub\":\"a\",\"exp\":1800000000,\"nbf\":1600000000,\"iat\":1600000000}");
    wsc__identity id;
    assert_int_equal(wsc__jwt_verify(token, SECRET, NOW, &id, NULL), WSC_OK);
    assert_true(id.exp == 1800000000);
    wsc__identity_clear(&id);
    wsc__free(token);
}

static void
test_jwt__user_id_length_limit(void **state)
{
    (void)state;
    char claims[512], uid[200];
    memset(uid, 'u', 127);
    uid[127] = '\0';
    snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"exp\":1800000000}", uid);
    char *token = mint(claims);
    wsc__identity id;
    assert_int_equal(wsc__jwt_verify(token, SECRET, NOW, &id, NULL), WSC_OK);
    assert_string_equal(id.user_id, uid);
    wsc__identity_clear(&id);
    wsc__free(token);
    snprintf(claims, sizeof(claims), "{\"sub\":\"%su\",\"exp\":1800000000}", uid);
    expect_claims_refused(claims, NULL);
}

/* Claims with n groups named g0, g1, ...; the caller frees the result with free(). */
static char *
claims_with_groups(size_t n, const char *extra)
{
    size_t cap = 64 + n * 16 + strlen(extra);
    char *s = malloc(cap);
    assert_non_null(s);
    size_t len = (size_t)snprintf(s, cap, "{\"sub\":\"a\",\"exp\":1800000000,\"gid\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s\"g%zu\"", i ? "," : "", i);
    snprintf(s + len, cap - len, "%s]}", extra);
    return s;
}

static void
test_jwt__group_limits(void **state)
{
    (void)state;
    char *claims = claims_with_groups(WSC__JWT_MAX_GROUPS, "");
    char *token = mint(claims);
    wsc__identity id;
    assert_int_equal(wsc__jwt_verify(token, SECRET, NOW, &id, NULL), WSC_OK);
    assert_int_equal(id.n_groups, WSC__JWT_MAX_GROUPS);
    assert_string_equal(id.groups[63], "g63");
    wsc__identity_clear(&id);
    wsc__free(token);
    free(claims);

    claims = claims_with_groups(WSC__JWT_MAX_GROUPS + 1, "");
    expect_claims_refused(claims, "too many groups in gid");
    free(claims);
    /* A bad entry after good ones: the copies made so far are freed. */
    claims = claims_with_groups(3, ",7");
    expect_claims_refused(claims, NULL);
    free(claims);
    claims = claims_with_groups(2, ",\"\"");
    expect_claims_refused(claims, NULL);
    free(claims);
    char long_group[160];
    memset(long_group, 'g', 128);
    snprintf(long_group + 128, sizeof(long_group) - 128, "\"");
    claims = claims_with_groups(1, ",\"");
    char big[512];
    snprintf(big, sizeof(big), "%.*s%s]}", (int)(strlen(claims) - 2), claims, long_group);
    expect_claims_refused(big, NULL);
    free(claims);
    expect_claims_refused("{\"sub\":\"a\",\"exp\":1800000000,\"gid\":\"g1\"}",
                          "gid must be an array");
}

static void
test_jwt__invalid_arguments(void **state)
{
    (void)state;
    wsc__identity id;
    const char *why = NULL;
    char *token = mint("{\"sub\":\"a\",\"exp\":1800000000}");
    assert_int_equal(wsc__jwt_verify(NULL, SECRET, NOW, &id, &why), WSC_ERR_INVALID);
    assert_non_null(why);
    assert_int_equal(wsc__jwt_verify(token, NULL, NOW, &id, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc__jwt_verify(token, "", NOW, &id, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc__jwt_verify(token, SECRET, NOW, NULL, NULL), WSC_ERR_INVALID);
    wsc__free(token);
    char sentinel[] = "sentinel";
    char *out = sentinel;
    assert_int_equal(wsc__jwt_sign_hs256("", "{}", &out), WSC_ERR_INVALID);
    assert_null(out);
    assert_int_equal(wsc__jwt_sign_hs256(SECRET, "[1,2]", &out), WSC_ERR_INVALID);
    assert_int_equal(wsc__jwt_sign_hs256(SECRET, "{not json", &out), WSC_ERR_INVALID);
    assert_int_equal(wsc__jwt_sign_hs256(SECRET, NULL, &out), WSC_ERR_INVALID);
    assert_int_equal(wsc__jwt_sign_hs256(SECRET, "{}", NULL), WSC_ERR_INVALID);
}

static void
test_bearer__extracts_token(void **state)
{
    (void)state;
    char out[16];
    assert_true(wsc__bearer_token("Bearer abc.def.ghi", out, sizeof(out)));
    assert_string_equal(out, "abc.def.ghi");
    assert_true(wsc__bearer_token("bearer xyz", out, sizeof(out)));
    assert_string_equal(out, "xyz");
    assert_true(wsc__bearer_token("  BEARER \t tok  \r\n", out, sizeof(out)));
    assert_string_equal(out, "tok");
    /* Exactly fills the buffer: 15 bytes and the NUL. */
    assert_true(wsc__bearer_token("Bearer 123456789012345", out, sizeof(out)));
    assert_string_equal(out, "123456789012345");
}

static void
test_bearer__refuses_other_forms(void **state)
{
    (void)state;
    char out[16];
    const char *bad[] = {"",
                         "Bearer",
                         "Bearer ",
                         "Bearer   ",
                         "Basic x",
                         "Bearerx abc",
                         "Token abc",
                         "Bearer a b",
                         "abc",
                         "Bear abc",
                         "Bearer 1234567890123456"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        strcpy(out, "junk");
        assert_false(wsc__bearer_token(bad[i], out, sizeof(out)));
        assert_string_equal(out, "");
    }
    assert_false(wsc__bearer_token(NULL, out, sizeof(out)));
    assert_false(wsc__bearer_token("Bearer x", out, 0));
    assert_false(wsc__bearer_token("Bearer x", NULL, 4));
    assert_false(wsc__bearer_token("Bearer x", out, 1));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt__accepts_sub_with_all_claims),
        cmocka_unit_test(test_jwt__accepts_uid_without_optional_claims),
        cmocka_unit_test(test_jwt__refuses_expired_and_missing_exp),
        cmocka_unit_test(test_jwt__refuses_bad_signature_and_wrong_secret),
        cmocka_unit_test(test_jwt__refuses_alg_none),
        cmocka_unit_test(test_jwt__refuses_hs512),
        cmocka_unit_test(test_jwt__refuses_garbage),
        cmocka_unit_test(test_jwt__refuses_bad_user_claims),
        cmocka_unit_test(test_jwt__refuses_control_characters),
        cmocka_unit_test(test_jwt__refuses_time_claims_of_wrong_type),
        cmocka_unit_test(test_jwt__user_id_length_limit),
        cmocka_unit_test(test_jwt__group_limits),
        cmocka_unit_test(test_jwt__invalid_arguments),
        cmocka_unit_test(test_bearer__extracts_token),
        cmocka_unit_test(test_bearer__refuses_other_forms),
    };
    return cmocka_run_group_tests_name("unit.middleware.auth_jwt", tests, NULL, NULL);
}
