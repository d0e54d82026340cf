/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every interpolator shares (lifetime, the inside test, geometry),
 * and the nearest-neighbour and linear kinds.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "interpolator_impl.h"
#include "linalg_impl.h"

pipit_interpolator_t *
pipit__interpolator_alloc(const pipit_image_t *img, const char *who)
{
    if (img == NULL) {
        pipit__error(PIPIT_EINVAL, "%s: the image is NULL", who);
        return NULL;
    }
    unsigned n = pipit_image_dim(img);
    if (pipit_image_components(img) != 1) {
        pipit__error(PIPIT_EINVAL,
                     "%s: the image has %u components per pixel; only "
                     "scalar images can be interpolated",
                     who, pipit_image_components(img));
        return NULL;
    }
    pipit_region_t r = pipit_image_buffered_region(img);
    const void *data = pipit_image_data(img);
    if (data == NULL || pipit_region_is_empty(&r)) {
        pipit__error(PIPIT_EINVAL, "%s: the image has no pixels yet", who);
        return NULL;
    }
    /* to_index = diag(spacing)⁻¹ · direction⁻¹ */
    const double *sp = pipit_image_spacing(img);
    double inv[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    if (!pipit__mat_inverse(n, pipit_image_direction(img), inv)) {
        pipit__error(PIPIT_EINVAL, "%s: the image direction is singular",
                     who);
        return NULL;
    }
    pipit_interpolator_t *ip = pipit__calloc(1, sizeof *ip);
    if (ip == NULL)
        return NULL;
    pipit__object_init(&ip->obj);
    ip->dim = n;
    const ptrdiff_t *strides = pipit_image_strides(img);
    for (unsigned d = 0; d < n; d++) {
        ip->start[d] = (double)r.lo[d];
        ip->size[d] = r.hi[d] - r.lo[d];
        ip->stride[d] = strides[d];
        ip->lo[d] = (double)r.lo[d] - 0.5;
        ip->hi[d] = (double)r.hi[d] - 0.5;
        ip->origin[d] = pipit_image_origin(img)[d];
        for (unsigned c = 0; c < n; c++)
            ip->to_index[d * n + c] = inv[d * n + c] / sp[d];
    }
    ip->data = data;
    ip->type = pipit_image_pixel_type(img);
    ip->buffer = pipit_buffer_ref(pipit_image_get_buffer(img));
    return ip;
}

pipit_interpolator_t *
pipit_interpolator_ref(pipit_interpolator_t *ip)
{
    if (ip != NULL)
        pipit__object_ref(&ip->obj);
    return ip;
}

void
pipit_interpolator_unref(pipit_interpolator_t *ip)
{
    if (ip == NULL || !pipit__object_unref(&ip->obj))
        return;
    pipit_buffer_unref(ip->buffer);
    if (!ip->coef_borrowed)
        pipit__free(ip->coef);
    pipit__free(ip);
}

const char *
pipit_interpolator_name(const pipit_interpolator_t *ip)
{
    return ip == NULL ? "(null)" : ip->name;
}

unsigned
pipit_interpolator_dim(const pipit_interpolator_t *ip)
{
    return ip == NULL ? 0 : ip->dim;
}

unsigned
pipit_interpolator_order(const pipit_interpolator_t *ip)
{
    return ip == NULL ? 0 : ip->order;
}

void
pipit_interpolator_set_default(pipit_interpolator_t *ip, double value)
{
    if (ip != NULL)
        ip->dflt = value;
}

double
pipit_interpolator_default(const pipit_interpolator_t *ip)
{
    return ip == NULL ? 0.0 : ip->dflt;
}

bool
pipit_interpolator_inside(const pipit_interpolator_t *ip, const double *c)
{
    for (unsigned d = 0; d < ip->dim; d++)
        if (!(c[d] >= ip->lo[d] && c[d] < ip->hi[d])) /* NaN: outside */
            return false;
    return true;
}

bool
pipit_interpolator_evaluate(const pipit_interpolator_t *ip, const double *c,
                            double *value, double *gradient)
{
    if (!pipit_interpolator_inside(ip, c)) {
        *value = ip->dflt;
        if (gradient != NULL)
            memset(gradient, 0, ip->dim * sizeof(double));
        return false;
    }
    ip->eval(ip, c, value, gradient);
    return true;
}

size_t
pipit_interpolator_evaluate_line(const pipit_interpolator_t *ip,
                                 const double *c0, const double *step,
                                 size_t n, double *values)
{
    return ip->line(ip, c0, step, n, values);
}

size_t
pipit_interpolator_evaluate_batch(const pipit_interpolator_t *ip, size_t n,
                                  const double *c, double *values,
                                  double *gradients)
{
    return ip->batch[pipit__cpu_v3() ? 1 : 0](ip, n, c, values, gradients);
}

size_t
pipit_interpolator_evaluate_points(const pipit_interpolator_t *ip, size_t n,
                                   const double *p, double *values,
                                   double *gradients)
{
    /* Blocks of indices on the stack: no allocation. */
    enum { BLOCK = 64 };
    double c[BLOCK * PIPIT_MAX_DIM];
    const unsigned dim = ip->dim;
    pipit__interp_batch_fn fn = ip->batch[pipit__cpu_v3() ? 1 : 0];
    size_t inside = 0;
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t m = n - i0 < BLOCK ? n - i0 : BLOCK;
        for (size_t i = 0; i < m; i++)
            pipit_interpolator_point_to_index(ip, p + (i0 + i) * dim,
                                              c + i * dim);
        double *g = gradients == NULL ? NULL : gradients + i0 * dim;
        inside += fn(ip, m, c, values + i0, g);
        if (g != NULL)
            for (size_t i = 0; i < m; i++)
                pipit_interpolator_gradient_to_physical(ip, g + i * dim,
                                                        g + i * dim);
    }
    return inside;
}

void
pipit_interpolator_point_to_index(const pipit_interpolator_t *ip,
                                  const double *p, double *c)
{
    double v[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < ip->dim; d++)
        v[d] = p[d] - ip->origin[d];
    pipit__mat_vec(ip->dim, ip->to_index, v, c);
}

void
pipit_interpolator_gradient_to_physical(const pipit_interpolator_t *ip,
                                        const double *g_index,
                                        double *g_phys)
{
    /* ∂f/∂p = (∂c/∂p)ᵀ ∂f/∂c with ∂c/∂p = to_index. */
    unsigned n = ip->dim;
    double g[PIPIT_MAX_DIM];
    for (unsigned c = 0; c < n; c++) {
        double s = 0.0;
        for (unsigned r = 0; r < n; r++)
            s += ip->to_index[r * n + c] * g_index[r];
        g[c] = s;
    }
    memcpy(g_phys, g, n * sizeof(double));
}

bool
pipit_interpolator_evaluate_point(const pipit_interpolator_t *ip,
                                  const double *p, double *value,
                                  double *gradient)
{
    double c[PIPIT_MAX_DIM];
    pipit_interpolator_point_to_index(ip, p, c);
    bool in = pipit_interpolator_evaluate(ip, c, value, gradient);
    if (in && gradient != NULL)
        pipit_interpolator_gradient_to_physical(ip, gradient, gradient);
    return in;
}

/* ---- Nearest neighbour -------------------------------------------- */

static PIPIT__ALWAYS_INLINE void
nearest(const pipit_interpolator_t *ip, const double *c, double *value,
        double *gradient, pipit_pixel_type_t t)
{
    size_t i[PIPIT_MAX_DIM];
    const char *p = ip->data;
    for (unsigned d = 0; d < ip->dim; d++) {
        /* Round half up, as ITK; inside, i is already in [0, size). */
        ptrdiff_t r = pipit__floor_index(c[d] - ip->start[d] + 0.5);
        i[d] = r <= 0 ? 0 : (size_t)r;
        if (i[d] >= ip->size[d])
            i[d] = ip->size[d] - 1;
        p += (ptrdiff_t)i[d] * ip->stride[d];
    }
    *value = pipit__load(p, t);
    if (gradient == NULL)
        return;
    for (unsigned d = 0; d < ip->dim; d++) {
        const char *lo = i[d] > 0 ? p - ip->stride[d] : p;
        const char *hi = i[d] + 1 < ip->size[d] ? p + ip->stride[d] : p;
        gradient[d] = 0.5 * (pipit__load(hi, t) - pipit__load(lo, t));
    }
}

/* ---- Linear ------------------------------------------------------- */

/* 2-D and 3-D: the lerps of interpolator_impl.h, neighbours clamped. */
static PIPIT__ALWAYS_INLINE void
linear2(const pipit_interpolator_t *ip, const double *c, double *value,
        double *g, pipit_pixel_type_t t)
{
    pipit__lerp2(ip, c, value, g, t, false);
}

static PIPIT__ALWAYS_INLINE void
linear3(const pipit_interpolator_t *ip, const double *c, double *value,
        double *g, pipit_pixel_type_t t)
{
    pipit__lerp3(ip, c, value, g, t, false);
}

/* Any dim: the 2^dim corners, weight ∏ (t or 1 - t). */
static PIPIT__ALWAYS_INLINE void
linear_n(const pipit_interpolator_t *ip, const double *c, double *value,
         double *g, pipit_pixel_type_t t)
{
    unsigned n = ip->dim;
    ptrdiff_t o[PIPIT_MAX_DIM][2];
    double w[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < n; d++) {
        w[d] = pipit__lerp_axis(ip, d, c[d] - ip->start[d], false,
                                &o[d][0], &o[d][1]);
    }
    double v = 0.0, gs[PIPIT_MAX_DIM] = { 0 };
    for (unsigned k = 0; k < (1u << n); k++) {
        const char *p = ip->data;
        double wk = 1.0;
        for (unsigned d = 0; d < n; d++) {
            unsigned b = (k >> d) & 1u;
            p += o[d][b];
            wk *= b ? w[d] : 1.0 - w[d];
        }
        double s = pipit__load(p, t);
        v += wk * s;
        if (g != NULL)
            for (unsigned a = 0; a < n; a++) {
                /* ∂wk/∂c_a: the factor of axis a becomes ±1. */
                double ga = (k >> a) & 1u ? 1.0 : -1.0;
                for (unsigned d = 0; d < n; d++)
                    if (d != a)
                        ga *= (k >> d) & 1u ? w[d] : 1.0 - w[d];
                gs[a] += ga * s;
            }
    }
    *value = v;
    if (g != NULL)
        memcpy(g, gs, n * sizeof(double));
}

/* ---- The batch loop ------------------------------------------------- */

enum { K_NEAREST, K_LINEAR2, K_LINEAR3, K_LINEARN };

/* The points c0 + i·step with the kernel (a constant) inlined. */
static PIPIT__ALWAYS_INLINE size_t
line(const pipit_interpolator_t *ip, const double *c0, const double *step,
     size_t n, double *out, int kernel, pipit_pixel_type_t t)
{
    unsigned dim = kernel == K_LINEAR2   ? 2
                   : kernel == K_LINEAR3 ? 3
                                         : ip->dim;
    size_t inside = 0;
    for (size_t i = 0; i < n; i++) {
        double c[PIPIT_MAX_DIM];
        if (!pipit__line_point(ip, c0, step, i, dim, c)) {
            out[i] = ip->dflt;
            continue;
        }
        switch (kernel) {
        case K_NEAREST: nearest(ip, c, out + i, NULL, t); break;
        case K_LINEAR2: linear2(ip, c, out + i, NULL, t); break;
        case K_LINEAR3: linear3(ip, c, out + i, NULL, t); break;
        default: linear_n(ip, c, out + i, NULL, t); break;
        }
        inside++;
    }
    return inside;
}

/* ---- The batch loops: any points, values and gradients --------------- */

static PIPIT__ALWAYS_INLINE void
k_nearest(const pipit_interpolator_t *ip, const double *c, double *v,
          double *g, bool grad, pipit_pixel_type_t t)
{
    nearest(ip, c, v, grad ? g : NULL, t);
}

static PIPIT__ALWAYS_INLINE void
k_linear(const pipit_interpolator_t *ip, const double *c, double *v,
         double *g, bool grad, pipit_pixel_type_t t, unsigned dim)
{
    double *gg = grad ? g : NULL;
    if (dim == 2)
        linear2(ip, c, v, gg, t);
    else if (dim == 3)
        linear3(ip, c, v, gg, t);
    else
        linear_n(ip, c, v, gg, t);
}

/* [type][portable, v3] for nearest, and [dim 2, 3, any] of those for
 * linear; dim 0 stands for any. */
#define BATCHES(T, V, ATTR)                                                \
    ATTR static size_t nearest_batch_##T##V(const pipit_interpolator_t *ip, \
                                            size_t n, const double *c,     \
                                            double *v, double *g)          \
    {                                                                      \
        unsigned dim = ip->dim;                                            \
        PIPIT__BATCH_BODY(ip, n, c, v, g, dim, k_nearest, PIPIT_##T);      \
    }                                                                      \
    ATTR static size_t linear2_batch_##T##V(const pipit_interpolator_t *ip, \
                                            size_t n, const double *c,     \
                                            double *v, double *g)          \
    {                                                                      \
        return pipit__lerp_batch(ip, n, c, v, g, 2u, PIPIT_##T, false);    \
    }                                                                      \
    ATTR static size_t linear3_batch_##T##V(const pipit_interpolator_t *ip, \
                                            size_t n, const double *c,     \
                                            double *v, double *g)          \
    {                                                                      \
        return pipit__lerp_batch(ip, n, c, v, g, 3u, PIPIT_##T, false);    \
    }                                                                      \
    ATTR static size_t linearn_batch_##T##V(const pipit_interpolator_t *ip, \
                                            size_t n, const double *c,     \
                                            double *v, double *g)          \
    {                                                                      \
        unsigned dim = ip->dim;                                            \
        PIPIT__BATCH_BODY(ip, n, c, v, g, dim, k_linear, PIPIT_##T, 0u);   \
    }
#define BATCHES_ALL(T)                                                     \
    BATCHES(T, _portable, ) PIPIT__IF_V3(BATCHES(T, _v3, PIPIT__V3))
PIPIT__FOR_TYPES(BATCHES_ALL)
#undef BATCHES_ALL
#undef BATCHES

#ifdef PIPIT__HAVE_V3
#define PAIR(kind, T)                                                      \
    { kind##_batch_##T##_portable, kind##_batch_##T##_v3 }
#else
#define PAIR(kind, T)                                                      \
    { kind##_batch_##T##_portable, kind##_batch_##T##_portable }
#endif
#define BATCH_TABLE(kind)                                                  \
    {                                                                      \
        PAIR(kind, U8), PAIR(kind, I8), PAIR(kind, U16), PAIR(kind, I16),   \
            PAIR(kind, U32), PAIR(kind, I32), PAIR(kind, F32),             \
            PAIR(kind, F64)                                                \
    }
static const pipit__interp_batch_fn nearest_batches[][2] =
    BATCH_TABLE(nearest);
/* [2-D, 3-D, any][type][portable, v3] */
static const pipit__interp_batch_fn
    linear_batches[3][PIPIT_PIXEL_TYPE_COUNT][2] = {
    BATCH_TABLE(linear2), BATCH_TABLE(linear3), BATCH_TABLE(linearn)
};
#undef BATCH_TABLE
#undef PAIR

/* ---- One function per pixel type (and dim), and the constructors ---- */

#define NEAREST(T)                                                         \
    static void nearest_##T(const pipit_interpolator_t *ip,                \
                            const double *c, double *v, double *g)         \
    {                                                                      \
        nearest(ip, c, v, g, PIPIT_##T);                                   \
    }                                                                      \
    static size_t nearest_line_##T(const pipit_interpolator_t *ip,         \
                                   const double *c0, const double *step,   \
                                   size_t n, double *out)                  \
    {                                                                      \
        return line(ip, c0, step, n, out, K_NEAREST, PIPIT_##T);           \
    }
PIPIT__FOR_TYPES(NEAREST)
#undef NEAREST

static const pipit__interp_fn nearest_fns[] = PIPIT__TYPE_TABLE(nearest_);
static const pipit__interp_line_fn nearest_line_fns[] =
    PIPIT__TYPE_TABLE(nearest_line_);

#define LINEAR(T)                                                          \
    static void linear2_##T(const pipit_interpolator_t *ip,                \
                            const double *c, double *v, double *g)         \
    {                                                                      \
        linear2(ip, c, v, g, PIPIT_##T);                                   \
    }                                                                      \
    static void linear3_##T(const pipit_interpolator_t *ip,                \
                            const double *c, double *v, double *g)         \
    {                                                                      \
        linear3(ip, c, v, g, PIPIT_##T);                                   \
    }                                                                      \
    static void linearn_##T(const pipit_interpolator_t *ip,                \
                            const double *c, double *v, double *g)         \
    {                                                                      \
        linear_n(ip, c, v, g, PIPIT_##T);                                  \
    }                                                                      \
    static size_t linear2_line_##T(const pipit_interpolator_t *ip,         \
                                   const double *c0, const double *step,   \
                                   size_t n, double *out)                  \
    {                                                                      \
        return line(ip, c0, step, n, out, K_LINEAR2, PIPIT_##T);           \
    }                                                                      \
    static size_t linear3_line_##T(const pipit_interpolator_t *ip,         \
                                   const double *c0, const double *step,   \
                                   size_t n, double *out)                  \
    {                                                                      \
        return line(ip, c0, step, n, out, K_LINEAR3, PIPIT_##T);           \
    }                                                                      \
    static size_t linearn_line_##T(const pipit_interpolator_t *ip,         \
                                   const double *c0, const double *step,   \
                                   size_t n, double *out)                  \
    {                                                                      \
        return line(ip, c0, step, n, out, K_LINEARN, PIPIT_##T);           \
    }
PIPIT__FOR_TYPES(LINEAR)
#undef LINEAR

static const pipit__interp_fn linear2_fns[] = PIPIT__TYPE_TABLE(linear2_);
static const pipit__interp_fn linear3_fns[] = PIPIT__TYPE_TABLE(linear3_);
static const pipit__interp_fn linearn_fns[] = PIPIT__TYPE_TABLE(linearn_);
static const pipit__interp_line_fn linear2_line_fns[] =
    PIPIT__TYPE_TABLE(linear2_line_);
static const pipit__interp_line_fn linear3_line_fns[] =
    PIPIT__TYPE_TABLE(linear3_line_);
static const pipit__interp_line_fn linearn_line_fns[] =
    PIPIT__TYPE_TABLE(linearn_line_);

pipit_interpolator_t *
pipit_nearest_interpolator_new(const pipit_image_t *img)
{
    pipit_interpolator_t *ip =
        pipit__interpolator_alloc(img, "NearestNeighborInterpolator");
    if (ip == NULL)
        return NULL;
    ip->name = "NearestNeighborInterpolator";
    ip->kind = PIPIT__KIND_NEAREST;
    ip->order = 0;
    ip->eval = nearest_fns[pipit_image_pixel_type(img)];
    ip->line = nearest_line_fns[pipit_image_pixel_type(img)];
    memcpy(ip->batch, nearest_batches[pipit_image_pixel_type(img)],
           sizeof ip->batch);
    return ip;
}

pipit_interpolator_t *
pipit_linear_interpolator_new(const pipit_image_t *img)
{
    pipit_interpolator_t *ip =
        pipit__interpolator_alloc(img, "LinearInterpolator");
    if (ip == NULL)
        return NULL;
    ip->name = "LinearInterpolator";
    ip->kind = PIPIT__KIND_LINEAR;
    ip->order = 1;
    pipit_pixel_type_t t = pipit_image_pixel_type(img);
    ip->eval = ip->dim == 2   ? linear2_fns[t]
               : ip->dim == 3 ? linear3_fns[t]
                              : linearn_fns[t];
    ip->line = ip->dim == 2   ? linear2_line_fns[t]
               : ip->dim == 3 ? linear3_line_fns[t]
                              : linearn_line_fns[t];
    unsigned by_dim = ip->dim == 2 ? 0 : ip->dim == 3 ? 1 : 2;
    memcpy(ip->batch, linear_batches[by_dim][t], sizeof ip->batch);
    return ip;
}

/* ---- By name -------------------------------------------------------- */

pipit_interpolator_t *
pipit_interpolator_new_by_name(const pipit_image_t *img, const char *name,
                               unsigned order)
{
    static const struct {
        const char *name, *elastix;
        int kind; /* 0 nearest, 1 linear, 2 B-spline f64, 3 B-spline f32 */
    } table[] = {
        { "nearest", "NearestNeighborInterpolator", 0 },
        { "linear", "LinearInterpolator", 1 },
        { "bspline", "BSplineInterpolator", 2 },
        { "bspline-float", "BSplineInterpolatorFloat", 3 },
    };
    for (size_t i = 0; name != NULL && i < sizeof table / sizeof table[0];
         i++) {
        if (strcmp(name, table[i].name) != 0 &&
            strcmp(name, table[i].elastix) != 0)
            continue;
        switch (table[i].kind) {
        case 0: return pipit_nearest_interpolator_new(img);
        case 1: return pipit_linear_interpolator_new(img);
        case 2: return pipit_bspline_interpolator_new(img, order, PIPIT_F64);
        default: return pipit_bspline_interpolator_new(img, order, PIPIT_F32);
        }
    }
    pipit__error(PIPIT_EINVAL,
                 "interpolator '%s': not a known name (nearest, linear, "
                 "bspline, bspline-float, or elastix's "
                 "NearestNeighborInterpolator, LinearInterpolator, "
                 "BSplineInterpolator, BSplineInterpolatorFloat)",
                 name == NULL ? "(null)" : name);
    return NULL;
}
