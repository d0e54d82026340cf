/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parameter maps: entries kept in key order with a hash index beside
 * them, and the elastix text format (shared/spec/elastix-compat.md §1):
 * parsing, printing, reading a file, writing one atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pipit/params.h>

#include "error_impl.h"
#include "image_impl.h" /* the modification clock */
#include "object_impl.h"
#include "params_impl.h"

/*
 * A key and its values live in one allocation: this struct, the value
 * pointers, then the bytes of the key and of each value. One block per
 * entry keeps parse to few allocations and dup to a memcpy.
 */
typedef struct entry {
    size_t size;  /* bytes of the whole block */
    size_t line;  /* line of the text it came from; 0 when set by code */
    char *key;
    size_t n;     /* number of values, at least 1 in a map */
    char *values[];
} entry_t;

struct pipit_params {
    pipit__object_t obj;
    entry_t **entries; /* in key order */
    size_t count, cap;
    /* Open addressing; a slot holds an entry's position + 1, 0 when
     * empty. n_slots is 0 or a power of two at least twice count, so a
     * file of thousands of keys is read in linear time. */
    size_t *slots;
    size_t n_slots;
    uint64_t mtime; /* global clock at the last change (ports) */
    char *source;   /* file or name it was parsed from; NULL: made by code */
};

/* Characters elastix refuses in keys and in values. */
static const char key_forbidden[] = ".,:;!@#$%^&'()*+-|<>?";
static const char value_forbidden[] = ",;!@#$%&|<>?";

/* The text limits a file to read; far beyond any real parameter file. */
#define READ_LIMIT ((size_t)256 << 20)

/* ---- storage ------------------------------------------------------ */

static size_t
hash_key(const char *s)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return (size_t)(h ^ (h >> 32));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
find_slot(const pipit_params_t *p, const char *key)
{
    size_t mask = p->n_slots - 1;
    size_t i = hash_key(key) & mask;
    while (p->slots[i] != 0 &&
           strcmp(p->entries[p->slots[i] - 1]->key, key) != 0)
        i = (i + 1) & mask;
    return i;
}

static entry_t *
find(const pipit_params_t *p, const char *key, size_t *pos)
{
    if (p->n_slots == 0)
        return NULL;
    size_t s = p->slots[find_slot(p, key)];
    if (s == 0)
        return NULL;
    if (pos != NULL)
        *pos = s - 1;
    return p->entries[s - 1];
}

static void
fill_index(pipit_params_t *p)
{
    memset(p->slots, 0, p->n_slots * sizeof *p->slots);
    for (size_t i = 0; i < p->count; i++)
        p->slots[find_slot(p, p->entries[i]->key)] = i + 1;
}

/*
 * Makes room for one more entry. Either array may grow; on failure the
 * map still holds what it held, so callers need no undo.
 */
static pipit_status_t
reserve_one(pipit_params_t *p)
{
    if (p->count == p->cap) {
        size_t cap = p->cap == 0 ? 16 : 2 * p->cap;
        size_t bytes;
        if (cap < p->cap || pipit__mul_overflows(cap, sizeof(entry_t *),
                                                 &bytes))
            return pipit__error_nomem();
        entry_t **e = pipit__realloc(p->entries, bytes);
        if (e == NULL)
            return PIPIT_ENOMEM;
        p->entries = e;
        p->cap = cap;
    }
    if (p->n_slots / 2 < p->count + 1) {
        size_t n = p->n_slots == 0 ? 32 : 2 * p->n_slots;
        if (n < p->n_slots)
            return pipit__error_nomem();
        size_t *slots = pipit__calloc(n, sizeof *slots);
        if (slots == NULL)
            return PIPIT_ENOMEM;
        pipit__free(p->slots);
        p->slots = slots;
        p->n_slots = n;
        fill_index(p);
    }
    return PIPIT_OK;
}

/* Adds e at the end; reserve_one has made room. */
static void
append(pipit_params_t *p, entry_t *e)
{
    p->slots[find_slot(p, e->key)] = p->count + 1;
    p->entries[p->count++] = e;
    p->mtime = pipit__time_next();
}

/* A block for n values and bytes of text (NUL bytes included). */
static entry_t *
entry_alloc(size_t n, size_t bytes)
{
    size_t head, size;
    if (pipit__mul_overflows(n, sizeof(char *), &head) ||
        __builtin_add_overflow(head, sizeof(entry_t), &head) ||
        __builtin_add_overflow(head, bytes, &size)) {
        pipit__error_nomem();
        return NULL;
    }
    entry_t *e = pipit__malloc(size);
    if (e == NULL)
        return NULL;
    e->size = size;
    e->line = 0;
    e->key = NULL;
    e->n = n;
    return e;
}

/* Where an entry's text starts, after its value pointers. */
static char *
entry_text(entry_t *e)
{
    return (char *)&e->values[e->n];
}

pipit_params_t *
pipit_params_new(void)
{
    pipit_params_t *p = pipit__calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    pipit__object_init(&p->obj);
    p->mtime = pipit__time_next();
    return p;
}

pipit_params_t *
pipit_params_ref(pipit_params_t *p)
{
    if (p != NULL)
        pipit__object_ref(&p->obj);
    return p;
}

void
pipit_params_unref(pipit_params_t *p)
{
    if (p == NULL || !pipit__object_unref(&p->obj))
        return;
    for (size_t i = 0; i < p->count; i++)
        pipit__free(p->entries[i]);
    pipit__free(p->entries);
    pipit__free(p->slots);
    pipit__free(p->source);
    pipit__free(p);
}

pipit_params_t *
pipit_params_dup(const pipit_params_t *p)
{
    PIPIT_CHECK_ARG_NULL(p != NULL);
    pipit_params_t *d = pipit_params_new();
    if (d == NULL)
        return NULL;
    for (size_t i = 0; i < p->count; i++) {
        const entry_t *src = p->entries[i];
        if (reserve_one(d) != PIPIT_OK)
            goto fail;
        entry_t *e = pipit__malloc(src->size);
        if (e == NULL)
            goto fail;
        memcpy(e, src, src->size);
        /* The pointers inside the block move with it. */
        e->key = (char *)e + (src->key - (const char *)src);
        for (size_t k = 0; k < e->n; k++)
            e->values[k] = (char *)e + (src->values[k] - (const char *)src);
        append(d, e);
    }
    if (p->source != NULL && (d->source = pipit__strdup(p->source)) == NULL)
        goto fail;
    return d;
fail:
    pipit_params_unref(d);
    return NULL;
}

const char *
pipit_params_source(const pipit_params_t *p)
{
    return p != NULL ? p->source : NULL;
}

size_t
pipit_params_count(const pipit_params_t *p)
{
    return p != NULL ? p->count : 0;
}

const char *
pipit_params_key(const pipit_params_t *p, size_t i)
{
    return p != NULL && i < p->count ? p->entries[i]->key : NULL;
}

bool
pipit_params_has(const pipit_params_t *p, const char *key)
{
    return p != NULL && key != NULL && find(p, key, NULL) != NULL;
}

size_t
pipit_params_n_values(const pipit_params_t *p, const char *key)
{
    const entry_t *e =
        p != NULL && key != NULL ? find(p, key, NULL) : NULL;
    return e != NULL ? e->n : 0;
}

const char *
pipit_params_value(const pipit_params_t *p, const char *key, size_t i)
{
    const entry_t *e =
        p != NULL && key != NULL ? find(p, key, NULL) : NULL;
    return e != NULL && i < e->n ? e->values[i] : NULL;
}

size_t
pipit__params_line(const pipit_params_t *p, const char *key)
{
    const entry_t *e =
        p != NULL && key != NULL ? find(p, key, NULL) : NULL;
    return e != NULL ? e->line : 0;
}

bool
pipit_params_equal(const pipit_params_t *a, const pipit_params_t *b)
{
    if (a == b)
        return true;
    if (a == NULL || b == NULL || a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        const entry_t *x = a->entries[i];
        const entry_t *y = find(b, x->key, NULL);
        if (y == NULL || y->n != x->n)
            return false;
        for (size_t k = 0; k < x->n; k++)
            if (strcmp(x->values[k], y->values[k]) != 0)
                return false;
    }
    return true;
}

/* ---- characters ----------------------------------------------------- */

/* White space of the format: tabs and carriage returns act as spaces. */
static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool
is_control(char c)
{
    unsigned char u = (unsigned char)c;
    return u < 0x20 || u == 0x7f;
}

/* The first character of s[0..n) that is a control character or in
 * forbidden, or NULL. */
static const char *
bad_char(const char *s, size_t n, const char *forbidden)
{
    for (size_t i = 0; i < n; i++)
        if (is_control(s[i]) || strchr(forbidden, s[i]) != NULL)
            return s + i;
    return NULL;
}

/* Names c for a message: "'.'" or "0x01". */
static const char *
char_name(char c, char buf[8])
{
    if (is_control(c))
        snprintf(buf, 8, "0x%02x", (unsigned char)c);
    else
        snprintf(buf, 8, "'%c'", c);
    return buf;
}

/* ---- set / remove ----------------------------------------------------- */

/*
 * PIPIT_OK when s can be written and read back unchanged: not empty, no
 * forbidden or control character, no quote (the format has no escape),
 * no "//" (it would start a comment); a key also has no space.
 */
static pipit_status_t
check_settable(const char *key, const char *value)
{
    const char *s = value != NULL ? value : key;
    const char *what = value != NULL ? "value" : "key";
    const char *bad;
    char cb[8];
    if (*s == '\0')
        return value != NULL
                   ? pipit__error(PIPIT_EINVAL,
                                  "params: key '%.100s' has an empty value",
                                  key)
                   : pipit__error(PIPIT_EINVAL, "params: empty key");
    bad = bad_char(s, strlen(s),
                   value != NULL ? value_forbidden : key_forbidden);
    if (bad == NULL)
        bad = strchr(s, '"');
    if (bad == NULL && value == NULL)
        bad = strchr(s, ' ');
    if (bad != NULL) {
        if (value != NULL)
            return pipit__error(PIPIT_EINVAL,
                                "params: key '%.100s' value '%.100s' has "
                                "forbidden character %s",
                                key, value, char_name(*bad, cb));
        return pipit__error(PIPIT_EINVAL,
                            "params: key '%.100s' has forbidden character %s",
                            key, char_name(*bad, cb));
    }
    if (strstr(s, "//") != NULL)
        return pipit__error(PIPIT_EINVAL,
                            "params: %s '%.100s' holds '//', which the text "
                            "format reads as a comment",
                            what, s);
    return PIPIT_OK;
}

pipit_status_t
pipit_params_set(pipit_params_t *p, const char *key, size_t n,
                 const char *const *values)
{
    pipit_status_t st;
    entry_t *e = NULL;
    size_t bytes, pos;
    PIPIT_CHECK_ARG(p != NULL && key != NULL);
    PIPIT_CHECK_ARG(n == 0 || values != NULL);
    if ((st = check_settable(key, NULL)) != PIPIT_OK)
        return st;
    if (n == 0)
        return pipit__error(PIPIT_EINVAL,
                            "params: key '%.100s' needs at least one value",
                            key);
    bytes = strlen(key) + 1;
    for (size_t i = 0; i < n; i++) {
        if (values[i] == NULL)
            return pipit__error(PIPIT_EINVAL,
                                "params: key '%.100s' value %zu is NULL",
                                key, i);
        if ((st = check_settable(key, values[i])) != PIPIT_OK)
            return st;
        bytes += strlen(values[i]) + 1;
    }
    if ((e = entry_alloc(n, bytes)) == NULL)
        return PIPIT_ENOMEM;
    char *t = entry_text(e);
    e->key = t;
    t = stpcpy(t, key) + 1;
    for (size_t i = 0; i < n; i++) {
        e->values[i] = t;
        t = stpcpy(t, values[i]) + 1;
    }
    const entry_t *old = find(p, key, &pos);
    if (old != NULL) {
        /* The same values again change nothing, so a pipeline reading
         * the map does not run again. */
        bool same = old->n == n;
        for (size_t i = 0; same && i < n; i++)
            same = strcmp(old->values[i], values[i]) == 0;
        if (same) {
            pipit__free(e);
            return PIPIT_OK;
        }
        /* Same key, same hash slot: only the order array changes. */
        pipit__free(p->entries[pos]);
        p->entries[pos] = e;
        p->mtime = pipit__time_next();
        return PIPIT_OK;
    }
    if ((st = reserve_one(p)) != PIPIT_OK) {
        pipit__free(e);
        return st;
    }
    append(p, e);
    return PIPIT_OK;
}

pipit_status_t
pipit_params_set_string(pipit_params_t *p, const char *key,
                        const char *value)
{
    return pipit_params_set(p, key, 1, &value);
}

pipit_status_t
pipit_params_remove(pipit_params_t *p, const char *key)
{
    size_t pos;
    PIPIT_CHECK_ARG(p != NULL && key != NULL);
    if (find(p, key, &pos) == NULL)
        return PIPIT_OK;
    pipit__free(p->entries[pos]);
    memmove(p->entries + pos, p->entries + pos + 1,
            (p->count - pos - 1) * sizeof *p->entries);
    p->count--;
    p->mtime = pipit__time_next();
    /* Positions after pos moved; rebuilding in place cannot fail. */
    fill_index(p);
    return PIPIT_OK;
}

/* ---- parse ---------------------------------------------------------- */

/*
 * Splits the inside of "( ... )" into tokens: runs of non-blanks outside
 * quotes, or whatever lies between two quotes; a quote also ends the
 * token before it, and empty tokens vanish. With e NULL it only counts
 * tokens and their bytes; then it copies token 0 to e->key and the rest
 * to e->values, blanks inside quotes becoming spaces.
 */
static void
split(const char *c, const char *end, entry_t *e, size_t *n_tokens,
      size_t *bytes)
{
    size_t n = 0, used = 0;
    char *text = e != NULL ? entry_text(e) : NULL;
    while (c < end) {
        const char *start;
        size_t len;
        if (is_blank(*c)) {
            c++;
            continue;
        }
        if (*c == '"') {
            start = ++c;
            while (c < end && *c != '"')
                c++;
            len = (size_t)(c - start);
            if (c < end)
                c++; /* the closing quote */
        } else {
            start = c;
            while (c < end && !is_blank(*c) && *c != '"')
                c++;
            len = (size_t)(c - start);
        }
        if (len == 0)
            continue;
        if (e != NULL) {
            char *t = text + used;
            for (size_t i = 0; i < len; i++)
                t[i] = is_blank(start[i]) ? ' ' : start[i];
            t[len] = '\0';
            if (n == 0)
                e->key = t;
            else
                e->values[n - 1] = t;
        }
        n++;
        used += len + 1;
    }
    *n_tokens = n;
    *bytes = used;
}

/* The first "//" in [b, end), or end. */
static const char *
comment_start(const char *b, const char *end)
{
    while (b < end) {
        const char *s = memchr(b, '/', (size_t)(end - b));
        if (s == NULL || s + 1 >= end)
            return end;
        if (s[1] == '/')
            return s;
        b = s + 1;
    }
    return end;
}

/* Reads one trimmed, non-empty entry line [b, end) into p. */
static pipit_status_t
parse_line(pipit_params_t *p, const char *b, const char *end,
           const char *name, size_t line)
{
    pipit_status_t st = PIPIT_OK;
    entry_t *e = NULL;
    size_t n, bytes, quotes = 0, first;
    const char *bad;
    char cb[8];
    if (*b != '(')
        return pipit__error(PIPIT_EFORMAT,
                            "%s:%zu: line does not start with '('", name,
                            line);
    if (end - b < 2 || end[-1] != ')')
        return pipit__error(PIPIT_EFORMAT,
                            "%s:%zu: line does not end with ')'", name,
                            line);
    b++, end--;
    for (const char *c = b; c < end; c++)
        quotes += *c == '"';
    if (quotes % 2 != 0)
        return pipit__error(PIPIT_EFORMAT,
                            "%s:%zu: odd number of quotes (%zu)", name, line,
                            quotes);
    split(b, end, NULL, &n, &bytes);
    if (n == 0)
        return pipit__error(PIPIT_EFORMAT, "%s:%zu: entry has no key", name,
                            line);
    if ((e = entry_alloc(n - 1, bytes)) == NULL)
        return PIPIT_ENOMEM;
    split(b, end, e, &n, &bytes);
    e->line = line;
    bad = bad_char(e->key, strlen(e->key), key_forbidden);
    if (bad == NULL)
        bad = strchr(e->key, ' '); /* only a quoted key can hold one */
    if (bad != NULL) {
        st = pipit__error(PIPIT_EFORMAT,
                          "%s:%zu: key '%.100s' has forbidden character %s",
                          name, line, e->key, char_name(*bad, cb));
        goto done;
    }
    if (e->n == 0) {
        st = pipit__error(PIPIT_EFORMAT, "%s:%zu: key '%.100s' has no value",
                          name, line, e->key);
        goto done;
    }
    for (size_t i = 0; i < e->n; i++) {
        const char *v = e->values[i];
        if ((bad = bad_char(v, strlen(v), value_forbidden)) != NULL) {
            st = pipit__error(PIPIT_EFORMAT,
                              "%s:%zu: key '%.100s' value '%.100s' has "
                              "forbidden character %s",
                              name, line, e->key, v, char_name(*bad, cb));
            goto done;
        }
    }
    if (find(p, e->key, &first) != NULL) {
        st = pipit__error(PIPIT_EFORMAT,
                          "%s:%zu: key '%.100s' given twice (first on line "
                          "%zu)",
                          name, line, e->key, p->entries[first]->line);
        goto done;
    }
    if ((st = reserve_one(p)) != PIPIT_OK)
        goto done;
    append(p, e);
    e = NULL;
done:
    pipit__free(e);
    return st;
}

pipit_status_t
pipit_params_parse(const char *text, size_t len, const char *name,
                   pipit_params_t **out)
{
    pipit_status_t st = PIPIT_OK;
    pipit_params_t *p = NULL;
    PIPIT_CHECK_ARG(out != NULL);
    *out = NULL;
    PIPIT_CHECK_ARG(text != NULL || len == 0);
    if (name == NULL)
        name = "params";
    if ((p = pipit_params_new()) == NULL)
        return PIPIT_ENOMEM;
    const char *pos = text, *stop = text + len;
    for (size_t line = 1; pos < stop; line++) {
        const char *eol = memchr(pos, '\n', (size_t)(stop - pos));
        if (eol == NULL)
            eol = stop;
        /* A NUL would cut the line short for anyone reading it as a C
         * string: refuse it rather than guess. */
        if (memchr(pos, '\0', (size_t)(eol - pos)) != NULL) {
            st = pipit__error(PIPIT_EFORMAT, "%s:%zu: NUL byte in the text",
                              name, line);
            goto done;
        }
        const char *b = pos, *e = comment_start(pos, eol);
        while (b < e && is_blank(*b))
            b++;
        while (e > b && is_blank(e[-1]))
            e--;
        if (b < e && (st = parse_line(p, b, e, name, line)) != PIPIT_OK)
            goto done;
        pos = eol < stop ? eol + 1 : stop;
    }
    if ((p->source = pipit__strdup(name)) == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    *out = p;
    p = NULL;
done:
    pipit_params_unref(p);
    return st;
}

pipit_status_t
pipit_params_read(const char *path, pipit_params_t **out)
{
    pipit_status_t st = PIPIT_OK;
    FILE *fp = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    PIPIT_CHECK_ARG(out != NULL);
    *out = NULL;
    PIPIT_CHECK_ARG(path != NULL);
    /* O_NONBLOCK: a FIFO (or a device) must not hang the open; only a
     * regular file is read, as the image readers do. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        st = pipit__error_errno(PIPIT_EIO, errno, "params: '%s'", path);
        if (fd >= 0)
            close(fd);
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        st = pipit__error(PIPIT_EIO, "params: '%s' is not a regular file",
                          path);
        goto done;
    }
    if ((fp = fdopen(fd, "rb")) == NULL) {
        st = pipit__error_errno(PIPIT_EIO, errno, "params: '%s'", path);
        close(fd);
        goto done;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= READ_LIMIT) {
                st = pipit__error(PIPIT_ERANGE,
                                  "params: '%s' is larger than %zu MiB, too "
                                  "large for a parameter file",
                                  path, READ_LIMIT >> 20);
                goto done;
            }
            size_t ncap = cap == 0 ? 16384 : 2 * cap;
            char *nbuf = pipit__realloc(buf, ncap);
            if (nbuf == NULL) {
                st = PIPIT_ENOMEM;
                goto done;
            }
            buf = nbuf, cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp)) {
                st = pipit__error_errno(PIPIT_EIO, errno,
                                        "params: reading '%s'", path);
                goto done;
            }
            break;
        }
    }
    st = pipit_params_parse(buf, len, path, out);
done:
    if (fp != NULL)
        fclose(fp);
    pipit__free(buf);
    return st;
}

/* ---- print and write -------------------------------------------------- */

/* Numbers print bare, the rest quoted, as elastix writes its files. */
static bool
is_number(const char *s)
{
    double v;
    size_t used;
    if (*s == '\0' || *s == ' ' || is_control(*s))
        return false;
    return pipit__params_read_double(s, &v, &used) == PIPIT_OK &&
           s[used] == '\0';
}

char *
pipit_params_print(const pipit_params_t *p)
{
    PIPIT_CHECK_ARG_NULL(p != NULL);
    size_t size = 1;
    /* An upper bound: every value quoted. Sizes are bounded by memory
     * already held, so the sum cannot wrap. */
    for (size_t i = 0; i < p->count; i++) {
        const entry_t *e = p->entries[i];
        size += strlen(e->key) + 3;
        for (size_t k = 0; k < e->n; k++)
            size += strlen(e->values[k]) + 3;
    }
    char *out = pipit__malloc(size);
    if (out == NULL)
        return NULL;
    char *t = out;
    for (size_t i = 0; i < p->count; i++) {
        const entry_t *e = p->entries[i];
        *t++ = '(';
        t = stpcpy(t, e->key);
        for (size_t k = 0; k < e->n; k++) {
            bool bare = is_number(e->values[k]);
            *t++ = ' ';
            if (!bare)
                *t++ = '"';
            t = stpcpy(t, e->values[k]);
            if (!bare)
                *t++ = '"';
        }
        *t++ = ')';
        *t++ = '\n';
    }
    *t = '\0';
    return out;
}

static pipit_status_t
write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return PIPIT_EIO;
        s += w, n -= (size_t)w;
    }
    return PIPIT_OK;
}

/* Distinguishes the temporary names of concurrent writers in a process. */
static atomic_uint write_counter;

pipit_status_t
pipit_params_write(const pipit_params_t *p, const char *path)
{
    pipit_status_t st = PIPIT_OK;
    char *text = NULL, *tmp = NULL;
    int fd = -1;
    PIPIT_CHECK_ARG(p != NULL && path != NULL);
    if ((text = pipit_params_print(p)) == NULL)
        return PIPIT_ENOMEM;
    size_t tmp_size = strlen(path) + 64;
    if ((tmp = pipit__malloc(tmp_size)) == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    /* Beside the target, so that rename stays in one file system and
     * a reader sees the old file or the new one, never half of one.
     * open() with 0666 lets the umask decide, as for any new file. */
    for (int tries = 0; fd < 0; tries++) {
        unsigned k = atomic_fetch_add_explicit(&write_counter, 1,
                                               memory_order_relaxed);
        snprintf(tmp, tmp_size, "%s.tmp-%ld-%u", path, (long)getpid(), k);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && (errno != EEXIST || tries >= 100)) {
            st = pipit__error_errno(PIPIT_EIO, errno,
                                    "params: cannot write '%s' (temporary "
                                    "file '%s')",
                                    path, tmp);
            goto done;
        }
    }
    if (write_all(fd, text, strlen(text)) != PIPIT_OK || fsync(fd) != 0) {
        st = pipit__error_errno(PIPIT_EIO, errno, "params: writing '%s'",
                                tmp);
        goto fail;
    }
    int rc = close(fd);
    fd = -1;
    if (rc != 0) {
        st = pipit__error_errno(PIPIT_EIO, errno, "params: writing '%s'",
                                tmp);
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        st = pipit__error_errno(PIPIT_EIO, errno,
                                "params: cannot rename '%s' to '%s'", tmp,
                                path);
        goto fail;
    }
    goto done;
fail:
    if (fd >= 0)
        close(fd);
    fd = -1;
    unlink(tmp);
done:
    if (fd >= 0)
        close(fd);
    pipit__free(tmp);
    free(text); /* pipit_params_print's contract: free() */
    return st;
}

uint64_t
pipit__params_mtime(const pipit_params_t *p)
{
    return p->mtime;
}
