/* SPDX-License-Identifier: MIT */
/* Eight bytes at a time: the test that lets the JSON string loops of the parser and the
 * encoder skip ordinary text a word at a time instead of a byte at a time. */
#ifndef WSC_MODELS_SWAR_H
#define WSC_MODELS_SWAR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define WSC_SWAR_ONES  UINT64_C(0x0101010101010101)
#define WSC_SWAR_HIGHS UINT64_C(0x8080808080808080)

/** The 8 bytes at p, in any byte order (the test below does not care). */
static inline uint64_t
wsc__swar_load(const void *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

/** True when a byte of w is below 0x20, '"' or '\\': the bytes a JSON string cannot hold
 *  as they are.  Exact (the classic "has zero byte" tests are exact for "any"). */
static inline bool
wsc__swar_json_special(uint64_t w)
{
    uint64_t q = w ^ (WSC_SWAR_ONES * '"'), b = w ^ (WSC_SWAR_ONES * '\\');
    uint64_t below = (w - WSC_SWAR_ONES * 0x20) & ~w;
    uint64_t zq = (q - WSC_SWAR_ONES) & ~q, zb = (b - WSC_SWAR_ONES) & ~b;
    return ((below | zq | zb) & WSC_SWAR_HIGHS) != 0;
}

#endif
