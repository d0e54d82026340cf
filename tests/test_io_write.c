/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The write protocol (doc/io.md, "Writing"; doc/reliability.md): every
 * writer, stopped at each of its system calls in turn, as a kill, as a
 * caught signal and as a failure, leaves the old file or the new one,
 * never a missing single file, never a readable mismatched pair, and no
 * temporary file after a failure or a caught signal.
 *
 * The hook of io/file.c sees every write, fsync, rename and unlink a
 * writer makes; a test counts them and acts at the Nth, for N = 1, 2,
 * ... until the write runs through untouched.
 */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_impl.h"
#include "test_io_util.h"

/* How the Nth call ends the write. */
typedef enum {
    STOP_KILL,    /* SIGKILL: look at the files as they are, then stop */
    STOP_SIGNAL,  /* a caught signal: the handler's clean-up, then look */
    STOP_FAIL,    /* the call fails (ENOSPC): look after the writer's
                   * own clean-up */
} stop_t;

/* What a reader finds under the target name. */
typedef enum { SEEN_OLD, SEEN_NEW, SEEN_MISSING, SEEN_BAD } seen_t;

typedef struct target {
    const char *name;   /* file name in the test folder */
    const char *header; /* a pair's header, or NULL for one file */
    bool compress;
} target_t;

static const target_t targets[] = {
    { "t.mha", NULL, false },   { "z.mha", NULL, true },
    { "t.mhd", "t.mhd", false }, { "z.mhd", "z.mhd", true },
    { "t.nii", NULL, false },   { "t.nii.gz", NULL, false },
    { "t.hdr", "t.hdr", false }, { "g.img.gz", "g.hdr.gz", false },
    { "t.png", NULL, false },
    { "t.tif", NULL, false },   { "z.tif", NULL, true },
};
#define N_TARGETS (sizeof targets / sizeof targets[0])

typedef struct walk {
    stop_t stop;
    size_t nth, calls;          /* act at call nth; calls seen so far */
    pipit__io_call_t call;      /* the call acted on */
    char call_path[512];
    seen_t seen;                /* what a reader found at that moment */
    size_t leftovers;           /* temporary files at that moment */
    const char *dir, *path;
    const pipit_image_t *old_img, *new_img;
} walk_t;

/* Entries of dir that the protocol makes: ".NAME.pipit-tmp.XXXXXX",
 * ".NAME.pipit-old.XXXXXX". */
static size_t
count_leftovers(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strstr(e->d_name, ".pipit-") != NULL)
            n++;
    closedir(d);
    return n;
}

/* Removes them, so that the next stop starts from a clean folder. */
static void
remove_leftovers(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        if (strstr(e->d_name, ".pipit-") != NULL) {
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d != NULL)
        closedir(d);
}

static seen_t
look(const char *path, const pipit_image_t *old_img,
     const pipit_image_t *new_img)
{
    pipit_image_t *img = NULL;
    pipit_status_t st = pipit_image_read(path, &img);
    seen_t seen;
    if (st != PIPIT_OK)
        /* only a clean "no such file" is allowed, never a half file */
        seen = st == PIPIT_EIO &&
                       (strstr(pipit_error_message(), "No such file") !=
                            NULL ||
                        strstr(pipit_error_message(), "is missing") != NULL)
                   ? SEEN_MISSING
                   : SEEN_BAD;
    else if (io_same_pixels(img, old_img))
        seen = SEEN_OLD;
    else if (io_same_pixels(img, new_img))
        seen = SEEN_NEW;
    else
        seen = SEEN_BAD;   /* readable, but neither: a mismatched pair */
    if (seen == SEEN_BAD)
        fprintf(stderr, "\n'%s': %s\n", path,
                st != PIPIT_OK ? pipit_error_message() : "neither image");
    pipit_image_unref(img);
    return seen;
}

static int
on_call(void *user, pipit__io_call_t call, const char *path)
{
    walk_t *w = user;
    if (++w->calls != w->nth)
        return 0;
    w->call = call;
    snprintf(w->call_path, sizeof w->call_path, "%s", path);
    if (w->stop == STOP_FAIL)
        return ENOSPC;
    if (w->stop == STOP_SIGNAL)
        pipit_io_remove_temporaries();  /* what tools/signals.c runs */
    w->seen = look(w->path, w->old_img, w->new_img);
    w->leftovers = count_leftovers(w->dir);
    /* The process ends here; failing the call stops the write. */
    return EIO;
}

static pipit_status_t
write_image(const pipit_image_t *img, const char *path, bool compress)
{
    pipit_write_options_t opt = { .compress = compress, .level = 1 };
    return pipit_image_write_with(img, path, &opt);
}

static bool
is_folder(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Figures of one walk: how many stop points, and what was seen. */
typedef struct figures {
    size_t points, seen[4];
} figures_t;

/* Stops a write of new_img over old_img at every call in turn. */
static void
walk_target(const target_t *t, stop_t stop, const pipit_image_t *old_img,
            const pipit_image_t *new_img, figures_t *fig)
{
    static unsigned serial;
    char sub[64], path[512];
    snprintf(sub, sizeof sub, "walk%u", serial++);
    const char *dir = io_fresh_dir(sub);
    char dirbuf[512];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    snprintf(path, sizeof path, "%s/%s", dirbuf, t->name);
    memset(fig, 0, sizeof *fig);
    for (size_t nth = 1;; nth++) {
        ASSERT_OK(write_image(old_img, path, t->compress));
        walk_t w = { .stop = stop, .nth = nth, .seen = SEEN_BAD,
                     .dir = dirbuf, .path = path, .old_img = old_img,
                     .new_img = new_img };
        pipit__io_hook_set(on_call, &w);
        pipit_status_t st = write_image(new_img, path, t->compress);
        pipit__io_hook_set(NULL, NULL);
        if (w.calls < nth) {
            /* the write ran through: this was one past the last call */
            ASSERT_OK(st);
            CU_ASSERT_EQUAL(look(path, old_img, new_img), SEEN_NEW);
            CU_ASSERT_EQUAL(count_leftovers(dirbuf), 0);
            break;
        }
        fig->points++;
        if (stop == STOP_FAIL) {
            bool folder_sync = w.call == PIPIT__IO_FSYNC &&
                               is_folder(w.call_path);
            char header[600];
            snprintf(header, sizeof header, "%s/%s", dirbuf,
                     t->header != NULL ? t->header : "");
            bool header_rename = t->header != NULL &&
                                 w.call == PIPIT__IO_RENAME &&
                                 strcmp(w.call_path, header) == 0;
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", pipit_error_message());
            seen_t seen = look(path, old_img, new_img);
            fig->seen[seen]++;
            size_t left = count_leftovers(dirbuf);
            if (st == PIPIT_OK) {
                /* only the old header's removal may fail unseen: it
                 * stays, under a name that says what it is */
                CU_ASSERT_EQUAL(w.call, PIPIT__IO_UNLINK);
                CU_ASSERT_EQUAL(seen, SEEN_NEW);
                CU_ASSERT_EQUAL(left, 1);
                remove_leftovers(dirbuf);
                continue;
            }
            CU_ASSERT_EQUAL(st, PIPIT_EIO);
            /* the file and the system's reason, never an empty message */
            CU_ASSERT_PTR_NOT_NULL(strstr(msg, "/walk"));
            CU_ASSERT_PTR_NOT_NULL(strstr(msg, "No space left on device"));
            CU_ASSERT_EQUAL(left, 0);
            if (folder_sync) {
                CU_ASSERT(seen == SEEN_OLD || seen == SEEN_NEW);
            } else if (header_rename) {
                CU_ASSERT(seen == SEEN_OLD || seen == SEEN_MISSING);
            } else {
                CU_ASSERT_EQUAL(seen, SEEN_OLD);
            }
            if (left != 0 || seen == SEEN_BAD)
                fprintf(stderr, "\n%s: failing call %zu (%d '%s'): %s\n",
                        t->name, nth, (int)w.call, w.call_path, msg);
        } else {
            /* (the status does not matter: the process is gone) */
            fig->seen[w.seen]++;
            CU_ASSERT_NOT_EQUAL(w.seen, SEEN_BAD);
            /* a single file is replaced in one step; a pair may show no
             * header for an instant, but only to a kill: a caught signal
             * completes or undoes it */
            if (t->header == NULL || stop == STOP_SIGNAL) {
                CU_ASSERT(w.seen == SEEN_OLD || w.seen == SEEN_NEW);
            }
            if (stop == STOP_SIGNAL) {
                CU_ASSERT_EQUAL(w.leftovers, 0);
            }
            if (w.seen == SEEN_BAD ||
                (w.seen == SEEN_MISSING &&
                 (t->header == NULL || stop == STOP_SIGNAL)) ||
                (stop == STOP_SIGNAL && w.leftovers != 0))
                fprintf(stderr, "\n%s: stop %d at call %zu (%d '%s'): "
                        "seen %d, %zu left\n", t->name, (int)stop, nth,
                        (int)w.call, w.call_path, (int)w.seen, w.leftovers);
            /* what a kill leaves is the next run's business (the old
             * header, when the kill came just before its removal) */
            remove_leftovers(dirbuf);
        }
        CU_ASSERT_FATAL(nth < 10000);
    }
}

/* Old and new images that a mismatched pair would mix up: the same
 * number of bytes in another type and shape. */
static void
make_images(const target_t *t, pipit_image_t **old_img,
            pipit_image_t **new_img)
{
    bool png = pipit__ends_with(t->name, ".png");
    size_t so[2] = { 24, 10 }, sn[2] = { 12, 10 };
    *old_img = io_pattern(2, so, png ? PIPIT_U8 : PIPIT_I16, 1, 1);
    *new_img = io_pattern(2, sn, png ? PIPIT_U16 : PIPIT_F32, 1, 2);
}

static void
run_walks(stop_t stop)
{
    const char *verbose = getenv("PIPIT_WRITE_FIGURES");
    for (size_t i = 0; i < N_TARGETS; i++) {
        pipit_image_t *old_img, *new_img;
        make_images(&targets[i], &old_img, &new_img);
        figures_t f;
        walk_target(&targets[i], stop, old_img, new_img, &f);
        CU_ASSERT(f.points >= 4);   /* write, fsync, rename, fsync */
        if (verbose != NULL)
            fprintf(stderr, "\n%-9s %-6s %3zu stop points: old %zu, new %zu, "
                    "no header %zu, bad %zu", targets[i].name,
                    stop == STOP_KILL     ? "kill"
                    : stop == STOP_SIGNAL ? "signal"
                                          : "fail",
                    f.points, f.seen[SEEN_OLD], f.seen[SEEN_NEW],
                    f.seen[SEEN_MISSING], f.seen[SEEN_BAD]);
        pipit_image_unref(old_img);
        pipit_image_unref(new_img);
    }
}

static void
test_kill_at_every_call(void)
{
    run_walks(STOP_KILL);
}

static void
test_signal_at_every_call(void)
{
    run_walks(STOP_SIGNAL);
}

static void
test_fail_at_every_call(void)
{
    run_walks(STOP_FAIL);
}

/* A hook that only counts, by kind. */
typedef struct tally {
    size_t n[4];
    bool never_unlinked_target;
    const char *target;
    char first_write_dir[512];
    size_t temps_at_first_write;
} tally_t;

static int
count_call(void *user, pipit__io_call_t call, const char *path)
{
    tally_t *t = user;
    if (call == PIPIT__IO_UNLINK && strcmp(path, t->target) == 0)
        t->never_unlinked_target = false;
    if (call == PIPIT__IO_WRITE && t->n[call] == 0) {
        DIR *d = opendir(t->first_write_dir);
        for (struct dirent *e; d && (e = readdir(d)) != NULL;)
            if (strncmp(e->d_name, ".x.png.pipit-tmp.", 17) == 0 &&
                strlen(e->d_name) == 17 + 6)
                t->temps_at_first_write++;
        if (d)
            closedir(d);
    }
    t->n[call]++;
    return 0;
}

/* The temporary file has a name a person recognises, in the target's
 * folder; the target is never unlinked; fsyncs go with --no-sync. */
static void
test_names_and_sync(void)
{
    const char *dir = io_fresh_dir("names");
    char path[512];
    snprintf(path, sizeof path, "%s/x.png", dir);
    size_t size[2] = { 5, 3 };
    pipit_image_t *img = io_pattern(2, size, PIPIT_U8, 1, 3);
    ASSERT_OK(pipit_image_write(img, path));
    tally_t t = { .never_unlinked_target = true, .target = path };
    snprintf(t.first_write_dir, sizeof t.first_write_dir, "%s", dir);
    pipit__io_hook_set(count_call, &t);
    ASSERT_OK(pipit_image_write(img, path));
    pipit__io_hook_set(NULL, NULL);
    CU_ASSERT_EQUAL(t.temps_at_first_write, 1);
    CU_ASSERT(t.never_unlinked_target);
    CU_ASSERT_EQUAL(t.n[PIPIT__IO_UNLINK], 0);
    CU_ASSERT_EQUAL(t.n[PIPIT__IO_RENAME], 1);
    CU_ASSERT_EQUAL(t.n[PIPIT__IO_FSYNC], 2);   /* the file, the folder */
    CU_ASSERT(pipit_io_get_sync());
    pipit_io_set_sync(false);
    memset(t.n, 0, sizeof t.n);
    pipit__io_hook_set(count_call, &t);
    ASSERT_OK(pipit_image_write(img, path));
    pipit__io_hook_set(NULL, NULL);
    pipit_io_set_sync(true);
    CU_ASSERT_EQUAL(t.n[PIPIT__IO_FSYNC], 0);
    CU_ASSERT_EQUAL(t.n[PIPIT__IO_RENAME], 1);
    pipit_image_unref(img);
}

/* A header name that is a folder: the write fails before anything moved,
 * and the data file beside it keeps its old bytes. */
static void
test_header_is_a_folder(void)
{
    static const struct { const char *header, *data; } cases[] = {
        { "f.mhd", "f.raw" }, { "g.hdr", "g.img" }, { "h.img", "h.img" },
    };
    const char *dir = io_fresh_dir("folder");
    char dirbuf[512];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    size_t size[2] = { 6, 4 };
    pipit_image_t *img = io_pattern(2, size, PIPIT_I16, 1, 4);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char folder[600], data[600];
        snprintf(folder, sizeof folder, "%s/%s", dirbuf, cases[i].header);
        snprintf(data, sizeof data, "%s/%s", dirbuf, cases[i].data);
        CU_ASSERT_EQUAL_FATAL(mkdir(folder, 0777), 0);
        if (strcmp(folder, data) != 0)
            io_write_file(data, "old", 3);
        pipit_status_t st = pipit_image_write(img, folder);
        ASSERT_FAILS_WITH(st, PIPIT_EIO, cases[i].header);
        CU_ASSERT(is_folder(folder));
        if (strcmp(folder, data) != 0) {
            size_t n;
            unsigned char *b = io_read_file(data, &n);
            CU_ASSERT(b != NULL && n == 3 && memcmp(b, "old", 3) == 0);
            free(b);
            unlink(data);
        }
        CU_ASSERT_EQUAL(count_leftovers(dirbuf), 0);
        rmdir(folder);
    }
    pipit_image_unref(img);
}

/* A writer's failure at a write names the file and the system's reason:
 * PNG once printed an empty message, TIFF left out the reason. */
static int
fail_writes(void *user, pipit__io_call_t call, const char *path)
{
    (void)path;
    return call == PIPIT__IO_WRITE ? *(int *)user : 0;
}

static void
test_write_error_messages(void)
{
    static const char *const names[] = { "e.png", "e.tif", "e.mha",
                                         "e.mhd", "e.nii.gz", "e.hdr" };
    static const int errs[] = { ENOSPC, EFBIG, EDQUOT };
    size_t size[2] = { 40, 30 };
    pipit_image_t *img = io_pattern(2, size, PIPIT_U8, 1, 5);
    for (size_t e = 0; e < sizeof errs / sizeof errs[0]; e++)
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            int err = errs[e];
            pipit__io_hook_set(fail_writes, &err);
            pipit_status_t st = pipit_image_write(img, test_tmp(names[i]));
            pipit__io_hook_set(NULL, NULL);
            /* the file written: the target, or a pair's data file */
            char stem[64];
            snprintf(stem, sizeof stem, "/%.2s", names[i]);
            ASSERT_FAILS_WITH(st, PIPIT_EIO, stem);
            CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(),
                                          strerror(err)));
            CU_ASSERT(!io_exists(test_tmp(names[i])));
        }
    pipit_image_unref(img);
}

/* Writers in several threads at once, over existing files: the clean-up
 * table is shared; each target ends up new and complete. */
typedef struct job {
    char path[600];
    const pipit_image_t *img;
    pipit_status_t st;
} job_t;

static void *
write_job(void *arg)
{
    job_t *j = arg;
    for (int k = 0; k < 3 && j->st == PIPIT_OK; k++)
        j->st = pipit_image_write(j->img, j->path);
    return NULL;
}

static void
test_threads(void)
{
    static const char *const exts[] = { "mhd", "hdr", "mha", "tif",
                                        "nii", "png", "nii.gz" };
    const char *dir = io_fresh_dir("threads");
    char dirbuf[512];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    size_t size[2] = { 33, 7 };
    pipit_image_t *img = io_pattern(2, size, PIPIT_U8, 1, 6);
    for (size_t c = 0; c < 4; c++) {
        unsigned n = test_thread_counts[c];
        job_t jobs[8];
        pthread_t tid[8];
        for (unsigned i = 0; i < n; i++) {
            snprintf(jobs[i].path, sizeof jobs[i].path, "%s/j%u.%s", dirbuf,
                     i, exts[i % 7]);
            jobs[i].img = img;
            jobs[i].st = PIPIT_OK;
            CU_ASSERT_EQUAL_FATAL(
                pthread_create(&tid[i], NULL, write_job, &jobs[i]), 0);
        }
        for (unsigned i = 0; i < n; i++) {
            pthread_join(tid[i], NULL);
            CU_ASSERT_EQUAL(jobs[i].st, PIPIT_OK);
            pipit_image_t *back = NULL;
            ASSERT_OK(pipit_image_read(jobs[i].path, &back));
            CU_ASSERT(io_same_pixels(img, back));
            pipit_image_unref(back);
        }
        CU_ASSERT_EQUAL(count_leftovers(dirbuf), 0);
    }
    pipit_image_unref(img);
}

const test_case_t test_io_write_cases[] = {
    { "kill_at_every_call", test_kill_at_every_call },
    { "signal_at_every_call", test_signal_at_every_call },
    { "fail_at_every_call", test_fail_at_every_call },
    { "names_and_sync", test_names_and_sync },
    { "header_is_a_folder", test_header_is_a_folder },
    { "write_error_messages", test_write_error_messages },
    { "threads", test_threads },
    { NULL, NULL },
};
