/* SPDX-License-Identifier: MIT */
/* Numbers for the JSON scanner (json_scan.h): the RFC 8259 grammar, and the ranges jansson
 * enforces when it loads them (integers within int64, reals that do not overflow a double),
 * checked without converting the common cases. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "models/json_scan.h"

static inline bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Decides whether a real overflows a double, like jansson's strtod check: by the decimal
 * exponent of its leading digit, and with strtod itself only at the border. */
static bool
real_fits(const char *tok, size_t tok_len, const char *ip, size_t int_digits, const char *fp,
          size_t frac_digits, long exp)
{
    long lead;
    if (ip[0] != '0') {
        lead = (long)int_digits - 1;
    } else {
        size_t k = 0;
        while (k < frac_digits && fp[k] == '0')
            k++;
        if (k == frac_digits)
            return true; /* zero, whatever the exponent */
        lead = -(long)k - 1;
    }
    if (lead + exp < 308)
        return true;
    if (lead + exp > 308)
        return false;
    /* The border (1e308 <= |x| < 1e309): ask strtod, with the locale's decimal point as
     * jansson does. */
    char small[64];
    char *buf = tok_len < sizeof(small) ? small : wsc__malloc(tok_len + 1);
    if (buf == NULL)
        return false;
    memcpy(buf, tok, tok_len);
    buf[tok_len] = '\0';
    char *dot = strchr(buf, '.');
    if (dot != NULL)
        *dot = localeconv()->decimal_point[0];
    errno = 0;
    double v = strtod(buf, NULL);
    bool ok = !(errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL));
    if (buf != small)
        wsc__free(buf);
    return ok;
}

/* Scans digits at *pp into *v (saturating), returning how many there were. */
static size_t
scan_digits(const char **pp, const char *end, uint64_t *v, bool *ovf)
{
    const char *p = *pp;
    while (p < end && is_digit(*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (*v > (UINT64_MAX - d) / 10)
            *ovf = true;
        else
            *v = *v * 10 + d;
        p++;
    }
    size_t n = (size_t)(p - *pp);
    *pp = p;
    return n;
}

/* The exponent part at *pp (after 'e'): sign and at least one digit; clamped. */
static bool
scan_exponent(const char **pp, const char *end, long *exp)
{
    const char *p = *pp;
    bool neg = false;
    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    uint64_t v = 0;
    bool ovf = false;
    if (scan_digits(&p, end, &v, &ovf) == 0)
        return false;
    if (ovf || v > 1000000)
        v = 1000000;
    *exp = neg ? -(long)v : (long)v;
    *pp = p;
    return true;
}

bool
wsc__jscan_number(struct wsc_jscan *s, bool *is_int, int64_t *ival)
{
    const char *p = s->p, *end = s->end, *fp = NULL;
    bool neg = p < end && *p == '-', ovf = false;
    p += neg;
    const char *ip = p;
    uint64_t v = 0;
    size_t int_digits = scan_digits(&p, end, &v, &ovf), frac_digits = 0;
    if (int_digits == 0 || (int_digits > 1 && ip[0] == '0'))
        return false; /* no digits, or a leading zero */
    if (p < end && *p == '.') {
        fp = ++p;
        uint64_t ignored = 0;
        bool ignored_ovf = false;
        if ((frac_digits = scan_digits(&p, end, &ignored, &ignored_ovf)) == 0)
            return false;
    }
    long exp = 0;
    bool has_exp = p < end && (*p == 'e' || *p == 'E');
    if (has_exp && (++p, !scan_exponent(&p, end, &exp)))
        return false;
    *is_int = fp == NULL && !has_exp;
    if (*is_int) {
        uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        if (ovf || v > lim)
            return false; /* jansson: too big integer */
        *ival = !neg ? (int64_t)v : v == lim ? INT64_MIN : -(int64_t)v;
    } else if (!real_fits(s->p, (size_t)(p - s->p), ip, int_digits, fp, frac_digits, exp)) {
        return false; /* jansson: real number overflow */
    }
    s->p = p;
    return true;
}
