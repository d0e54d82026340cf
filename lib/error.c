/* SPDX-License-Identifier: Apache-2.0 */
/* The per-thread error message and the log callback. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "error_impl.h"

#define MESSAGE_SIZE 1024

static _Thread_local char message[MESSAGE_SIZE];
/* Points at message or at a static string (out of memory), so that
 * reporting an allocation failure never needs memory. */
static _Thread_local const char *current;

static const char nomem_text[] = "out of memory";

/* Length of the valid UTF-8 sequence at p (of n bytes), 0 when none:
 * overlong forms, surrogates and values past U+10FFFF are not valid. */
static size_t
utf8_length(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return len;
}

size_t
pipit__escape(char *dst, size_t cap, const char *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)src;
    size_t out = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n;) {
        size_t k = s[i] >= 0x80 ? utf8_length(s + i, n - i) : 1;
        bool plain = k > 1 || (k == 1 && s[i] >= 0x20 && s[i] != 0x7f);
        size_t need = plain ? k : 4;
        if (out + need >= cap)
            break;
        if (plain) {
            memcpy(dst + out, s + i, k);
            i += k;
        } else {
            dst[out++] = '\\';
            dst[out++] = 'x';
            dst[out++] = hex[s[i] >> 4];
            dst[out] = hex[s[i] & 15];
            i++;
            need = 1;
        }
        out += need;
    }
    dst[out] = '\0';
    return out;
}

/* Messages and log lines carry names and values read from files: a
 * control byte in them (an escape sequence) must not reach a terminal. */
static void
escape_in_place(char *buf, size_t size)
{
    char tmp[MESSAGE_SIZE];
    size_t n = strnlen(buf, size);
    bool clean = true;
    for (size_t i = 0; i < n && clean; i++)
        clean = (unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f &&
                (unsigned char)buf[i] < 0x80;
    if (clean)
        return;
    pipit__escape(tmp, sizeof tmp < size ? sizeof tmp : size, buf, n);
    memcpy(buf, tmp, strlen(tmp) + 1);
}

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
    escape_in_place(message, sizeof message);
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
    escape_in_place(message, sizeof message);
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
    escape_in_place(line, sizeof line);
    fn(level, line, user);
}

const char *
pipit_version(void)
{
    return PACKAGE_VERSION;
}
