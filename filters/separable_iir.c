/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The recursive Gaussian engine. Each axis is a 4th-order IIR filter in
 * two passes (Deriche 1993, with the constants of Farnebäck & Westin,
 * "Improving Deriche-style recursive Gaussian filters", 2006, that ITK's
 * RecursiveGaussianImageFilter uses):
 *
 *   causal       y[i] = Σ_{k=0..3} n_k x[i-k] - Σ_{k=1..4} d_k y[i-k]
 *   anti-causal  a[i] = Σ_{k=1..4} m_k x[i+k] - Σ_{k=1..4} d_k a[i+k]
 *   output       y[i] + a[i]
 *
 * with the border sample taken to extend to infinity: before the line
 * x = x[0] and y = x[0]·Σn/Σd (the causal filter's steady state), after
 * it x = x[n-1] and a = x[n-1]·Σm/Σd. This is ITK's boundary, written as
 * a history of four samples instead of special first steps.
 *
 * Lines are filtered in blocks of PIPIT__LANES at once, copied into a
 * double scratch laid out sample-major (s[k * L + lane]) so that every
 * recursion step is one vectorisable loop over lanes; the arithmetic is
 * double, the working volume float (as ITK's float internal image).
 */
#include <math.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "smooth_impl.h"

#define L PIPIT__LANES
#define HALO 4 /* history samples on each side of a line */

/* ---- coefficients ------------------------------------------------------ */

typedef struct {
    double n[4];
    double sn, dn, en; /* Σ n_k, Σ k n_k, Σ k² n_k */
} numer_t;

/* The two damped cosines of the approximation, for sigma in voxels. */
typedef struct {
    double c1, s1, e1, c2, s2, e2;
} waves_t;

static waves_t
waves(double sigmad)
{
    /* Farnebäck & Westin's frequencies and decays. */
    const double w1 = 0.6681, l1 = -1.3932, w2 = 2.0787, l2 = -1.3732;
    waves_t w = { cos(w1 / sigmad), sin(w1 / sigmad), exp(l1 / sigmad),
                  cos(w2 / sigmad), sin(w2 / sigmad), exp(l2 / sigmad) };
    return w;
}

/* Numerator of the causal part for amplitudes (a1, b1), (a2, b2). */
static numer_t
numerator(const waves_t *w, double a1, double b1, double a2, double b2)
{
    numer_t r;
    r.n[0] = a1 + a2;
    r.n[1] = w->e2 * (b2 * w->s2 - (a2 + 2.0 * a1) * w->c2) +
             w->e1 * (b1 * w->s1 - (a1 + 2.0 * a2) * w->c1);
    r.n[2] = 2.0 * w->e1 * w->e2 *
                 ((a1 + a2) * w->c2 * w->c1 - b1 * w->c2 * w->s1 -
                  b2 * w->c1 * w->s2) +
             a2 * w->e1 * w->e1 + a1 * w->e2 * w->e2;
    r.n[3] = w->e2 * w->e1 * w->e1 * (b2 * w->s2 - a2 * w->c2) +
             w->e1 * w->e2 * w->e2 * (b1 * w->s1 - a1 * w->c1);
    r.sn = r.n[0] + r.n[1] + r.n[2] + r.n[3];
    r.dn = r.n[1] + 2.0 * r.n[2] + 3.0 * r.n[3];
    r.en = r.n[1] + 4.0 * r.n[2] + 9.0 * r.n[3];
    return r;
}

void
pipit__iir_identity(pipit__iir_t *c)
{
    memset(c, 0, sizeof *c);
}

void
pipit__iir_coefficients(double sigma, double spacing, unsigned order,
                        bool normalize, pipit__iir_t *c)
{
    const double sigmad = sigma / spacing;
    const waves_t w = waves(sigmad);
    double *d = c->d;
    d[3] = w.e1 * w.e1 * w.e2 * w.e2;
    d[2] = -2.0 * w.c1 * w.e1 * w.e2 * w.e2 - 2.0 * w.c2 * w.e2 * w.e1 * w.e1;
    d[1] = 4.0 * w.c2 * w.c1 * w.e1 * w.e2 + w.e1 * w.e1 + w.e2 * w.e2;
    d[0] = -2.0 * (w.e2 * w.c2 + w.e1 * w.c1);
    const double sd = 1.0 + d[0] + d[1] + d[2] + d[3];
    const double dd = d[0] + 2.0 * d[1] + 3.0 * d[2] + 4.0 * d[3];
    const double ed = d[0] + 4.0 * d[1] + 9.0 * d[2] + 16.0 * d[3];
    numer_t r;
    double scale;
    bool symmetric = true;
    switch (order) {
    case 0:
        r = numerator(&w, 1.3530, 1.8151, -0.3531, 0.0902);
        /* unit DC gain of causal + anti-causal */
        scale = 1.0 / (2.0 * r.sn / sd - r.n[0]);
        break;
    case 1:
        r = numerator(&w, -0.6724, -3.4327, 0.6724, 0.6100);
        /* unit response to a ramp of slope 1 per voxel */
        scale = (normalize ? sigma : 1.0) /
                (2.0 * (r.sn * dd - r.dn * sd) / (sd * sd));
        symmetric = false;
        break;
    default: {
        numer_t r0 = numerator(&w, 1.3530, 1.8151, -0.3531, 0.0902);
        numer_t r2 = numerator(&w, -1.3563, 5.2318, 0.3446, -2.2355);
        /* Add enough of the smoother to give zero response to a
         * constant, then unit response to x²/2. */
        double beta =
            -(2.0 * r2.sn - sd * r2.n[0]) / (2.0 * r0.sn - sd * r0.n[0]);
        for (unsigned k = 0; k < 4; k++)
            r.n[k] = r2.n[k] + beta * r0.n[k];
        r.sn = r2.sn + beta * r0.sn;
        r.dn = r2.dn + beta * r0.dn;
        r.en = r2.en + beta * r0.en;
        double alpha = (r.en * sd * sd - ed * r.sn * sd -
                        2.0 * r.dn * dd * sd + 2.0 * dd * dd * r.sn) /
                       (sd * sd * sd);
        scale = (normalize ? sigma * sigma : 1.0) / alpha;
        break;
    }
    }
    for (unsigned k = 0; k < 4; k++)
        c->n[k] = r.n[k] * scale;
    /* The anti-causal numerator mirrors the causal one (negated for the
     * odd first derivative). */
    double sign = symmetric ? 1.0 : -1.0;
    c->m[0] = sign * (c->n[1] - d[0] * c->n[0]);
    c->m[1] = sign * (c->n[2] - d[1] * c->n[0]);
    c->m[2] = sign * (c->n[3] - d[2] * c->n[0]);
    c->m[3] = sign * (-d[3] * c->n[0]);
    double sn = c->n[0] + c->n[1] + c->n[2] + c->n[3];
    double sm = c->m[0] + c->m[1] + c->m[2] + c->m[3];
    c->causal_gain = sn / sd;
    c->anti_gain = sm / sd;
    c->active = true;
}

/* ---- one block of lines ------------------------------------------------ */

/* Four doubles; the lanes of a block are L / 4 of them. */
typedef double v4d __attribute__((vector_size(32), may_alias));
#define NV (L / 4)

/*
 * x: n samples of L lanes at x[k * L + l] with HALO rows of room on each
 * side (x - HALO * L is the start of the block); y and a likewise, all
 * 32-byte aligned. On return x holds the filtered lines. Always inlined,
 * so that it is compiled with its caller's instruction set.
 */
static inline __attribute__((always_inline)) void
iir_block(const pipit__iir_t *c, double *restrict x, double *restrict y,
          double *restrict a, size_t n)
{
    const double n0 = c->n[0], n1 = c->n[1], n2 = c->n[2], n3 = c->n[3];
    const double m1 = c->m[0], m2 = c->m[1], m3 = c->m[2], m4 = c->m[3];
    const double d1 = c->d[0], d2 = c->d[1], d3 = c->d[2], d4 = c->d[3];
    v4d *X = (v4d *)(void *)x, *Y = (v4d *)(void *)y, *A = (v4d *)(void *)a;
    const v4d *first = X, *last = X + (n - 1) * NV;
    for (ptrdiff_t k = 1; k <= HALO; k++)
        for (unsigned v = 0; v < NV; v++) {
            X[-k * NV + v] = first[v];
            Y[-k * NV + v] = first[v] * c->causal_gain;
            X[((ptrdiff_t)n - 1 + k) * NV + v] = last[v];
            A[((ptrdiff_t)n - 1 + k) * NV + v] = last[v] * c->anti_gain;
        }
    /* Sums paired so that only the last multiply-add waits for the
     * previous output. */
    for (size_t k = 0; k < n; k++) {
        const v4d *x0 = X + k * NV;
        v4d *y0 = Y + k * NV;
        for (ptrdiff_t v = 0; v < NV; v++) {
            v4d p = (n0 * x0[v] + n1 * x0[v - NV]) +
                    (n2 * x0[v - 2 * NV] + n3 * x0[v - 3 * NV]);
            v4d q = d4 * y0[v - 4 * NV] + d3 * y0[v - 3 * NV] +
                    d2 * y0[v - 2 * NV];
            y0[v] = (p - q) - d1 * y0[v - NV];
        }
    }
    for (size_t k = n; k-- > 0;) {
        const v4d *x1 = X + (k + 1) * NV;
        v4d *a0 = A + k * NV;
        for (ptrdiff_t v = 0; v < NV; v++) {
            v4d p = (m1 * x1[v] + m2 * x1[v + NV]) +
                    (m3 * x1[v + 2 * NV] + m4 * x1[v + 3 * NV]);
            v4d q = d4 * a0[v + 4 * NV] + d3 * a0[v + 3 * NV] +
                    d2 * a0[v + 2 * NV];
            a0[v] = (p - q) - d1 * a0[v + NV];
        }
    }
    for (size_t k = 0; k < n * NV; k++)
        X[k] = Y[k] + A[k];
}

size_t
pipit__iir_scratch_doubles(size_t n)
{
    return 3 * (n + 2 * HALO) * L;
}

/* The three arrays of a block in a scratch of pipit__iir_scratch_doubles. */
static void
block_arrays(double *s, size_t n, double **x, double **y, double **a)
{
    size_t rows = n + 2 * HALO;
    *x = s + HALO * L;
    *y = s + rows * L + HALO * L;
    *a = s + 2 * rows * L + HALO * L;
}

/* ---- axis passes over a volume ----------------------------------------- */

typedef struct {
    float *data;
    size_t n;          /* samples per line */
    size_t step;       /* floats between samples */
    size_t width;      /* lanes (x) per group */
    size_t group_step; /* floats between groups */
    size_t blocks;     /* per group */
    const pipit__iir_t *c;
    pipit__scratch_t scratch;
} axis_pass_t;

#define AXIS_BLOCK(V, ATTR)                                                \
ATTR static void                                                           \
axis_block##V(const axis_pass_t *ap, size_t i, double *s)                  \
{                                                                          \
    size_t g = i / ap->blocks, b = i % ap->blocks;                         \
    size_t first = b * L;                                                  \
    unsigned lanes =                                                       \
        (unsigned)(ap->width - first < L ? ap->width - first : L);         \
    float *base = ap->data + g * ap->group_step + first;                   \
    double *x, *y, *a;                                                     \
    block_arrays(s, ap->n, &x, &y, &a);                                    \
    for (size_t k = 0; k < ap->n; k++) {                                   \
        const float *src = base + k * ap->step;                            \
        double *dst = x + k * L;                                           \
        if (lanes == L)                                                    \
            for (unsigned l = 0; l < L; l++)                               \
                dst[l] = src[l];                                           \
        else                                                               \
            for (unsigned l = 0; l < L; l++)                               \
                dst[l] = l < lanes ? src[l] : 0.0;                         \
    }                                                                      \
    iir_block(ap->c, x, y, a, ap->n);                                      \
    for (size_t k = 0; k < ap->n; k++) {                                   \
        float *dst = base + k * ap->step;                                  \
        const double *src = x + k * L;                                     \
        if (lanes == L)                                                    \
            for (unsigned l = 0; l < L; l++)                               \
                dst[l] = (float)src[l];                                    \
        else                                                               \
            for (unsigned l = 0; l < lanes; l++)                           \
                dst[l] = (float)src[l];                                    \
    }                                                                      \
}

PIPIT__MULTIVERSION(AXIS_BLOCK)

static void
axis_block(const axis_pass_t *ap, size_t i, double *s)
{
    PIPIT__PICK(axis_block)(ap, i, s);
}

static pipit_status_t
axis_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const axis_pass_t *ap = ctx;
    (void)acc;
    double *s = pipit__scratch_get(&ap->scratch, worker);
    if (s == NULL)
        return pipit__scratch_fail("recursive gaussian", &ap->scratch,
                                   worker);
    for (size_t i = lo; i < hi; i++)
        axis_block(ap, i, s);
    return PIPIT_OK;
}

pipit_status_t
pipit__iir_axis(pipit__volume_t *v, unsigned axis, const pipit__iir_t *c)
{
    if (!c->active || v->size[axis] < 2)
        return PIPIT_OK;
    axis_pass_t ap = { .data = v->data, .c = c, .width = v->size[0] };
    size_t plane = v->size[0] * v->size[1], groups;
    ap.n = v->size[axis];
    if (axis == 1) {
        ap.step = v->size[0];
        ap.group_step = plane;
        groups = v->size[2];
    } else {
        ap.step = plane;
        ap.group_step = v->size[0];
        groups = v->size[1];
    }
    ap.blocks = (ap.width + L - 1) / L;
    pipit_status_t st = pipit__scratch_init(
        &ap.scratch, pipit__iir_scratch_doubles(ap.n) * sizeof(double));
    if (st == PIPIT_OK)
        st = pipit_parallel_for(groups * ap.blocks, 0, axis_range, &ap);
    pipit__scratch_free(&ap.scratch);
    return st;
}

/* ---- the x pass, from `threaded` --------------------------------------- */

#define IIR_ROWS(V, ATTR)                                                  \
ATTR static void                                                           \
pipit__iir_rows##V(const float *const *src, unsigned count, size_t n,      \
                size_t off, size_t w, const pipit__iir_t *c, float *dst,   \
                size_t dst_stride, double *scratch)                        \
{                                                                          \
    if (!c->active || n < 2) {                                             \
        for (unsigned l = 0; l < count; l++)                               \
            memcpy(dst + l * dst_stride, src[l] + off, w * sizeof(float)); \
        return;                                                            \
    }                                                                      \
    const float *rows[L];                                                  \
    for (unsigned l = 0; l < L; l++)                                       \
        rows[l] = src[l < count ? l : 0];                                  \
    double *x, *yy, *a;                                                    \
    block_arrays(scratch, n, &x, &yy, &a);                                 \
    for (size_t k = 0; k < n; k++)                                         \
        for (unsigned l = 0; l < L; l++)                                   \
            x[k * L + l] = rows[l][k];                                     \
    iir_block(c, x, yy, a, n);                                             \
    for (unsigned l = 0; l < count; l++) {                                 \
        float *d = dst + l * dst_stride;                                   \
        for (size_t k = 0; k < w; k++)                                     \
            d[k] = (float)x[(off + k) * L + l];                            \
    }                                                                      \
}

PIPIT__MULTIVERSION(IIR_ROWS)

void
pipit__iir_rows(const float *const *src, unsigned count, size_t n,
                size_t off, size_t w, const pipit__iir_t *c, float *dst,
                size_t dst_stride, double *scratch)
{
    PIPIT__PICK(pipit__iir_rows)(src, count, n, off, w, c, dst, dst_stride,
                                 scratch);
}

/* ---- volumes ----------------------------------------------------------- */

typedef struct {
    const pipit_image_t *img;
    pipit_region_t r;
    pipit__volume_t *v;
} load_t;

static pipit_status_t
load_rows(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const load_t *ld = ctx;
    const pipit__volume_t *v = ld->v;
    (void)worker, (void)acc;
    for (size_t i = lo; i < hi; i++) {
        size_t y = ld->r.lo[1] + i % v->size[1];
        size_t z = ld->r.lo[2] + i / v->size[1];
        pipit__row_load_f32(pipit__at(ld->img, ld->r.lo[0], y, z, ld->r.lo[3]),
                            ld->img->type, v->size[0],
                            v->data + i * v->size[0]);
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__volume_alloc(pipit__volume_t *v, const pipit_region_t *r)
{
    size_t count = 1, bytes;
    v->region = *r;
    for (unsigned d = 0; d < 3; d++) {
        v->size[d] = r->hi[d] - r->lo[d];
        count *= v->size[d];
    }
    if (count == 0)
        count = 1;
    if (v->data != NULL && v->capacity >= count)
        return PIPIT_OK; /* the last update's pages, already mapped */
    pipit__volume_free(v);
    if (pipit__mul_overflows(count, sizeof(float), &bytes))
        return pipit__error(PIPIT_ERANGE, "working volume too large");
    v->data = pipit__aligned_alloc(bytes);
    if (v->data == NULL)
        return PIPIT_ENOMEM;
    v->capacity = count;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    /* Fresh pages cost a fault each; on a large volume ask for huge
     * pages (a hint: failure changes nothing). */
    const uintptr_t huge = 2u << 20;
    uintptr_t lo = ((uintptr_t)v->data + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)v->data + bytes) & ~(huge - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
    return PIPIT_OK;
}

pipit_status_t
pipit__volume_load(pipit__volume_t *v, const pipit_image_t *img,
                   const pipit_region_t *r)
{
    pipit_status_t st = pipit__volume_alloc(v, r);
    if (st != PIPIT_OK)
        return st;
    load_t ld = { .img = img, .r = *r, .v = v };
    return pipit_parallel_for(v->size[1] * v->size[2], 0, load_rows, &ld);
}

pipit_status_t
pipit__volume_copy(pipit__volume_t *dst, const pipit__volume_t *src)
{
    pipit_status_t st = pipit__volume_alloc(dst, &src->region);
    if (st == PIPIT_OK)
        memcpy(dst->data, src->data,
               src->size[0] * src->size[1] * src->size[2] * sizeof(float));
    return st;
}

void
pipit__volume_free(pipit__volume_t *v)
{
    pipit__free(v->data);
    v->data = NULL;
    v->capacity = 0;
}

const float *
pipit__volume_row(const pipit__volume_t *v, size_t y, size_t z)
{
    return v->data + ((z - v->region.lo[2]) * v->size[1] +
                      (y - v->region.lo[1])) *
                         v->size[0];
}

/* ---- a whole filter: z and y in `before`, x in `threaded` -------------- */

/* True when only x is filtered and the input rows can be read as they
 * are: no working volume is needed. */
static bool
plan_direct(const pipit__iir_plan_t *pl, const pipit_image_t *in)
{
    return in->type == PIPIT_F32 && !pl->axis[1].active &&
           !pl->axis[2].active;
}

pipit_status_t
pipit__iir_plan_run(pipit__iir_plan_t *pl, const pipit_node_t *n)
{
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_region_t *out = &n->requested[0];
    const pipit_region_t *src = &n->input_region[0];
    pipit_status_t st = PIPIT_OK;
    pipit__scratch_free(&pl->scratch);
    if (pipit_region_is_empty(out))
        return PIPIT_OK;
    if (!plan_direct(pl, in)) {
        if ((st = pipit__volume_load(&pl->vol, in, src)) != PIPIT_OK)
            return st;
        /* z then y, as ITK goes from the last axis to the first. */
        for (unsigned d = in->dim; d-- > 1 && st == PIPIT_OK;)
            st = pipit__iir_axis(&pl->vol, d, &pl->axis[d]);
    }
    if (st == PIPIT_OK) {
        size_t w = out->hi[0] - out->lo[0];
        st = pipit__scratch_init(
            &pl->scratch,
            pipit__iir_scratch_doubles(src->hi[0] - src->lo[0]) *
                    sizeof(double) +
                (size_t)L * w * sizeof(float));
    }
    return st;
}

pipit_status_t
pipit__iir_plan_piece(const pipit__iir_plan_t *pl, const pipit_node_t *n,
                      const pipit_piece_t *p, pipit__iir_finish_fn finish)
{
    const pipit_region_t *g = &p->region;
    const pipit_region_t *src = &n->input_region[0];
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    double *s = pipit__scratch_get(&pl->scratch, p->worker);
    if (s == NULL)
        return pipit__scratch_error(n, &pl->scratch, p->worker);
    const bool direct = plan_direct(pl, in);
    const size_t w = g->hi[0] - g->lo[0], len = src->hi[0] - src->lo[0];
    float *rows = (float *)(void *)(s + pipit__iir_scratch_doubles(len));
    const float *lines[L];
    size_t ys[L], zs[L];
    unsigned count = 0;
    for (size_t z = g->lo[2]; z < g->hi[2]; z++)
        for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
            ys[count] = y, zs[count] = z;
            lines[count++] =
                direct ? (const float *)(const void *)pipit__at(
                             in, src->lo[0], y, z, g->lo[3])
                       : pipit__volume_row(&pl->vol, y, z);
            if (count < L && !(y + 1 == g->hi[1] && z + 1 == g->hi[2]))
                continue;
            pipit__iir_rows(lines, count, len, g->lo[0] - src->lo[0], w,
                            &pl->axis[0], rows, w, s);
            for (unsigned l = 0; l < count; l++) {
                float *r = rows + l * w;
                if (finish != NULL)
                    finish(n, r, w);
                pipit__row_store_f32(r, w,
                                     pipit__at(out, g->lo[0], ys[l], zs[l],
                                               g->lo[3]),
                                     out->type);
            }
            count = 0;
        }
    return PIPIT_OK;
}

void
pipit__iir_plan_release(pipit__iir_plan_t *pl)
{
    pipit__scratch_free(&pl->scratch);
}

void
pipit__iir_plan_free(pipit__iir_plan_t *pl)
{
    pipit__volume_free(&pl->vol);
    pipit__scratch_free(&pl->scratch);
}
