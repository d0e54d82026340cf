/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqrt: the square root, computed in double (ITK's SqrtImageFilter);
 * negative values give NaN (0 in an integer output). The default output
 * type is f32 for integer inputs (ITK's FloatType of every integer type)
 * and the input's own type for f32 and f64.
 *
 * libm's sqrt sets errno for negative arguments, which keeps compilers
 * from vectorising a loop of it (without -fno-math-errno); with SSE2 the
 * square roots come from its instructions instead, the same correctly
 * rounded IEEE results.
 */
#include <math.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "pointwise_impl.h"

/* b = sqrt(a) for n doubles; b may be a. */
static void
sqrt_doubles(const double *a, double *b, size_t n)
{
#if defined(__SSE2__)
    size_t i = 0;
    for (; i + 2 <= n; i += 2)
        _mm_storeu_pd(b + i, _mm_sqrt_pd(_mm_loadu_pd(a + i)));
    if (i < n) {
        __m128d x = _mm_set_sd(a[i]);
        _mm_store_sd(b + i, _mm_sqrt_sd(x, x));
    }
#else
    for (size_t i = 0; i < n; i++)
        b[i] = sqrt(a[i]);
#endif
}

static void
sqrt_chunk(double *v, size_t n, const void *ctx)
{
    (void)ctx;
    sqrt_doubles(v, v, n);
}

/* The square root of a float rounded to float is the double square root
 * rounded to float (double has more than twice the bits), so in single
 * precision, four at a time. */
static void
sqrt_f32(const float *a, float *b, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(b + i, _mm_sqrt_ps(_mm_loadu_ps(a + i)));
    for (; i < n; i++) {
        __m128 x = _mm_set_ss(a[i]);
        _mm_store_ss(b + i, _mm_sqrt_ss(x));
    }
#else
    for (; i < n; i++)
        b[i] = (float)sqrt((double)a[i]);
#endif
}

static void
sqrt_f64(const double *a, double *b, size_t n)
{
    sqrt_doubles(a, b, n);
}

static const pipit__unary_op_t sqrt_op = {
    .real = true,
    .chunk = sqrt_chunk,
    .row_f32 = sqrt_f32,
    .row_f64 = sqrt_f64,
};

static pipit_status_t
sqrt_init(pipit_node_t *n)
{
    ((pipit__unary_t *)n)->op = &sqrt_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__sqrt_class = {
    .name = "sqrt",
    .help = "square root of each value (auto type: f32 for integer inputs)",
    .init = sqrt_init,
    PIPIT__UNARY_CLASS,
};

pipit_node_t *
pipit_sqrt_new(void)
{
    return pipit_node_new(&pipit__sqrt_class);
}
