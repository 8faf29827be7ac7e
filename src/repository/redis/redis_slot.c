/* SPDX-License-Identifier: MIT */
/* Redis Cluster's key -> slot function (the cluster specification, "Keys distribution model"):
 * CRC16/XMODEM (polynomial 0x1021, initial 0, no reflection) of the key's hash tag, mod 16384.
 * The hash tag is what lies between the first '{' and the first '}' after it, when that is not
 * empty; otherwise the whole key is hashed.  Channels of sharded pub/sub use the same slots. */
#include "repository/redis/redis_internal.h"

uint16_t
wsc__rs_crc16(const char *buf, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((unsigned char)buf[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

int
wsc__rs_slot(const char *key, size_t len)
{
    size_t open = 0;
    while (open < len && key[open] != '{')
        open++;
    if (open < len) {
        size_t close = open + 1;
        while (close < len && key[close] != '}')
            close++;
        if (close < len && close > open + 1)
            return wsc__rs_crc16(key + open + 1, close - open - 1) & (RS_SLOTS - 1);
    }
    return wsc__rs_crc16(key, len) & (RS_SLOTS - 1);
}
