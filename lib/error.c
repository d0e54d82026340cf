/* SPDX-License-Identifier: Apache-2.0 */
/* The per-thread error message and the log callback. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error_impl.h"

#define MESSAGE_SIZE 1024

static _Thread_local char message[MESSAGE_SIZE];
/* Points at message or at a static string (out of memory), so that
 * reporting an allocation failure never needs memory. */
static _Thread_local const char *current;

static const char nomem_text[] = "out of memory";

const char *
pipit_error_message(void)
{
    return current != NULL ? current : "no error";
}

void
pipit_error_clear(void)
{
    current = NULL;
}

const char *
pipit_status_name(pipit_status_t st)
{
    switch (st) {
    case PIPIT_OK: return "OK";
    case PIPIT_EINVAL: return "EINVAL";
    case PIPIT_ENOMEM: return "ENOMEM";
    case PIPIT_EIO: return "EIO";
    case PIPIT_EFORMAT: return "EFORMAT";
    case PIPIT_EUNSUPPORTED: return "EUNSUPPORTED";
    case PIPIT_ERANGE: return "ERANGE";
    case PIPIT_ECANCELED: return "ECANCELED";
    case PIPIT_ESTATE: return "ESTATE";
    }
    return "unknown status";
}

pipit_status_t
pipit__error_v(pipit_status_t st, const char *fmt, va_list ap)
{
    vsnprintf(message, sizeof message, fmt, ap);
    current = message;
    return st;
}

pipit_status_t
pipit__error(pipit_status_t st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pipit__error_v(st, fmt, ap);
    va_end(ap);
    return st;
}

pipit_status_t
pipit__error_errno(pipit_status_t st, int err, const char *fmt, ...)
{
    va_list ap;
    char what[MESSAGE_SIZE / 2];
    char reason[128];
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* strerror_r (XSI or GNU flavour) varies; strerror with a copy is
     * enough here since messages are per thread. */
    snprintf(reason, sizeof reason, "%s", strerror(err));
    return pipit__error(st, "%s: %s", what, reason);
}

pipit_status_t
pipit__error_nomem(void)
{
    current = nomem_text;
    return PIPIT_ENOMEM;
}

void
pipit__error_prefix(const char *fmt, ...)
{
    char prefix[MESSAGE_SIZE / 2];
    char old[MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    snprintf(old, sizeof old, "%s", pipit_error_message());
    snprintf(message, sizeof message, "%s: %s", prefix, old);
    current = message;
}

void
pipit__error_save(char *buf, size_t size)
{
    snprintf(buf, size, "%s", pipit_error_message());
}

void
pipit__error_restore(pipit_status_t st, const char *msg)
{
    if (st == PIPIT_ENOMEM && strcmp(msg, nomem_text) == 0)
        current = nomem_text;
    else
        pipit__error(st, "%s", msg);
}

/* ---- log ---------------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pipit_log_fn log_fn;
static void *log_user;
static pipit_log_level_t log_max = PIPIT_LOG_WARNING;
/* The most verbose level a handler takes, -1 without one: read without
 * the lock so that a trace point costs one load when nobody listens. */
static atomic_int log_enabled_max = -1;

void
pipit_log_set_handler(pipit_log_fn fn, void *user, pipit_log_level_t max_level)
{
    pthread_mutex_lock(&log_lock);
    log_fn = fn;
    log_user = user;
    log_max = max_level;
    atomic_store_explicit(&log_enabled_max, fn != NULL ? (int)max_level : -1,
                          memory_order_relaxed);
    pthread_mutex_unlock(&log_lock);
}

bool
pipit__log_enabled(pipit_log_level_t level)
{
    return (int)level <=
           atomic_load_explicit(&log_enabled_max, memory_order_relaxed);
}

void
pipit_log_stderr(pipit_log_level_t level, const char *msg, void *user)
{
    static const char *const names[] = { "error", "warning", "info",
                                         "debug" };
    (void)user;
    fprintf(stderr, "pipit: %s: %s\n",
            (unsigned)level < 4 ? names[level] : "log", msg);
}

void
pipit__log(pipit_log_level_t level, const char *fmt, ...)
{
    char line[MESSAGE_SIZE];
    pipit_log_fn fn;
    void *user;
    pthread_mutex_lock(&log_lock);
    fn = log_fn, user = log_user;
    bool wanted = fn != NULL && level <= log_max;
    pthread_mutex_unlock(&log_lock);
    if (!wanted)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fn(level, line, user);
}

const char *
pipit_version(void)
{
    return PACKAGE_VERSION;
}
