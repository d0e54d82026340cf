/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed access to parameter maps: numbers read as elastix reads them (C++
 * `istream >>` in the classic locale, libstdc++'s rules), booleans exactly
 * "true" / "false", and the per-resolution fallback to entry 0.
 */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/params.h>

#include "error_impl.h"
#include "params_impl.h"

/* isspace() in the "C" locale, which is what istream's skipws sees. */
static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * strtod of the n characters at s, which the caller has checked are a
 * decimal number written with '.', whatever LC_NUMERIC says.
 */
static pipit_status_t
convert_double(const char *s, size_t n, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end != s + n) {
        /* strtod read more (hex: "0x1" where istream stops at "0") or
         * less (a locale with ',' as its point): convert a copy that
         * holds only our characters, with the locale's point. */
        const char *dp = localeconv()->decimal_point;
        size_t dp_len = strlen(dp);
        char local[1024];
        char *buf = local;
        if (n + dp_len + 1 > sizeof local &&
            (buf = pipit__malloc(n + dp_len + 1)) == NULL)
            return PIPIT_ENOMEM;
        char *t = buf;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '.') {
                memcpy(t, dp, dp_len);
                t += dp_len;
            } else {
                *t++ = s[i];
            }
        }
        *t = '\0';
        v = strtod(buf, NULL);
        if (buf != local)
            pipit__free(buf);
    }
    if (isinf(v))
        return PIPIT_ERANGE;
    *out = v;
    return PIPIT_OK;
}

pipit_status_t
pipit__params_read_double(const char *s, double *out, size_t *used)
{
    const char *c = s;
    size_t mantissa = 0, exponent = 0;
    bool point = false, sci = false;
    while (is_space(*c))
        c++;
    const char *start = c;
    if (*c == '+' || *c == '-')
        c++;
    /* What libstdc++ gathers before it calls strtod: digits, one point
     * before any exponent, one 'e' after a digit and its sign. */
    for (;; c++) {
        if (is_digit(*c)) {
            if (sci)
                exponent++;
            else
                mantissa++;
        } else if (*c == '.' && !point && !sci) {
            point = true;
        } else if ((*c == 'e' || *c == 'E') && mantissa > 0 && !sci) {
            sci = true;
            if (c[1] == '+' || c[1] == '-')
                c++;
        } else {
            break;
        }
    }
    *used = (size_t)(c - s);
    /* libstdc++ fails when strtod leaves part of what it gathered: no
     * digit at all, or an 'e' with no digit after it ("1e" is not 1). */
    if (mantissa == 0 || (sci && exponent == 0))
        return PIPIT_EINVAL;
    return convert_double(start, (size_t)(c - start), out);
}

/* istream >> int64_t: white space, sign, decimal digits; stops at the
 * first other character ("3.7" is 3). */
static pipit_status_t
read_int(const char *s, int64_t *out)
{
    const char *c = s;
    bool neg = false;
    uint64_t mag = 0;
    while (is_space(*c))
        c++;
    if (*c == '+' || *c == '-')
        neg = *c++ == '-';
    if (!is_digit(*c))
        return PIPIT_EINVAL;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; is_digit(*c); c++) {
        unsigned d = (unsigned)(*c - '0');
        if (mag > (limit - d) / 10)
            return PIPIT_ERANGE;
        mag = mag * 10 + d;
    }
    /* -(INT64_MAX + 1) without overflowing on the way. */
    *out = neg ? (mag == 0 ? 0 : -(int64_t)(mag - 1) - 1) : (int64_t)mag;
    return PIPIT_OK;
}

/*
 * The value a typed getter reads: entry index when the key has one, else
 * entry 0 (elastix's per-resolution rule). NULL when the key is absent.
 */
static const char *
lookup(const pipit_params_t *p, const char *key, size_t index,
       size_t *entry)
{
    size_t n = pipit_params_n_values(p, key);
    if (n == 0)
        return NULL;
    *entry = index < n ? index : 0;
    return pipit_params_value(p, key, *entry);
}

pipit_status_t
pipit_params_get_double(const pipit_params_t *p, const char *key,
                        size_t index, double dflt, double *out)
{
    PIPIT_CHECK_ARG(out != NULL);
    *out = dflt;
    PIPIT_CHECK_ARG(p != NULL && key != NULL);
    size_t entry, used;
    double v;
    const char *s = lookup(p, key, index, &entry);
    if (s == NULL)
        return PIPIT_OK;
    switch (pipit__params_read_double(s, &v, &used)) {
    case PIPIT_OK:
        *out = v;
        return PIPIT_OK;
    case PIPIT_ERANGE:
        return pipit__error(PIPIT_EINVAL,
                            "parameter '%.100s' value '%.100s' (entry %zu) "
                            "is out of range for a double",
                            key, s, entry);
    case PIPIT_ENOMEM:
        return PIPIT_ENOMEM;
    default:
        return pipit__error(PIPIT_EINVAL,
                            "parameter '%.100s' value '%.100s' (entry %zu) "
                            "is not a number",
                            key, s, entry);
    }
}

pipit_status_t
pipit_params_get_int(const pipit_params_t *p, const char *key, size_t index,
                     int64_t dflt, int64_t *out)
{
    PIPIT_CHECK_ARG(out != NULL);
    *out = dflt;
    PIPIT_CHECK_ARG(p != NULL && key != NULL);
    size_t entry;
    int64_t v;
    const char *s = lookup(p, key, index, &entry);
    if (s == NULL)
        return PIPIT_OK;
    switch (read_int(s, &v)) {
    case PIPIT_OK:
        *out = v;
        return PIPIT_OK;
    case PIPIT_ERANGE:
        return pipit__error(PIPIT_EINVAL,
                            "parameter '%.100s' value '%.100s' (entry %zu) "
                            "is out of range for a 64-bit integer",
                            key, s, entry);
    default:
        return pipit__error(PIPIT_EINVAL,
                            "parameter '%.100s' value '%.100s' (entry %zu) "
                            "is not an integer",
                            key, s, entry);
    }
}

pipit_status_t
pipit_params_get_bool(const pipit_params_t *p, const char *key, size_t index,
                      bool dflt, bool *out)
{
    PIPIT_CHECK_ARG(out != NULL);
    *out = dflt;
    PIPIT_CHECK_ARG(p != NULL && key != NULL);
    size_t entry;
    const char *s = lookup(p, key, index, &entry);
    if (s == NULL)
        return PIPIT_OK;
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
        *out = s[0] == 't';
        return PIPIT_OK;
    }
    return pipit__error(PIPIT_EINVAL,
                        "parameter '%.100s' value '%.100s' (entry %zu) is "
                        "not a boolean (\"true\" or \"false\")",
                        key, s, entry);
}

pipit_status_t
pipit_params_get_string(const pipit_params_t *p, const char *key,
                        size_t index, const char *dflt, const char **out)
{
    PIPIT_CHECK_ARG(out != NULL);
    *out = dflt;
    PIPIT_CHECK_ARG(p != NULL && key != NULL);
    size_t entry;
    const char *s = lookup(p, key, index, &entry);
    if (s != NULL)
        *out = s;
    return PIPIT_OK;
}

/* Room for "-1.2345678901234567e-308" and a multibyte decimal point. */
#define NUMBER_SIZE 40

/*
 * The shortest of %.15g, %.16g and %.17g that reads back to v (17 always
 * does), written with '.' whatever LC_NUMERIC says.
 */
static pipit_status_t
format_double(double v, char *buf)
{
    const char *dp = localeconv()->decimal_point;
    size_t dp_len = strlen(dp);
    for (int prec = 15; prec <= 17; prec++) {
        double back;
        size_t used;
        snprintf(buf, NUMBER_SIZE, "%.*g", prec, v);
        if (strcmp(dp, ".") != 0) {
            char *at = strstr(buf, dp);
            if (at != NULL) {
                *at = '.';
                memmove(at + 1, at + dp_len, strlen(at + dp_len) + 1);
            }
        }
        pipit_status_t st = pipit__params_read_double(buf, &back, &used);
        if (st == PIPIT_ENOMEM)
            return st;
        if (st == PIPIT_OK && back == v)
            break;
    }
    return PIPIT_OK;
}

pipit_status_t
pipit_params_set_doubles(pipit_params_t *p, const char *key, size_t n,
                         const double *v)
{
    pipit_status_t st = PIPIT_OK;
    char *block = NULL;
    size_t per = sizeof(char *) + NUMBER_SIZE, bytes;
    PIPIT_CHECK_ARG(p != NULL && key != NULL);
    PIPIT_CHECK_ARG(n == 0 || v != NULL);
    if (n == 0)
        return pipit_params_set(p, key, 0, NULL); /* it says why not */
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return pipit__error(PIPIT_EINVAL,
                                "params: key '%.100s' value %zu is %g, not "
                                "a finite number",
                                key, i, v[i]);
    if (pipit__mul_overflows(n, per, &bytes))
        return pipit__error_nomem();
    if ((block = pipit__malloc(bytes)) == NULL)
        return PIPIT_ENOMEM;
    char **texts = (char **)block;
    char *room = block + n * sizeof(char *);
    for (size_t i = 0; i < n; i++) {
        texts[i] = room + i * NUMBER_SIZE;
        if ((st = format_double(v[i], texts[i])) != PIPIT_OK)
            goto done;
    }
    st = pipit_params_set(p, key, n, (const char *const *)texts);
done:
    pipit__free(block);
    return st;
}
