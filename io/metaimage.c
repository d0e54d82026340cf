/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MetaImage (.mha: header and pixels in one file; .mhd: header beside a
 * data file), the format of ITK and elastix. The header is "Key = value"
 * lines ending with ElementDataFile; pixels follow raw or zlib-deflated.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "io_impl.h"

#define FMT "mha"
/* A header is text of a few hundred bytes; anything longer than this
 * before ElementDataFile is not a MetaImage header. */
#define MAX_HEADER (1u << 20)
#define MAX_FILES 100000
/* Untrusted input (pipit_io_set_untrusted): a header of an upload is
 * small and names few files. */
#define UNTRUSTED_MAX_HEADER (64u << 10)
#define UNTRUSTED_MAX_FILES 1024
/* zlib cannot expand data more than about 1032:1. */
#define ZLIB_MAX_RATIO 1040u

typedef struct mha_segment {
    char *path;      /* NULL: the header file itself */
    uint64_t offset; /* first data byte in that file */
} mha_segment_t;

typedef struct mha_header {
    unsigned ndims;      /* as in the file (1..4) */
    unsigned dim;        /* image dim: ndims, at least 2 */
    size_t size[PIPIT_MAX_DIM];
    double spacing[PIPIT_MAX_DIM], origin[PIPIT_MAX_DIM];
    double direction[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    pipit_pixel_type_t type;
    unsigned components;
    bool msb, compressed;
    uint64_t compressed_size; /* 0: to the end of the file */
    int64_t header_size;      /* -1: data at the end; -2: not given */
    uint64_t data_bytes;      /* uncompressed pixel bytes */
    uint64_t header_end;      /* byte after the ElementDataFile line */
    mha_segment_t *segs;
    size_t n_segs, cap_segs;
    size_t max_files;         /* MAX_FILES, fewer for untrusted input */
    size_t max_header;        /* MAX_HEADER, less for untrusted input */
    bool untrusted;           /* data files only inside the header's folder */
    uint64_t seg_bytes;       /* data bytes per segment */
} mha_header_t;

typedef struct mha_reader {
    pipit_node_t base;
    char *path;
    bool untrusted;
    mha_header_t h;
    bool have_header;
    /* A compressed stream stays open between runs, so that a streaming
     * consumer asking for pieces in order inflates the data once. */
    pipit__inflater_t *z;
    int zfd;
} mha_reader_t;

/* ---- header parsing --------------------------------------------------- */

static void
header_clear(mha_header_t *h)
{
    for (size_t i = 0; i < h->n_segs; i++)
        pipit__free(h->segs[i].path);
    pipit__free(h->segs);
    memset(h, 0, sizeof *h);
}

static const struct {
    const char *name;
    pipit_pixel_type_t type;
} met_types[] = {
    { "MET_UCHAR", PIPIT_U8 },   { "MET_CHAR", PIPIT_I8 },
    { "MET_USHORT", PIPIT_U16 }, { "MET_SHORT", PIPIT_I16 },
    { "MET_UINT", PIPIT_U32 },   { "MET_INT", PIPIT_I32 },
    /* MetaIO's MET_LONG / MET_ULONG are 4 bytes on every platform. */
    { "MET_ULONG", PIPIT_U32 },  { "MET_LONG", PIPIT_I32 },
    { "MET_FLOAT", PIPIT_F32 },  { "MET_DOUBLE", PIPIT_F64 },
};

static const char *
met_name(pipit_pixel_type_t t)
{
    for (size_t i = 0; i < sizeof met_types / sizeof met_types[0]; i++)
        if (met_types[i].type == t)
            return met_types[i].name;
    return "?";
}

/* Parses up to max numbers of value; *n gets how many there were. */
static bool
parse_numbers(const char *v, double *out, size_t max, size_t *n)
{
    *n = 0;
    for (;;) {
        while (isspace((unsigned char)*v))
            v++;
        if (*v == '\0')
            return true;
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (end == v || *n == max)
            return false;
        out[(*n)++] = d;
        v = end;
    }
}

static pipit_status_t
numbers_for(const char *path, const char *key, const char *v, double *out,
            size_t want)
{
    double tmp[PIPIT_MAX_DIM * PIPIT_MAX_DIM + 1];
    size_t n;
    if (!parse_numbers(v, tmp, want + 1, &n) || n != want)
        return pipit__error(PIPIT_EFORMAT,
                            FMT ": '%s': %s = '%.60s': expected %zu numbers",
                            path, key, v, want);
    for (size_t i = 0; i < n; i++)
        if (!(tmp[i] - tmp[i] == 0.0))
            return pipit__error(PIPIT_EFORMAT,
                                FMT ": '%s': %s = '%.60s': not finite", path,
                                key, v);
    memcpy(out, tmp, n * sizeof *out);
    return PIPIT_OK;
}

static pipit_status_t
parse_bool(const char *path, const char *key, const char *v, bool *out)
{
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return pipit__error(PIPIT_EFORMAT,
                            FMT ": '%s': %s = '%.60s': expected True or "
                            "False", path, key, v);
    return PIPIT_OK;
}

static bool
parse_uint(const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)*v))
        return false;
    errno = 0;
    unsigned long long u = strtoull(v, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno != 0 || *end != '\0' || u > max)
        return false;
    *out = u;
    return true;
}

/* Reads the header text: bytes up to and including the ElementDataFile
 * line (and, for a LIST, the file names after it). Grows its buffer as
 * needed so that a large .mha costs only its header. */
static pipit_status_t
read_header_text(int fd, uint64_t fsize, const char *path, size_t max,
                 char **text, size_t *len)
{
    size_t cap = 0, have = 0;
    char *buf = NULL;
    pipit_status_t st = PIPIT_OK;
    *text = NULL;
    for (;;) {
        size_t want = cap == 0 ? 4096 : cap * 2;
        if (want > max)
            want = max;
        if ((uint64_t)want > fsize)
            want = (size_t)fsize;
        if (want <= have)
            break;
        char *nb = pipit__realloc(buf, want + 1);
        if (nb == NULL) {
            st = PIPIT_ENOMEM;
            goto fail;
        }
        buf = nb, cap = want;
        if ((st = pipit__file_pread(fd, buf + have, want - have, have, FMT,
                                    path)) != PIPIT_OK)
            goto fail;
        have = want;
        buf[have] = '\0';
        /* The header ends at the line that names the data file; stop
         * reading once we hold it (plus room for LIST names). */
        char *key = NULL;
        for (char *p = buf; p != NULL && p < buf + have;) {
            if (strncasecmp(p, "ElementDataFile", 15) == 0) {
                key = p;
                break;
            }
            p = memchr(p, '\n', (size_t)(buf + have - p));
            if (p != NULL)
                p++;
        }
        if (key != NULL) {
            char *nl = memchr(key, '\n', (size_t)(buf + have - key));
            /* A LIST names its files on the lines that follow. */
            if (nl != NULL) {
                *nl = '\0';
                bool list = strstr(key, "LIST") != NULL;
                *nl = '\n';
                if (!list)
                    break;
            }
        }
        if (have >= max || (uint64_t)have >= fsize)
            break;
    }
    if (buf == NULL)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s' is empty", path);
    *text = buf;
    *len = have;
    return PIPIT_OK;
fail:
    pipit__free(buf);
    return st;
}

/* The data file name relative to the header's folder. */
static char *
data_path(const char *header, const char *name, size_t n)
{
    char *dir = NULL, *p = NULL;
    if (n > 0 && name[0] == '/') {
        if ((p = pipit__malloc(n + 1)) != NULL) {
            memcpy(p, name, n);
            p[n] = '\0';
        }
        return p;
    }
    if ((dir = pipit__dirname(header)) == NULL)
        return NULL;
    size_t dn = strlen(dir);
    if ((p = pipit__malloc(dn + n + 2)) != NULL) {
        memcpy(p, dir, dn);
        p[dn] = '/';
        memcpy(p + dn + 1, name, n);
        p[dn + 1 + n] = '\0';
    }
    pipit__free(dir);
    return p;
}

/* Untrusted input names data files inside the header's folder only: a
 * relative name without "..". Symbolic links are checked when the file
 * is opened (check_segments). */
static pipit_status_t
check_data_name(const mha_header_t *h, const char *header, const char *name,
                size_t n)
{
    if (!h->untrusted)
        return PIPIT_OK;
    if (n == 0 || name[0] == '/')
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': data file '%.*s': an "
                            "absolute path is refused for untrusted input",
                            header, (int)(n < 200 ? n : 200), name);
    for (size_t i = 0; i < n; i++) {
        bool start = i == 0 || name[i - 1] == '/';
        if (start && i + 1 < n && name[i] == '.' && name[i + 1] == '.' &&
            (i + 2 == n || name[i + 2] == '/'))
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': data file "
                                "'%.*s': '..' is refused for untrusted "
                                "input", header, (int)(n < 200 ? n : 200),
                                name);
    }
    return PIPIT_OK;
}

/* For untrusted input: the data file, symbolic links resolved, must lie
 * inside the header's folder, symbolic links resolved too. */
static pipit_status_t
check_inside(const char *header, const char *data)
{
    pipit_status_t st = PIPIT_OK;
    char *dir = pipit__dirname(header);
    char *rd = NULL, *rf = NULL;
    if (dir == NULL)
        return PIPIT_ENOMEM;
    if ((rd = realpath(dir, NULL)) == NULL) {
        st = pipit__error_errno(PIPIT_EIO, errno, FMT ": '%s'", dir);
        goto done;
    }
    if ((rf = realpath(data, NULL)) == NULL) {
        st = pipit__error_errno(PIPIT_EIO, errno, FMT ": '%s': data file "
                                "'%s'", header, data);
        goto done;
    }
    size_t n = strlen(rd);
    bool root = n == 1 && rd[0] == '/';
    if (strncmp(rf, rd, n) != 0 || (!root && rf[n] != '/'))
        st = pipit__error(PIPIT_EFORMAT, FMT ": '%s': data file '%s' "
                          "resolves to '%s', outside the header's folder "
                          "(refused for untrusted input)", header, data, rf);
done:
    free(rd);
    free(rf);
    pipit__free(dir);
    return st;
}

/* Room for at least `more` further segments: the array grows
 * geometrically, so a LIST of 10^5 names costs a few reallocs, not 10^5. */
static pipit_status_t
reserve_segments(mha_header_t *h, size_t more)
{
    if (h->n_segs + more <= h->cap_segs)
        return PIPIT_OK;
    size_t cap = h->cap_segs < 16 ? 16 : h->cap_segs * 2;
    if (cap < h->n_segs + more)
        cap = h->n_segs + more;
    mha_segment_t *s = pipit__realloc(h->segs, cap * sizeof *s);
    if (s == NULL)
        return PIPIT_ENOMEM;
    h->segs = s;
    h->cap_segs = cap;
    return PIPIT_OK;
}

static pipit_status_t
add_segment(mha_header_t *h, const char *header, const char *name, size_t n)
{
    if (h->n_segs >= h->max_files)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': more than %zu data "
                            "files", header, h->max_files);
    pipit_status_t st = reserve_segments(h, 1);
    if (st != PIPIT_OK)
        return st;
    mha_segment_t *s = &h->segs[h->n_segs];
    s->offset = 0;
    if ((st = check_data_name(h, header, name, n)) != PIPIT_OK)
        return st;
    if ((s->path = data_path(header, name, n)) == NULL)
        return PIPIT_ENOMEM;
    h->n_segs++;
    return PIPIT_OK;
}

/* A decimal long long and the blanks after it; false when absent or out
 * of range (strtoll saturates, sscanf's %ld is undefined there). */
static bool
parse_ll(const char **v, long long *out)
{
    char *end;
    const char *p = *v;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '-' && *p != '+' && !isdigit((unsigned char)*p))
        return false;
    errno = 0;
    *out = strtoll(p, &end, 10);
    if (end == p || errno != 0)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    *v = end;
    return true;
}

/* ElementDataFile = name%03d.raw min max [step]: one file per index. */
static pipit_status_t
pattern_files(mha_header_t *h, const char *header, const char *v)
{
    char pat[1024];
    long long lo, hi, step = 1;
    const char *q = v;
    while (*q != '\0' && !isspace((unsigned char)*q))
        q++;
    size_t pn = (size_t)(q - v);
    if (pn >= sizeof pat || !parse_ll(&q, &lo) || !parse_ll(&q, &hi) ||
        (*q != '\0' && (!parse_ll(&q, &step) || *q != '\0')))
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': ElementDataFile = "
                            "'%.60s': expected 'pattern min max step'",
                            header, v);
    memcpy(pat, v, pn);
    pat[pn] = '\0';
    /* The pattern goes to snprintf: allow exactly one integer
     * conversion and nothing else, or it could read stray arguments. */
    /* and a field width of at most two digits: "%0000739205605188d"
     * (found by fuzzing) made snprintf crawl. */
    const char *pc = strchr(pat, '%');
    size_t k = 1;
    while (pc != NULL && (pc[k] == '0' || isdigit((unsigned char)pc[k])))
        k++;
    const char *w = pc != NULL ? pc + 1 : NULL;
    while (w != NULL && *w == '0')
        w++;
    if (pc == NULL || pc[k] != 'd' || strchr(pc + k, '%') != NULL ||
        pc + k - w > 2)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': ElementDataFile = "
                            "'%.60s': bad file pattern", header, v);
    /* %d takes an int: every index must be one. */
    if (step <= 0 || hi < lo || lo < INT_MIN || hi > INT_MAX)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': ElementDataFile = "
                            "'%.60s': bad file pattern range (min <= max, "
                            "both in int range, step > 0)", header, v);
    /* Within int range the span fits a long long without overflow. */
    uint64_t count = (uint64_t)((hi - lo) / step) + 1;
    /* Each file holds at least one row: no more files than rows. */
    uint64_t rows = h->data_bytes / (h->size[0] * h->components *
                                     pipit_pixel_size(h->type));
    if (count > rows || count > h->max_files)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': ElementDataFile = "
                            "'%.60s': bad file pattern: %llu files for %llu "
                            "rows (at most %zu files)", header, v,
                            (unsigned long long)count,
                            (unsigned long long)rows, h->max_files);
    pipit_status_t st = reserve_segments(h, (size_t)count);
    if (st != PIPIT_OK)
        return st;
    for (uint64_t j = 0; j < count; j++) {
        char name[1100];
        snprintf(name, sizeof name, pat, (int)(lo + (long long)j * step));
        if ((st = add_segment(h, header, name, strlen(name))) != PIPIT_OK)
            return st;
    }
    return PIPIT_OK;
}

/* "LIST [nD]": the file names follow, one a line. */
static pipit_status_t
list_files(mha_header_t *h, const char *header, char *rest, char *end,
           bool whole)
{
    /* Each file holds at least one row: no more files than rows. */
    uint64_t rows = h->data_bytes / (h->size[0] * h->components *
                                     pipit_pixel_size(h->type));
    for (char *p = rest; p < end;) {
        if (h->n_segs >= rows)
            break;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl != NULL ? nl : end;
        char *s = p;
        while (s < e && isspace((unsigned char)*s))
            s++;
        char *t = e;
        while (t > s && isspace((unsigned char)t[-1]))
            t--;
        if (t > s) {
            if (memchr(s, '\0', (size_t)(t - s)) != NULL)
                break;
            pipit_status_t st = add_segment(h, header, s, (size_t)(t - s));
            if (st != PIPIT_OK)
                return st;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    /* The header text stopped at the size limit inside the list: the
     * last name may be cut and more names may follow. */
    if (!whole && h->n_segs < rows)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': the header is "
                            "longer than %zu bytes (the LIST of data files "
                            "is cut after %zu names)", header, h->max_header,
                            h->n_segs);
    if (h->n_segs == 0)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': ElementDataFile = "
                            "LIST names no file", header);
    return PIPIT_OK;
}

static pipit_status_t
parse_header(const char *path, char *text, size_t len, bool whole,
             mha_header_t *h)
{
    pipit_status_t st = PIPIT_OK;
    bool have_ndims = false, have_size = false, have_type = false;
    bool have_spacing = false, have_origin = false, have_matrix = false;
    char *v_size = NULL, *v_spacing = NULL, *v_origin = NULL;
    char *v_matrix = NULL, *v_file = NULL, *rest = NULL;
    unsigned line = 0;
    char *end = text + len;

    h->components = 1;
    h->header_size = -2;
    for (char *p = text; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        /* The last line of a whole .mhd may lack its newline (text
         * holds a NUL at end). */
        if (nl == NULL && whole)
            nl = end;
        if (nl == NULL && len >= h->max_header)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': no "
                                "ElementDataFile in the first %zu bytes "
                                "(the header is too long)", path,
                                h->max_header);
        if (nl == NULL)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': header ends "
                                "without ElementDataFile", path);
        line++;
        if (memchr(p, '\0', (size_t)(nl - p)) != NULL)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': line %u: not "
                                "a text header", path, line);
        char *next = nl < end ? nl + 1 : end;
        *nl = '\0';
        if (nl > p && nl[-1] == '\r')
            nl[-1] = '\0';
        char *s = p;
        p = next;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': line %u: no "
                                "'=' in '%.40s'", path, line, s);
        char *k = eq;
        while (k > s && isspace((unsigned char)k[-1]))
            k--;
        *k = '\0';
        char *v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        char *ve = v + strlen(v);
        while (ve > v && isspace((unsigned char)ve[-1]))
            *--ve = '\0';
        const char *key = s;
        uint64_t u;
        if (strcasecmp(key, "ObjectType") == 0) {
            if (strcasecmp(v, "Image") != 0)
                return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': "
                                    "ObjectType = '%.40s' (only Image)",
                                    path, v);
        } else if (strcasecmp(key, "NDims") == 0) {
            if (!parse_uint(v, 64, &u) || u < 1 || u > PIPIT_MAX_DIM)
                return pipit__error(u > PIPIT_MAX_DIM ? PIPIT_EUNSUPPORTED
                                                      : PIPIT_EFORMAT,
                                    FMT ": '%s': NDims = '%.40s' (valid: "
                                    "1..%d)", path, v, PIPIT_MAX_DIM);
            h->ndims = (unsigned)u;
            have_ndims = true;
        } else if (strcasecmp(key, "DimSize") == 0) {
            v_size = v, have_size = true;
        } else if (strcasecmp(key, "ElementSpacing") == 0 ||
                   (strcasecmp(key, "ElementSize") == 0 && !have_spacing)) {
            v_spacing = v, have_spacing = true;
        } else if (strcasecmp(key, "Offset") == 0 ||
                   strcasecmp(key, "Origin") == 0 ||
                   strcasecmp(key, "Position") == 0) {
            v_origin = v, have_origin = true;
        } else if (strcasecmp(key, "TransformMatrix") == 0 ||
                   strcasecmp(key, "Rotation") == 0 ||
                   strcasecmp(key, "Orientation") == 0) {
            v_matrix = v, have_matrix = true;
        } else if (strcasecmp(key, "BinaryData") == 0) {
            bool b;
            if ((st = parse_bool(path, key, v, &b)) != PIPIT_OK)
                return st;
            if (!b)
                return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': "
                                    "BinaryData = False (text pixels) is "
                                    "not supported", path);
        } else if (strcasecmp(key, "BinaryDataByteOrderMSB") == 0 ||
                   strcasecmp(key, "ElementByteOrderMSB") == 0) {
            if ((st = parse_bool(path, key, v, &h->msb)) != PIPIT_OK)
                return st;
        } else if (strcasecmp(key, "CompressedData") == 0) {
            if ((st = parse_bool(path, key, v, &h->compressed)) != PIPIT_OK)
                return st;
        } else if (strcasecmp(key, "CompressedDataSize") == 0) {
            if (!parse_uint(v, INT64_MAX, &h->compressed_size))
                return pipit__error(PIPIT_EFORMAT, FMT ": '%s': "
                                    "CompressedDataSize = '%.40s'", path, v);
        } else if (strcasecmp(key, "HeaderSize") == 0) {
            if (strcmp(v, "-1") == 0)
                h->header_size = -1;
            else if (parse_uint(v, INT64_MAX, &u))
                h->header_size = (int64_t)u;
            else
                return pipit__error(PIPIT_EFORMAT, FMT ": '%s': HeaderSize "
                                    "= '%.40s'", path, v);
        } else if (strcasecmp(key, "ElementNumberOfChannels") == 0) {
            if (!parse_uint(v, 65536, &u) || u == 0)
                return pipit__error(PIPIT_EFORMAT, FMT ": '%s': "
                                    "ElementNumberOfChannels = '%.40s' "
                                    "(valid: 1..65536)", path, v);
            h->components = (unsigned)u;
        } else if (strcasecmp(key, "ElementType") == 0) {
            size_t n = strlen(v);
            if (n > 6 && strcasecmp(v + n - 6, "_ARRAY") == 0)
                v[n - 6] = '\0';
            for (size_t i = 0; i < sizeof met_types / sizeof met_types[0];
                 i++)
                if (strcasecmp(v, met_types[i].name) == 0) {
                    h->type = met_types[i].type;
                    have_type = true;
                }
            if (!have_type)
                return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': "
                                    "ElementType = '%.40s' is not supported",
                                    path, v);
        } else if (strcasecmp(key, "ElementDataFile") == 0) {
            v_file = v;
            rest = next;
            h->header_end = (uint64_t)(next - text);
            break;
        }
        /* Other keys (CenterOfRotation, AnatomicalOrientation, Name,
         * ElementMin, ...) do not change the pixels or the grid. */
    }
    if (v_file == NULL)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': no ElementDataFile "
                            "in the header", path);
    if (!have_ndims || !have_size || !have_type)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': header lacks %s",
                            path, !have_ndims ? "NDims"
                                  : !have_size ? "DimSize"
                                               : "ElementType");
    unsigned nd = h->ndims;
    double tmp[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    if ((st = numbers_for(path, "DimSize", v_size, tmp, nd)) != PIPIT_OK)
        return st;
    h->dim = nd < 2 ? 2 : nd;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        h->size[d] = 1;
        h->spacing[d] = 1.0;
        h->origin[d] = 0.0;
    }
    for (unsigned d = 0; d < h->dim; d++)
        h->direction[d * h->dim + d] = 1.0;
    for (unsigned d = 0; d < nd; d++) {
        /* range first: converting 1e300 to an integer is undefined */
        bool huge = tmp[d] > (double)PTRDIFF_MAX;
        if (!(tmp[d] >= 1) || huge || tmp[d] != floor(tmp[d]))
            return pipit__error(huge ? PIPIT_ERANGE : PIPIT_EFORMAT,
                                FMT ": '%s': DimSize = '%.60s': size %g on "
                                "axis %u", path, v_size, tmp[d], d);
        h->size[d] = (size_t)tmp[d];
    }
    if (have_spacing &&
        (st = numbers_for(path, "ElementSpacing", v_spacing, h->spacing,
                          nd)) != PIPIT_OK)
        return st;
    if (have_origin && (st = numbers_for(path, "Offset", v_origin, h->origin,
                                         nd)) != PIPIT_OK)
        return st;
    if (have_matrix) {
        if ((st = numbers_for(path, "TransformMatrix", v_matrix, tmp,
                              (size_t)nd * nd)) != PIPIT_OK)
            return st;
        /* Row i of TransformMatrix is the direction of axis i, i.e.
         * column i of ITK's direction matrix. */
        for (unsigned i = 0; i < nd; i++)
            for (unsigned j = 0; j < nd; j++)
                h->direction[j * h->dim + i] = tmp[i * nd + j];
    }

    /* Pixel bytes, with every product checked. */
    uint64_t bytes = pipit_pixel_size(h->type);
    if (!pipit__mul_u64(bytes, h->components, &bytes))
        return pipit__error(PIPIT_ERANGE, FMT ": '%s': size overflows",
                            path);
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        if (!pipit__mul_u64(bytes, h->size[d], &bytes) ||
            bytes > (uint64_t)PTRDIFF_MAX)
            return pipit__error(PIPIT_ERANGE, FMT ": '%s': DimSize = "
                                "'%.60s' with %u x %s overflows", path,
                                v_size, h->components, met_name(h->type));
    h->data_bytes = bytes;
    if (h->untrusted && bytes > PIPIT_UNTRUSTED_MAX_PIXEL_BYTES)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': %llu pixel bytes "
                            "exceed the limit of %llu for untrusted input",
                            path, (unsigned long long)bytes,
                            (unsigned long long)
                                PIPIT_UNTRUSTED_MAX_PIXEL_BYTES);

    /* Where the pixels are. */
    if (strcasecmp(v_file, "LOCAL") == 0) {
        if ((st = add_segment(h, path, "", 0)) != PIPIT_OK)
            return st;
        pipit__free(h->segs[0].path);
        h->segs[0].path = NULL;
    } else if (strncasecmp(v_file, "LIST", 4) == 0 &&
               (v_file[4] == '\0' || isspace((unsigned char)v_file[4]))) {
        if ((st = list_files(h, path, rest, end, whole)) != PIPIT_OK)
            return st;
    } else if (strchr(v_file, '%') != NULL) {
        if ((st = pattern_files(h, path, v_file)) != PIPIT_OK)
            return st;
    } else {
        if ((st = add_segment(h, path, v_file, strlen(v_file))) != PIPIT_OK)
            return st;
    }
    if (h->n_segs > 1) {
        if (h->compressed)
            return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': compressed "
                                "data in several files is not supported",
                                path);
        if (h->data_bytes % h->n_segs != 0)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': %llu data bytes "
                                "do not split into %zu files", path,
                                (unsigned long long)h->data_bytes,
                                h->n_segs);
    }
    h->seg_bytes = h->data_bytes / h->n_segs;
    return PIPIT_OK;
}

/* Checks each data file against the bytes the header promises and fixes
 * where each one's data starts. */
static pipit_status_t
check_segments(mha_header_t *h, const char *path, uint64_t header_file_size)
{
    for (size_t i = 0; i < h->n_segs; i++) {
        mha_segment_t *s = &h->segs[i];
        uint64_t fsize = header_file_size;
        uint64_t start = 0;
        if (s->path == NULL) {
            start = h->header_end;
        } else {
            int fd;
            pipit_status_t st = PIPIT_OK;
            if (h->untrusted && (st = check_inside(path, s->path)) !=
                PIPIT_OK)
                return st;
            st = pipit__file_open(FMT, s->path, &fd, &fsize);
            if (st != PIPIT_OK) {
                pipit__error_prefix(FMT ": '%s': data file", path);
                return st;
            }
            close(fd);
        }
        if (h->header_size >= 0)
            start = s->path == NULL ? h->header_end + (uint64_t)h->header_size
                                    : (uint64_t)h->header_size;
        const char *name = s->path != NULL ? s->path : path;
        if (h->compressed) {
            if (start > fsize)
                return pipit__error(PIPIT_EFORMAT, FMT ": '%s' is "
                                    "truncated: no compressed data", name);
            uint64_t avail = fsize - start;
            if (h->compressed_size == 0)
                h->compressed_size = avail;
            if (h->compressed_size > avail)
                return pipit__error(PIPIT_EFORMAT, FMT ": '%s' is "
                                    "truncated: CompressedDataSize is %llu, "
                                    "the file holds %llu bytes", name,
                                    (unsigned long long)h->compressed_size,
                                    (unsigned long long)avail);
            uint64_t most;
            if (!pipit__mul_u64(h->compressed_size, ZLIB_MAX_RATIO, &most) ||
                most + 1024 < h->data_bytes)
                return pipit__error(PIPIT_EFORMAT, FMT ": '%s': %llu "
                                    "compressed bytes cannot hold the %llu "
                                    "bytes of pixels the header claims",
                                    name,
                                    (unsigned long long)h->compressed_size,
                                    (unsigned long long)h->data_bytes);
        } else {
            if (h->header_size == -1) {
                /* HeaderSize = -1: the data are the last bytes. */
                if (fsize < h->seg_bytes)
                    return pipit__error(PIPIT_EFORMAT, FMT ": '%s' is "
                                        "truncated: %llu bytes of pixels "
                                        "expected, the file has %llu", name,
                                        (unsigned long long)h->seg_bytes,
                                        (unsigned long long)fsize);
                start = fsize - h->seg_bytes;
            }
            /* Trailing bytes are fine (elastix's example masks have 12);
             * missing ones are not. */
            if (start > fsize || fsize - start < h->seg_bytes)
                return pipit__error(PIPIT_EFORMAT, FMT ": '%s' is "
                                    "truncated: %llu bytes of pixels "
                                    "expected, %llu present", name,
                                    (unsigned long long)h->seg_bytes,
                                    (unsigned long long)(start > fsize
                                                             ? 0
                                                             : fsize - start));
        }
        s->offset = start;
    }
    return PIPIT_OK;
}

static pipit_status_t
read_header(const char *path, bool untrusted, mha_header_t *h)
{
    int fd = -1;
    uint64_t fsize;
    char *text = NULL;
    size_t len = 0;
    pipit_status_t st;
    memset(h, 0, sizeof *h);
    h->untrusted = untrusted;
    h->max_files = untrusted ? UNTRUSTED_MAX_FILES : MAX_FILES;
    h->max_header = untrusted ? UNTRUSTED_MAX_HEADER : MAX_HEADER;
    if ((st = pipit__file_open(FMT, path, &fd, &fsize)) != PIPIT_OK)
        goto done;
    if ((st = read_header_text(fd, fsize, path, h->max_header, &text,
                               &len)) != PIPIT_OK)
        goto done;
    if ((st = parse_header(path, text, len, (uint64_t)len == fsize, h)) !=
        PIPIT_OK)
        goto done;
    st = check_segments(h, path, fsize);
done:
    if (st != PIPIT_OK)
        header_clear(h);
    pipit__free(text);
    if (fd >= 0)
        close(fd);
    return st;
}

/* ---- the reader node ------------------------------------------------- */

typedef struct mha_source {
    const mha_header_t *h;
    const char *path;
    int fds[8];          /* open data files, by segment modulo 8 */
    size_t fd_seg[8];
    pipit__inflater_t *z;
} mha_source_t;

static pipit_status_t
source_fd(mha_source_t *s, size_t seg, int *fd)
{
    size_t slot = seg % 8;
    if (s->fds[slot] >= 0 && s->fd_seg[slot] == seg) {
        *fd = s->fds[slot];
        return PIPIT_OK;
    }
    if (s->fds[slot] >= 0)
        close(s->fds[slot]);
    s->fds[slot] = -1;
    const char *name = s->h->segs[seg].path;
    uint64_t size;
    pipit_status_t st = pipit__file_open(FMT, name != NULL ? name : s->path,
                                         &s->fds[slot], &size);
    if (st != PIPIT_OK)
        return st;
    s->fd_seg[slot] = seg;
    *fd = s->fds[slot];
    return PIPIT_OK;
}

static pipit_status_t
source_read(void *ctx, uint64_t pos, void *dst, size_t n)
{
    mha_source_t *s = ctx;
    const mha_header_t *h = s->h;
    if (s->z != NULL)
        return pipit__inflater_read(s->z, pos, dst, n);
    char *d = dst;
    while (n > 0) {
        size_t seg = (size_t)(pos / h->seg_bytes);
        uint64_t in = pos % h->seg_bytes;
        uint64_t left = h->seg_bytes - in;
        size_t k = n < left ? n : (size_t)left;
        int fd;
        pipit_status_t st = source_fd(s, seg, &fd);
        if (st != PIPIT_OK)
            return st;
        const char *name = h->segs[seg].path;
        if ((st = pipit__file_pread(fd, d, k, h->segs[seg].offset + in, FMT,
                                    name != NULL ? name : s->path)) !=
            PIPIT_OK)
            return st;
        d += k, pos += k, n -= k;
    }
    return PIPIT_OK;
}

static void
close_stream(mha_reader_t *r)
{
    pipit__inflater_free(r->z);
    r->z = NULL;
    if (r->zfd >= 0)
        close(r->zfd);
    r->zfd = -1;
}

static pipit_status_t
mha_init(pipit_node_t *n)
{
    ((mha_reader_t *)n)->zfd = -1;
    return PIPIT_OK;
}

static pipit_status_t
mha_information(pipit_node_t *n)
{
    mha_reader_t *r = (mha_reader_t *)n;
    const char *path;
    pipit_status_t st = pipit__reader_path(n, &path);
    if (st != PIPIT_OK)
        return st;
    close_stream(r);
    header_clear(&r->h);
    r->have_header = false;
    if ((st = read_header(path, r->untrusted || pipit_io_untrusted(),
                          &r->h)) != PIPIT_OK)
        return st;
    r->have_header = true;
    const mha_header_t *h = &r->h;
    return pipit__reader_set_output(n, h->dim, h->size, h->type,
                                    h->components, h->spacing, h->origin,
                                    h->direction);
}

static pipit_status_t
mha_generate(pipit_node_t *n)
{
    mha_reader_t *r = (mha_reader_t *)n;
    const mha_header_t *h = &r->h;
    pipit_status_t st;
    mha_source_t src = { .h = h, .path = r->path };
    for (int i = 0; i < 8; i++)
        src.fds[i] = -1;
    if (!r->have_header)
        return pipit__node_error(n, PIPIT_ESTATE, "no information pass");
    if (h->compressed && r->z == NULL) {
        const char *name = h->segs[0].path;
        name = name != NULL ? name : r->path;
        uint64_t size;
        if ((st = pipit__file_open(FMT, name, &r->zfd, &size)) != PIPIT_OK)
            goto done;
        if ((st = pipit__inflater_new(r->zfd, h->segs[0].offset,
                                      h->compressed_size, FMT, name,
                                      &r->z)) != PIPIT_OK) {
            close_stream(r);
            goto done;
        }
    }
    src.z = r->z;
    pipit__raw_layout_t l = {
        .file_type = h->type,
        .components = h->components,
        .swap = h->msb != pipit__host_is_big_endian(),
        .out_type = h->type,
        .sequential = h->compressed,
    };
    memcpy(l.size, h->size, sizeof l.size);
    st = pipit__raw_read(&l, source_read, &src, pipit__output(n, 0),
                         &n->requested[0]);
done:
    for (int i = 0; i < 8; i++)
        if (src.fds[i] >= 0)
            close(src.fds[i]);
    return st;
}

static void
mha_finalize(pipit_node_t *n)
{
    close_stream((mha_reader_t *)n);
    header_clear(&((mha_reader_t *)n)->h);
}

static const pipit_setting_t mha_reader_settings[] = {
    { "path", PIPIT_SETTING_STRING, offsetof(mha_reader_t, path), "",
      "MetaImage file to read (.mha, .mhd)", 1, 0, NULL },
    { "untrusted", PIPIT_SETTING_BOOL, offsetof(mha_reader_t, untrusted),
      "false", "refuse data files outside the header's folder and cap "
      "sizes (also on when pipit_io_set_untrusted is)", 1, 0, NULL },
};

const pipit_node_class_t pipit__mha_reader_class = {
    .name = "mha-reader",
    .help = "reads a MetaImage file (.mha, or .mhd and its data file)",
    .size = sizeof(mha_reader_t),
    .n_inputs = 0,
    .n_outputs = 1,
    .settings = mha_reader_settings,
    .n_settings = 2,
    .init = mha_init,
    .information = mha_information,
    .generate = mha_generate,
    .finalize = mha_finalize,
};

/* ---- the writer ------------------------------------------------------ */

typedef struct mha_wstate {
    pipit__out_t header;   /* the .mha, or the .mhd */
    pipit__out_t data;     /* the .raw / .zraw of a .mhd, or the
                            * compressed pixels of a .mha */
    pipit__deflater_t *z;
    bool separate;         /* .mhd */
    bool compressed;
    char text[8192];       /* header text before CompressedDataSize */
    size_t text_len;
    char tail[4096];       /* header text after it */
    size_t tail_len;
} mha_wstate_t;

static pipit_status_t
mha_check(pipit__writer_t *w, const pipit_image_t *info,
          pipit_pixel_type_t type)
{
    (void)w, (void)info, (void)type;
    return PIPIT_OK;  /* MetaImage holds every type, dim and component */
}

static void
append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    PIPIT_PRINTF(4, 5);

static void
append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (k > 0)
        *len = *len + (size_t)k < cap ? *len + (size_t)k : cap - 1;
}

static void
append_numbers(char *buf, size_t cap, size_t *len, const char *key,
               const double *v, size_t n)
{
    append(buf, cap, len, "%s =", key);
    for (size_t i = 0; i < n; i++) {
        char num[40];
        pipit__format_double(num, sizeof num, v[i] == 0.0 ? 0.0 : v[i]);
        append(buf, cap, len, " %s", num);
    }
    append(buf, cap, len, "\n");
}

/* ITK's three letters for the direction: the anatomical side each axis
 * points from (R, A, I for +x, +y, +z in LPS). */
static void
orientation_letters(const pipit_image_t *info, char *out)
{
    unsigned dim = info->dim < 3 ? info->dim : 3;
    static const char pos[3] = { 'R', 'A', 'I' }, neg[3] = { 'L', 'P', 'S' };
    for (unsigned c = 0; c < dim; c++) {
        unsigned best = 0;
        for (unsigned r = 1; r < dim; r++)
            if (fabs(info->direction[r * info->dim + c]) >
                fabs(info->direction[best * info->dim + c]))
                best = r;
        out[c] = info->direction[best * info->dim + c] >= 0 ? pos[best]
                                                            : neg[best];
    }
    out[dim] = '\0';
}

static pipit_status_t
mha_begin(pipit__writer_t *w, const pipit_image_t *info,
          pipit_pixel_type_t type)
{
    pipit_status_t st;
    mha_wstate_t *s = pipit__calloc(1, sizeof *s);
    if (s == NULL)
        return PIPIT_ENOMEM;
    s->header.fd = s->data.fd = -1;
    w->state = s;
    s->separate = pipit__ends_with(w->path, ".mhd");
    s->compressed = w->compress;
    unsigned dim = info->dim;
    double tm[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    for (unsigned i = 0; i < dim; i++)
        for (unsigned j = 0; j < dim; j++)
            tm[i * dim + j] = info->direction[j * dim + i];
    double zero[PIPIT_MAX_DIM] = { 0 };
    char orient[4];
    orientation_letters(info, orient);
    char *t = s->text;
    size_t cap = sizeof s->text, *len = &s->text_len;
    /* ITK's key order, so that files diff cleanly against ITK's. */
    append(t, cap, len, "ObjectType = Image\nNDims = %u\n", dim);
    append(t, cap, len, "BinaryData = True\nBinaryDataByteOrderMSB = %s\n",
           pipit__host_is_big_endian() ? "True" : "False");
    append(t, cap, len, "CompressedData = %s\n",
           s->compressed ? "True" : "False");
    t = s->tail, cap = sizeof s->tail, len = &s->tail_len;
    append_numbers(t, cap, len, "TransformMatrix", tm, (size_t)dim * dim);
    append_numbers(t, cap, len, "Offset", info->origin, dim);
    append_numbers(t, cap, len, "CenterOfRotation", zero, dim);
    /* ITK names the orientation of 3-D images only; '?' per axis else. */
    if (dim == 3)
        append(t, cap, len, "AnatomicalOrientation = %s\n", orient);
    else
        append(t, cap, len, "AnatomicalOrientation = %.*s\n", (int)dim,
               "????");
    append_numbers(t, cap, len, "ElementSpacing", info->spacing, dim);
    append(t, cap, len, "DimSize =");
    for (unsigned d = 0; d < dim; d++)
        append(t, cap, len, " %zu", info->size[d]);
    append(t, cap, len, "\n");
    if (info->components > 1)
        append(t, cap, len, "ElementNumberOfChannels = %u\n",
               info->components);
    append(t, cap, len, "ElementType = %s\n", met_name(type));
    if (s->separate) {
        /* The data file: the header's name with .raw (.zraw), named
         * without its folder, as ITK does. */
        const char *base = strrchr(w->path, '/');
        base = base != NULL ? base + 1 : w->path;
        size_t stem = strlen(base) - 4;
        append(t, cap, len, "ElementDataFile = %.*s.%s\n", (int)stem, base,
               s->compressed ? "zraw" : "raw");
        size_t pn = strlen(w->path);
        char *dpath = pipit__malloc(pn + 2);
        if (dpath == NULL)
            return PIPIT_ENOMEM;
        snprintf(dpath, pn + 2, "%.*s.%s", (int)(pn - 4), w->path,
                 s->compressed ? "zraw" : "raw");
        st = pipit__out_open(&s->data, FMT, dpath);
        pipit__free(dpath);
        if (st != PIPIT_OK)
            return st;
    } else {
        append(t, cap, len, "ElementDataFile = LOCAL\n");
        if (s->compressed) {
            /* CompressedDataSize precedes the pixels: compress into a
             * temporary file first, then copy behind the header. */
            size_t pn = strlen(w->path);
            char *dpath = pipit__malloc(pn + 8);
            if (dpath == NULL)
                return PIPIT_ENOMEM;
            snprintf(dpath, pn + 8, "%s.zdata", w->path);
            st = pipit__out_open(&s->data, FMT, dpath);
            pipit__free(dpath);
            if (st != PIPIT_OK)
                return st;
        }
    }
    if ((st = pipit__out_open(&s->header, FMT, w->path)) != PIPIT_OK)
        return st;
    if (s->compressed &&
        (st = pipit__deflater_new(&s->data, (int)w->level, false, &s->z)) !=
            PIPIT_OK)
        return st;
    if (!s->compressed && !s->separate) {
        if ((st = pipit__out_write(&s->header, s->text, s->text_len)) !=
                PIPIT_OK ||
            (st = pipit__out_write(&s->header, s->tail, s->tail_len)) !=
                PIPIT_OK)
            return st;
    }
    return PIPIT_OK;
}

static pipit_status_t
mha_piece(pipit__writer_t *w, pipit__rows_t *rows)
{
    mha_wstate_t *s = w->state;
    pipit__out_t *o = s->separate ? &s->data : &s->header;
    size_t bytes;
    const void *all = pipit__rows_contiguous(rows, &bytes);
    if (all != NULL)
        return s->z != NULL ? pipit__deflater_write(s->z, all, bytes)
                            : pipit__out_write(o, all, bytes);
    size_t row = (rows->r.hi[0] - rows->r.lo[0]) * rows->img->components *
                 pipit_pixel_size(rows->type);
    pipit_status_t st = PIPIT_OK;
    PIPIT_FOR_EACH_ROW(rows->img, &rows->r, unused, y, z, t) {
        (void)unused;
        const void *p = pipit__rows_get(rows, y, z, t);
        st = s->z != NULL ? pipit__deflater_write(s->z, p, row)
                          : pipit__out_write(o, p, row);
        if (st != PIPIT_OK)
            return st;
    }
    return st;
}

/* Appends the file `from` (its whole content) to o. */
static pipit_status_t
copy_file(pipit__out_t *o, int from, uint64_t bytes, const char *name)
{
    char *buf = pipit__malloc(1u << 20);
    pipit_status_t st = PIPIT_OK;
    if (buf == NULL)
        return PIPIT_ENOMEM;
    for (uint64_t off = 0; off < bytes && st == PIPIT_OK;) {
        size_t k = bytes - off < (1u << 20) ? (size_t)(bytes - off)
                                            : (1u << 20);
        st = pipit__file_pread(from, buf, k, off, FMT, name);
        if (st == PIPIT_OK)
            st = pipit__out_write(o, buf, k);
        off += k;
    }
    pipit__free(buf);
    return st;
}

static pipit_status_t
mha_end(pipit__writer_t *w)
{
    mha_wstate_t *s = w->state;
    pipit_status_t st;
    uint64_t zbytes = 0;
    if (s->z != NULL &&
        (st = pipit__deflater_finish(s->z, &zbytes)) != PIPIT_OK)
        return st;
    if (s->compressed || s->separate) {
        if (s->compressed)
            append(s->text, sizeof s->text, &s->text_len,
                   "CompressedDataSize = %llu\n",
                   (unsigned long long)zbytes);
        if ((st = pipit__out_write(&s->header, s->text, s->text_len)) !=
                PIPIT_OK ||
            (st = pipit__out_write(&s->header, s->tail, s->tail_len)) !=
                PIPIT_OK)
            return st;
    }
    if (s->compressed && !s->separate) {
        if ((st = pipit__out_flush(&s->data)) != PIPIT_OK)
            return st;
        if ((st = copy_file(&s->header, s->data.fd, zbytes, s->data.tmp)) !=
            PIPIT_OK)
            return st;
        /* the temporary compressed data goes in cleanup */
    } else if (s->separate) {
        /* The order that never shows an old header beside new data
         * (doc/io.md, "Writing"). */
        return pipit__out_commit_pair(&s->header, &s->data);
    }
    return pipit__out_commit(&s->header);
}

static void
mha_cleanup(pipit__writer_t *w)
{
    mha_wstate_t *s = w->state;
    if (s == NULL)
        return;
    pipit__deflater_free(s->z);
    pipit__out_abort(&s->data);
    pipit__out_abort(&s->header);
    pipit__free(s);
    w->state = NULL;
}

static const pipit__writer_ops_t mha_ops = {
    mha_check, mha_begin, mha_piece, mha_end, mha_cleanup, false,
};

static pipit_status_t
mha_writer_init(pipit_node_t *n)
{
    ((pipit__writer_t *)n)->ops = &mha_ops;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__mha_writer_class = {
    .name = "mha-writer",
    .help = "writes a MetaImage file (.mha, or .mhd + .raw/.zraw)",
    .size = sizeof(pipit__writer_t),
    .n_inputs = 1,
    .n_outputs = 0,
    .settings = pipit__writer_settings,
    .n_settings = 4,
    .init = mha_writer_init,
    .information = pipit__writer_information,
    .generate = pipit__writer_generate,
    .finalize = pipit__writer_finalize,
};
