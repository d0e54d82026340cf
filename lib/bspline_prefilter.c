/* SPDX-License-Identifier: Apache-2.0 */
/*
 * B-spline coefficients from samples (the interpolation condition),
 * after Unser, Aldroubi & Eden, "B-spline signal processing" (1993): per
 * axis, the samples of each line are scaled by the gain ∏ (1-z)(1-1/z)
 * and passed, for each pole z of the order, through a causal filter
 * c+[k] = s[k] + z c+[k-1] and an anti-causal one
 * c[k] = z (c[k+1] - c+[k]), started with their mirror-boundary values.
 *
 * Lines are independent: they are filtered in blocks of w lines at once
 * (w a multiple of LANES), the block copied into a double scratch laid
 * out sample-major (scratch[k * w + lane]) so that every recursion step
 * is a vectorisable loop over lanes, and the blocks spread over the
 * pool. Along x a block is LANES lines, transposed on the way in; along
 * the other axes its lanes are neighbouring x, as many as keep the
 * scratch near SCRATCH_BYTES, so that each sample row read is a long
 * contiguous run (the memory prefetcher follows it).
 */
#include <math.h>
#include <string.h>

#include <pipit/pool.h>

#include "bspline_impl.h"
#include "error_impl.h"

#define LANES 16
#define SCRATCH_BYTES (256 * 1024)
/* The causal start sums z^k s[k] until |z|^k falls below this. */
#define TOLERANCE 1e-14

typedef struct {
    char *data;
    bool f32;
    size_t n;         /* samples per line */
    size_t step;      /* elements between samples of a line */
    size_t lane_step; /* elements between neighbouring lines of a block */
    size_t width;     /* lines per group */
    size_t group_step;
    size_t w;         /* lanes per block, a multiple of LANES */
    size_t blocks;    /* blocks per group: ceil(width / w) */
    unsigned n_poles;
    double pole[2];
    size_t horizon[2];
    double gain;
    double *scratch; /* scratch_size doubles per worker */
    size_t scratch_size;
    unsigned n_scratch;
} pass_t;

static unsigned
poles_of(unsigned order, double *z)
{
    switch (order) {
    case 2:
        z[0] = sqrt(8.0) - 3.0;
        return 1;
    case 3:
        z[0] = sqrt(3.0) - 2.0;
        return 1;
    case 4:
        z[0] = sqrt(664.0 - sqrt(438976.0)) + sqrt(304.0) - 19.0;
        z[1] = sqrt(664.0 + sqrt(438976.0)) - sqrt(304.0) - 19.0;
        return 2;
    case 5:
        z[0] = sqrt(135.0 / 2.0 - sqrt(17745.0 / 4.0)) + sqrt(105.0 / 4.0) -
               13.0 / 2.0;
        z[1] = sqrt(135.0 / 2.0 + sqrt(17745.0 / 4.0)) - sqrt(105.0 / 4.0) -
               13.0 / 2.0;
        return 2;
    default:
        return 0; /* orders 0 and 1 interpolate their samples as they are */
    }
}

/*
 * The row operations of the recursions, on LANES values. Being
 * functions with restrict parameters tells the compiler the rows do not
 * overlap, so the loops vectorise once inlined; the wider block rows
 * are walked LANES values at a time.
 */
static inline void
lanes_axpy(double *restrict acc, const double *restrict r, double a)
{
    for (unsigned l = 0; l < LANES; l++)
        acc[l] += a * r[l];
}

static inline void
lanes_anticausal(double *restrict cur, const double *restrict next,
                 double z)
{
    for (unsigned l = 0; l < LANES; l++)
        cur[l] = z * (next[l] - cur[l]);
}

static inline void
lanes_anticausal_start(double *restrict last, const double *restrict prev,
                       double z, double f)
{
    for (unsigned l = 0; l < LANES; l++)
        last[l] = f * (last[l] + z * prev[l]);
}

/*
 * One pole's causal and anti-causal passes over a block of n rows of w
 * lanes, in place; acc is one more row of w.
 */
static void
filter_pole(double *s, size_t n, size_t w, double z, size_t horizon,
            double *acc)
{
    memcpy(acc, s, w * sizeof(double));
    if (horizon < n) {
        /* The mirrored tail is below TOLERANCE: a plain truncated sum. */
        double zk = z;
        for (size_t k = 1; k < horizon; k++, zk *= z)
            for (size_t c = 0; c < w; c += LANES)
                lanes_axpy(acc + c, s + k * w + c, zk);
    } else {
        /* Exact: Σ over the mirrored line of period 2n - 2, summed. */
        double zn = pow(z, (double)(n - 1)), z2 = zn * zn / z, zk = z;
        for (size_t c = 0; c < w; c += LANES)
            lanes_axpy(acc + c, s + (n - 1) * w + c, zn);
        for (size_t k = 1; k + 1 < n; k++, zk *= z, z2 /= z)
            for (size_t c = 0; c < w; c += LANES)
                lanes_axpy(acc + c, s + k * w + c, zk + z2);
        double norm = 1.0 / (1.0 - zn * zn);
        for (size_t l = 0; l < w; l++)
            acc[l] *= norm;
    }
    memcpy(s, acc, w * sizeof(double));
    for (size_t k = 1; k < n; k++)
        for (size_t c = 0; c < w; c += LANES)
            lanes_axpy(s + k * w + c, s + (k - 1) * w + c, z);
    double f = z / (z * z - 1.0);
    for (size_t c = 0; c < w; c += LANES)
        lanes_anticausal_start(s + (n - 1) * w + c, s + (n - 2) * w + c, z,
                               f);
    for (size_t k = n - 1; k-- > 0;)
        for (size_t c = 0; c < w; c += LANES)
            lanes_anticausal(s + k * w + c, s + (k + 1) * w + c, z);
}

/*
 * Moves LANES neighbouring elements between data and a scratch row: in
 * (scaled by gain) or back. f32 and back are constants in each caller.
 */
static PIPIT__ALWAYS_INLINE void
move_lanes(void *restrict data, double *restrict r, double gain, bool back,
           bool f32)
{
    float *restrict df = data;
    double *restrict dd = data;
    for (unsigned l = 0; l < LANES; l++) {
        if (back && f32)
            df[l] = (float)r[l];
        else if (back)
            dd[l] = r[l];
        else
            r[l] = gain * (f32 ? (double)df[l] : dd[l]);
    }
}

/* The same one element at a time: n of them, data at stride 1, the
 * scratch at stride rs. */
static PIPIT__ALWAYS_INLINE void
move_strided(void *restrict data, double *restrict s, size_t n, size_t rs,
             double gain, bool back, bool f32)
{
    float *restrict df = data;
    double *restrict dd = data;
    for (size_t k = 0; k < n; k++) {
        if (back && f32)
            df[k] = (float)s[k * rs];
        else if (back)
            dd[k] = s[k * rs];
        else
            s[k * rs] = gain * (f32 ? (double)df[k] : dd[k]);
    }
}

/*
 * Copies the lanes lines of a block starting at element base into s
 * (scaled by gain), or back when back is true.
 */
static PIPIT__ALWAYS_INLINE void
move_block(const pass_t *ps, size_t base, size_t lanes, double *s,
           bool back, bool f32)
{
    size_t elem = f32 ? sizeof(float) : sizeof(double), w = ps->w;
    char *data = ps->data + base * elem;
    if (ps->lane_step == 1) {
        /* Lanes are neighbouring elements: copy sample rows. */
        for (size_t k = 0; k < ps->n; k++) {
            char *row = data + k * ps->step * elem;
            double *r = s + k * w;
            size_t l = 0;
            for (; l + LANES <= lanes; l += LANES)
                move_lanes(row + l * elem, r + l, ps->gain, back, f32);
            if (l < lanes)
                move_strided(row + l * elem, r + l, lanes - l, 1, ps->gain,
                             back, f32);
        }
    } else {
        /* Lanes are whole lines (axis 0, step 1): walk each in order. */
        for (size_t l = 0; l < lanes; l++)
            move_strided(data + l * ps->lane_step * elem, s + l, ps->n, w,
                         ps->gain, back, f32);
    }
}

static pipit_status_t
pass_blocks(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const pass_t *ps = ctx;
    (void)acc;
    if (worker >= ps->n_scratch)
        return pipit__error(PIPIT_ESTATE,
                            "bspline prefilter: worker %u of %u (the pool "
                            "was resized during the loop)",
                            worker, ps->n_scratch);
    size_t n = ps->n, w = ps->w;
    double *s = ps->scratch + (size_t)worker * ps->scratch_size;
    for (size_t i = lo; i < hi; i++) {
        size_t g = i / ps->blocks, b = i % ps->blocks;
        size_t first = b * w;
        size_t base = g * ps->group_step + first * ps->lane_step;
        size_t lanes = ps->width - first < w ? ps->width - first : w;
        if (lanes < w) /* keep unused lanes finite */
            for (size_t k = 0; k < n; k++)
                memset(s + k * w + lanes, 0, (w - lanes) * sizeof(double));
        if (ps->f32)
            move_block(ps, base, lanes, s, false, true);
        else
            move_block(ps, base, lanes, s, false, false);
        for (unsigned p = 0; p < ps->n_poles; p++)
            filter_pole(s, n, w, ps->pole[p], ps->horizon[p], s + n * w);
        if (ps->f32)
            move_block(ps, base, lanes, s, true, true);
        else
            move_block(ps, base, lanes, s, true, false);
    }
    return PIPIT_OK;
}

/* Lanes per block along an axis of n samples with width lines a group. */
static size_t
block_lanes(size_t n, size_t width, bool along_x)
{
    if (along_x)
        return LANES;
    size_t w = SCRATCH_BYTES / ((n + 1) * sizeof(double)) / LANES * LANES;
    size_t all = (width + LANES - 1) / LANES * LANES;
    return w < LANES ? LANES : w > all ? all : w;
}

static pipit_status_t
prefilter(char *data, bool f32, unsigned dim, const size_t *size,
          unsigned order)
{
    pass_t ps = { .data = data, .f32 = f32 };
    ps.n_poles = poles_of(order, ps.pole);
    if (ps.n_poles == 0)
        return PIPIT_OK;
    ps.gain = 1.0;
    for (unsigned p = 0; p < ps.n_poles; p++) {
        double z = ps.pole[p];
        ps.gain *= (1.0 - z) * (1.0 - 1.0 / z);
        ps.horizon[p] = (size_t)ceil(log(TOLERANCE) / log(fabs(z)));
    }
    size_t total = 1, most = 0;
    for (unsigned d = 0; d < dim; d++)
        total *= size[d];
    /* The largest scratch any axis needs: n + 1 rows of w lanes. */
    size_t inner = 1;
    for (unsigned d = 0; d < dim; inner *= size[d], d++) {
        size_t w = block_lanes(size[d], d == 0 ? total / size[d] : inner,
                               d == 0);
        most = (size[d] + 1) * w > most ? (size[d] + 1) * w : most;
    }
    ps.scratch_size = most;
    ps.n_scratch = pipit_pool_hold(); /* no resize until the last pass */
    ps.scratch = pipit__malloc((size_t)ps.n_scratch * most * sizeof(double));
    if (ps.scratch == NULL) {
        pipit_pool_release();
        return PIPIT_ENOMEM;
    }
    pipit_status_t st = PIPIT_OK;
    inner = 1; /* elements between samples along axis d */
    for (unsigned d = 0; d < dim && st == PIPIT_OK; inner *= size[d], d++) {
        ps.n = size[d];
        if (ps.n < 2)
            continue; /* one sample is its own coefficient */
        ps.step = inner;
        if (d == 0) {
            ps.lane_step = ps.n, ps.width = total / ps.n, ps.group_step = 0;
        } else {
            ps.lane_step = 1, ps.width = inner;
            ps.group_step = inner * ps.n;
        }
        ps.w = block_lanes(ps.n, ps.width, d == 0);
        ps.blocks = (ps.width + ps.w - 1) / ps.w;
        size_t groups = d == 0 ? 1 : total / (inner * ps.n);
        st = pipit_parallel_for(groups * ps.blocks, 0, pass_blocks, &ps);
    }
    pipit__free(ps.scratch);
    pipit_pool_release();
    return st;
}

pipit_status_t
pipit__bspline_prefilter_f64(double *data, unsigned dim, const size_t *size,
                             unsigned n)
{
    return prefilter((char *)data, false, dim, size, n);
}

pipit_status_t
pipit__bspline_prefilter_f32(float *data, unsigned dim, const size_t *size,
                             unsigned n)
{
    return prefilter((char *)data, true, dim, size, n);
}
