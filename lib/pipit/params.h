/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parameter maps: elastix's "(Key value value ...)" text format.
 *
 * Ordered keys, each with a list of string values; values are typed only
 * when read. Per-resolution lookups follow elastix: index r reads entry r
 * when the key has more than r entries, otherwise entry 0.
 * Syntax and rules: ../shared/spec/elastix-compat.md section 1, and
 * doc/params.md.
 */
#ifndef PIPIT_PARAMS_H
#define PIPIT_PARAMS_H

#include <pipit/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pipit_params pipit_params_t;

/** A new empty map (a new reference), or NULL on ENOMEM. */
PIPIT_API pipit_params_t *pipit_params_new(void);
PIPIT_API pipit_params_t *pipit_params_ref(pipit_params_t *p);
PIPIT_API void pipit_params_unref(pipit_params_t *p);
/** A new map with the same entries. */
PIPIT_API pipit_params_t *pipit_params_dup(const pipit_params_t *p);

/**
 * Parses text (len bytes, need not be NUL-terminated) into a new map.
 * name is used in messages ("params.txt:12: ..."); errors (PIPIT_EFORMAT)
 * name the line, and the key when known: a line not in parentheses, a
 * key with no value, unbalanced quotes, forbidden characters, a key given
 * twice.
 */
PIPIT_API pipit_status_t pipit_params_parse(const char *text, size_t len,
                                            const char *name,
                                            pipit_params_t **out);

/** Reads and parses a file (PIPIT_EIO when it cannot be read). */
PIPIT_API pipit_status_t pipit_params_read(const char *path,
                                           pipit_params_t **out);

/**
 * Prints the map in the text format, one entry a line in key order:
 * values that read as numbers bare, others quoted (as elastix writes).
 * Returns a NUL-terminated string the caller frees with free(), or NULL.
 */
PIPIT_API char *pipit_params_print(const pipit_params_t *p);

/** Writes pipit_params_print's text to path (atomically: temp + rename). */
PIPIT_API pipit_status_t pipit_params_write(const pipit_params_t *p,
                                            const char *path);

/** Number of keys, and key i in order (borrowed). */
/**
 * The name the map was parsed from (pipit_params_parse's name, or the
 * file pipit_params_read read), borrowed; NULL for a map made by code.
 * Kept by pipit_params_dup. For messages that name a file.
 */
PIPIT_API const char *pipit_params_source(const pipit_params_t *p);

PIPIT_API size_t pipit_params_count(const pipit_params_t *p);
PIPIT_API const char *pipit_params_key(const pipit_params_t *p, size_t i);

PIPIT_API bool pipit_params_has(const pipit_params_t *p, const char *key);
/** Number of values of key (0 when absent). */
PIPIT_API size_t pipit_params_n_values(const pipit_params_t *p,
                                       const char *key);
/** Value i of key, borrowed; NULL when absent. No fallback. */
PIPIT_API const char *pipit_params_value(const pipit_params_t *p,
                                         const char *key, size_t i);

/**
 * Sets key to n values (copied), replacing any earlier ones; a new key
 * goes at the end. PIPIT_EINVAL for n == 0 or a key or value the format
 * cannot hold.
 */
PIPIT_API pipit_status_t pipit_params_set(pipit_params_t *p, const char *key,
                                          size_t n, const char *const *values);
/** Convenience: one value. */
PIPIT_API pipit_status_t pipit_params_set_string(pipit_params_t *p,
                                                 const char *key,
                                                 const char *value);
/** Convenience: n numbers, printed with %.17g-style shortest round trip. */
PIPIT_API pipit_status_t pipit_params_set_doubles(pipit_params_t *p,
                                                  const char *key, size_t n,
                                                  const double *v);
PIPIT_API pipit_status_t pipit_params_remove(pipit_params_t *p,
                                             const char *key);

/*
 * Typed getters. index selects the entry with elastix's fallback (entry
 * index when present, else entry 0). An absent key leaves *out = dflt and
 * returns PIPIT_OK; a value that does not read as the type is
 * PIPIT_EINVAL naming the key and the value. Numbers read like C++
 * `istream >>` (a valid prefix is enough: "3.7" as an integer is 3);
 * booleans are exactly "true" or "false".
 */
PIPIT_API pipit_status_t pipit_params_get_double(const pipit_params_t *p,
                                                 const char *key,
                                                 size_t index, double dflt,
                                                 double *out);
PIPIT_API pipit_status_t pipit_params_get_int(const pipit_params_t *p,
                                              const char *key, size_t index,
                                              int64_t dflt, int64_t *out);
PIPIT_API pipit_status_t pipit_params_get_bool(const pipit_params_t *p,
                                               const char *key, size_t index,
                                               bool dflt, bool *out);
/** *out is borrowed from the map (or is dflt). */
PIPIT_API pipit_status_t pipit_params_get_string(const pipit_params_t *p,
                                                 const char *key,
                                                 size_t index,
                                                 const char *dflt,
                                                 const char **out);

/** True when the two maps hold the same keys with the same values. */
PIPIT_API bool pipit_params_equal(const pipit_params_t *a,
                                  const pipit_params_t *b);

#ifdef __cplusplus
}
#endif
#endif
