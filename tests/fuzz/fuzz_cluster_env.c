/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the envelopes between cluster nodes (src/hub/cluster_env.c): whatever
 * arrives on the bus — from another node, or from anyone who can publish on the Redis — must
 * decode safely or be refused, and a decoded envelope must encode back to one that decodes to
 * the same fields.  Any difference aborts.  See tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/cluster_env.h"
#include "models/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same(const char *a, const char *b, const char *what)
{
    if (strcmp(a, b) != 0) {
        fprintf(stderr, "fuzz_cluster_env: %s differs after a round trip\n", what);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wsc__env env, back;
    char *copy = NULL, *copy2 = NULL;
    if (wsc__env_decode((const char *)data, size, &env, &copy) != WSC_OK)
        return 0;
    wsc_buf b = {0};
    if (wsc__env_encode(&env, &b) != WSC_OK) {
        wsc__free(copy);
        return 0;
    }
    if (wsc__env_decode(b.data, b.len, &back, &copy2) != WSC_OK) {
        fprintf(stderr, "fuzz_cluster_env: an encoded envelope does not decode\n");
        abort();
    }
    same(env.origin, back.origin, "origin");
    same(env.app, back.app, "app");
    same(env.target, back.target, "target");
    same(env.extra, back.extra, "extra");
    if (env.kind != back.kind || env.token != back.token || env.payload_len != back.payload_len ||
        memcmp(env.payload, back.payload, env.payload_len) != 0 ||
        (env.binary == '1') != (back.binary == '1')) {
        fprintf(stderr, "fuzz_cluster_env: kind, token or payload differs after a round trip\n");
        abort();
    }
    wsc__free(copy);
    wsc__free(copy2);
    wsc_buf_free(&b);
    return 0;
}
