/* SPDX-License-Identifier: MIT */
/* The RFC 6455 frame codec of the test client: header layout with 7, 16 and 64-bit
 * lengths, masking and unmasking.  Kept apart from tws.c so unit tests can reach it alone. */
#include <string.h>

#include "tws.h"

size_t
tws_frame_encode(uint8_t *out, size_t cap, int opcode, bool fin, const uint8_t *mask,
                 const void *payload, size_t len)
{
    size_t hlen = 2 + (len > 65535 ? 8 : len > 125 ? 2 : 0) + (mask != NULL ? 4 : 0);
    if (hlen + len > cap)
        return hlen + len;
    uint8_t *p = out;
    *p++ = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    uint8_t mbit = mask != NULL ? 0x80 : 0;
    if (len <= 125) {
        *p++ = (uint8_t)(mbit | len);
    } else if (len <= 65535) {
        *p++ = (uint8_t)(mbit | 126);
        *p++ = (uint8_t)(len >> 8);
        *p++ = (uint8_t)len;
    } else {
        *p++ = (uint8_t)(mbit | 127);
        for (int i = 7; i >= 0; i--)
            *p++ = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (mask != NULL) {
        memcpy(p, mask, 4);
        p += 4;
    }
    const uint8_t *src = payload;
    for (size_t i = 0; i < len; i++)
        p[i] = mask != NULL ? (uint8_t)(src[i] ^ mask[i & 3]) : src[i];
    return hlen + len;
}

ssize_t
tws_frame_decode(uint8_t *buf, size_t len, tws_frame *f)
{
    if (len < 2)
        return 0;
    memset(f, 0, sizeof(*f));
    f->fin = (buf[0] & 0x80) != 0;
    f->rsv = (uint8_t)((buf[0] >> 4) & 0x07);
    f->opcode = buf[0] & 0x0F;
    f->masked = (buf[1] & 0x80) != 0;
    uint64_t plen = buf[1] & 0x7F;
    size_t h = 2;
    if (plen == 126) {
        if (len < 4)
            return 0;
        plen = ((uint64_t)buf[2] << 8) | buf[3];
        h = 4;
    } else if (plen == 127) {
        if (len < 10)
            return 0;
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = (plen << 8) | buf[2 + i];
        if (plen >> 63)
            return -1;
        h = 10;
    }
    const uint8_t *mask = buf + h;
    if (f->masked)
        h += 4;
    if (len < h || plen > len - h)
        return 0;
    f->header_len = h;
    f->payload_len = plen;
    f->payload = buf + h;
    if (f->masked) {
        for (uint64_t i = 0; i < plen; i++)
            f->payload[i] ^= mask[i & 3];
        /* Clear the mask bit so that decoding the same bytes twice cannot unmask twice. */
        buf[1] &= 0x7F;
    }
    return (ssize_t)(h + plen);
}
