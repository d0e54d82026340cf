/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The separable FIR engine: symmetric kernels along z, y and x, fused
 * inside each piece so that nothing but small per-worker rows is written
 * between the passes. For each slice z of the piece:
 *
 *   z pass: the rows y0 - ry .. y1 + ry (clamped to the image) filtered
 *           along z, columns x0 - rx .. x1 + rx (clamped), into zbuf;
 *   y pass: each output row y from zbuf along y, into a row padded by
 *           rx on both sides with the border values (zero-flux Neumann);
 *   x pass: that row along x, then divided and converted to the output.
 *
 * Each output value is a fixed sequence of operations on fixed input
 * values, whatever the piece or the thread: results are bit-identical
 * for any thread count, whole or streamed. Sums use the symmetry,
 * c_0 a_0 + Σ c_j (a_-j + a_j), in the working type (float, or double
 * for i32, u32 and f64 images).
 */
#include <string.h>

#include "smooth_impl.h"

#define L PIPIT__LANES

static size_t
round_up(size_t n)
{
    return (n + L - 1) / L * L;
}

static size_t
clampz(ptrdiff_t i, size_t n)
{
    return i < 0 ? 0 : (size_t)i >= n ? n - 1 : (size_t)i;
}

/* Scratch layout of one worker, for a piece at most as large as the
 * requested region (counts of work-type elements). */
typedef struct {
    size_t zrows, zstride; /* zbuf: zrows rows of zstride */
    size_t yrow;           /* padded y-pass row */
    size_t orow;           /* x-pass result */
    size_t tmp;            /* two converted input rows */
} layout_t;

static layout_t
layout_for(const pipit__fir_t *f, const pipit_region_t *r)
{
    layout_t l;
    size_t w = r->hi[0] - r->lo[0], h = r->hi[1] - r->lo[1];
    l.zstride = round_up(w + 2 * f->radius[0]);
    l.zrows = h + 2 * f->radius[1];
    l.yrow = round_up(w + 2 * f->radius[0]) + L;
    l.orow = round_up(w);
    l.tmp = 2 * l.zstride;
    return l;
}

pipit_status_t
pipit__fir_prepare(pipit__fir_t *f, const pipit_node_t *n,
                   double *const taps[3], const size_t radius[3],
                   double divisor)
{
    const pipit_image_t *in = pipit__input(n, 0);
    memset(f, 0, sizeof *f);
    f->dim = in->dim;
    f->f64 = pipit__needs_f64(in->type);
    f->divisor = divisor;
    for (unsigned d = 0; d < 3; d++) {
        size_t r = d < in->dim ? radius[d] : 0;
        f->radius[d] = r;
        f->kf[d] = pipit__malloc((2 * r + 1) * sizeof(float));
        f->kd[d] = pipit__malloc((2 * r + 1) * sizeof(double));
        if (f->kf[d] == NULL || f->kd[d] == NULL) {
            pipit__fir_release(f);
            return PIPIT_ENOMEM;
        }
        for (size_t j = 0; j < 2 * r + 1; j++) {
            double v = taps[d] != NULL && d < in->dim ? taps[d][j] : 1.0;
            f->kd[d][j] = v;
            f->kf[d][j] = (float)v;
        }
    }
    layout_t l = layout_for(f, &n->requested[0]);
    size_t elems = l.zrows * l.zstride + l.yrow + l.orow + l.tmp + 4 * L;
    pipit_status_t st = pipit__scratch_init(
        &f->scratch, elems * (f->f64 ? sizeof(double) : sizeof(float)));
    if (st != PIPIT_OK)
        pipit__fir_release(f);
    return st;
}

void
pipit__fir_release(pipit__fir_t *f)
{
    for (unsigned d = 0; d < 3; d++) {
        pipit__free(f->kf[d]);
        pipit__free(f->kd[d]);
        f->kf[d] = NULL;
        f->kd[d] = NULL;
    }
    pipit__scratch_free(&f->scratch);
}

/*
 * The passes, written once for float (f32) and double (f64) work. The
 * inner loops run in blocks of L with a scalar tail doing the same
 * arithmetic, so the vectoriser takes them at -O2.
 */
#define FIR_KERNELS(W, S)                                                  \
    /* acc = k * a */                                                      \
    static inline void set_##S(W *restrict acc, const W *restrict a, W k,  \
                               size_t n)                                   \
    {                                                                      \
        size_t i = 0;                                                      \
        for (; i + L <= n; i += L)                                         \
            for (unsigned l = 0; l < L; l++)                               \
                acc[i + l] = k * a[i + l];                                 \
        for (; i < n; i++)                                                 \
            acc[i] = k * a[i];                                             \
    }                                                                      \
    /* acc += k * (a + b) */                                               \
    static inline void pair_##S(W *restrict acc, const W *restrict a,      \
                                const W *restrict b, W k, size_t n)        \
    {                                                                      \
        size_t i = 0;                                                      \
        for (; i + L <= n; i += L)                                         \
            for (unsigned l = 0; l < L; l++)                               \
                acc[i + l] += k * (a[i + l] + b[i + l]);                   \
        for (; i < n; i++)                                                 \
            acc[i] += k * (a[i] + b[i]);                                   \
    }                                                                      \
    /* out[i] = k0 a[i] + Σ_j kj (a[i-j] + a[i+j]) along a row */          \
    static inline void xpass_##S(W *restrict out, const W *restrict a,     \
                                 const W *k, size_t r, size_t n)           \
    {                                                                      \
        set_##S(out, a, k[r], n);                                          \
        for (size_t j = 1; j <= r; j++)                                    \
            pair_##S(out, a - j, a + j, k[r + j], n);                      \
    }

FIR_KERNELS(float, f32)
FIR_KERNELS(double, f64)

/*
 * Input row (y, z) from column cx0, cw wide, as W: the pixels themselves
 * when the image already holds W, else converted into tmp.
 */
#define SRC_ROW(S, NATIVE, y, z, tmp)                                      \
    (NATIVE ? (const void *)pipit__at(in, cx0, (y), (z), t)                \
            : (pipit__row_load_##S(pipit__at(in, cx0, (y), (z), t), it,    \
                                   cw, (tmp)),                             \
               (const void *)(tmp)))

/* The piece, for work type W with suffix S: see the top of the file. */
#define FIR_PIECE_V(W, S, K, NT, V, ATTR)                                  \
    ATTR static void fir_piece_##S##V(const pipit__fir_t *f,               \
                                         const pipit_image_t *in,          \
                                         pipit_image_t *out,               \
                                         const pipit_region_t *g,          \
                                         W *mem)                           \
    {                                                                      \
        const size_t W_ = in->size[0], H = in->size[1], D = in->size[2];   \
        const size_t rx = f->radius[0], ry = f->radius[1],                 \
                     rz = f->radius[2];                                    \
        const W *kx = f->K[0], *ky = f->K[1], *kz = f->K[2];               \
        const size_t x0 = g->lo[0], x1 = g->hi[0];                         \
        const size_t cx0 = x0 >= rx ? x0 - rx : 0;                         \
        const size_t cx1 = x1 + rx < W_ ? x1 + rx : W_;                    \
        const size_t cw = cx1 - cx0, ow = x1 - x0;                         \
        const size_t ya = g->lo[1] >= ry ? g->lo[1] - ry : 0;              \
        const size_t yb = g->hi[1] + ry < H ? g->hi[1] + ry : H;           \
        const layout_t lay = layout_for(f, &out->buffered);                \
        const bool native = in->type == NT;                                \
        const pipit_pixel_type_t it = in->type;                            \
        const size_t t = g->lo[3];                                         \
        const W divisor = (W)f->divisor;                                   \
        W *zbuf = mem;                                                     \
        W *yrow = zbuf + lay.zrows * lay.zstride;                          \
        W *orow = yrow + lay.yrow;                                         \
        W *t0 = orow + lay.orow, *t1 = t0 + lay.zstride;                   \
        /* ymid[c - x0] holds column c, for c in [x0 - rx, x1 + rx). */    \
        W *ymid = yrow + L + rx;                                           \
        W *ycore = ymid + ((ptrdiff_t)cx0 - (ptrdiff_t)x0);                \
        for (size_t z = g->lo[2]; z < g->hi[2]; z++) {                     \
            for (size_t y = ya; y < yb; y++) {                             \
                W *dst = zbuf + (y - ya) * lay.zstride;                    \
                set_##S(dst, SRC_ROW(S, native, y, z, t0), kz[rz], cw);    \
                for (size_t j = 1; j <= rz; j++) {                         \
                    size_t zm = clampz((ptrdiff_t)z - (ptrdiff_t)j, D);    \
                    size_t zp = clampz((ptrdiff_t)(z + j), D);             \
                    pair_##S(dst, SRC_ROW(S, native, y, zm, t0),           \
                             SRC_ROW(S, native, y, zp, t1), kz[rz + j],    \
                             cw);                                          \
                }                                                          \
            }                                                              \
            for (size_t y = g->lo[1]; y < g->hi[1]; y++) {                 \
                set_##S(ycore, zbuf + (y - ya) * lay.zstride, ky[ry], cw); \
                for (size_t j = 1; j <= ry; j++) {                         \
                    size_t ym = clampz((ptrdiff_t)y - (ptrdiff_t)j, H);    \
                    size_t yp = clampz((ptrdiff_t)(y + j), H);             \
                    pair_##S(ycore, zbuf + (ym - ya) * lay.zstride,        \
                             zbuf + (yp - ya) * lay.zstride, ky[ry + j],   \
                             cw);                                          \
                }                                                          \
                /* Neumann: columns left of 0 and right of W - 1. */       \
                for (W *c = ymid - rx; c < ycore; c++)                     \
                    *c = ycore[0];                                         \
                for (W *c = ycore + cw; c < ymid + ow + rx; c++)           \
                    *c = ycore[cw - 1];                                    \
                xpass_##S(orow, ymid, kx, rx, ow);                         \
                if (divisor != (W)1)                                       \
                    for (size_t i = 0; i < ow; i++)                        \
                        orow[i] /= divisor;                                \
                pipit__row_store_##S(orow, ow,                             \
                                     pipit__at(out, x0, y, z, t),          \
                                     out->type);                           \
            }                                                              \
        }                                                                  \
    }

/* Both copies and the dispatching wrapper (lib/cpu_impl.h). */
#define FIR_PIECE(W, S, K, NT)                                             \
    FIR_PIECE_V(W, S, K, NT, _portable, )                                  \
    PIPIT__IF_V3(FIR_PIECE_V(W, S, K, NT, _v3, PIPIT__V3))                 \
    static void fir_piece_##S(const pipit__fir_t *f, const pipit_image_t *in,\
                              pipit_image_t *out,                          \
                              const pipit_region_t *g, W *mem)             \
    {                                                                      \
        PIPIT__PICK(fir_piece_##S)(f, in, out, g, mem);                    \
    }

FIR_PIECE(float, f32, kf, PIPIT_F32)
FIR_PIECE(double, f64, kd, PIPIT_F64)

pipit_status_t
pipit__fir_piece(const pipit__fir_t *f, const pipit_node_t *n,
                 const pipit_piece_t *p)
{
    void *mem = pipit__scratch_get(&f->scratch, p->worker);
    if (mem == NULL)
        return pipit__scratch_error(n, &f->scratch, p->worker);
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    if (f->f64)
        fir_piece_f64(f, in, out, &p->region, mem);
    else
        fir_piece_f32(f, in, out, &p->region, mem);
    return PIPIT_OK;
}
