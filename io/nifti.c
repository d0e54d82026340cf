/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NIfTI reader and writer nodes: single files (.nii, and .nii.gz through
 * zlib) and .hdr/.img pairs (either gzipped), NIfTI-1 or NIfTI-2. The
 * header bytes themselves are io/nifti_header.c's business; here we find
 * the files, check the voxels are there, and stream them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nifti_impl.h"

#define FMT "nifti"
#define ZLIB_MAX_RATIO 1040u

/* ---- file names --------------------------------------------------------- */

typedef enum { NAME_NII, NAME_HDR, NAME_IMG } name_kind_t;

/* Which file of a pair path names (NAME_NII: a single file); *stem gets
 * the length of the name before its ".hdr" or ".img". */
static name_kind_t
name_kind(const char *path, size_t *stem)
{
    static const char *const ext[] = { ".hdr", ".hdr.gz", ".img",
                                       ".img.gz" };
    size_t n = strlen(path);
    for (int i = 0; i < 4; i++)
        if (pipit__ends_with(path, ext[i])) {
            *stem = n - strlen(ext[i]);
            return i < 2 ? NAME_HDR : NAME_IMG;
        }
    *stem = n;
    return NAME_NII;
}

/* The other file of a pair: path's stem, ".hdr" or ".img" (ext), and
 * ".gz" when gz; upper case when path's extension is (A.HDR, A.IMG). A
 * new string, or NULL with PIPIT_ENOMEM recorded. */
static char *
sibling(const char *path, size_t stem, const char *ext, bool gz)
{
    bool upper = isupper((unsigned char)path[stem + 1]) != 0;
    char suffix[8];
    snprintf(suffix, sizeof suffix, ".%s%s", ext, gz ? ".gz" : "");
    size_t k = strlen(suffix);
    char *s = pipit__malloc(stem + k + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, path, stem);
    for (size_t i = 0; i <= k; i++)
        s[stem + i] = upper ? (char)toupper((unsigned char)suffix[i])
                            : suffix[i];
    return s;
}

/* The existing file of a pair beside path: compressed as path is, else
 * the other way (nifti_clib and ITK look for both). */
static pipit_status_t
find_sibling(const char *path, size_t stem, const char *ext, char **out)
{
    pipit_status_t st = PIPIT_OK;
    bool gz = pipit__ends_with(path, ".gz");
    char *same = sibling(path, stem, ext, gz);
    char *other = sibling(path, stem, ext, !gz);
    *out = NULL;
    if (same == NULL || other == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    if (access(same, F_OK) == 0) {
        *out = same;
        same = NULL;
    } else if (access(other, F_OK) == 0) {
        *out = other;
        other = NULL;
    } else {
        st = pipit__error(PIPIT_EIO, FMT ": '%s': its %s file '%s' is "
                          "missing (no '%s' either)", path,
                          strcmp(ext, "img") == 0 ? "image" : "header",
                          same, other);
    }
done:
    pipit__free(same);
    pipit__free(other);
    return st;
}

/* ---- the reader ---------------------------------------------------------- */

typedef struct nifti_reader {
    pipit_node_t base;
    char *path;
    bool rescale;
    pipit__nifti_header_t h;
    bool have_header;
    /* The file holding the voxels (the .nii, or the .img of a pair) stays
     * open between runs, and so does its stream when it is gzipped (see
     * metaimage.c). data_path names it in messages. */
    int fd;
    pipit__inflater_t *z;
    char *data_path;
} nifti_reader_t;

static pipit_status_t
read_at(int fd, pipit__inflater_t *z, const char *path, uint64_t pos,
        void *dst, size_t n)
{
    if (z != NULL)
        return pipit__inflater_read(z, pos, dst, n);
    return pipit__file_pread(fd, dst, n, pos, FMT, path);
}

/* Opens path and reads its header (through zlib for a .gz name); *fd and
 * *z (NULL when not gzipped) are the caller's to close, also on failure.
 * z keeps path for its messages. */
static pipit_status_t
open_header(const char *path, bool rescale, pipit__nifti_header_t *h,
            int *fd, pipit__inflater_t **z, uint64_t *fsize)
{
    unsigned char b[PIPIT__NIFTI2_HDR];
    size_t size;
    pipit_status_t st;
    *z = NULL;
    if ((st = pipit__file_open(FMT, path, fd, fsize)) != PIPIT_OK)
        return st;
    if (pipit__ends_with(path, ".gz") &&
        (st = pipit__inflater_new(*fd, 0, *fsize, FMT, path, z)) != PIPIT_OK)
        return st;
    /* Every NIfTI file has 348 bytes; only then do we know whether the
     * header has 540. */
    if ((st = read_at(*fd, *z, path, 0, b, PIPIT__NIFTI1_HDR)) != PIPIT_OK ||
        (st = pipit__nifti_header_size(path, b, &size)) != PIPIT_OK)
        return st;
    if (size > PIPIT__NIFTI1_HDR &&
        (st = read_at(*fd, *z, path, PIPIT__NIFTI1_HDR,
                      b + PIPIT__NIFTI1_HDR, size - PIPIT__NIFTI1_HDR)) !=
            PIPIT_OK)
        return st;
    return pipit__nifti_header_parse(path, b, size, rescale, h);
}

/* Checks that the voxel file (fsize bytes, gzipped or not) can hold what
 * the header claims, before anyone allocates for it. */
static pipit_status_t
check_data(const char *path, const pipit__nifti_header_t *h, bool gz,
           uint64_t fsize)
{
    uint64_t end, most;
    /* both terms are below 2^63 (checked by the header parser) */
    end = h->vox_offset + h->data_bytes;
    if (gz) {
        if (pipit__mul_u64(fsize, ZLIB_MAX_RATIO, &most) &&
            most + 4096 < end)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': %llu compressed "
                                "bytes cannot hold the %llu bytes the "
                                "header claims", path,
                                (unsigned long long)fsize,
                                (unsigned long long)h->data_bytes);
        return PIPIT_OK;
    }
    if (fsize < h->vox_offset)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': vox_offset %llu "
                            "lies beyond the end of the file (%llu bytes)",
                            path, (unsigned long long)h->vox_offset,
                            (unsigned long long)fsize);
    if (fsize - h->vox_offset < h->data_bytes)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s' is truncated: %llu "
                            "bytes of voxels expected, %llu present", path,
                            (unsigned long long)h->data_bytes,
                            (unsigned long long)(fsize - h->vox_offset));
    return PIPIT_OK;
}

static void
close_file(nifti_reader_t *r)
{
    pipit__inflater_free(r->z);
    r->z = NULL;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    pipit__free(r->data_path);
    r->data_path = NULL;
}

/* Opens the header, then the voxel file, whichever of the pair (or the
 * single file) path names. */
static pipit_status_t
open_files(nifti_reader_t *r, const char *path)
{
    pipit_status_t st;
    char *hdr_path = NULL;
    int fd = -1;
    pipit__inflater_t *z = NULL;
    uint64_t fsize = 0;
    size_t stem;
    name_kind_t kind = name_kind(path, &stem);
    if (kind == NAME_IMG) {
        if ((st = find_sibling(path, stem, "hdr", &hdr_path)) != PIPIT_OK)
            goto done;
    } else if ((hdr_path = pipit__strdup(path)) == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    if ((st = open_header(hdr_path, r->rescale, &r->h, &fd, &z, &fsize)) !=
        PIPIT_OK)
        goto done;
    if (!r->h.pair) {
        /* magic n+1 / n+2: the voxels follow the header in its own file,
         * whatever the name (nifti_clib reads a .hdr so too) */
        r->data_path = hdr_path;
        hdr_path = NULL;
    } else {
        if (kind == NAME_NII) {
            st = pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': magic "
                              "'ni%d' marks the header of a .hdr/.img "
                              "pair; name it .hdr", path, r->h.version);
            goto done;
        }
        pipit__inflater_free(z);
        z = NULL;
        close(fd);
        fd = -1;
        if (kind == NAME_IMG)
            st = (r->data_path = pipit__strdup(path)) == NULL ? PIPIT_ENOMEM
                                                              : PIPIT_OK;
        else
            st = find_sibling(path, stem, "img", &r->data_path);
        if (st != PIPIT_OK ||
            (st = pipit__file_open(FMT, r->data_path, &fd, &fsize)) !=
                PIPIT_OK)
            goto done;
        if (pipit__ends_with(r->data_path, ".gz") &&
            (st = pipit__inflater_new(fd, 0, fsize, FMT, r->data_path,
                                      &z)) != PIPIT_OK)
            goto done;
    }
    if ((st = check_data(r->data_path, &r->h, z != NULL, fsize)) != PIPIT_OK)
        goto done;
    r->fd = fd, r->z = z;
    fd = -1, z = NULL;
done:
    pipit__inflater_free(z);
    if (fd >= 0)
        close(fd);
    pipit__free(hdr_path);
    return st;
}

static pipit_status_t
nifti_init(pipit_node_t *n)
{
    ((nifti_reader_t *)n)->fd = -1;
    return PIPIT_OK;
}

static pipit_status_t
nifti_information(pipit_node_t *n)
{
    nifti_reader_t *r = (nifti_reader_t *)n;
    const char *path;
    pipit_status_t st = pipit__reader_path(n, &path);
    if (st != PIPIT_OK)
        return st;
    close_file(r);
    r->have_header = false;
    if ((st = open_files(r, path)) != PIPIT_OK) {
        close_file(r);
        return st;
    }
    r->have_header = true;
    const pipit__nifti_header_t *h = &r->h;
    return pipit__reader_set_output(n, h->dim, h->size, h->out_type,
                                    h->components, h->spacing, h->origin,
                                    h->direction);
}

static pipit_status_t
nifti_read(void *ctx, uint64_t pos, void *dst, size_t n)
{
    nifti_reader_t *r = ctx;
    return read_at(r->fd, r->z, r->data_path, pos + r->h.vox_offset, dst, n);
}

static pipit_status_t
nifti_generate(pipit_node_t *n)
{
    nifti_reader_t *r = (nifti_reader_t *)n;
    const pipit__nifti_header_t *h = &r->h;
    if (!r->have_header || r->fd < 0)
        return pipit__node_error(n, PIPIT_ESTATE, "no information pass");
    pipit__raw_layout_t l = {
        .file_type = h->file_type,
        .components = h->components,
        .planar = h->planar,
        .swap = h->swap,
        .scale = h->scale,
        .slope = h->slope,
        .inter = h->inter,
        .out_type = h->out_type,
        .sequential = r->z != NULL,
    };
    memcpy(l.size, h->size, sizeof l.size);
    return pipit__raw_read(&l, nifti_read, r, pipit__output(n, 0),
                           &n->requested[0]);
}

static void
nifti_finalize(pipit_node_t *n)
{
    close_file((nifti_reader_t *)n);
}

static const pipit_setting_t nifti_reader_settings[] = {
    { "path", PIPIT_SETTING_STRING, offsetof(nifti_reader_t, path), "",
      "NIfTI-1 or NIfTI-2 file to read (.nii, .nii.gz, .hdr or .img of a "
      "pair)", 1, 0, NULL },
    { "rescale", PIPIT_SETTING_BOOL, offsetof(nifti_reader_t, rescale),
      "true", "apply scl_slope / scl_inter (to float voxels)", 1, 0, NULL },
};

const pipit_node_class_t pipit__nifti_reader_class = {
    .name = "nifti-reader",
    .help = "reads a NIfTI-1 or NIfTI-2 file (.nii, .nii.gz, .hdr/.img)",
    .size = sizeof(nifti_reader_t),
    .n_inputs = 0,
    .n_outputs = 1,
    .settings = nifti_reader_settings,
    .n_settings = 2,
    .init = nifti_init,
    .information = nifti_information,
    .generate = nifti_generate,
    .finalize = nifti_finalize,
};

/* ---- the writer --------------------------------------------------------- */

typedef struct nifti_wstate {
    pipit__out_t out;      /* the .nii, or the .img of a pair */
    pipit__out_t hdr;      /* the .hdr of a pair */
    pipit__deflater_t *z;  /* into out, for a .gz name */
    bool pair, planar;
    char *scratch;         /* one component of a row, for planar output */
} nifti_wstate_t;

static pipit_status_t
nifti_check(pipit__writer_t *w, const pipit_image_t *info,
            pipit_pixel_type_t type)
{
    /* Nothing to refuse: what NIfTI-1's 16-bit dims cannot hold goes
     * into a NIfTI-2 header. */
    (void)w, (void)info, (void)type;
    return PIPIT_OK;
}

static pipit_status_t
emit(nifti_wstate_t *s, const void *p, size_t n)
{
    return s->z != NULL ? pipit__deflater_write(s->z, p, n)
                        : pipit__out_write(&s->out, p, n);
}

/* A pair's header, whole, into its own (temporary) file. */
static pipit_status_t
write_pair_header(nifti_wstate_t *s, const unsigned char *b, size_t n,
                  bool gz, int level)
{
    pipit_status_t st;
    pipit__deflater_t *z = NULL;
    if (!gz)
        return pipit__out_write(&s->hdr, b, n);
    if ((st = pipit__deflater_new(&s->hdr, level, true, &z)) == PIPIT_OK &&
        (st = pipit__deflater_write(z, b, n)) == PIPIT_OK)
        st = pipit__deflater_finish(z, NULL);
    pipit__deflater_free(z);
    return st;
}

static pipit_status_t
nifti_begin(pipit__writer_t *w, const pipit_image_t *info,
            pipit_pixel_type_t type)
{
    pipit_status_t st;
    char *hdr = NULL, *img = NULL;
    unsigned char b[PIPIT__NIFTI_HDR_MAX];
    size_t nb, stem;
    nifti_wstate_t *s = pipit__calloc(1, sizeof *s);
    if (s == NULL)
        return PIPIT_ENOMEM;
    w->state = s;
    name_kind_t kind = name_kind(w->path, &stem);
    bool gz = pipit__ends_with(w->path, ".gz");
    s->pair = kind != NAME_NII;
    pipit__nifti_header_make(info, type, s->pair, b, &nb, &s->planar);
    if (s->planar) {
        w->passes = info->components;
        if ((s->scratch = pipit__malloc(info->size[0] *
                                        pipit_pixel_size(type))) == NULL) {
            st = PIPIT_ENOMEM;
            goto done;
        }
    }
    if (!s->pair) {
        if ((st = pipit__out_open(&s->out, FMT, w->path)) != PIPIT_OK)
            goto done;
    } else {
        /* Both names from the one given, both gzipped or neither, as
         * nifti_clib writes them. */
        hdr = kind == NAME_HDR ? pipit__strdup(w->path)
                               : sibling(w->path, stem, "hdr", gz);
        img = kind == NAME_IMG ? pipit__strdup(w->path)
                               : sibling(w->path, stem, "img", gz);
        if (hdr == NULL || img == NULL) {
            st = PIPIT_ENOMEM;
            goto done;
        }
        if ((st = pipit__out_open(&s->out, FMT, img)) != PIPIT_OK ||
            (st = pipit__out_open(&s->hdr, FMT, hdr)) != PIPIT_OK ||
            (st = write_pair_header(s, b, nb, gz, (int)w->level)) !=
                PIPIT_OK)
            goto done;
    }
    if (gz && (st = pipit__deflater_new(&s->out, (int)w->level, true,
                                        &s->z)) != PIPIT_OK)
        goto done;
    st = s->pair ? PIPIT_OK : emit(s, b, nb);
done:
    pipit__free(hdr);
    pipit__free(img);
    return st;
}

static pipit_status_t
nifti_piece(pipit__writer_t *w, pipit__rows_t *rows)
{
    nifti_wstate_t *s = w->state;
    size_t bytes;
    const void *all;
    if (!s->planar && (all = pipit__rows_contiguous(rows, &bytes)) != NULL)
        return emit(s, all, bytes);
    unsigned nc = rows->img->components;
    size_t cs = pipit_pixel_size(rows->type);
    size_t width = rows->r.hi[0] - rows->r.lo[0];
    PIPIT_FOR_EACH_ROW(rows->img, &rows->r, unused, y, z, t) {
        (void)unused;
        const char *p = pipit__rows_get(rows, y, z, t);
        pipit_status_t st;
        if (s->planar) {
            /* this pass writes component w->pass of every voxel */
            for (size_t x = 0; x < width; x++)
                memcpy(s->scratch + x * cs, p + (x * nc + w->pass) * cs, cs);
            st = emit(s, s->scratch, width * cs);
        } else {
            st = emit(s, p, width * nc * cs);
        }
        if (st != PIPIT_OK)
            return st;
    }
    return PIPIT_OK;
}

static pipit_status_t
nifti_end(pipit__writer_t *w)
{
    nifti_wstate_t *s = w->state;
    pipit_status_t st;
    if (s->z != NULL && (st = pipit__deflater_finish(s->z, NULL)) != PIPIT_OK)
        return st;
    if (!s->pair)
        return pipit__out_commit(&s->out);
    /* The order that never shows an old header beside a new image
     * (doc/io.md, "Writing"). */
    return pipit__out_commit_pair(&s->hdr, &s->out);
}

static void
nifti_cleanup(pipit__writer_t *w)
{
    nifti_wstate_t *s = w->state;
    if (s == NULL)
        return;
    pipit__deflater_free(s->z);
    pipit__out_abort(&s->out);
    pipit__out_abort(&s->hdr);
    pipit__free(s->scratch);
    pipit__free(s);
    w->state = NULL;
}

static const pipit__writer_ops_t nifti_ops = {
    nifti_check, nifti_begin, nifti_piece, nifti_end, nifti_cleanup, false,
};

static pipit_status_t
nifti_writer_init(pipit_node_t *n)
{
    ((pipit__writer_t *)n)->ops = &nifti_ops;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__nifti_writer_class = {
    .name = "nifti-writer",
    .help = "writes a NIfTI file (.nii, .nii.gz, or a .hdr/.img pair); "
            "NIfTI-2 when a size exceeds 32767",
    .size = sizeof(pipit__writer_t),
    .n_inputs = 1,
    .n_outputs = 0,
    .settings = pipit__writer_settings,
    .n_settings = 4,
    .init = nifti_writer_init,
    .information = pipit__writer_information,
    .generate = pipit__writer_generate,
    .finalize = pipit__writer_finalize,
};
