/* SPDX-License-Identifier: MIT */
/* SipHash-2-4 (Aumasson and Bernstein, 2012): a pseudo-random function with a 128-bit key.
 * Without the key its output cannot be predicted from other outputs: the hub uses it for the
 * unguessable part of the ids it assigns (hub_ids.c), keyed from the OS's CSPRNG. */
#ifndef WSC_MODELS_SIPHASH_H
#define WSC_MODELS_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#include <wsc/error.h>

#define WSC__SIPHASH_KEY_LEN 16

/** SipHash-2-4 of len bytes at data (NULL is fine when len is 0) under key. */
uint64_t wsc__siphash24(const uint8_t key[WSC__SIPHASH_KEY_LEN], const void *data, size_t len);

/** Fills buf with n bytes from the kernel's CSPRNG (getrandom(2); blocks only until the pool is
 *  first seeded at boot).  WSC_ERR_IO when the kernel gives none (no getrandom, or an error),
 *  WSC_ERR_INVALID for a NULL buf with n > 0. */
wsc_err wsc__random_bytes(void *buf, size_t n);

#endif
