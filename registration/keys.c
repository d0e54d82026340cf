/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed reads of a parameter map for the registration's components: the
 * lib getters (elastix's number and boolean rules, the per-resolution
 * fallback) with the file and line of the key in front of any message, so
 * a malformed value names file, line, key and value.
 */
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error_impl.h"
#include "params_impl.h"
#include "reg_impl.h"

const char *
pipit__reg_map_file(const reg_map_t *m)
{
    const char *f = pipit_params_source(m->params);
    return f != NULL ? f : m->file != NULL ? m->file : "parameter map";
}

/* Puts "FILE:LINE: " in front of the message a failed lib getter left. */
static pipit_status_t
located(const reg_map_t *m, const char *key, pipit_status_t st)
{
    if (st == PIPIT_OK)
        return st;
    size_t line = pipit__params_line(m->params, key);
    if (line > 0)
        pipit__error_prefix("%s:%zu", pipit__reg_map_file(m), line);
    else
        pipit__error_prefix("%s", pipit__reg_map_file(m));
    return st;
}

pipit_status_t
pipit__reg_get_double(const reg_map_t *m, const char *key, size_t index,
                      double dflt, double *out)
{
    pipit_status_t st = pipit_params_get_double(m->params, key, index, dflt,
                                                out);
    if (st == PIPIT_OK && !isfinite(*out))
        return pipit__reg_key_error(m, key, index, PIPIT_EINVAL,
                                    "not a finite number");
    return located(m, key, st);
}

pipit_status_t
pipit__reg_get_int(const reg_map_t *m, const char *key, size_t index,
                   int64_t dflt, int64_t *out)
{
    return located(m, key,
                   pipit_params_get_int(m->params, key, index, dflt, out));
}

pipit_status_t
pipit__reg_get_int_in(const reg_map_t *m, const char *key, size_t index,
                      int64_t dflt, int64_t lo, int64_t hi, int64_t *out)
{
    pipit_status_t st = pipit__reg_get_int(m, key, index, dflt, out);
    if (st == PIPIT_OK && (*out < lo || *out > hi)) {
        char why[96];
        snprintf(why, sizeof why, "must be between %lld and %lld",
                 (long long)lo, (long long)hi);
        return pipit__reg_key_error(m, key, index, PIPIT_EINVAL, why);
    }
    return st;
}

pipit_status_t
pipit__reg_get_bool(const reg_map_t *m, const char *key, size_t index,
                    bool dflt, bool *out)
{
    return located(m, key,
                   pipit_params_get_bool(m->params, key, index, dflt, out));
}

pipit_status_t
pipit__reg_get_string(const reg_map_t *m, const char *key, size_t index,
                      const char *dflt, const char **out)
{
    return located(m, key, pipit_params_get_string(m->params, key, index,
                                                   dflt, out));
}

size_t
pipit__reg_count(const reg_map_t *m, const char *key)
{
    return pipit_params_n_values(m->params, key);
}

pipit_status_t
pipit__reg_key_error(const reg_map_t *m, const char *key, size_t index,
                     pipit_status_t st, const char *why)
{
    size_t n = pipit_params_n_values(m->params, key);
    const char *v = n == 0 ? NULL
                           : pipit_params_value(m->params, key,
                                                index < n ? index : 0);
    size_t line = pipit__params_line(m->params, key);
    char where[64] = "";
    if (line > 0)
        snprintf(where, sizeof where, ":%zu", line);
    if (v != NULL)
        return pipit__error(st, "%s%s: %s value '%.100s': %s", pipit__reg_map_file(m),
                            where, key, v, why);
    return pipit__error(st, "%s: %s: %s", pipit__reg_map_file(m), key, why);
}

void
pipit__reg_warn(const reg_map_t *m, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int k = snprintf(line, sizeof line, "WARNING: ");
    vsnprintf(line + k, sizeof line - (size_t)k, fmt, ap);
    va_end(ap);
    if (m != NULL && m->log != NULL)
        m->log(line, m->log_user);
    else
        pipit__log(PIPIT_LOG_WARNING, "%s", line + 9);
}

pipit_status_t
pipit__reg_check_name(const reg_map_t *m, const char *key, const char *name,
                      const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(names[i], name) == 0)
            return PIPIT_OK;
    char why[512] = "unknown component; supported:";
    for (size_t i = 0; names[i] != NULL; i++) {
        strncat(why, i > 0 ? ", " : " ", sizeof why - strlen(why) - 1);
        strncat(why, names[i], sizeof why - strlen(why) - 1);
    }
    return pipit__reg_key_error(m, key, 0, PIPIT_EINVAL, why);
}

void
pipit__reg_info(const reg_map_t *m, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (m != NULL && m->log != NULL)
        m->log(line, m->log_user);
    else
        pipit__log(PIPIT_LOG_INFO, "%s", line);
}
