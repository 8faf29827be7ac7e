/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the JWT claims wsc reads (src/middleware/auth_jwt.c).  The input is a
 * claims payload: it is signed with HS256 and verified, so that the claim checks run on any
 * bytes rather than stopping at the signature.  A token the verifier accepts must agree with
 * jansson's reading of the same payload (an object, "sub" or else "uid" a non-empty string
 * equal to the user id, an integer "exp" after now, at most WSC__JWT_MAX_GROUPS groups equal
 * to "gid").  The input is also verified as a raw token.  Any difference aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "middleware/auth_jwt.h"
#include "models/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "fuzz-secret"
#define NOW    1700000000

static void
check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_jwt_claims: %s\n", what);
        abort();
    }
}

/* The accepted identity against jansson's view of the claims. */
static void
compare(const char *claims, const wsc__identity *id)
{
    json_t *j = json_loads(claims, JSON_DECODE_ANY, NULL);
    check(json_is_object(j), "accepted claims that are not a JSON object");
    json_t *sub = json_object_get(j, "sub");
    if (!json_is_string(sub) || json_string_length(sub) == 0)
        sub = json_object_get(j, "uid");
    check(json_is_string(sub) && json_string_length(sub) == strlen(id->user_id) &&
              strcmp(json_string_value(sub), id->user_id) == 0,
          "user id is not sub (else uid), whole");
    check(id->user_id[0] != '\0', "empty user id accepted");
    json_t *exp = json_object_get(j, "exp");
    check(json_is_integer(exp) && json_integer_value(exp) > NOW &&
              id->exp == json_integer_value(exp),
          "exp missing, past or different");
    json_t *gid = json_object_get(j, "gid");
    size_t n = json_is_array(gid) ? json_array_size(gid) : 0;
    check(id->n_groups == n && n <= WSC__JWT_MAX_GROUPS, "groups differ from gid");
    for (size_t i = 0; i < n; i++) {
        json_t *g = json_array_get(gid, i);
        check(json_string_length(g) == strlen(id->groups[i]) &&
                  strcmp(json_string_value(g), id->groups[i]) == 0,
              "a group differs");
    }
    json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    wsc__identity id;
    const char *why = NULL;
    /* As a raw token: refused or accepted, never a crash (it cannot carry our signature). */
    wsc_err err = wsc__jwt_verify(text, SECRET, NOW, &id, &why);
    check(err != WSC_OK || strlen(text) > 0, "empty token accepted");
    wsc__identity_clear(&id);
    /* As claims: signed, then verified. */
    char *token = NULL;
    if (strlen(text) == size && wsc__jwt_sign_hs256(SECRET, text, &token) == WSC_OK) {
        err = wsc__jwt_verify(token, SECRET, NOW, &id, &why);
        if (err == WSC_OK)
            compare(text, &id);
        else
            check(why != NULL && id.user_id[0] == '\0' && id.groups == NULL,
                  "a refusal without a reason or with a half-filled identity");
        wsc__identity_clear(&id);
        wsc__free(token);
    }
    free(text);
    return 0;
}
