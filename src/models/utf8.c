/* SPDX-License-Identifier: MIT */
/* Strict UTF-8 validation following the well-formed byte sequences table of the Unicode
 * standard (table 3-7): the second byte's range depends on the lead byte, which rules out
 * overlong encodings, UTF-16 surrogates and code points above U+10FFFF in one check. */
#include "models/utf8.h"

#include <stdint.h>

/* Number of continuation bytes after lead byte c, and the allowed range of the first one;
 * returns false for bytes that can never start a sequence. */
static bool
lead_info(uint8_t c, unsigned *more, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        *more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        *more = 2;
        if (c == 0xE0)
            *lo = 0xA0; /* below is overlong */
        else if (c == 0xED)
            *hi = 0x9F; /* above are surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        *more = 3;
        if (c == 0xF0)
            *lo = 0x90; /* below is overlong */
        else if (c == 0xF4)
            *hi = 0x8F; /* above is beyond U+10FFFF */
    } else {
        return false;
    }
    return true;
}

bool
wsc__utf8_valid(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    while (i < len) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        unsigned more;
        uint8_t lo, hi;
        if (!lead_info(c, &more, &lo, &hi) || len - i - 1 < more)
            return false;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (unsigned k = 2; k <= more; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        }
        i += 1 + more;
    }
    return true;
}

bool
wsc__utf8_has_control(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return true;
        if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
            return true;
    }
    return false;
}
