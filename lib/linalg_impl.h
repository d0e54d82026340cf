/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small dense matrices for transforms and interpolators: n x n, n <= 4,
 * row-major (a[r * n + c]). Inline so that the fixed small loops unroll.
 */
#ifndef PIPIT_LINALG_IMPL_H
#define PIPIT_LINALG_IMPL_H

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <pipit/types.h>

static inline void
pipit__mat_identity(unsigned n, double *a)
{
    for (unsigned r = 0; r < n; r++)
        for (unsigned c = 0; c < n; c++)
            a[r * n + c] = r == c ? 1.0 : 0.0;
}

/** out = a · v; out must not alias v. */
static inline void
pipit__mat_vec(unsigned n, const double *a, const double *v, double *out)
{
    for (unsigned r = 0; r < n; r++) {
        double s = 0.0;
        for (unsigned c = 0; c < n; c++)
            s += a[r * n + c] * v[c];
        out[r] = s;
    }
}

/** out = a · b; out may alias a or b. */
static inline void
pipit__mat_mul(unsigned n, const double *a, const double *b, double *out)
{
    double t[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    for (unsigned r = 0; r < n; r++)
        for (unsigned c = 0; c < n; c++) {
            double s = 0.0;
            for (unsigned k = 0; k < n; k++)
                s += a[r * n + k] * b[k * n + c];
            t[r * n + c] = s;
        }
    memcpy(out, t, sizeof(double) * n * n);
}

/**
 * inv = a^-1 by Gauss-Jordan with partial pivoting; inv may alias a.
 * False (inv untouched) when a is singular relative to its own scale or
 * holds a non-finite value.
 */
static inline bool
pipit__mat_inverse(unsigned n, const double *a, double *inv)
{
    double m[PIPIT_MAX_DIM][2 * PIPIT_MAX_DIM];
    double scale = 0.0;
    for (unsigned r = 0; r < n; r++)
        for (unsigned c = 0; c < n; c++) {
            m[r][c] = a[r * n + c];
            m[r][n + c] = r == c ? 1.0 : 0.0;
            scale = fmax(scale, fabs(a[r * n + c]));
        }
    if (!(scale > 0.0) || !isfinite(scale))
        return false;
    for (unsigned c = 0; c < n; c++) {
        unsigned p = c;
        for (unsigned r = c + 1; r < n; r++)
            if (fabs(m[r][c]) > fabs(m[p][c]))
                p = r;
        if (fabs(m[p][c]) <= 1e-14 * scale)
            return false;
        if (p != c)
            for (unsigned k = 0; k < 2 * n; k++) {
                double t = m[c][k];
                m[c][k] = m[p][k];
                m[p][k] = t;
            }
        double d = m[c][c];
        for (unsigned k = 0; k < 2 * n; k++)
            m[c][k] /= d;
        for (unsigned r = 0; r < n; r++) {
            if (r == c || m[r][c] == 0.0)
                continue;
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

#endif
