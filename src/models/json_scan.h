/* SPDX-License-Identifier: MIT */
/* A strictly validating JSON scanner (RFC 8259) for the message parser: it walks the text once,
 * decodes strings into the caller's memory and copies or skips other values without building
 * a tree.  It accepts exactly what jansson's json_loadb(JSON_REJECT_DUPLICATES) accepts:
 * strict UTF-8, no raw control characters or \u0000 in strings, paired surrogates only,
 * integers within int64, reals that do not overflow a double, no duplicate keys at any level,
 * and at most WSC_JSCAN_HARD_DEPTH levels of nesting. */
#ifndef WSC_MODELS_JSON_SCAN_H
#define WSC_MODELS_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** jansson's own nesting limit (JSON_PARSER_MAX_DEPTH); deeper text is invalid JSON. */
#define WSC_JSCAN_HARD_DEPTH 2048

/* A key seen in an open object, for duplicate detection: in the input, or (when it had
 * escapes) decoded into the scratch buffer. */
struct wsc_jkey {
    size_t off;
    size_t len;
    bool in_scratch;
};

struct wsc_jscan {
    const char *p;   /* the cursor */
    const char *end; /* one past the last byte */
    const char *text;
    unsigned depth;     /* open arrays and objects */
    unsigned max_depth; /* the caller's limit */
    bool too_deep;      /* the last failure was max_depth */
    bool nomem;         /* the last failure was an allocation */
    struct wsc_jkey *keys;
    size_t nkeys, keycap;
    char *scratch;
    size_t slen, scap;
    struct wsc_jkey keys0[32];
    char scratch0[128];
};

/** Starts scanning len bytes of text; nesting beyond max_depth fails with too_deep. */
void wsc__jscan_init(struct wsc_jscan *s, const char *text, size_t len, unsigned max_depth);

/** Releases what the scanner allocated. */
void wsc__jscan_fini(struct wsc_jscan *s);

/** Skips whitespace; returns the next byte, or 0 at the end of the text. */
char wsc__jscan_peek(struct wsc_jscan *s);

/** Decodes the string at the cursor (at '"') into out, which must hold as many bytes as the
 *  string's raw text; *out_len gets the decoded length (no NUL is written). */
bool wsc__jscan_string(struct wsc_jscan *s, char *out, size_t *out_len);

/** Scans the number at the cursor; *is_int tells an integer token (no fraction, no exponent),
 *  whose value goes to *ival. */
bool wsc__jscan_number(struct wsc_jscan *s, bool *is_int, int64_t *ival);

/** Validates the value at the cursor.  With out non-NULL, writes it there as compact JSON
 *  text (whitespace outside strings dropped, everything else as written); out must hold as
 *  many bytes as the value's raw text, *out_len gets the length. */
bool wsc__jscan_value(struct wsc_jscan *s, char *out, size_t *out_len);

/** Enters the object at the cursor (at '{'); *mark is passed to wsc__jscan_member. */
bool wsc__jscan_object_begin(struct wsc_jscan *s, size_t *mark);

/** Moves to the next member of the object entered with mark: returns 1 with the decoded key
 *  (borrowed until the next call on s) and the cursor on its value, 0 after the closing '}',
 *  -1 on invalid JSON (duplicate keys included). */
int wsc__jscan_member(struct wsc_jscan *s, size_t mark, const char **key, size_t *key_len);

/** True when nothing but whitespace is left. */
bool wsc__jscan_at_end(struct wsc_jscan *s);

#endif
