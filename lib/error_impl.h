/* SPDX-License-Identifier: Apache-2.0 */
/* Recording errors and log lines; allocation with failure injection. */
#ifndef PIPIT_ERROR_IMPL_H
#define PIPIT_ERROR_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <pipit/error.h>

/** Records a formatted message for the calling thread; returns st. */
pipit_status_t pipit__error(pipit_status_t st, const char *fmt, ...)
    PIPIT_PRINTF(2, 3);
pipit_status_t pipit__error_v(pipit_status_t st, const char *fmt, va_list ap);
/** As pipit__error, followed by ": " and strerror(err). */
pipit_status_t pipit__error_errno(pipit_status_t st, int err, const char *fmt,
                                  ...) PIPIT_PRINTF(3, 4);
/** Records the static out-of-memory message (never allocates). */
pipit_status_t pipit__error_nomem(void);
/** Prefixes the current message with "prefix: " (context on the way up). */
void pipit__error_prefix(const char *fmt, ...) PIPIT_PRINTF(1, 2);
/** Copies the calling thread's message out / back (pool joins use it). */
void pipit__error_save(char *buf, size_t size);
void pipit__error_restore(pipit_status_t st, const char *msg);

/** True when a log handler takes lines of this level (cheap). */
bool pipit__log_enabled(pipit_log_level_t level);
/**
 * Copies n bytes of src to dst (cap bytes, NUL-terminated), writing each
 * control byte (below 0x20, 0x7f) and each byte that is not part of valid
 * UTF-8 as \xNN, so that text read from a file is safe to print; stops
 * before a character that would not fit. Returns the length written.
 * Every recorded error message and log line goes through it.
 */
size_t pipit__escape(char *dst, size_t cap, const char *src, size_t n);

void pipit__log(pipit_log_level_t level, const char *fmt, ...)
    PIPIT_PRINTF(2, 3);

/** Returns PIPIT_EINVAL naming the failed expression and the function. */
#define PIPIT_CHECK_ARG(expr)                                              \
    do {                                                                   \
        if (!(expr))                                                       \
            return pipit__error(PIPIT_EINVAL, "%s: invalid argument: %s",  \
                                __func__, #expr);                          \
    } while (0)

/** The same for functions returning a pointer: NULL on failure. */
#define PIPIT_CHECK_ARG_NULL(expr)                                         \
    do {                                                                   \
        if (!(expr)) {                                                     \
            pipit__error(PIPIT_EINVAL, "%s: invalid argument: %s",         \
                         __func__, #expr);                                 \
            return NULL;                                                   \
        }                                                                  \
    } while (0)

/*
 * Every allocation of the library goes through these, so that a test can
 * make the Nth one fail and walk each out-of-memory path (as SQLite does).
 * They record PIPIT_ENOMEM themselves when they return NULL.
 */
void *pipit__malloc(size_t bytes);
void *pipit__calloc(size_t n, size_t size);
void *pipit__realloc(void *p, size_t bytes);
void *pipit__aligned_alloc(size_t bytes); /* 64-byte aligned */
void pipit__free(void *p);
char *pipit__strdup(const char *s);

/**
 * Test hook: the nth allocation from now on fails (1: the next one);
 * 0 turns failures off. Returns the number of allocations since the
 * last call, so a test can first count and then fail each in turn.
 */
size_t pipit__alloc_fail_at(size_t nth);

/** a * b into *out; false when it overflows size_t. */
static inline int
pipit__mul_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

#endif
