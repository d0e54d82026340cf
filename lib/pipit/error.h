/* SPDX-License-Identifier: Apache-2.0 */
/* Status codes, the per-thread error message and the log callback. */
#ifndef PIPIT_ERROR_H
#define PIPIT_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PIPIT_API __attribute__((visibility("default")))
#define PIPIT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PIPIT_API
#define PIPIT_PRINTF(f, a)
#endif

/** Every fallible call returns one of these; PIPIT_OK is 0. */
typedef enum pipit_status {
    PIPIT_OK = 0,
    PIPIT_EINVAL,       /* a bad argument or setting */
    PIPIT_ENOMEM,       /* an allocation failed */
    PIPIT_EIO,          /* the operating system refused a read or write */
    PIPIT_EFORMAT,      /* a file or text does not follow its format */
    PIPIT_EUNSUPPORTED, /* valid, but not something pipit handles */
    PIPIT_ERANGE,       /* a size or value out of the representable range */
    PIPIT_ECANCELED,    /* the progress callback asked to stop */
    PIPIT_ESTATE        /* called at the wrong time (no output yet, ...) */
} pipit_status_t;

/**
 * The message of the last failure on the calling thread: names the file,
 * key, value or node at fault. Never NULL; valid until the next failing
 * call on this thread. Thread safe (one slot per thread).
 */
PIPIT_API const char *pipit_error_message(void);

/** A short fixed name for a status ("EINVAL"); never NULL. */
PIPIT_API const char *pipit_status_name(pipit_status_t st);

/** The library's version, "MAJOR.MINOR.PATCH". */
PIPIT_API const char *pipit_version(void);

/** Forgets the calling thread's message. */
PIPIT_API void pipit_error_clear(void);

typedef enum pipit_log_level {
    PIPIT_LOG_ERROR,
    PIPIT_LOG_WARNING,
    PIPIT_LOG_INFO,
    PIPIT_LOG_DEBUG
} pipit_log_level_t;

typedef void (*pipit_log_fn)(pipit_log_level_t level, const char *message,
                             void *user);

/**
 * Sends the library's log lines to fn (NULL: drop them, the default: the
 * library never prints on its own). Lines above max_level are dropped
 * before they are formatted. Thread safe; fn may be called from any
 * thread that runs library code, but never from inside a worker's piece.
 */
PIPIT_API void pipit_log_set_handler(pipit_log_fn fn, void *user,
                                     pipit_log_level_t max_level);

/** A ready-made handler writing "pipit: warning: ..." lines to stderr. */
PIPIT_API void pipit_log_stderr(pipit_log_level_t level, const char *message,
                                void *user);

#ifdef __cplusplus
}
#endif
#endif
