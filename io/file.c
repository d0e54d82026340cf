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

/* ---- the write protocol (doc/io.md, "Writing") ------------------------ */

static atomic_bool sync_on = true;

void
pipit_io_set_sync(bool sync)
{
    atomic_store_explicit(&sync_on, sync, memory_order_relaxed);
}

bool
pipit_io_get_sync(void)
{
    return atomic_load_explicit(&sync_on, memory_order_relaxed);
}

/* The test hook: every write, fsync, rename and unlink of a writer goes
 * through it, so a test can stop (or "kill") a write at any of them. */
static _Atomic(pipit__io_hook_fn) io_hook;
static void *_Atomic io_hook_user;

void
pipit__io_hook_set(pipit__io_hook_fn fn, void *user)
{
    atomic_store(&io_hook_user, user);
    atomic_store(&io_hook, fn);
}

static int
injected(pipit__io_call_t call, const char *path)
{
    pipit__io_hook_fn fn = atomic_load(&io_hook);
    return fn != NULL ? fn(atomic_load(&io_hook_user), call, path) : 0;
}

static ssize_t
sys_pwrite(int fd, const void *p, size_t n, off_t off, const char *path)
{
    int e = injected(PIPIT__IO_WRITE, path);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return off < 0 ? write(fd, p, n) : pwrite(fd, p, n, off);
}

static int
sys_fsync(int fd, const char *path)
{
    int e = injected(PIPIT__IO_FSYNC, path);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return fsync(fd);
}

static int
sys_rename(const char *from, const char *to)
{
    int e = injected(PIPIT__IO_RENAME, to);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return rename(from, to);
}

static int
sys_unlink(const char *path)
{
    int e = injected(PIPIT__IO_UNLINK, path);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return unlink(path);
}

/* ---- temporary files a signal handler can clean up ------------------

   A fixed table, not a list: the handler (pipit_io_remove_temporaries)
   must not take a lock or follow a pointer that another thread may be
   freeing. A slot is claimed by compare-and-swap, filled, then marked
   live; its mode says what the handler does, and one store switches it,
   so that a pair's commit never shows the handler a half-updated plan.
   A write that finds no slot (a path longer than PATH_MAX, more than
   TEMP_SLOTS writes at once) is still atomic; only the clean-up on a
   signal is lost for it. */

#define TEMP_SLOTS 16

enum { SLOT_FREE, SLOT_BUSY, SLOT_LIVE, SLOT_DONE };

/* What the handler does with a slot. */
enum {
    UNDO_REMOVE,   /* unlink tmp */
    /* The header of a pair being committed: while the data's temporary
     * file (partner) still exists the data was not renamed, so the old
     * header goes back (aside to dst) and tmp goes; once it is gone the
     * new data is in place, so the new header follows it (tmp to dst)
     * and the old one goes. Decided from the files, not from a flag, so
     * no instant between two stores can mislead it. */
    UNDO_PAIR,
};

typedef struct temp_slot {
    atomic_int state;
    atomic_int mode;
    char tmp[PATH_MAX];     /* our temporary file */
    char dst[PATH_MAX];     /* the name it is to get */
    char aside[PATH_MAX];   /* UNDO_PAIR: the old header moved away, or "" */
    char partner[PATH_MAX]; /* UNDO_PAIR: the data's temporary file */
} temp_slot_t;

static temp_slot_t slots[TEMP_SLOTS];

static int
slot_take(const char *tmp, const char *dst)
{
    if (strlen(tmp) >= PATH_MAX || strlen(dst) >= PATH_MAX)
        return 0;
    for (int i = 0; i < TEMP_SLOTS; i++) {
        int expect = SLOT_FREE;
        if (atomic_compare_exchange_strong(&slots[i].state, &expect,
                                           SLOT_BUSY)) {
            strcpy(slots[i].tmp, tmp);
            strcpy(slots[i].dst, dst);
            slots[i].aside[0] = slots[i].partner[0] = '\0';
            atomic_store(&slots[i].mode, UNDO_REMOVE);
            atomic_store(&slots[i].state, SLOT_LIVE);
            return i + 1;
        }
    }
    return 0;
}

/* slot is 1 + the index; 0 means none. */
static void
slot_drop(int slot)
{
    if (slot > 0)
        atomic_store(&slots[slot - 1].state, SLOT_FREE);
}

void
pipit_io_remove_temporaries(void)
{
    /* Async-signal-safe: atomics, access, unlink and rename only. Pairs
     * first: their decision looks at data files the second pass
     * removes. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < TEMP_SLOTS; i++) {
            temp_slot_t *s = &slots[i];
            int mode = atomic_load(&s->mode);
            int expect = SLOT_LIVE;
            if ((mode == UNDO_PAIR) != (pass == 0) ||
                !atomic_compare_exchange_strong(&s->state, &expect,
                                                SLOT_DONE))
                continue;
            if (mode == UNDO_REMOVE) {
                unlink(s->tmp);
            } else if (access(s->partner, F_OK) == 0) {
                unlink(s->tmp);
                if (s->aside[0] != '\0')
                    rename(s->aside, s->dst);
            } else {
                rename(s->tmp, s->dst);
                if (s->aside[0] != '\0')
                    unlink(s->aside);
            }
        }
}

/* ".NAME.pipit-KIND.XXXXXX" beside path: a person sees at once what it
 * is and what it belongs to; the leading dot keeps it out of a plain
 * listing. */
static char *
side_name(const char *path, const char *kind, uint64_t salt)
{
    static atomic_uint_fast64_t counter;
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    const char *slash = strrchr(path, '/');
    size_t dir = slash != NULL ? (size_t)(slash - path) + 1 : 0;
    size_t n = strlen(path) + strlen(kind) + 20;
    char *name = pipit__malloc(n);
    if (name == NULL)
        return NULL;
    /* splitmix64 over pid, clock and a counter: unlikely to repeat, and
     * O_EXCL (or the existence check) catches it when it does. */
    uint64_t x = salt ^ ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^
                 ((uint64_t)clock() << 16) ^
                 (atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15u);
    x ^= x >> 30, x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27, x *= 0x94d049bb133111ebu;
    x ^= x >> 31;
    char rnd[7];
    for (int i = 0; i < 6; i++, x /= 36)
        rnd[i] = digits[x % 36];
    rnd[6] = '\0';
    snprintf(name, n, "%.*s.%s.pipit-%s.%s", (int)dir, path, path + dir,
             kind, rnd);
    return name;
}

/* A fresh temporary file beside path, registered for clean-up. */
static pipit_status_t
temp_create(const char *fmt, const char *path, int *fd, char **tmp, int *slot)
{
    *fd = -1;
    *tmp = NULL;
    *slot = 0;
    /* Mode 0666 less the umask, as for any new file. */
    for (uint64_t attempt = 0; attempt < 100; attempt++) {
        char *name = side_name(path, "tmp", attempt);
        if (name == NULL)
            return PIPIT_ENOMEM;
        /* Registered before it exists: no instant in which a signal
         * could leave the file without the handler knowing it. */
        int s = slot_take(name, path);
        int f = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (f >= 0) {
            *fd = f;
            *tmp = name;
            *slot = s;
            return PIPIT_OK;
        }
        int err = errno;
        slot_drop(s);
        pipit__free(name);
        if (err != EEXIST)
            return pipit__error_errno(PIPIT_EIO, err, "%s: cannot create '%s'",
                                      fmt, path);
    }
    return pipit__error(PIPIT_EIO, "%s: cannot create '%s': no free "
                        "temporary name", fmt, path);
}

static void
temp_remove(char **tmp, int *slot)
{
    if (*tmp != NULL)
        unlink(*tmp);
    slot_drop(*slot);
    *slot = 0;
    pipit__free(*tmp);
    *tmp = NULL;
}

/* Makes the renames in path's folder durable, in the order made. */
static pipit_status_t
sync_folder(const char *fmt, const char *path)
{
    if (!pipit_io_get_sync())
        return PIPIT_OK;
    char *dir = pipit__dirname(path);
    if (dir == NULL)
        return PIPIT_ENOMEM;
    pipit_status_t st = PIPIT_OK;
    int f = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    /* A file system that cannot sync a folder (EINVAL) gives no stronger
     * promise to anyone: nothing to report then. */
    if (f < 0 || (sys_fsync(f, dir) != 0 && errno != EINVAL))
        st = pipit__error_errno(PIPIT_EIO, errno, "%s: '%s' was written, "
                                "but its folder '%s' could not be synced",
                                fmt, path, dir);
    if (f >= 0)
        close(f);
    pipit__free(dir);
    return st;
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
    if ((st = temp_create(fmt, path, &o->fd, &o->tmp, &o->slot)) !=
        PIPIT_OK)
        goto fail;
    return PIPIT_OK;
fail:
    o->st = st;
    pipit__out_abort(o);
    return st;
}

/* Records the first system failure of o, with the system's reason. */
static pipit_status_t
out_fail(pipit__out_t *o, int err, const char *what)
{
    o->err = err;
    return o->st = pipit__error_errno(PIPIT_EIO, err, "%s: %s '%s'", o->fmt,
                                      what, o->path);
}

/* off < 0: at the file position. */
static pipit_status_t
write_all(pipit__out_t *o, const void *p, size_t n, off_t off)
{
    const char *c = p;
    while (n > 0) {
        size_t chunk = n < (1u << 30) ? n : (1u << 30);
        ssize_t w = sys_pwrite(o->fd, c, chunk, off, o->path);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return out_fail(o, errno, "writing");
        }
        if (w == 0)   /* not for regular files; never loop for ever */
            return out_fail(o, EIO, "writing");
        c += w;
        n -= (size_t)w;
        if (off >= 0)
            off += w;
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__out_flush(pipit__out_t *o)
{
    if (o->st != PIPIT_OK)
        return o->st;
    pipit_status_t st = write_all(o, o->buf, o->used, -1);
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
        return write_all(o, p, n, -1);
    memcpy(o->buf, p, n);
    o->used = n;
    return PIPIT_OK;
}

pipit_status_t
pipit__out_pwrite(pipit__out_t *o, const void *p, size_t n, uint64_t off)
{
    if (o->st != PIPIT_OK)
        return o->st;
    if (off > (uint64_t)INT64_MAX - n)
        return out_fail(o, EFBIG, "writing");
    return write_all(o, p, n, (off_t)off);
}

/* Everything on disk under the temporary name, the file closed. */
static pipit_status_t
out_finish(pipit__out_t *o)
{
    pipit_status_t st = pipit__out_flush(o);
    if (st != PIPIT_OK)
        return st;
    if (pipit_io_get_sync() && sys_fsync(o->fd, o->path) != 0)
        return out_fail(o, errno, "syncing");
    int f = o->fd;
    o->fd = -1;
    /* close() reports delayed write errors (NFS, quotas). */
    if (close(f) != 0)
        return out_fail(o, errno, "writing");
    return PIPIT_OK;
}

/* The temporary file now has its final name. */
static void
out_renamed(pipit__out_t *o)
{
    slot_drop(o->slot);
    o->slot = 0;
    pipit__free(o->tmp);
    o->tmp = NULL;
}

pipit_status_t
pipit__out_commit(pipit__out_t *o)
{
    pipit_status_t st = out_finish(o);
    if (st != PIPIT_OK)
        return st;
    /* rename() replaces the old file in one step: a reader sees the old
     * file or the new one, never neither. */
    if (sys_rename(o->tmp, o->path) != 0)
        return out_fail(o, errno, "cannot replace");
    out_renamed(o);
    return o->st = sync_folder(o->fmt, o->path);
}

static bool
is_folder(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

pipit_status_t
pipit__out_commit_pair(pipit__out_t *h, pipit__out_t *d)
{
    pipit_status_t st;
    char *aside = NULL;
    char why[512];
    struct stat sb;
    temp_slot_t *slot = h->slot > 0 ? &slots[h->slot - 1] : NULL;
    /* A folder under either name fails here, before anything moved. */
    const char *folder = is_folder(h->path) ? h->path
                         : is_folder(d->path) ? d->path : NULL;
    if (folder != NULL)
        return h->st = pipit__error(PIPIT_EIO, "%s: cannot replace '%s': "
                                    "it is a folder", h->fmt, folder);
    if ((st = out_finish(d)) != PIPIT_OK || (st = out_finish(h)) != PIPIT_OK)
        return st;
    if (lstat(h->path, &sb) == 0) {
        for (uint64_t k = 0; aside == NULL && k < 100; k++) {
            if ((aside = side_name(h->path, "old", k)) == NULL)
                return h->st = PIPIT_ENOMEM;
            if (lstat(aside, &sb) == 0) {
                pipit__free(aside);
                aside = NULL;
            }
        }
        if (aside == NULL)
            return h->st = pipit__error(PIPIT_EIO, "%s: cannot replace "
                                        "'%s': no free temporary name",
                                        h->fmt, h->path);
    }
    if (slot != NULL && strlen(d->tmp) < PATH_MAX &&
        (aside == NULL || strlen(aside) < PATH_MAX)) {
        strcpy(slot->partner, d->tmp);
        strcpy(slot->aside, aside != NULL ? aside : "");
        atomic_store(&slot->mode, UNDO_PAIR);
    }
    /* 1. The old header steps aside: from here until step 3 a reader
     *    finds no header, a clean "no such file", never the old header
     *    beside new data. */
    if (aside != NULL) {
        if (sys_rename(h->path, aside) != 0) {
            st = out_fail(h, errno, "cannot replace");
            goto done;
        }
        if ((st = sync_folder(h->fmt, h->path)) != PIPIT_OK) {
            rename(aside, h->path);
            goto done;
        }
    }
    /* 2. The data file. */
    if (sys_rename(d->tmp, d->path) != 0) {
        st = out_fail(d, errno, "cannot replace");
        if (aside != NULL)
            rename(aside, h->path);
        goto done;
    }
    out_renamed(d);
    /* Past the point of no return: a folder that will not sync does not
     * stop the header (that would leave no pair at all); it is
     * reported at the end. */
    pipit_status_t synced = sync_folder(h->fmt, h->path);
    char sync_why[512];
    if (synced != PIPIT_OK)
        pipit__error_save(sync_why, sizeof sync_why);
    /* 3. The header: the new pair is complete. */
    if (sys_rename(h->tmp, h->path) != 0) {
        st = out_fail(h, errno, "cannot replace");
        /* The old data is gone: remove the new data too and put the old
         * header back, which then names a missing file (or its own data
         * file, when it named another one). */
        pipit__error_save(why, sizeof why);
        if (unlink(d->path) != 0 && errno != ENOENT)
            st = pipit__error_errno(st, errno, "%s; its data file '%s' was "
                                    "written but cannot be removed", why,
                                    d->path);
        else
            st = pipit__error(st, "%s; its data file '%s' was written, then "
                              "removed again", why, d->path);
        if (aside != NULL)
            rename(aside, h->path);
        goto done;
    }
    pipit__free(h->tmp);
    h->tmp = NULL;
    /* The old header is of no use now; failing to remove it leaves a
     * file a person recognises, never a wrong pair. */
    if (aside != NULL)
        sys_unlink(aside);
    st = h->st = sync_folder(h->fmt, h->path);
    if (synced != PIPIT_OK)
        st = h->st = pipit__error(synced, "%s", sync_why);
done:
    if (slot != NULL)
        atomic_store(&slot->mode, UNDO_REMOVE);
    if (h->tmp == NULL) {
        slot_drop(h->slot);
        h->slot = 0;
    }
    pipit__free(aside);
    return st;
}

void
pipit__out_abort(pipit__out_t *o)
{
    /* The descriptor is live only while the temporary file exists, so a
     * zeroed struct (fd 0, no name) closes nothing. */
    if (o->tmp != NULL && o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    temp_remove(&o->tmp, &o->slot);
    pipit__free(o->path);
    pipit__free(o->buf);
    o->path = NULL;
    o->buf = NULL;
}
