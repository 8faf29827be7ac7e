/* SPDX-License-Identifier: MIT */
/* The JSON scanner behind wsc_msg_parse: one pass over the frame, no tree.  Strings are
 * validated (strict UTF-8, escapes, surrogate pairs) while they are decoded; numbers are
 * checked for the same ranges jansson enforces; keys of every object are remembered until the
 * object closes so that duplicates are refused at any level, as JSON_REJECT_DUPLICATES does
 * (pairwise while an object is small, by sorting at its end once it is not).  Recursion is
 * bounded by the caller's depth limit and by WSC_JSCAN_HARD_DEPTH. */
#include "models/json_scan.h"

#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "models/swar.h"
#include "models/utf8.h"

/* Objects with fewer keys are checked pairwise on insert, larger ones by sorting at '}'. */
#define PAIRWISE_KEYS 16

/* A resolved key, for sorting. */
struct kspan {
    const char *p;
    size_t len;
};

static inline bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

void
wsc__jscan_init(struct wsc_jscan *s, const char *text, size_t len, unsigned max_depth)
{
    memset(s, 0, offsetof(struct wsc_jscan, keys0));
    s->p = text;
    s->text = text;
    s->end = text + len;
    s->max_depth = max_depth;
    s->keys = s->keys0;
    s->keycap = sizeof(s->keys0) / sizeof(s->keys0[0]);
    s->scratch = s->scratch0;
    s->scap = sizeof(s->scratch0);
}

void
wsc__jscan_fini(struct wsc_jscan *s)
{
    if (s->keys != s->keys0)
        wsc__free(s->keys);
    if (s->scratch != s->scratch0)
        wsc__free(s->scratch);
}

char
wsc__jscan_peek(struct wsc_jscan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
    return s->p < s->end ? *s->p : '\0';
}

bool
wsc__jscan_at_end(struct wsc_jscan *s)
{
    wsc__jscan_peek(s);
    return s->p == s->end;
}

static int
hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static char *
put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decodes \uXXXX (with its low surrogate when it is a high one) at *pp; refuses U+0000 and
 * unpaired surrogates, as jansson does. */
static bool
decode_u(const unsigned char **pp, const unsigned char *end, uint32_t *cp)
{
    const unsigned char *p = *pp; /* at the 'u' */
    if (end - p < 5)
        return false;
    int hi = hex4(p + 1);
    if (hi <= 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return false;
    p += 5;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
            return false;
        int lo = hex4(p + 2);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return false;
        *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
        p += 6;
    } else {
        *cp = (uint32_t)hi;
    }
    *pp = p;
    return true;
}

/* Decodes the escape at *pp (at the backslash), writing to *o when it is not NULL. */
static bool
decode_escape(const unsigned char **pp, const unsigned char *end, char **o)
{
    const unsigned char *p = *pp + 1;
    char c;
    if (p >= end)
        return false;
    switch (*p) {
    case '"':
    case '\\':
    case '/':
        c = (char)*p;
        break;
    case 'b':
        c = '\b';
        break;
    case 'f':
        c = '\f';
        break;
    case 'n':
        c = '\n';
        break;
    case 'r':
        c = '\r';
        break;
    case 't':
        c = '\t';
        break;
    case 'u': {
        uint32_t cp;
        if (!decode_u(&p, end, &cp))
            return false;
        if (*o != NULL)
            *o = put_utf8(*o, cp);
        *pp = p;
        return true;
    }
    default:
        return false;
    }
    if (*o != NULL)
        *(*o)++ = c;
    *pp = p + 1;
    return true;
}

/* Scans the string at the cursor, decoding into out when it is not NULL. */
static bool
scan_string(struct wsc_jscan *s, char *out, size_t *out_len, bool *escaped)
{
    const unsigned char *p = (const unsigned char *)s->p + 1;
    const unsigned char *end = (const unsigned char *)s->end;
    char *o = out;
    bool esc = false;
    for (;;) {
        const unsigned char *run = p;
        bool high = false;
        /* Ordinary text a word at a time; bytes >= 0x80 are only noted for the UTF-8 check. */
        while (end - p >= 8) {
            uint64_t w = wsc__swar_load(p);
            if (wsc__swar_json_special(w))
                break;
            high |= (w & WSC_SWAR_HIGHS) != 0;
            p += 8;
        }
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\') {
            high |= *p >= 0x80;
            p++;
        }
        /* A run ends only at ASCII, so a UTF-8 sequence is never split. */
        if (high && !wsc__utf8_valid((const char *)run, (size_t)(p - run)))
            return false;
        if (o != NULL) {
            memcpy(o, run, (size_t)(p - run));
            o += p - run;
        }
        if (p >= end || *p < 0x20)
            return false;
        if (*p == '"')
            break;
        esc = true;
        if (!decode_escape(&p, end, &o))
            return false;
    }
    s->p = (const char *)p + 1;
    if (out != NULL && out_len != NULL)
        *out_len = (size_t)(o - out);
    if (escaped != NULL)
        *escaped = esc;
    return true;
}

bool
wsc__jscan_string(struct wsc_jscan *s, char *out, size_t *out_len)
{
    return wsc__jscan_peek(s) == '"' && scan_string(s, out, out_len, NULL);
}

static bool
enter(struct wsc_jscan *s)
{
    s->p++;
    if (++s->depth > s->max_depth) {
        s->too_deep = true;
        return false;
    }
    return true;
}

static const char *
key_ptr(const struct wsc_jscan *s, const struct wsc_jkey *k)
{
    return (k->in_scratch ? s->scratch : s->text) + k->off;
}

static int
kspan_cmp(const void *a, const void *b)
{
    const struct kspan *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->p, y->p, x->len);
}

/* True when the keys from mark on are all different (for objects of many keys). */
static bool
keys_unique_sorted(struct wsc_jscan *s, size_t mark)
{
    size_t n = s->nkeys - mark;
    struct kspan *v = wsc__malloc(n * sizeof(*v));
    if (v == NULL) {
        s->nomem = true;
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        v[i].p = key_ptr(s, &s->keys[mark + i]);
        v[i].len = s->keys[mark + i].len;
    }
    qsort(v, n, sizeof(*v), kspan_cmp);
    bool ok = true;
    for (size_t i = 1; i < n && ok; i++)
        ok = kspan_cmp(&v[i - 1], &v[i]) != 0;
    wsc__free(v);
    return ok;
}

static bool
grow(struct wsc_jscan *s, void **buf, void *inline_buf, size_t *cap, size_t elem, size_t need)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap * 2 > need ? *cap * 2 : need;
    void *p = *buf == inline_buf ? wsc__malloc(cap2 * elem) : wsc__realloc(*buf, cap2 * elem);
    if (p == NULL) {
        s->nomem = true;
        return false;
    }
    if (*buf == inline_buf)
        memcpy(p, inline_buf, *cap * elem);
    *buf = p;
    *cap = cap2;
    return true;
}

/* Remembers the key whose raw text (quotes included) is raw[0..raw_len), refusing it when
 * the open object already has it. */
static bool
add_key(struct wsc_jscan *s, size_t mark, const char *raw, size_t raw_len, bool escaped)
{
    struct wsc_jkey k = {(size_t)(raw + 1 - s->text), raw_len - 2, false};
    if (escaped) {
        void *buf = s->scratch;
        if (!grow(s, &buf, s->scratch0, &s->scap, 1, s->slen + raw_len))
            return false;
        s->scratch = buf;
        const char *save = s->p;
        s->p = raw;
        scan_string(s, s->scratch + s->slen, &k.len, NULL); /* valid: scanned already */
        s->p = save;
        k.off = s->slen;
        k.in_scratch = true;
        s->slen += k.len;
    }
    if (s->nkeys - mark < PAIRWISE_KEYS) {
        const char *kp = key_ptr(s, &k);
        for (size_t i = mark; i < s->nkeys; i++) {
            if (s->keys[i].len == k.len && memcmp(key_ptr(s, &s->keys[i]), kp, k.len) == 0)
                return false;
        }
    }
    void *buf = s->keys;
    if (!grow(s, &buf, s->keys0, &s->keycap, sizeof(k), s->nkeys + 1))
        return false;
    s->keys = buf;
    s->keys[s->nkeys++] = k;
    return true;
}

bool
wsc__jscan_object_begin(struct wsc_jscan *s, size_t *mark)
{
    if (wsc__jscan_peek(s) != '{' || !enter(s))
        return false;
    *mark = s->nkeys;
    return true;
}

/* Closes the object entered with mark (the cursor is on its '}'). */
static int
close_object(struct wsc_jscan *s, size_t mark)
{
    s->p++;
    bool ok = s->nkeys - mark <= PAIRWISE_KEYS || keys_unique_sorted(s, mark);
    s->nkeys = mark;
    if (mark == 0)
        s->slen = 0;
    s->depth--;
    return ok ? 0 : -1;
}

/* The next member: its raw key text in *raw, *raw_len (see wsc__jscan_member). */
static int
member(struct wsc_jscan *s, size_t mark, const char **raw, size_t *raw_len)
{
    char c = wsc__jscan_peek(s);
    if (c == '}')
        return close_object(s, mark);
    if (s->nkeys > mark) {
        if (c != ',')
            return -1;
        s->p++;
        c = wsc__jscan_peek(s);
    }
    if (c != '"')
        return -1;
    const char *start = s->p;
    bool escaped;
    if (!scan_string(s, NULL, NULL, &escaped))
        return -1;
    *raw = start;
    *raw_len = (size_t)(s->p - start);
    if (!add_key(s, mark, start, *raw_len, escaped) || wsc__jscan_peek(s) != ':')
        return -1;
    s->p++;
    return 1;
}

int
wsc__jscan_member(struct wsc_jscan *s, size_t mark, const char **key, size_t *key_len)
{
    const char *raw;
    size_t raw_len;
    int r = member(s, mark, &raw, &raw_len);
    if (r == 1) {
        *key = key_ptr(s, &s->keys[s->nkeys - 1]);
        *key_len = s->keys[s->nkeys - 1].len;
    }
    return r;
}

static bool
scan_object(struct wsc_jscan *s, char *out, size_t *out_len)
{
    size_t mark, n;
    const char *raw;
    char *o = out;
    int r;
    if (!wsc__jscan_object_begin(s, &mark))
        return false;
    if (o != NULL)
        *o++ = '{';
    while ((r = member(s, mark, &raw, &n)) == 1) {
        if (o != NULL) {
            if (s->nkeys - mark > 1)
                *o++ = ',';
            memcpy(o, raw, n);
            o += n;
            *o++ = ':';
        }
        if (!wsc__jscan_value(s, o, &n))
            return false;
        o = o != NULL ? o + n : NULL;
    }
    if (o != NULL) {
        *o++ = '}';
        *out_len = (size_t)(o - out);
    }
    return r == 0;
}

static bool
scan_array(struct wsc_jscan *s, char *out, size_t *out_len)
{
    char *o = out;
    size_t n;
    if (!enter(s))
        return false;
    if (o != NULL)
        *o++ = '[';
    if (wsc__jscan_peek(s) != ']') {
        for (;;) {
            if (!wsc__jscan_value(s, o, &n))
                return false;
            o = o != NULL ? o + n : NULL;
            char c = wsc__jscan_peek(s);
            if (c == ']')
                break;
            if (c != ',')
                return false;
            s->p++;
            if (o != NULL)
                *o++ = ',';
        }
    }
    s->p++;
    s->depth--;
    if (o != NULL) {
        *o++ = ']';
        *out_len = (size_t)(o - out);
    }
    return true;
}

static bool
scan_literal(struct wsc_jscan *s, const char *word, size_t len)
{
    if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len) != 0)
        return false;
    s->p += len;
    return true;
}

bool
wsc__jscan_value(struct wsc_jscan *s, char *out, size_t *out_len)
{
    char c = wsc__jscan_peek(s);
    const char *start = s->p;
    bool ok, is_int;
    int64_t ignored;
    /* jansson counts every value, scalars too, against its depth limit. */
    if (s->depth >= WSC_JSCAN_HARD_DEPTH)
        return false;
    if (c == '{')
        return scan_object(s, out, out_len);
    if (c == '[')
        return scan_array(s, out, out_len);
    if (c == '"')
        ok = scan_string(s, NULL, NULL, NULL);
    else if (c == 't')
        ok = scan_literal(s, "true", 4);
    else if (c == 'f')
        ok = scan_literal(s, "false", 5);
    else if (c == 'n')
        ok = scan_literal(s, "null", 4);
    else
        ok = (c == '-' || is_digit(c)) && wsc__jscan_number(s, &is_int, &ignored);
    if (ok && out != NULL) {
        memcpy(out, start, (size_t)(s->p - start));
        *out_len = (size_t)(s->p - start);
    }
    return ok;
}
