/* SPDX-License-Identifier: Apache-2.0 */
/* Reading files safely and writing them atomically (temp + rename). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io_impl.h"

#define OUT_BUFFER (1u << 20)

static atomic_uint_fast64_t bytes_read;

uint64_t
pipit__io_bytes_read(void)
{
    return atomic_load_explicit(&bytes_read, memory_order_relaxed);
}

pipit_status_t
pipit__file_open(const char *fmt, const char *path, int *fd, uint64_t *size)
{
    struct stat sb;
    *fd = -1;
    /* O_NONBLOCK: a header naming a FIFO must not hang the open; only
     * regular files are read (and O_NONBLOCK means nothing for them). */
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f < 0)
        return pipit__error_errno(PIPIT_EIO, errno, "%s: '%s'", fmt, path);
    if (fstat(f, &sb) != 0) {
        int err = errno;
        close(f);
        return pipit__error_errno(PIPIT_EIO, err, "%s: '%s'", fmt, path);
    }
    if (!S_ISREG(sb.st_mode)) {
        close(f);
        return pipit__error(PIPIT_EIO, "%s: '%s' is not a regular file", fmt,
                            path);
    }
    *fd = f;
    *size = (uint64_t)sb.st_size;
    return PIPIT_OK;
}

pipit_status_t
pipit__file_pread(int fd, void *buf, size_t n, uint64_t off, const char *fmt,
                  const char *path)
{
    char *p = buf;
    size_t done = 0;
    while (done < n) {
        if (off + done > (uint64_t)INT64_MAX)
            return pipit__error(PIPIT_EFORMAT,
                                "%s: '%s': offset beyond any file", fmt,
                                path);
        size_t chunk = n - done < (1u << 30) ? n - done : (1u << 30);
        ssize_t got = pread(fd, p + done, chunk, (off_t)(off + done));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return pipit__error_errno(PIPIT_EIO, errno, "%s: '%s'", fmt,
                                      path);
        }
        if (got == 0)
            return pipit__error(PIPIT_EFORMAT,
                                "%s: '%s' is truncated: %zu bytes missing "
                                "at offset %llu",
                                fmt, path, n - done,
                                (unsigned long long)(off + done));
        done += (size_t)got;
        atomic_fetch_add_explicit(&bytes_read, (uint_fast64_t)got,
                                  memory_order_relaxed);
    }
    return PIPIT_OK;
}

bool
pipit__ends_with(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n >= e && strcasecmp(name + n - e, ext) == 0;
}

char *
pipit__dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return pipit__strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = pipit__malloc(n + 1);
    if (d != NULL) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

bool
pipit__mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

void
pipit__format_double(char *buf, size_t size, double v)
{
    /* The shortest of %.15g..%.17g that reads back exactly: keeps
     * headers readable (0.5, not 0.50000000000000000) and exact. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* ---- atomic output ------------------------------------------------ */

pipit_status_t
pipit__temp_create(const char *fmt, const char *path, int *fd, char **tmp)
{
    static atomic_uint counter;
    size_t n = strlen(path) + 40;
    char *name = pipit__malloc(n);
    *fd = -1;
    *tmp = NULL;
    if (name == NULL)
        return PIPIT_ENOMEM;
    /* The temp name sits in the target's folder so the final rename
     * stays on one file system; O_EXCL with a pid, a counter and the
     * clock makes a clash unlikely, and we retry if one happens. The
     * mode is 0666 less the umask, as for any new file. */
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned c = atomic_fetch_add(&counter, 1);
        snprintf(name, n, "%s.tmp%ld.%u.%lx", path, (long)getpid(), c,
                 (unsigned long)clock() ^ (unsigned long)time(NULL));
        int f = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (f >= 0) {
            *fd = f;
            *tmp = name;
            return PIPIT_OK;
        }
        if (errno != EEXIST) {
            pipit_status_t st = pipit__error_errno(
                PIPIT_EIO, errno, "%s: cannot create '%s'", fmt, path);
            pipit__free(name);
            return st;
        }
    }
    pipit__free(name);
    return pipit__error(PIPIT_EIO, "%s: cannot create '%s': no free "
                        "temporary name", fmt, path);
}

pipit_status_t
pipit__rename(const char *fmt, const char *from, const char *to)
{
    /* Renaming over an existing file makes ext4 (auto_da_alloc) write
     * the new file's data out inside rename(): 10 ms for 64 MiB, a third
     * of the whole write. Removing the old file first avoids that; the
     * price is a moment in which neither file is under the name, never
     * one in which a half-written file is. */
    if (unlink(to) != 0 && errno != ENOENT)
        return pipit__error_errno(PIPIT_EIO, errno, "%s: cannot replace '%s'",
                                  fmt, to);
    if (rename(from, to) != 0)
        return pipit__error_errno(PIPIT_EIO, errno, "%s: cannot rename to '%s'",
                                  fmt, to);
    return PIPIT_OK;
}

pipit_status_t
pipit__out_open(pipit__out_t *o, const char *fmt, const char *path)
{
    pipit_status_t st;
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->fmt = fmt;
    if ((o->path = pipit__strdup(path)) == NULL ||
        (o->buf = pipit__malloc(OUT_BUFFER)) == NULL) {
        st = PIPIT_ENOMEM;
        goto fail;
    }
    o->cap = OUT_BUFFER;
    if ((st = pipit__temp_create(fmt, path, &o->fd, &o->tmp)) != PIPIT_OK)
        goto fail;
    return PIPIT_OK;
fail:
    o->st = st;
    pipit__out_abort(o);
    return st;
}

static pipit_status_t
write_all(pipit__out_t *o, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        size_t chunk = n < (1u << 30) ? n : (1u << 30);
        ssize_t w = write(o->fd, c, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return o->st = pipit__error_errno(PIPIT_EIO, errno,
                                              "%s: writing '%s'", o->fmt,
                                              o->path);
        }
        c += w;
        n -= (size_t)w;
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__out_flush(pipit__out_t *o)
{
    if (o->st != PIPIT_OK)
        return o->st;
    pipit_status_t st = write_all(o, o->buf, o->used);
    o->used = 0;
    return st;
}

pipit_status_t
pipit__out_write(pipit__out_t *o, const void *p, size_t n)
{
    if (o->st != PIPIT_OK)
        return o->st;
    o->written += n;
    if (o->used + n <= o->cap) {
        memcpy(o->buf + o->used, p, n);
        o->used += n;
        return PIPIT_OK;
    }
    pipit_status_t st = pipit__out_flush(o);
    if (st != PIPIT_OK)
        return st;
    /* Large blocks go straight to the file: no copy through the buffer. */
    if (n >= o->cap / 2)
        return write_all(o, p, n);
    memcpy(o->buf, p, n);
    o->used = n;
    return PIPIT_OK;
}

pipit_status_t
pipit__out_commit(pipit__out_t *o)
{
    pipit_status_t st = pipit__out_flush(o);
    if (st != PIPIT_OK)
        return st;
    int f = o->fd;
    o->fd = -1;
    /* close() reports delayed write errors (NFS, quotas). */
    if (close(f) != 0)
        return o->st = pipit__error_errno(PIPIT_EIO, errno,
                                          "%s: writing '%s'", o->fmt,
                                          o->path);
    if ((st = pipit__rename(o->fmt, o->tmp, o->path)) != PIPIT_OK)
        return o->st = st;
    pipit__free(o->tmp);
    o->tmp = NULL;
    return PIPIT_OK;
}

void
pipit__out_abort(pipit__out_t *o)
{
    /* The descriptor is live only while the temporary file exists, so a
     * zeroed struct (fd 0, no name) closes nothing. */
    if (o->tmp != NULL && o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    if (o->tmp != NULL)
        unlink(o->tmp);
    pipit__free(o->tmp);
    pipit__free(o->path);
    pipit__free(o->buf);
    o->tmp = o->path = NULL;
    o->buf = NULL;
}
