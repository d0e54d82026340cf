/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of the neighbourhood filters (filters/smooth_impl.h): checks,
 * row conversion, per-worker scratch, the discrete Gaussian kernel and
 * request hooks.
 */
#include <math.h>
#include <string.h>

#include "smooth_impl.h"

/* ---- checks ------------------------------------------------------------ */

pipit_status_t
pipit__check_scalar_2d3d(const pipit_node_t *n, unsigned i)
{
    const pipit_image_t *in = pipit__input(n, i);
    if (in->components != 1)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "input %u has %u components per pixel; "
                                 "this filter takes scalar images",
                                 i, in->components);
    if (in->dim != 2 && in->dim != 3)
        return pipit__node_error(n, PIPIT_EUNSUPPORTED,
                                 "input %u is %u-D; this filter takes 2-D "
                                 "and 3-D images",
                                 i, in->dim);
    return PIPIT_OK;
}

pipit_status_t
pipit__check_per_axis(const pipit_node_t *n, const char *what,
                      const double *v, unsigned dim, bool zero_ok)
{
    for (unsigned d = 0; d < dim; d++)
        if (!isfinite(v[d]) || v[d] < 0.0 || (!zero_ok && v[d] == 0.0))
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "%s %g on axis %u: must be %s", what,
                                     v[d], d,
                                     zero_ok ? "finite and >= 0"
                                             : "finite and > 0");
    return PIPIT_OK;
}

bool
pipit__needs_f64(pipit_pixel_type_t t)
{
    return t == PIPIT_F64 || t == PIPIT_I32 || t == PIPIT_U32;
}

pipit_pixel_type_t
pipit__real_type(pipit_pixel_type_t t)
{
    return t == PIPIT_F64 ? PIPIT_F64 : PIPIT_F32;
}

/* ---- settings shared by resample, warp and pyramid --------------------- */

const char *const pipit__interpolator_choices[] = { "nearest", "linear",
                                                    "bspline",
                                                    "bspline-float", NULL };

pipit_status_t
pipit__interpolator_make(const pipit_node_t *n, const pipit_image_t *img,
                         int kind, int64_t order, double dflt,
                         pipit__coef_cache_t *cache,
                         pipit_interpolator_t **out)
{
    pipit_interpolator_t *ip = NULL;
    *out = NULL;
    switch (kind) {
    case PIPIT__INTERP_NEAREST:
        ip = pipit_nearest_interpolator_new(img);
        break;
    case PIPIT__INTERP_LINEAR:
        ip = pipit_linear_interpolator_new(img);
        break;
    default:
        if (order < 0 || order > 5)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "B-spline order %lld: must be 0..5",
                                     (long long)order);
        ip = pipit__bspline_interpolator_cached(
            img, (unsigned)order,
            kind == PIPIT__INTERP_BSPLINE ? PIPIT_F64 : PIPIT_F32, cache);
        break;
    }
    if (ip == NULL) {
        /* The constructors return NULL, not a status: out of memory is
         * the one failure their message tells apart. */
        bool nomem = strstr(pipit_error_message(), "out of memory") != NULL;
        pipit__error_prefix("%s", n->klass->name);
        return nomem ? PIPIT_ENOMEM : PIPIT_EINVAL;
    }
    pipit_interpolator_set_default(ip, dflt);
    *out = ip;
    return PIPIT_OK;
}

const char *const pipit__output_type_choices[] = {
    "auto", "u8", "i8", "u16", "i16", "u32", "i32", "f32", "f64", NULL
};

pipit_pixel_type_t
pipit__output_type(int choice, pipit_pixel_type_t input)
{
    return choice <= 0 ? input : (pipit_pixel_type_t)(choice - 1);
}

/* ---- index maps -------------------------------------------------------- */

/* Within SNAP of an integer: that integer (see pipit__index_map). */
#define SNAP 1e-9

static double
snap(double v)
{
    double r = nearbyint(v);
    return fabs(v - r) <= SNAP * fmax(1.0, fabs(v)) ? r : v;
}

/*
 * c_in = M·i_out + b with M = Q·A·P, b = Q·(A·O + t - O_in): P, O the
 * output's index-to-point matrix and origin, A, t the transform, Q the
 * input's point-to-index matrix. False when T is not affine.
 */
bool
pipit__index_map(const pipit_transform_t *t, const pipit_image_t *in,
                 const pipit_image_t *out, double *m, double *b)
{
    const unsigned n = in->dim;
    double a[PIPIT_MAX_DIM * PIPIT_MAX_DIM], off[PIPIT_MAX_DIM];
    if (t == NULL) {
        for (unsigned i = 0; i < n * n; i++)
            a[i] = i % (n + 1) == 0 ? 1.0 : 0.0;
        memset(off, 0, sizeof off);
    } else if (!pipit_transform_get_matrix(t, a, off)) {
        return false;
    }
    double qa[PIPIT_MAX_DIM * PIPIT_MAX_DIM], v[PIPIT_MAX_DIM];
    for (unsigned r = 0; r < n; r++)
        for (unsigned c = 0; c < n; c++) {
            double s = 0.0;
            for (unsigned k = 0; k < n; k++)
                s += in->to_index[r * n + k] * a[k * n + c];
            qa[r * n + c] = s;
        }
    for (unsigned r = 0; r < n; r++) {
        for (unsigned c = 0; c < n; c++) {
            double s = 0.0;
            for (unsigned k = 0; k < n; k++)
                s += qa[r * n + k] * out->to_point[k * n + c];
            m[r * n + c] = snap(s);
        }
        double s = off[r] - in->origin[r];
        for (unsigned k = 0; k < n; k++)
            s += a[r * n + k] * out->origin[k];
        v[r] = s;
    }
    for (unsigned r = 0; r < n; r++) {
        double s = 0.0;
        for (unsigned k = 0; k < n; k++)
            s += in->to_index[r * n + k] * v[k];
        b[r] = snap(s);
    }
    return true;
}

/* ---- rows -------------------------------------------------------------- */

#define LOAD_ROW(W, T)                                                     \
    for (size_t i = 0; i < n; i++)                                         \
        dst[i] = (W)((const T *)(const void *)src)[i];

#define LOAD_ANY(W)                                                        \
    switch (t) {                                                           \
    case PIPIT_U8: LOAD_ROW(W, uint8_t) break;                             \
    case PIPIT_I8: LOAD_ROW(W, int8_t) break;                              \
    case PIPIT_U16: LOAD_ROW(W, uint16_t) break;                           \
    case PIPIT_I16: LOAD_ROW(W, int16_t) break;                            \
    case PIPIT_U32: LOAD_ROW(W, uint32_t) break;                           \
    case PIPIT_I32: LOAD_ROW(W, int32_t) break;                            \
    case PIPIT_F32: LOAD_ROW(W, float) break;                              \
    case PIPIT_F64: LOAD_ROW(W, double) break;                             \
    }

void
pipit__row_load_f32(const char *src, pipit_pixel_type_t t, size_t n,
                    float *dst)
{
    if (t == PIPIT_F32) {
        memcpy(dst, src, n * sizeof(float));
        return;
    }
    LOAD_ANY(float)
}

void
pipit__row_load_f64(const char *src, pipit_pixel_type_t t, size_t n,
                    double *dst)
{
    LOAD_ANY(double)
}

/* Round half away from zero and clamp; lo/hi are exact in double for
 * every integer type we have. */
#define STORE_INT(T, lo, hi)                                               \
    for (size_t i = 0; i < n; i++) {                                       \
        double v = src[i];                                                 \
        v = v >= 0.0 ? floor(v + 0.5) : ceil(v - 0.5);                     \
        ((T *)(void *)dst)[i] = v >= (hi)   ? (T)(hi)                      \
                                : v <= (lo) ? (T)(lo)                      \
                                : v == v    ? (T)v                         \
                                            : (T)0;                        \
    }

#define STORE_ANY(W)                                                       \
    switch (t) {                                                           \
    case PIPIT_U8: STORE_INT(uint8_t, 0.0, 255.0) break;                   \
    case PIPIT_I8: STORE_INT(int8_t, -128.0, 127.0) break;                 \
    case PIPIT_U16: STORE_INT(uint16_t, 0.0, 65535.0) break;               \
    case PIPIT_I16: STORE_INT(int16_t, -32768.0, 32767.0) break;           \
    case PIPIT_U32: STORE_INT(uint32_t, 0.0, 4294967295.0) break;          \
    case PIPIT_I32: STORE_INT(int32_t, -2147483648.0, 2147483647.0) break; \
    case PIPIT_F32:                                                        \
        for (size_t i = 0; i < n; i++)                                     \
            ((float *)(void *)dst)[i] = (float)src[i];                     \
        break;                                                             \
    case PIPIT_F64:                                                        \
        for (size_t i = 0; i < n; i++)                                     \
            ((double *)(void *)dst)[i] = (double)src[i];                   \
        break;                                                             \
    }

void
pipit__row_store_f32(const float *src, size_t n, char *dst,
                     pipit_pixel_type_t t)
{
    if (t == PIPIT_F32) {
        memcpy(dst, src, n * sizeof(float));
        return;
    }
    STORE_ANY(float)
}

void
pipit__row_store_f64(const double *src, size_t n, char *dst,
                     pipit_pixel_type_t t)
{
    if (t == PIPIT_F64) {
        memcpy(dst, src, n * sizeof(double));
        return;
    }
    STORE_ANY(double)
}

/* ---- the discrete Gaussian kernel -------------------------------------- */

/*
 * exp(-t) I_k(t) for k = 0..kmax at once, from the integral
 *     exp(-t) I_k(t) = (1/π) ∫_0^π exp(t (cos θ - 1)) cos(kθ) dθ
 * by the trapezoid rule, which converges geometrically for this smooth
 * periodic integrand: m nodes are exact to rounding once m is well
 * above kmax + sqrt(t)·(a few), and the scaled form never overflows.
 * cos θ - 1 is taken as -2 sin²(θ/2), exact where θ is tiny (a large t).
 * The integrand falls with θ and is 0 once t(1 - cos θ) passes ~745:
 * the loop stops there, after about 100 + m·sqrt(1490/t)/π nodes, so the
 * work is O(kmax²) at most whatever t (it was O(kmax·sqrt(t)): minutes
 * at t = 1e16, and m overflowed a size_t past t ~ 5e36). m is a double
 * for that reason; the nodes it skips added exact zeros.
 */
static void
scaled_bessel(double t, size_t kmax, double *out)
{
    double m = 64.0 + 2.0 * (double)kmax + ceil(8.0 * sqrt(t));
    for (size_t k = 0; k <= kmax; k++)
        out[k] = 0.0;
    for (double j = 0; j <= m; j++) {
        double theta = M_PI * j / m;
        double w = (j == 0 || j == m) ? 0.5 : 1.0;
        double h = sin(0.5 * theta);
        double e = w * exp(-2.0 * t * h * h);
        if (e == 0.0)
            break;
        /* cos(kθ) by the Chebyshev recurrence. */
        double c0 = 1.0, c1 = cos(theta), twoc = 2.0 * c1;
        out[0] += e;
        if (kmax >= 1)
            out[1] += e * c1;
        for (size_t k = 2; k <= kmax; k++) {
            double c2 = twoc * c1 - c0;
            out[k] += e * c2;
            c0 = c1, c1 = c2;
        }
    }
    for (size_t k = 0; k <= kmax; k++)
        out[k] /= m;
}

pipit_status_t
pipit__gaussian_kernel(double variance, double max_error, size_t max_width,
                       double **taps, size_t *radius)
{
    pipit_status_t st = PIPIT_OK;
    double *half = NULL, *k = NULL;
    *taps = NULL;
    *radius = 0;
    if (!(variance >= 0.0) || !isfinite(variance))
        return pipit__error(PIPIT_EINVAL, "gaussian kernel: variance %g",
                            variance);
    if (!(max_error > 0.0 && max_error < 1.0))
        return pipit__error(PIPIT_EINVAL,
                            "gaussian kernel: maximum error %g is not in "
                            "(0, 1)",
                            max_error);
    if (max_width < 1)
        max_width = 1;
    if (variance == 0.0) {
        if ((k = pipit__malloc(sizeof *k)) == NULL)
            return PIPIT_ENOMEM;
        k[0] = 1.0;
        *taps = k;
        return PIPIT_OK;
    }
    if ((half = pipit__malloc((max_width + 1) * sizeof *half)) == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    scaled_bessel(variance, max_width, half);
    /* ITK: the centre and one neighbour always, then more until the
     * mass reaches 1 - max_error, a tap is not positive, or the half
     * kernel passes max_width taps. */
    double cap = 1.0 - max_error, sum = half[0] + 2.0 * half[1];
    size_t r = 1;
    while (sum < cap && r < max_width) {
        r++;
        sum += 2.0 * half[r];
        if (half[r] <= 0.0)
            break;
    }
    if ((k = pipit__malloc((2 * r + 1) * sizeof *k)) == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    for (size_t j = 0; j <= r; j++)
        k[r + j] = k[r - j] = half[j] / sum;
    *taps = k;
    *radius = r;
    k = NULL;
done:
    pipit__free(half);
    pipit__free(k);
    return st;
}

/* ---- requests ---------------------------------------------------------- */

pipit_status_t
pipit__request_padded(const pipit_node_t *n, unsigned input,
                      const pipit_region_t *asked, const size_t *radius,
                      pipit_region_t *needed)
{
    const pipit_image_t *in = pipit__input(n, input);
    pipit_region_t whole = pipit_image_largest_region(in);
    *needed = pipit_region_pad(asked, radius, in->dim, &whole);
    return PIPIT_OK;
}

pipit_status_t
pipit__request_lines(const pipit_node_t *n, unsigned input,
                     const pipit_region_t *asked, unsigned axes,
                     pipit_region_t *needed)
{
    const pipit_image_t *in = pipit__input(n, input);
    pipit_region_t whole = pipit_image_largest_region(in);
    *needed = pipit_region_intersect(asked, &whole);
    for (unsigned d = 0; d < in->dim; d++)
        if (axes & (1u << d)) {
            needed->lo[d] = whole.lo[d];
            needed->hi[d] = whole.hi[d];
        }
    return PIPIT_OK;
}
