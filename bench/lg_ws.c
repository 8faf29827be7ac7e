/* SPDX-License-Identifier: MIT */
/* The load generator's WebSocket framing: see lg_ws.h. */
#include "lg_ws.h"

#include <stdio.h>
#include <string.h>

size_t
lg_ws_request(char *out, size_t cap, const char *host, int port, const char *path, const char *user)
{
    /* The key is fixed: the load generator does not check Sec-WebSocket-Accept, only the 101. */
    int n = snprintf(out, cap,
                     "GET %s?user_id=%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path, user, host, port);
    return n < 0 ? 0 : (size_t)n;
}

size_t
lg_ws_frame(unsigned char *out, int opcode, const void *payload, size_t len, uint32_t mask)
{
    size_t h = 0;
    out[h++] = (unsigned char)(0x80 | opcode);
    if (len < 126) {
        out[h++] = (unsigned char)(0x80 | len);
    } else if (len <= 0xffff) {
        out[h++] = 0x80 | 126;
        out[h++] = (unsigned char)(len >> 8);
        out[h++] = (unsigned char)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            out[h++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    }
    unsigned char m[4] = {(unsigned char)(mask >> 24), (unsigned char)(mask >> 16),
                          (unsigned char)(mask >> 8), (unsigned char)mask};
    memcpy(out + h, m, 4);
    h += 4;
    const unsigned char *p = payload;
    for (size_t i = 0; i < len; i++)
        out[h + i] = p[i] ^ m[i & 3];
    return h + len;
}

long
lg_ws_parse(const unsigned char *buf, size_t avail, lg_frame *f)
{
    if (avail < 2)
        return 0;
    if ((buf[0] & 0x70) != 0 || (buf[1] & 0x80) != 0)
        return -1;
    size_t h = 2;
    uint64_t len = buf[1] & 0x7f;
    if (len == 126) {
        if (avail < 4)
            return 0;
        len = ((uint64_t)buf[2] << 8) | buf[3];
        h = 4;
    } else if (len == 127) {
        if (avail < 10)
            return 0;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | buf[2 + i];
        h = 10;
    }
    if (len > (1u << 30))
        return -1;
    if (avail < h + len)
        return 0;
    f->opcode = buf[0] & 0x0f;
    f->fin = (buf[0] & 0x80) != 0;
    f->payload = buf + h;
    f->len = (size_t)len;
    return (long)(h + len);
}
