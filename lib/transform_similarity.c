/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SimilarityTransform: T(x) = s·R(x - c) + c + t.
 * 2-D parameters s θ t_x t_y; 3-D v_x v_y v_z t_x t_y t_z s, where v is
 * the vector part of the unit quaternion (versor) (w, v), w = sqrt(1 -
 * |v|²) >= 0. As ITK does, a v with |v| >= 1 - 1e-10 is scaled to just
 * under unit length before use; the stored parameters stay as given.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "linalg_impl.h"
#include "transform_impl.h"

typedef struct {
    pipit__linear_t lin;
    double r[9];     /* the rotation alone */
    double dr[3][9]; /* 2-D: ∂R/∂θ in [0]; 3-D: dR/dv_i along |q| = 1 */
} similarity_t;

/* R of the versor (w, x, y, z) and its partial derivatives, treating the
 * four components as independent. */
static void
versor_matrix(double w, double x, double y, double z, double *r,
              double d[4][9])
{
    double m[9] = {
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)
    };
    double dx[9] = { 0, 2 * y, 2 * z, 2 * y, -4 * x, -2 * w,
                     2 * z, 2 * w, -4 * x };
    double dy[9] = { -4 * y, 2 * x, 2 * w, 2 * x, 0, 2 * z,
                     -2 * w, 2 * z, -4 * y };
    double dz[9] = { -4 * z, -2 * w, 2 * x, 2 * w, -4 * z, 2 * y,
                     2 * x, 2 * y, 0 };
    double dw[9] = { 0, -2 * z, 2 * y, 2 * z, 0, -2 * x,
                     -2 * y, 2 * x, 0 };
    memcpy(r, m, sizeof m);
    memcpy(d[0], dx, sizeof dx), memcpy(d[1], dy, sizeof dy);
    memcpy(d[2], dz, sizeof dz), memcpy(d[3], dw, sizeof dw);
}

static void
similarity_update(pipit_transform_t *t)
{
    similarity_t *s = (similarity_t *)t;
    const double *p = t->params;
    if (t->dim == 2) {
        double c = cos(p[1]), sn = sin(p[1]);
        double r[4] = { c, -sn, sn, c }, dr[4] = { -sn, -c, c, -sn };
        memcpy(s->r, r, sizeof r), memcpy(s->dr[0], dr, sizeof dr);
        for (int k = 0; k < 4; k++)
            s->lin.m[k] = p[0] * r[k];
        pipit__linear_set_offset(&s->lin, p + 2);
        return;
    }
    double v[3] = { p[0], p[1], p[2] };
    double norm = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (norm >= 1.0 - 1e-10)
        for (int k = 0; k < 3; k++)
            v[k] /= norm * (1.0 + 1e-10);
    double w = sqrt(fmax(0.0, 1.0 - (v[0] * v[0] + v[1] * v[1] +
                                     v[2] * v[2])));
    double d[4][9];
    versor_matrix(w, v[0], v[1], v[2], s->r, d);
    /* w depends on v: dw/dv_i = -v_i / w (kept finite near w = 0). */
    double wf = fmax(w, 1e-12);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 9; k++)
            s->dr[i][k] = d[i][k] - v[i] / wf * d[3][k];
    for (int k = 0; k < 9; k++)
        s->lin.m[k] = p[6] * s->r[k];
    pipit__linear_set_offset(&s->lin, p + 3);
}

static void
similarity_identity(pipit_transform_t *t)
{
    t->params[t->dim == 2 ? 0 : 6] = 1.0;
}

static size_t
similarity_jacobian(const pipit_transform_t *t, const double *x,
                    size_t *indices, double *values)
{
    const similarity_t *s = (const similarity_t *)t;
    unsigned n = t->dim;
    size_t np = t->n_params;
    double v[3], a[3];
    for (unsigned d = 0; d < n; d++)
        v[d] = x[d] - t->center[d];
    for (size_t k = 0; k < np; k++)
        indices[k] = k;
    memset(values, 0, n * np * sizeof(double));
    /* Columns: (scale, angle, translation) in 2-D; (v, translation,
     * scale) in 3-D. */
    unsigned scale_col = n == 2 ? 0 : 6, tcol = n == 2 ? 2 : 3;
    double scale = t->params[scale_col];
    pipit__mat_vec(n, s->r, v, a);
    for (unsigned d = 0; d < n; d++)
        values[d * np + scale_col] = a[d];
    for (unsigned i = 0; i < (n == 2 ? 1u : 3u); i++) {
        pipit__mat_vec(n, s->dr[i], v, a);
        unsigned col = n == 2 ? 1 : i;
        for (unsigned d = 0; d < n; d++)
            values[d * np + col] = scale * a[d];
    }
    for (unsigned d = 0; d < n; d++)
        values[d * np + tcol + d] = 1.0;
    return np;
}

static pipit_status_t
similarity_inverse(const pipit_transform_t *t, pipit_transform_t **out)
{
    const similarity_t *s = (const similarity_t *)t;
    unsigned n = t->dim;
    const double *p = t->params;
    double scale = p[n == 2 ? 0 : 6];
    if (scale == 0.0)
        return pipit__error(PIPIT_EINVAL,
                            "SimilarityTransform: scale 0 has no inverse");
    pipit_transform_t *inv = pipit_similarity_transform_new(n, t->center);
    if (inv == NULL)
        return PIPIT_ENOMEM;
    /* (sR)⁻¹ = Rᵀ / s and t' = -Rᵀ t / s keep the same centre. */
    double rt[9], tr[3];
    for (unsigned r = 0; r < n; r++)
        for (unsigned c = 0; c < n; c++)
            rt[r * n + c] = s->r[c * n + r] / scale;
    const double *tt = p + (n == 2 ? 2 : 3);
    pipit__mat_vec(n, rt, tt, tr);
    double *q = inv->params;
    if (n == 2) {
        q[0] = 1.0 / scale, q[1] = -p[1];
        q[2] = -tr[0], q[3] = -tr[1];
    } else {
        for (int k = 0; k < 3; k++)
            q[k] = -p[k], q[3 + k] = -tr[k];
        q[6] = 1.0 / scale;
    }
    similarity_update(inv);
    *out = inv;
    return PIPIT_OK;
}

static const pipit__transform_class_t similarity_class = {
    .name = "SimilarityTransform",
    .size = sizeof(similarity_t),
    .has_center = true,
    .update = similarity_update,
    .identity = similarity_identity,
    .point = pipit__linear_point,
    .jacobian = similarity_jacobian,
    .spatial_jacobian = pipit__linear_spatial_jacobian,
    .matrix = pipit__linear_matrix,
    .inverse = similarity_inverse,
};

pipit_transform_t *
pipit_similarity_transform_new(unsigned dim, const double *center)
{
    if (dim != 2 && dim != 3) {
        pipit__error(PIPIT_EINVAL,
                     "SimilarityTransform: dimension %u (2 or 3)", dim);
        return NULL;
    }
    return pipit__linear_new(&similarity_class, dim, dim == 2 ? 4 : 7, center);
}
