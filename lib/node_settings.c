/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Settings a node class declares (name, type, default, help), set and
 * read generically by name so that tools and docs need no per-class code.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_update_impl.h"

static void *
field(pipit_node_t *n, const pipit_setting_t *s)
{
    return (char *)n + s->offset;
}

/* Bytes of the field of a setting that is not a string. */
static size_t
field_bytes(const pipit_setting_t *s)
{
    switch (s->type) {
    case PIPIT_SETTING_BOOL: return sizeof(bool);
    case PIPIT_SETTING_INT: return sizeof(int64_t);
    case PIPIT_SETTING_DOUBLE: return sizeof(double);
    case PIPIT_SETTING_VECTOR: return sizeof(double) * PIPIT_MAX_DIM;
    case PIPIT_SETTING_CHOICE: return sizeof(int);
    case PIPIT_SETTING_STRING: return sizeof(char *);
    case PIPIT_SETTING_PIXEL_TYPE: return sizeof(pipit_pixel_type_t);
    }
    return 0;
}

static const pipit_setting_t *
find(const pipit_node_class_t *c, const char *name)
{
    for (size_t i = 0; i < c->n_settings; i++)
        if (strcmp(c->settings[i].name, name) == 0)
            return &c->settings[i];
    return NULL;
}

static pipit_status_t
unknown_setting(const pipit_node_class_t *c, const char *name)
{
    char list[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < c->n_settings && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i ? ", " : "", c->settings[i].name);
    return pipit__error(PIPIT_EINVAL, "%s: unknown setting '%s' (valid: %s)",
                        c->name, name, c->n_settings ? list : "none");
}

static bool
has_bounds(const pipit_setting_t *s)
{
    return s->min <= s->max;
}

static pipit_status_t
check_number(const pipit_node_class_t *c, const pipit_setting_t *s, double v,
             const char *text)
{
    if (!isfinite(v))
        return pipit__error(PIPIT_EINVAL, "%s: %s: '%s' is not a finite "
                                          "number",
                            c->name, s->name, text);
    if (has_bounds(s) && (v < s->min || v > s->max))
        return pipit__error(PIPIT_EINVAL, "%s: %s: %s is outside [%g, %g]",
                            c->name, s->name, text, s->min, s->max);
    return PIPIT_OK;
}

/* Parses the number at p, part of the setting's whole text; messages
 * quote the whole text, as the user gave it. */
static pipit_status_t
parse_double(const pipit_node_class_t *c, const pipit_setting_t *s,
             const char *text, const char *p, char **end, double *v)
{
    errno = 0;
    *v = strtod(p, end);
    if (*end == p)
        return pipit__error(PIPIT_EINVAL, "%s: %s: '%s' is not a number",
                            c->name, s->name, text);
    /* ERANGE on underflow too: a value too small to hold is taken as
     * the nearest one held; only overflow is refused. */
    if (errno == ERANGE && fabs(*v) > 1.0)
        return pipit__error(PIPIT_EINVAL,
                            "%s: %s: '%s' is out of range (beyond %g)",
                            c->name, s->name, text, DBL_MAX);
    return check_number(c, s, *v, text);
}

static pipit_status_t
set_choice(const pipit_node_class_t *c, const pipit_setting_t *s, int *out,
           const char *text)
{
    char list[512] = "";
    size_t len = 0;
    for (int i = 0; s->choices[i] != NULL; i++) {
        if (strcmp(s->choices[i], text) == 0) {
            *out = i;
            return PIPIT_OK;
        }
        if (len < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                    i ? ", " : "", s->choices[i]);
    }
    return pipit__error(PIPIT_EINVAL, "%s: %s: '%s' is not one of: %s",
                        c->name, s->name, text, list);
}

/*
 * Per-axis values as a VECTOR setting stores them: one value fills every
 * axis; k > 1 values fill axes 0..k-1 and leave NaN on the others, so
 * that the information pass, which alone knows the image dimension, can
 * tell how many were given (a setting never holds NaN otherwise).
 */
void
pipit__axes_store(double *dst, const double *v, unsigned count)
{
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        dst[d] = count == 1 ? v[0] : d < count ? v[d] : NAN;
}

/* How many values a stored vector was given (1 when it fills every
 * axis with one value; four equal values read as one). */
static unsigned
axes_count(const double *v)
{
    unsigned k = 0;
    while (k < PIPIT_MAX_DIM && !isnan(v[k]))
        k++;
    bool same = k == PIPIT_MAX_DIM;
    for (unsigned d = 1; same && d < PIPIT_MAX_DIM; d++)
        same = v[d] == v[0];
    return same ? 1 : k;
}

/* "2" for every axis, "1,2,3" (or "1x2x3") one value per axis. */
static pipit_status_t
parse_vector(const pipit_node_class_t *c, const pipit_setting_t *s,
             const char *text, double *dst)
{
    double vec[PIPIT_MAX_DIM];
    unsigned count = 0;
    const char *p = text;
    char *end;
    pipit_status_t st;
    for (;;) {
        if (count == PIPIT_MAX_DIM)
            return pipit__error(PIPIT_EINVAL,
                                "%s: %s: more than %d values in '%s'",
                                c->name, s->name, PIPIT_MAX_DIM, text);
        if (count > 0 && (*p == '\0' || *p == ',' || *p == 'x'))
            return pipit__error(PIPIT_EINVAL,
                                "%s: %s: '%s' is not a list of numbers "
                                "such as 1,2,3",
                                c->name, s->name, text);
        if ((st = parse_double(c, s, text, p, &end, &vec[count])) !=
            PIPIT_OK)
            return st;
        count++;
        if (*end == '\0')
            break;
        if (*end != ',' && *end != 'x')
            return pipit__error(PIPIT_EINVAL,
                                "%s: %s: '%s' is not a list of numbers "
                                "such as 1,2,3",
                                c->name, s->name, text);
        p = end + 1;
    }
    pipit__axes_store(dst, vec, count);
    return PIPIT_OK;
}

/* Parses text for s and stores it in the node. */
static pipit_status_t
set_value(pipit_node_t *n, const pipit_setting_t *s, const char *text)
{
    const pipit_node_class_t *c = n->klass;
    char *end;
    double v;
    pipit_status_t st;
    switch (s->type) {
    case PIPIT_SETTING_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
            *(bool *)field(n, s) = true;
        else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
            *(bool *)field(n, s) = false;
        else
            return pipit__error(PIPIT_EINVAL,
                                "%s: %s: '%s' is not true or false", c->name,
                                s->name, text);
        return PIPIT_OK;
    case PIPIT_SETTING_INT: {
        errno = 0;
        long long i = strtoll(text, &end, 10);
        if (end == text || *end != '\0')
            return pipit__error(PIPIT_EINVAL, "%s: %s: '%s' is not an integer",
                                c->name, s->name, text);
        if (errno == ERANGE)
            return pipit__error(PIPIT_EINVAL,
                                "%s: %s: '%s' is out of range (beyond "
                                "%lld)",
                                c->name, s->name, text, LLONG_MAX);
        if ((st = check_number(c, s, (double)i, text)) != PIPIT_OK)
            return st;
        *(int64_t *)field(n, s) = i;
        return PIPIT_OK;
    }
    case PIPIT_SETTING_DOUBLE:
        if ((st = parse_double(c, s, text, text, &end, &v)) != PIPIT_OK)
            return st;
        if (*end != '\0')
            return pipit__error(PIPIT_EINVAL, "%s: %s: '%s' is not a number",
                                c->name, s->name, text);
        *(double *)field(n, s) = v;
        return PIPIT_OK;
    case PIPIT_SETTING_VECTOR:
        return parse_vector(c, s, text, field(n, s));
    case PIPIT_SETTING_CHOICE:
        return set_choice(c, s, field(n, s), text);
    case PIPIT_SETTING_STRING: {
        char *copy = pipit__strdup(text);
        if (copy == NULL)
            return PIPIT_ENOMEM;
        char **slot = field(n, s);
        pipit__free(*slot);
        *slot = copy;
        return PIPIT_OK;
    }
    case PIPIT_SETTING_PIXEL_TYPE: {
        pipit_pixel_type_t t;
        if ((st = pipit_pixel_type_parse(text, &t)) != PIPIT_OK) {
            pipit__error_prefix("%s: %s", c->name, s->name);
            return st;
        }
        *(pipit_pixel_type_t *)field(n, s) = t;
        return PIPIT_OK;
    }
    }
    return pipit__error(PIPIT_EINVAL, "%s: %s: bad setting type", c->name,
                        s->name);
}

pipit_status_t
pipit__node_apply_defaults(pipit_node_t *n)
{
    const pipit_node_class_t *c = n->klass;
    for (size_t i = 0; i < c->n_settings; i++) {
        const pipit_setting_t *s = &c->settings[i];
        if (s->default_value == NULL)
            continue;
        pipit_status_t st = set_value(n, s, s->default_value);
        if (st != PIPIT_OK)
            return st;
    }
    return PIPIT_OK;
}

void
pipit__node_free_settings(pipit_node_t *n)
{
    const pipit_node_class_t *c = n->klass;
    for (size_t i = 0; i < c->n_settings; i++)
        if (c->settings[i].type == PIPIT_SETTING_STRING) {
            char **slot = field(n, &c->settings[i]);
            pipit__free(*slot);
            *slot = NULL;
        }
}

pipit_status_t
pipit_node_set(pipit_node_t *n, const char *name, const char *value)
{
    PIPIT_CHECK_ARG(n != NULL && name != NULL && value != NULL);
    const pipit_setting_t *s = find(n->klass, name);
    if (s == NULL)
        return unknown_setting(n->klass, name);
    /* The same value again changes nothing, so the next update re-runs
     * nothing (ITK's Set macros compare too). */
    void *f = field(n, s);
    if (s->type == PIPIT_SETTING_STRING) {
        const char *old = *(char **)f;
        if (old != NULL && strcmp(old, value) == 0)
            return PIPIT_OK;
    }
    unsigned char before[sizeof(double) * PIPIT_MAX_DIM];
    size_t bytes = field_bytes(s);
    memcpy(before, f, bytes);
    pipit_status_t st = set_value(n, s, value);
    if (st == PIPIT_OK && (s->type == PIPIT_SETTING_STRING ||
                           memcmp(before, f, bytes) != 0))
        n->mtime = pipit__time_next();
    return st;
}

pipit_status_t
pipit_node_set_double(pipit_node_t *n, const char *name, double v)
{
    char text[64];
    snprintf(text, sizeof text, "%.17g", v);
    return pipit_node_set(n, name, text);
}

pipit_status_t
pipit_node_set_int(pipit_node_t *n, const char *name, int64_t v)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, v);
    return pipit_node_set(n, name, text);
}

pipit_status_t
pipit_node_get(const pipit_node_t *n, const char *name, char *buf,
               size_t size)
{
    PIPIT_CHECK_ARG(n != NULL && name != NULL && buf != NULL && size > 0);
    const pipit_setting_t *s = find(n->klass, name);
    if (s == NULL)
        return unknown_setting(n->klass, name);
    const void *f = (const char *)n + s->offset;
    int len = 0;
    switch (s->type) {
    case PIPIT_SETTING_BOOL:
        len = snprintf(buf, size, "%s", *(const bool *)f ? "true" : "false");
        break;
    case PIPIT_SETTING_INT:
        len = snprintf(buf, size, "%" PRId64, *(const int64_t *)f);
        break;
    case PIPIT_SETTING_DOUBLE:
        len = snprintf(buf, size, "%.17g", *(const double *)f);
        break;
    case PIPIT_SETTING_VECTOR: {
        const double *v = f;
        unsigned k = axes_count(v);
        for (unsigned d = 0; d < k && len >= 0 && (size_t)len < size; d++) {
            int m = snprintf(buf + len, size - (size_t)len, "%s%.17g",
                             d ? "," : "", v[d]);
            len = m < 0 ? m : len + m;
        }
        break;
    }
    case PIPIT_SETTING_CHOICE:
        len = snprintf(buf, size, "%s", s->choices[*(const int *)f]);
        break;
    case PIPIT_SETTING_STRING: {
        const char *str = *(char *const *)f;
        len = snprintf(buf, size, "%s", str != NULL ? str : "");
        break;
    }
    case PIPIT_SETTING_PIXEL_TYPE:
        len = snprintf(buf, size, "%s",
                       pipit_pixel_type_name(*(const pipit_pixel_type_t *)f));
        break;
    }
    if (len < 0 || (size_t)len >= size)
        return pipit__error(PIPIT_ERANGE, "%s: %s: buffer too small",
                            n->klass->name, name);
    return PIPIT_OK;
}

const pipit_setting_t *
pipit_node_class_settings(const pipit_node_class_t *c, size_t *count)
{
    *count = c->n_settings;
    return c->settings;
}

const char *pipit_node_class_name(const pipit_node_class_t *c)
{
    return c->name;
}

const char *pipit_node_class_help(const pipit_node_class_t *c)
{
    return c->help != NULL ? c->help : "";
}

/* The values of a stored vector as text ("1,2"), for messages. */
static void
axes_text(const double *v, unsigned k, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned d = 0; d < k && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, "%s%g", d ? "," : "",
                                v[d]);
}

pipit_status_t
pipit__check_axes(const pipit_node_t *n, unsigned dim)
{
    const pipit_node_class_t *c = n->klass;
    for (size_t i = 0; i < c->n_settings; i++) {
        const pipit_setting_t *s = &c->settings[i];
        if (s->type != PIPIT_SETTING_VECTOR)
            continue;
        const double *v = (const double *)(const void *)((const char *)n +
                                                         s->offset);
        unsigned k = axes_count(v);
        if (k == 1 || k == dim)
            continue;
        /* A class's default may list more axes than an image has (flip's
         * "1,0,0,0", permute-axes' "0,1,2,3"): the first dim apply. */
        double def[PIPIT_MAX_DIM];
        if (k > dim && s->default_value != NULL &&
            parse_vector(c, s, s->default_value, def) == PIPIT_OK &&
            memcmp(def, v, sizeof def) == 0)
            continue;
        char text[160];
        axes_text(v, k, text, sizeof text);
        return pipit__error(PIPIT_EINVAL,
                            "%s: %s: '%s' gives %u values for a %u-D image: "
                            "give one value (for every axis) or one per axis",
                            c->name, s->name, text, k, dim);
    }
    return PIPIT_OK;
}
