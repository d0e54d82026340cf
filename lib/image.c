/* SPDX-License-Identifier: Apache-2.0 */
/* Images: geometry, pixel type and a (possibly shared) buffer. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <pipit/image.h>

#include "buffer_impl.h"
#include "error_impl.h"
#include "image_impl.h"

/* Sanity bound on components per pixel: more is surely a corrupt header. */
#define MAX_COMPONENTS 65536

static void
set_identity_geometry(pipit_image_t *img)
{
    memset(img->direction, 0, sizeof img->direction);
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        img->spacing[d] = 1.0;
        img->origin[d] = 0.0;
    }
    for (unsigned d = 0; d < img->dim; d++)
        img->direction[d * img->dim + d] = 1.0;
    pipit__image_update_matrices(img);
}

/* Inverts the n x n row-major matrix a into inv; false when singular. */
static bool
invert(const double *a, unsigned n, double *inv)
{
    double m[PIPIT_MAX_DIM][2 * PIPIT_MAX_DIM];
    for (unsigned r = 0; r < n; r++)
        for (unsigned c = 0; c < 2 * n; c++)
            m[r][c] = c < n ? a[r * n + c] : (c - n == r ? 1.0 : 0.0);
    for (unsigned c = 0; c < n; c++) {
        unsigned p = c;
        for (unsigned r = c + 1; r < n; r++)
            if (fabs(m[r][c]) > fabs(m[p][c]))
                p = r;
        if (!(fabs(m[p][c]) > 1e-300))
            return false;
        if (p != c)
            for (unsigned k = 0; k < 2 * n; k++) {
                double t = m[c][k];
                m[c][k] = m[p][k], m[p][k] = t;
            }
        double s = 1.0 / m[c][c];
        for (unsigned k = 0; k < 2 * n; k++)
            m[c][k] *= s;
        for (unsigned r = 0; r < n; r++)
            if (r != c && m[r][c] != 0.0) {
                double f = m[r][c];
                for (unsigned k = 0; k < 2 * n; k++)
                    m[r][k] -= f * m[c][k];
            }
    }
    for (unsigned r = 0; r < n; r++)
        for (unsigned c = 0; c < n; c++)
            inv[r * n + c] = m[r][n + c];
    return true;
}


pipit_status_t
pipit__image_update_matrices(pipit_image_t *img)
{
    unsigned n = img->dim;
    for (unsigned c = 0; c < n; c++)
        if (!(img->spacing[c] >= PIPIT_MIN_SPACING))
            return pipit__error(PIPIT_EINVAL,
                                "image: spacing %g on axis %u is too small "
                                "(%sthe least is %g)", img->spacing[c], c,
                                img->spacing[c] < DBL_MIN ? "denormal; " : "",
                                PIPIT_MIN_SPACING);
    /* The direction alone decides singularity: with the spacing folded
     * in, a tiny spacing would pass for a singular direction. */
    double dinv[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    if (!invert(img->direction, n, dinv))
        return pipit__error(PIPIT_EINVAL,
                            "image: direction matrix is singular");
    double a[PIPIT_MAX_DIM * PIPIT_MAX_DIM], inv[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    for (unsigned r = 0; r < n; r++)
        for (unsigned c = 0; c < n; c++) {
            a[r * n + c] = img->direction[r * n + c] * img->spacing[c];
            inv[r * n + c] = dinv[r * n + c] / img->spacing[r];
        }
    memcpy(img->to_point, a, sizeof a);
    memcpy(img->to_index, inv, sizeof inv);
    return PIPIT_OK;
}

static void
set_layout(pipit_image_t *img, const pipit_region_t *r)
{
    img->buffered = *r;
    ptrdiff_t s = (ptrdiff_t)img->pixel_bytes;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        img->stride[d] = s;
        s *= (ptrdiff_t)(r->hi[d] - r->lo[d]);
    }
}

/* Checks the shape and computes the byte count of the whole image. */
static pipit_status_t
check_shape(unsigned dim, const size_t *size, pipit_pixel_type_t type,
            unsigned components, size_t *bytes)
{
    if (dim < 2 || dim > PIPIT_MAX_DIM)
        return pipit__error(PIPIT_EINVAL,
                            "image: dimension %u (valid: 2, 3, 4)", dim);
    if (pipit_pixel_size(type) == 0)
        return pipit__error(PIPIT_EINVAL, "image: unknown pixel type %d",
                            (int)type);
    if (components == 0 || components > MAX_COMPONENTS)
        return pipit__error(PIPIT_EINVAL,
                            "image: %u components per pixel (valid: 1..%u)",
                            components, MAX_COMPONENTS);
    size_t n = pipit_pixel_size(type) * components;
    for (unsigned d = 0; d < dim; d++) {
        if (size[d] == 0)
            return pipit__error(PIPIT_EINVAL, "image: size 0 on axis %u", d);
        if (pipit__mul_overflows(n, size[d], &n) || n > PTRDIFF_MAX)
            return pipit__error(PIPIT_ERANGE,
                                "image: byte count overflows (axis %u)", d);
    }
    if (bytes != NULL)
        *bytes = n;
    return PIPIT_OK;
}

static pipit_image_t *
image_alloc(unsigned dim, const size_t *size, pipit_pixel_type_t type,
            unsigned components)
{
    pipit_image_t *img = pipit__calloc(1, sizeof *img);
    if (img == NULL)
        return NULL;
    pipit__object_init_data(&img->obj, PIPIT_DATA_IMAGE);
    img->dim = dim;
    img->type = type;
    img->components = components;
    img->pixel_bytes = pipit_pixel_size(type) * components;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        img->size[d] = d < dim ? size[d] : 1;
    set_identity_geometry(img);
    pipit_region_t empty = { { 0 }, { 0 } };
    set_layout(img, &empty);
    img->info_time = img->data_time = pipit__time_next();
    return img;
}

pipit_image_t *
pipit__image_new_empty(void)
{
    static const size_t one[2] = { 1, 1 };
    return image_alloc(2, one, PIPIT_U8, 1);
}

static void
attach(pipit_image_t *img, pipit_buffer_t *b, const pipit_region_t *r)
{
    pipit_buffer_unref(img->buffer);
    img->buffer = b;
    img->data = b != NULL ? pipit__buffer_data_mut(b) : NULL;
    set_layout(img, r);
}

pipit_image_t *
pipit_image_new(unsigned dim, const size_t *size, pipit_pixel_type_t type,
                unsigned components)
{
    size_t bytes;
    PIPIT_CHECK_ARG_NULL(size != NULL);
    if (check_shape(dim, size, type, components, &bytes) != PIPIT_OK)
        return NULL;
    pipit_image_t *img = image_alloc(dim, size, type, components);
    pipit_buffer_t *b = img != NULL ? pipit_buffer_new(bytes, true) : NULL;
    if (b == NULL) {
        pipit_image_unref(img);
        return NULL;
    }
    pipit_region_t r = pipit_image_largest_region(img);
    attach(img, b, &r);
    return img;
}

pipit_image_t *
pipit_image_new_with_buffer(unsigned dim, const size_t *size,
                            pipit_pixel_type_t type, unsigned components,
                            pipit_buffer_t *buffer)
{
    size_t bytes;
    PIPIT_CHECK_ARG_NULL(size != NULL && buffer != NULL);
    if (check_shape(dim, size, type, components, &bytes) != PIPIT_OK)
        return NULL;
    if (pipit_buffer_size(buffer) < bytes) {
        pipit__error(PIPIT_EINVAL,
                     "image: buffer of %zu bytes is too small for %zu bytes "
                     "of pixels",
                     pipit_buffer_size(buffer), bytes);
        return NULL;
    }
    pipit_image_t *img = image_alloc(dim, size, type, components);
    if (img == NULL)
        return NULL;
    pipit_region_t r = pipit_image_largest_region(img);
    attach(img, pipit_buffer_ref(buffer), &r);
    return img;
}

pipit_image_t *
pipit_image_wrap(unsigned dim, const size_t *size, pipit_pixel_type_t type,
                 unsigned components, void *data, unsigned flags,
                 pipit_free_fn free_fn, void *user)
{
    size_t bytes;
    PIPIT_CHECK_ARG_NULL(size != NULL && data != NULL);
    if (check_shape(dim, size, type, components, &bytes) != PIPIT_OK)
        return NULL;
    /* On failure the caller keeps its memory: free_fn is not called. */
    pipit_buffer_t *b = pipit_buffer_wrap(data, bytes, flags, free_fn, user);
    if (b == NULL)
        return NULL;
    pipit_image_t *img =
        pipit_image_new_with_buffer(dim, size, type, components, b);
    if (img == NULL)
        pipit__buffer_forget(b); /* the caller keeps its memory */
    pipit_buffer_unref(b);
    return img;
}

static pipit_image_t *
image_clone_header(const pipit_image_t *src)
{
    pipit_image_t *img = pipit__malloc(sizeof *img);
    if (img == NULL)
        return NULL;
    *img = *src;
    pipit__object_init_data(&img->obj, PIPIT_DATA_IMAGE);
    img->buffer = NULL;
    img->data = NULL;
    img->info_time = img->data_time = pipit__time_next();
    return img;
}

pipit_image_t *
pipit_image_share(const pipit_image_t *src)
{
    PIPIT_CHECK_ARG_NULL(src != NULL);
    pipit_image_t *img = image_clone_header(src);
    if (img == NULL)
        return NULL;
    img->buffer = pipit_buffer_ref(src->buffer);
    img->data = src->data;
    return img;
}

pipit_image_t *
pipit_image_dup(const pipit_image_t *src)
{
    PIPIT_CHECK_ARG_NULL(src != NULL);
    pipit_image_t *img = image_clone_header(src);
    if (img == NULL || src->buffer == NULL)
        return img;
    if ((img->buffer = pipit_buffer_dup(src->buffer)) == NULL) {
        pipit__free(img);
        return NULL;
    }
    const char *base = pipit_buffer_data(src->buffer);
    img->data = (char *)pipit__buffer_data_mut(img->buffer) +
                (src->data - base);
    return img;
}

pipit_image_t *
pipit_image_ref(pipit_image_t *img)
{
    if (img != NULL)
        pipit__object_ref(&img->obj);
    return img;
}

void
pipit_image_unref(pipit_image_t *img)
{
    if (img == NULL || !pipit__object_unref(&img->obj))
        return;
    pipit_buffer_unref(img->buffer);
    pipit__free(img);
}

unsigned pipit_image_dim(const pipit_image_t *img) { return img->dim; }
pipit_pixel_type_t pipit_image_pixel_type(const pipit_image_t *img)
{
    return img->type;
}
unsigned pipit_image_components(const pipit_image_t *img)
{
    return img->components;
}
size_t pipit_image_pixel_bytes(const pipit_image_t *img)
{
    return img->pixel_bytes;
}
const size_t *pipit_image_size(const pipit_image_t *img) { return img->size; }
const double *pipit_image_spacing(const pipit_image_t *img)
{
    return img->spacing;
}
const double *pipit_image_origin(const pipit_image_t *img)
{
    return img->origin;
}
const double *pipit_image_direction(const pipit_image_t *img)
{
    return img->direction;
}
const ptrdiff_t *pipit_image_strides(const pipit_image_t *img)
{
    return img->stride;
}
pipit_buffer_t *pipit_image_get_buffer(const pipit_image_t *img)
{
    return img->buffer;
}

pipit_region_t
pipit_image_largest_region(const pipit_image_t *img)
{
    return pipit_region_from_size(img->dim, img->size);
}

pipit_region_t
pipit_image_buffered_region(const pipit_image_t *img)
{
    return img->buffered;
}

pipit_status_t
pipit_image_set_spacing(pipit_image_t *img, const double *spacing)
{
    PIPIT_CHECK_ARG(img != NULL && spacing != NULL);
    for (unsigned d = 0; d < img->dim; d++)
        if (!isfinite(spacing[d]) || !(spacing[d] > 0))
            return pipit__error(PIPIT_EINVAL,
                                "image: spacing %g on axis %u (must be "
                                "finite and > 0)",
                                spacing[d], d);
    double old[PIPIT_MAX_DIM];
    memcpy(old, img->spacing, sizeof old);
    memcpy(img->spacing, spacing, img->dim * sizeof *spacing);
    pipit_status_t st = pipit__image_update_matrices(img);
    if (st != PIPIT_OK)
        memcpy(img->spacing, old, sizeof old);
    img->info_time = pipit__time_next();
    return st;
}

pipit_status_t
pipit_image_set_origin(pipit_image_t *img, const double *origin)
{
    PIPIT_CHECK_ARG(img != NULL && origin != NULL);
    for (unsigned d = 0; d < img->dim; d++)
        if (!isfinite(origin[d]))
            return pipit__error(PIPIT_EINVAL,
                                "image: origin %g on axis %u is not finite",
                                origin[d], d);
    memcpy(img->origin, origin, img->dim * sizeof *origin);
    img->info_time = pipit__time_next();
    return PIPIT_OK;
}

pipit_status_t
pipit_image_set_direction(pipit_image_t *img, const double *direction)
{
    PIPIT_CHECK_ARG(img != NULL && direction != NULL);
    unsigned n = img->dim;
    for (unsigned k = 0; k < n * n; k++)
        if (!isfinite(direction[k]))
            return pipit__error(PIPIT_EINVAL,
                                "image: direction entry %u is not finite", k);
    double old[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    memcpy(old, img->direction, sizeof old);
    memcpy(img->direction, direction, n * n * sizeof *direction);
    pipit_status_t st = pipit__image_update_matrices(img);
    if (st != PIPIT_OK)
        memcpy(img->direction, old, sizeof old);
    img->info_time = pipit__time_next();
    return st;
}

pipit_status_t
pipit_image_copy_geometry(pipit_image_t *dst, const pipit_image_t *src)
{
    PIPIT_CHECK_ARG(dst != NULL && src != NULL);
    if (dst->dim != src->dim)
        return pipit__error(PIPIT_EINVAL,
                            "image: cannot copy geometry of a %u-D image "
                            "to a %u-D one",
                            src->dim, dst->dim);
    memcpy(dst->spacing, src->spacing, sizeof dst->spacing);
    memcpy(dst->origin, src->origin, sizeof dst->origin);
    memcpy(dst->direction, src->direction, sizeof dst->direction);
    memcpy(dst->to_point, src->to_point, sizeof dst->to_point);
    memcpy(dst->to_index, src->to_index, sizeof dst->to_index);
    dst->info_time = pipit__time_next();
    return PIPIT_OK;
}

bool
pipit_image_same_grid(const pipit_image_t *a, const pipit_image_t *b,
                      double tol)
{
    if (a->dim != b->dim)
        return false;
    for (unsigned d = 0; d < a->dim; d++)
        if (a->size[d] != b->size[d] ||
            fabs(a->spacing[d] - b->spacing[d]) > tol ||
            fabs(a->origin[d] - b->origin[d]) > tol)
            return false;
    for (unsigned k = 0; k < a->dim * a->dim; k++)
        if (fabs(a->direction[k] - b->direction[k]) > tol)
            return false;
    return true;
}

void
pipit_image_index_to_point(const pipit_image_t *img, const double *index,
                           double *point)
{
    unsigned n = img->dim;
    for (unsigned r = 0; r < n; r++) {
        double p = img->origin[r];
        for (unsigned c = 0; c < n; c++)
            p += img->to_point[r * n + c] * index[c];
        point[r] = p;
    }
}

void
pipit_image_point_to_index(const pipit_image_t *img, const double *point,
                           double *index)
{
    unsigned n = img->dim;
    double v[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < n; d++)
        v[d] = point[d] - img->origin[d];
    for (unsigned r = 0; r < n; r++) {
        double i = 0.0;
        for (unsigned c = 0; c < n; c++)
            i += img->to_index[r * n + c] * v[c];
        index[r] = i;
    }
}

const void *
pipit_image_data(const pipit_image_t *img)
{
    return img != NULL ? img->data : NULL;
}

static bool
index_buffered(const pipit_image_t *img, const size_t *index)
{
    if (img->data == NULL)
        return false;
    for (unsigned d = 0; d < img->dim; d++)
        if (index[d] < img->buffered.lo[d] || index[d] >= img->buffered.hi[d])
            return false;
    return true;
}

static char *
pixel_ptr(const pipit_image_t *img, const size_t *index)
{
    size_t i[PIPIT_MAX_DIM] = { 0, 0, 0, 0 };
    for (unsigned d = 0; d < img->dim; d++)
        i[d] = index[d];
    return pipit__at(img, i[0], i[1], i[2], i[3]);
}

const void *
pipit_image_pixel(const pipit_image_t *img, const size_t *index)
{
    if (img == NULL || index == NULL || !index_buffered(img, index))
        return NULL;
    return pixel_ptr(img, index);
}

/* Makes the buffer private to img: the copy-on-write step. */
static pipit_status_t
make_exclusive(pipit_image_t *img)
{
    if (img->buffer == NULL)
        return pipit__error(PIPIT_ESTATE, "image: no pixels to write");
    if (pipit_buffer_is_exclusive(img->buffer))
        return PIPIT_OK;
    size_t bytes = pipit_region_count(&img->buffered) * img->pixel_bytes;
    pipit_buffer_t *copy = pipit_buffer_new(bytes, false);
    if (copy == NULL)
        return PIPIT_ENOMEM;
    memcpy(pipit__buffer_data_mut(copy), img->data, bytes);
    pipit_region_t r = img->buffered;
    attach(img, copy, &r);
    return PIPIT_OK;
}

void *
pipit_image_data_writable(pipit_image_t *img)
{
    PIPIT_CHECK_ARG_NULL(img != NULL);
    if (make_exclusive(img) != PIPIT_OK)
        return NULL;
    img->data_time = pipit__time_next();
    return img->data;
}

void
pipit_image_modified(pipit_image_t *img)
{
    if (img != NULL)
        img->data_time = pipit__time_next();
}

pipit_status_t
pipit_image_export(const pipit_image_t *img, const void **data,
                   pipit_buffer_t **buffer)
{
    PIPIT_CHECK_ARG(img != NULL && data != NULL && buffer != NULL);
    *data = NULL;
    *buffer = NULL;
    if (img->buffer == NULL)
        return pipit__error(PIPIT_ESTATE, "image: no pixels to export");
    *data = img->data;
    *buffer = pipit_buffer_ref(img->buffer);
    return PIPIT_OK;
}

double
pipit_image_get_value(const pipit_image_t *img, const size_t *index,
                      unsigned c)
{
    if (img == NULL || index == NULL || c >= img->components ||
        !index_buffered(img, index))
        return NAN;
    const char *p = pixel_ptr(img, index);
    switch (img->type) {
    case PIPIT_U8: return ((const uint8_t *)p)[c];
    case PIPIT_I8: return ((const int8_t *)p)[c];
    case PIPIT_U16: return ((const uint16_t *)(const void *)p)[c];
    case PIPIT_I16: return ((const int16_t *)(const void *)p)[c];
    case PIPIT_U32: return ((const uint32_t *)(const void *)p)[c];
    case PIPIT_I32: return ((const int32_t *)(const void *)p)[c];
    case PIPIT_F32: return ((const float *)(const void *)p)[c];
    case PIPIT_F64: return ((const double *)(const void *)p)[c];
    }
    return NAN;
}

/* Rounds half away from zero and clamps to [lo, hi]; NaN becomes 0. */
static double
to_integer(double v, double lo, double hi)
{
    if (isnan(v))
        return 0.0;
    v = round(v);
    return v < lo ? lo : v > hi ? hi : v;
}

pipit_status_t
pipit_image_set_value(pipit_image_t *img, const size_t *index, unsigned c,
                      double v)
{
    PIPIT_CHECK_ARG(img != NULL && index != NULL);
    PIPIT_CHECK_ARG(c < img->components);
    if (!index_buffered(img, index))
        return pipit__error(PIPIT_EINVAL,
                            "image: index outside the buffered region");
    pipit_status_t st = make_exclusive(img);
    if (st != PIPIT_OK)
        return st;
    double lo, hi;
    pipit_pixel_type_range(img->type, &lo, &hi);
    char *p = pixel_ptr(img, index);
    switch (img->type) {
    case PIPIT_U8: ((uint8_t *)p)[c] = (uint8_t)to_integer(v, lo, hi); break;
    case PIPIT_I8: ((int8_t *)p)[c] = (int8_t)to_integer(v, lo, hi); break;
    case PIPIT_U16:
        ((uint16_t *)(void *)p)[c] = (uint16_t)to_integer(v, lo, hi);
        break;
    case PIPIT_I16:
        ((int16_t *)(void *)p)[c] = (int16_t)to_integer(v, lo, hi);
        break;
    case PIPIT_U32:
        ((uint32_t *)(void *)p)[c] = (uint32_t)to_integer(v, lo, hi);
        break;
    case PIPIT_I32:
        ((int32_t *)(void *)p)[c] = (int32_t)to_integer(v, lo, hi);
        break;
    case PIPIT_F32: ((float *)(void *)p)[c] = (float)v; break;
    case PIPIT_F64: ((double *)(void *)p)[c] = v; break;
    }
    img->data_time = pipit__time_next();
    return PIPIT_OK;
}

/* ---- for pipelines ----------------------------------------------- */

pipit_status_t
pipit_image_set_shape(pipit_image_t *img, unsigned dim, const size_t *size,
                       pipit_pixel_type_t type, unsigned components)
{
    pipit_status_t st = check_shape(dim, size, type, components, NULL);
    if (st != PIPIT_OK)
        return st;
    bool same = img->dim == dim && img->type == type &&
                img->components == components;
    for (unsigned d = 0; same && d < dim; d++)
        same = img->size[d] == size[d];
    if (same)
        return PIPIT_OK;
    bool new_dim = img->dim != dim;
    img->dim = dim;
    img->type = type;
    img->components = components;
    img->pixel_bytes = pipit_pixel_size(type) * components;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        img->size[d] = d < dim ? size[d] : 1;
    if (new_dim)
        set_identity_geometry(img);
    pipit__image_release(img);
    img->info_time = pipit__time_next();
    return PIPIT_OK;
}

pipit_status_t
pipit__image_allocate(pipit_image_t *img, const pipit_region_t *r, bool zero)
{
    size_t bytes = pipit_region_count(r) * img->pixel_bytes;
    if (bytes == 0) {
        pipit__image_release(img);
        set_layout(img, r);
        return PIPIT_OK;
    }
    if (img->buffer != NULL && pipit_region_equal(&img->buffered, r) &&
        pipit_buffer_is_exclusive(img->buffer) &&
        pipit_buffer_data(img->buffer) == img->data) {
        if (zero)
            memset(img->data, 0, bytes);
        return PIPIT_OK;
    }
    /* A streamed node's next piece is another region of about the same
     * size: an exclusive buffer that holds it (and is not more than
     * twice too big) is laid out again instead of freed and faulted in
     * anew for every piece. */
    if (img->buffer != NULL && pipit_buffer_is_exclusive(img->buffer) &&
        pipit_buffer_data(img->buffer) == img->data &&
        pipit_buffer_size(img->buffer) >= bytes &&
        pipit_buffer_size(img->buffer) / 2 <= bytes) {
        set_layout(img, r);
        if (zero)
            memset(img->data, 0, bytes);
        return PIPIT_OK;
    }
    /* Drop the old pixels first so a streamed pipeline never holds two
     * pieces of the same output at once. */
    pipit__image_release(img);
    pipit_buffer_t *b = pipit_buffer_new(bytes, zero);
    if (b == NULL)
        return PIPIT_ENOMEM;
    attach(img, b, r);
    return PIPIT_OK;
}

void
pipit__image_release(pipit_image_t *img)
{
    pipit_region_t empty = { { 0 }, { 0 } };
    attach(img, NULL, &empty);
}

void *
pipit_image_row(const pipit_image_t *img, size_t y, size_t z)
{
    return pipit__row(img, y, z, img->buffered.lo[3]);
}
