/* SPDX-License-Identifier: Apache-2.0 */
/* The format table, choosing a format by file name, and the writer node
 * every format shares. */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "io_impl.h"

static const char *const png_ext[] = { ".png", NULL };
static const char *const tiff_ext[] = { ".tif", ".tiff", NULL };
static const char *const mha_ext[] = { ".mha", ".mhd", NULL };
static const char *const nifti_ext[] = { ".nii", ".nii.gz", ".hdr", ".hdr.gz",
                                          ".img", ".img.gz", NULL };

static const pipit_io_format_t formats[] = {
    { "png", png_ext, &pipit__png_reader_class, &pipit__png_writer_class,
      "PNG through libpng: 1..16-bit grey, grey+alpha, RGB(A), palette" },
    { "tiff", tiff_ext, &pipit__tiff_reader_class, &pipit__tiff_writer_class,
      "TIFF through libtiff: 8..64-bit, strips, tiles, pages as z" },
    { "mha", mha_ext, &pipit__mha_reader_class, &pipit__mha_writer_class,
      "MetaImage: .mha, or .mhd with its data file; zlib optional" },
    { "nifti", nifti_ext, &pipit__nifti_reader_class,
      &pipit__nifti_writer_class,
      "NIfTI-1/-2: .nii, .nii.gz, .hdr/.img pairs; qform/sform as ITK "
      "reads them" },
};

#define N_FORMATS (sizeof formats / sizeof formats[0])

const pipit_io_format_t *
pipit_io_formats(size_t *count)
{
    if (count != NULL)
        *count = N_FORMATS;
    return formats;
}

const pipit_io_format_t *
pipit_io_format_for(const char *path)
{
    PIPIT_CHECK_ARG_NULL(path != NULL);
    for (size_t f = 0; f < N_FORMATS; f++)
        for (const char *const *e = formats[f].extensions; *e != NULL; e++)
            if (pipit__ends_with(path, *e))
                return &formats[f];
    pipit__error(PIPIT_EUNSUPPORTED,
                 "io: '%s': unknown file type (known: .png .tif .tiff .mha "
                 ".mhd .nii .nii.gz .hdr .img)", path);
    return NULL;
}

static pipit_node_t *
node_for(const pipit_node_class_t *c, const char *path)
{
    pipit_node_t *n = pipit_node_new(c);
    if (n == NULL)
        return NULL;
    if (pipit_node_set(n, "path", path) != PIPIT_OK) {
        pipit_node_unref(n);
        return NULL;
    }
    return n;
}

pipit_node_t *
pipit_reader_new(const char *path)
{
    const pipit_io_format_t *f = pipit_io_format_for(path);
    return f != NULL ? node_for(f->reader, path) : NULL;
}

pipit_node_t *
pipit_writer_new(const char *path)
{
    const pipit_io_format_t *f = pipit_io_format_for(path);
    return f != NULL ? node_for(f->writer, path) : NULL;
}

pipit_status_t
pipit_image_read(const char *path, pipit_image_t **out)
{
    pipit_status_t st;
    pipit_node_t *n = NULL;
    PIPIT_CHECK_ARG(path != NULL && out != NULL);
    *out = NULL;
    if ((n = pipit_reader_new(path)) == NULL) {
        /* pipit_io_format_for recorded EUNSUPPORTED, the rest ENOMEM */
        st = strstr(pipit_error_message(), "unknown file type") != NULL
                 ? PIPIT_EUNSUPPORTED
                 : PIPIT_ENOMEM;
        goto done;
    }
    if ((st = pipit_node_update(n)) != PIPIT_OK)
        goto done;
    /* The output is the node's; share it (no pixel copy) so it outlives
     * the node. */
    if ((*out = pipit_image_share(pipit_node_get_output(n, 0))) == NULL)
        st = PIPIT_ENOMEM;
done:
    pipit_node_unref(n);
    return st;
}

pipit_status_t
pipit_image_write_with(const pipit_image_t *img, const char *path,
                       const pipit_write_options_t *opt)
{
    pipit_status_t st;
    pipit_node_t *n = NULL;
    pipit_image_t *shared = NULL;
    PIPIT_CHECK_ARG(img != NULL && path != NULL);
    if ((n = pipit_writer_new(path)) == NULL) {
        st = strstr(pipit_error_message(), "unknown file type") != NULL
                 ? PIPIT_EUNSUPPORTED
                 : PIPIT_ENOMEM;
        goto done;
    }
    pipit__writer_t *w = (pipit__writer_t *)n;
    if (opt != NULL) {
        if (opt->convert) {
            if (pipit_pixel_size(opt->type) == 0) {
                st = pipit__error(PIPIT_EINVAL, "io: '%s': unknown pixel "
                                  "type %d", path, (int)opt->type);
                goto done;
            }
            w->type = 1 + (int)opt->type;
        }
        w->compress = opt->compress;
        if (opt->level != 0)
            w->level = opt->level;
        if (opt->palette != NULL) {
            if (opt->palette_size < 1 || opt->palette_size > 256) {
                st = pipit__error(PIPIT_EINVAL, "io: '%s': a palette holds "
                                  "1..256 colours, not %u", path,
                                  opt->palette_size);
                goto done;
            }
            w->palette = opt->palette;
            w->palette_size = opt->palette_size;
        }
    }
    /* A new image sharing img's pixels: the node takes a reference to
     * it without touching the caller's (const) image. */
    if ((shared = pipit_image_share(img)) == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    if ((st = pipit_node_set_input_image(n, 0, shared)) != PIPIT_OK)
        goto done;
    st = pipit_node_update(n);
done:
    pipit_image_unref(shared);
    pipit_node_unref(n);
    return st;
}

pipit_status_t
pipit_image_write(const pipit_image_t *img, const char *path)
{
    return pipit_image_write_with(img, path, NULL);
}

/* ---- helpers for readers ------------------------------------------- */

uint64_t pipit__io_max_pixel_bytes = UINT64_MAX;

static atomic_bool untrusted_input;

void
pipit_io_set_untrusted(bool on)
{
    atomic_store_explicit(&untrusted_input, on, memory_order_relaxed);
}

bool
pipit_io_untrusted(void)
{
    return atomic_load_explicit(&untrusted_input, memory_order_relaxed);
}

pipit_status_t
pipit__reader_path(pipit_node_t *n, const char **path)
{
    const char *p = ((pipit__reader_t *)n)->path;
    if (p == NULL || *p == '\0')
        return pipit__node_error(n, PIPIT_EINVAL, "no path set");
    *path = p;
    return PIPIT_OK;
}

pipit_status_t
pipit__reader_set_output(pipit_node_t *n, unsigned dim, const size_t *size,
                         pipit_pixel_type_t type, unsigned components,
                         const double *spacing, const double *origin,
                         const double *direction)
{
    pipit_image_t *out = pipit__output(n, 0);
    const char *path = ((pipit__reader_t *)n)->path;
    double sp[PIPIT_MAX_DIM], org[PIPIT_MAX_DIM];
    double dir[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    uint64_t bytes = pipit_pixel_size(type) * (uint64_t)components;
    for (unsigned d = 0; d < dim; d++)
        if (!pipit__mul_u64(bytes, size[d], &bytes))
            bytes = UINT64_MAX;
    uint64_t most = pipit__io_max_pixel_bytes;
    bool untrusted = pipit_io_untrusted();
    if (untrusted && most > PIPIT_UNTRUSTED_MAX_PIXEL_BYTES)
        most = PIPIT_UNTRUSTED_MAX_PIXEL_BYTES;
    if (bytes > most)
        return pipit__error(PIPIT_EUNSUPPORTED, "%s: '%s': %llu pixel bytes "
                            "exceed the limit of %llu%s", n->klass->name,
                            path, (unsigned long long)bytes,
                            (unsigned long long)most,
                            untrusted ? " for untrusted input" : "");
    for (unsigned d = 0; d < dim; d++) {
        sp[d] = spacing != NULL ? spacing[d] : 1.0;
        org[d] = origin != NULL ? origin[d] : 0.0;
        for (unsigned e = 0; e < dim; e++)
            dir[d * dim + e] = direction != NULL ? direction[d * dim + e]
                                                 : (d == e ? 1.0 : 0.0);
    }
    pipit_status_t st = pipit__image_set_shape(out, dim, size, type,
                                               components);
    if (st == PIPIT_OK)
        st = pipit_image_set_spacing(out, sp);
    if (st == PIPIT_OK)
        st = pipit_image_set_origin(out, org);
    if (st == PIPIT_OK)
        st = pipit_image_set_direction(out, dir);
    if (st != PIPIT_OK) {
        pipit__error_prefix("%s: '%s'", n->klass->name, path);
        /* A geometry the image refuses came from the file: a format
         * error, not a bad argument of the caller. */
        if (st == PIPIT_EINVAL)
            st = PIPIT_EFORMAT;
    }
    return st;
}

/* ---- the writer node ----------------------------------------------- */

static const char *const type_choices[] = {
    "input", "u8", "i8", "u16", "i16", "u32", "i32", "f32", "f64", NULL
};

const pipit_setting_t pipit__writer_settings[] = {
    { "path", PIPIT_SETTING_STRING, offsetof(pipit__writer_t, path), "",
      "file to write (its name selects the format)", 1, 0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(pipit__writer_t, type), "input",
      "pixel type to write: input, or one to convert to", 1, 0,
      type_choices },
    { "compress", PIPIT_SETTING_BOOL, offsetof(pipit__writer_t, compress),
      "false", "compress the pixels (zlib / deflate)", 1, 0, NULL },
    { "level", PIPIT_SETTING_INT, offsetof(pipit__writer_t, level), "6",
      "zlib compression level", 1, 9, NULL },
};
const size_t pipit__writer_n_settings =
    sizeof pipit__writer_settings / sizeof pipit__writer_settings[0];

pipit_status_t
pipit__writer_information(pipit_node_t *n)
{
    (void)n;  /* a sink has no output to describe */
    return PIPIT_OK;
}

pipit_status_t
pipit__writer_generate(pipit_node_t *n)
{
    pipit__writer_t *w = (pipit__writer_t *)n;
    const pipit__writer_ops_t *ops = w->ops;
    pipit_status_t st;
    void *scratch = NULL;
    pipit_image_t *in = pipit__input(n, 0);
    if (w->path == NULL || *w->path == '\0')
        return pipit__node_error(n, PIPIT_EINVAL, "no path set");
    if (in == NULL)
        return pipit__node_error(n, PIPIT_EINVAL, "'%s': input 0 is not "
                                 "connected", w->path);
    pipit_pixel_type_t type = w->type == 0 ? in->type
                                           : (pipit_pixel_type_t)(w->type - 1);
    if ((st = ops->check(w, in, type)) != PIPIT_OK)
        return st;
    if (w->palette != NULL &&
        (!ops->palette || type != PIPIT_U8 || in->components != 1))
        return pipit__error(PIPIT_EUNSUPPORTED, "io: '%s': a palette is "
                            "written for one-component u8 images to PNG "
                            "only", w->path);
    size_t row = in->size[0] * in->components * pipit_pixel_size(type);
    if ((scratch = pipit__malloc(row)) == NULL)
        return PIPIT_ENOMEM;
    w->passes = 1;
    if ((st = ops->begin(w, in, type)) != PIPIT_OK)
        goto done;
    pipit_region_t all = pipit_image_largest_region(in);
    /* Pieces of 1 MiB keep a pipeline's memory small; a constant input
     * image is in memory already, so it goes in one piece (one large
     * write instead of many). */
    size_t target = w->piece_bytes;
    if (target == 0 && n->inputs[0].node == NULL)
        target = SIZE_MAX;
    size_t count = pipit__file_pieces(&all, in->pixel_bytes, target, 0,
                                      NULL);
    for (w->pass = 0; w->pass < w->passes; w->pass++)
        for (size_t k = 0; k < count; k++) {
            pipit_region_t piece;
            pipit__file_pieces(&all, in->pixel_bytes, target, k, &piece);
            if ((st = pipit__input_pull(n, 0, &piece)) != PIPIT_OK)
                goto done;
            pipit__rows_t rows = { pipit__input(n, 0), piece, type,
                                   scratch };
            if ((st = ops->piece(w, &rows)) != PIPIT_OK)
                goto done;
            double done_part = (double)(w->pass * count + k + 1) /
                               (double)(w->passes * count);
            if ((st = pipit__node_progress(n, done_part)) != PIPIT_OK)
                goto done;
        }
    st = ops->end(w);
done:
    /* Removes the temporary files unless end committed them. */
    ops->cleanup(w);
    pipit__free(scratch);
    return st;
}

void
pipit__writer_finalize(pipit_node_t *n)
{
    pipit__writer_t *w = (pipit__writer_t *)n;
    if (w->ops != NULL && w->state != NULL)
        w->ops->cleanup(w);
}
