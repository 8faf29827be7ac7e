/* SPDX-License-Identifier: MIT */
/* The ids the hub assigns: message ids "<node_id>-<base36 seq>-<tag>", client ids "c-<tag>"
 * and the default node id "node-<random>".  A tag is SipHash-2-4 of (kind, seq) under a
 * 128-bit key each hub draws from the kernel's CSPRNG when it is created: 64 bits that cannot
 * be predicted from any other id, of this hub or another, nor across restarts. */
#include <string.h>

#include "hub/hub_internal.h"
#include "models/siphash.h"
#include "protocol/frames.h"

enum id_kind { ID_MESSAGE = 1, ID_CLIENT = 2 };

static uint64_t
tag(const wsc_hub *hub, enum id_kind kind, uint64_t seq)
{
    uint8_t in[9];
    in[0] = (uint8_t)kind;
    for (int i = 0; i < 8; i++)
        in[1 + i] = (uint8_t)(seq >> (8 * i));
    return wsc__siphash24(hub->id_key, in, sizeof(in));
}

wsc_err
wsc__hub_ids_init(wsc_hub *hub, char *node_out, size_t cap)
{
    uint64_t node_rand = 0;
    wsc_err err = wsc__random_bytes(hub->id_key, sizeof(hub->id_key));
    if (err == WSC_OK)
        err = wsc__random_bytes(&node_rand, sizeof(node_rand));
    if (err == WSC_OK)
        wsc__proto_make_tag_id("node", node_rand, node_out, cap);
    return err;
}

void
wsc__hub_make_msg_id(wsc_hub *hub, char *out, size_t cap)
{
    uint64_t seq = wsc__hub_next_seq(hub);
    wsc__proto_make_id(hub->cfg.node_id, seq, tag(hub, ID_MESSAGE, seq), out, cap);
}

void
wsc__hub_make_client_id(wsc_hub *hub, char *out, size_t cap)
{
    /* 15 bytes: inline in the connection (WSC_CONN_CID_INLINE).  Unique as 64 random bits
     * are: two alike among a million connections has a chance of about 3e-8. */
    wsc__proto_make_tag_id("c", tag(hub, ID_CLIENT, wsc__hub_next_seq(hub)), out, cap);
}
