/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EulerTransform (rigid): T(x) = R(x - c) + c + t.
 * 2-D parameters θ t_x t_y; 3-D θx θy θz t_x t_y t_z with
 * R = Rz(θz)·Rx(θx)·Ry(θy) (θy applied first), or Rz·Ry·Rx when
 * ComputeZYX is set. Elementary rotations are right-handed.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "linalg_impl.h"
#include "transform_impl.h"

typedef struct {
    pipit__linear_t lin;
    bool zyx;
    /* ∂R/∂θ_i, dim x dim row-major (2-D: only [0]). */
    double dr[3][9];
} euler_t;

static void
rot_x(double a, double *r, double *dr)
{
    double c = cos(a), s = sin(a);
    double m[9] = { 1, 0, 0, 0, c, -s, 0, s, c };
    double d[9] = { 0, 0, 0, 0, -s, -c, 0, c, -s };
    memcpy(r, m, sizeof m), memcpy(dr, d, sizeof d);
}

static void
rot_y(double a, double *r, double *dr)
{
    double c = cos(a), s = sin(a);
    double m[9] = { c, 0, s, 0, 1, 0, -s, 0, c };
    double d[9] = { -s, 0, c, 0, 0, 0, -c, 0, -s };
    memcpy(r, m, sizeof m), memcpy(dr, d, sizeof d);
}

static void
rot_z(double a, double *r, double *dr)
{
    double c = cos(a), s = sin(a);
    double m[9] = { c, -s, 0, s, c, 0, 0, 0, 1 };
    double d[9] = { -s, -c, 0, c, -s, 0, 0, 0, 0 };
    memcpy(r, m, sizeof m), memcpy(dr, d, sizeof d);
}

/* out = a·b·c, 3 x 3. */
static void
mul3(const double *a, const double *b, const double *c, double *out)
{
    pipit__mat_mul(3, a, b, out);
    pipit__mat_mul(3, out, c, out);
}

static void
euler_update(pipit_transform_t *t)
{
    euler_t *e = (euler_t *)t;
    const double *p = t->params;
    if (t->dim == 2) {
        double c = cos(p[0]), s = sin(p[0]);
        double r[4] = { c, -s, s, c }, dr[4] = { -s, -c, c, -s };
        memcpy(e->lin.m, r, sizeof r), memcpy(e->dr[0], dr, sizeof dr);
        pipit__linear_set_offset(&e->lin, p + 1);
        return;
    }
    double rx[9], ry[9], rz[9], dx[9], dy[9], dz[9];
    rot_x(p[0], rx, dx), rot_y(p[1], ry, dy), rot_z(p[2], rz, dz);
    if (e->zyx) {
        mul3(rz, ry, rx, e->lin.m);
        mul3(rz, ry, dx, e->dr[0]);
        mul3(rz, dy, rx, e->dr[1]);
        mul3(dz, ry, rx, e->dr[2]);
    } else {
        mul3(rz, rx, ry, e->lin.m);
        mul3(rz, dx, ry, e->dr[0]);
        mul3(rz, rx, dy, e->dr[1]);
        mul3(dz, rx, ry, e->dr[2]);
    }
    pipit__linear_set_offset(&e->lin, p + 3);
}

static size_t
euler_jacobian(const pipit_transform_t *t, const double *x, size_t *indices,
               double *values)
{
    const euler_t *e = (const euler_t *)t;
    unsigned n = t->dim, na = n == 2 ? 1 : 3; /* angles */
    size_t np = t->n_params;
    double v[3], dv[3];
    for (unsigned d = 0; d < n; d++)
        v[d] = x[d] - t->center[d];
    for (size_t k = 0; k < np; k++)
        indices[k] = k;
    memset(values, 0, n * np * sizeof(double));
    for (unsigned a = 0; a < na; a++) {
        pipit__mat_vec(n, e->dr[a], v, dv);
        for (unsigned d = 0; d < n; d++)
            values[d * np + a] = dv[d];
    }
    for (unsigned d = 0; d < n; d++)
        values[d * np + na + d] = 1.0;
    return np;
}

/*
 * The angles of a rotation matrix in the transform's convention. At
 * gimbal lock (middle angle ±90°) θy (default) or θx (ZYX) is taken as 0
 * and the rest goes into θz, which gives the same matrix.
 */
static void
angles_of(const double *r, bool zyx, double *a)
{
    if (!zyx) {
        /* R21 = sin θx, R20 = -cos θx sin θy, R22 = cos θx cos θy,
         * R01 = -sin θz cos θx, R11 = cos θz cos θx. */
        a[0] = asin(fmax(-1.0, fmin(1.0, r[7])));
        if (fabs(r[7]) < 1.0 - 1e-12) {
            a[1] = atan2(-r[6], r[8]);
            a[2] = atan2(-r[1], r[4]);
        } else {
            a[1] = 0.0;
            a[2] = atan2(r[3], r[0]);
        }
    } else {
        /* R20 = -sin θy, R21 = cos θy sin θx, R22 = cos θy cos θx,
         * R10 = sin θz cos θy, R00 = cos θz cos θy. */
        a[1] = asin(fmax(-1.0, fmin(1.0, -r[6])));
        if (fabs(r[6]) < 1.0 - 1e-12) {
            a[0] = atan2(r[7], r[8]);
            a[2] = atan2(r[3], r[0]);
        } else {
            a[0] = 0.0;
            a[2] = atan2(-r[1], r[4]);
        }
    }
}

static pipit_status_t
euler_inverse(const pipit_transform_t *t, pipit_transform_t **out)
{
    const euler_t *e = (const euler_t *)t;
    unsigned n = t->dim;
    pipit_transform_t *inv = pipit_euler_transform_new(n, t->center);
    if (inv == NULL)
        return PIPIT_ENOMEM;
    ((euler_t *)inv)->zyx = e->zyx;
    /* R⁻¹ = Rᵀ and t' = -Rᵀ t keep the same centre. */
    double rt[9], tr[3];
    for (unsigned r = 0; r < n; r++)
        for (unsigned c = 0; c < n; c++)
            rt[r * n + c] = e->lin.m[c * n + r];
    const double *tt = t->params + (n == 2 ? 1 : 3);
    pipit__mat_vec(n, rt, tt, tr);
    double *p = inv->params;
    if (n == 2)
        p[0] = -t->params[0];
    else
        angles_of(rt, e->zyx, p);
    for (unsigned d = 0; d < n; d++)
        p[(n == 2 ? 1 : 3) + d] = -tr[d];
    euler_update(inv);
    *out = inv;
    return PIPIT_OK;
}

static const pipit__transform_class_t euler_class = {
    .name = "EulerTransform",
    .size = sizeof(euler_t),
    .has_center = true,
    .update = euler_update,
    .point = pipit__linear_point,
    .jacobian = euler_jacobian,
    .spatial_jacobian = pipit__linear_spatial_jacobian,
    .matrix = pipit__linear_matrix,
    .inverse = euler_inverse,
};

pipit_transform_t *
pipit_euler_transform_new(unsigned dim, const double *center)
{
    if (dim != 2 && dim != 3) {
        pipit__error(PIPIT_EINVAL, "EulerTransform: dimension %u (2 or 3)",
                     dim);
        return NULL;
    }
    return pipit__linear_new(&euler_class, dim, dim == 2 ? 3 : 6, center);
}

pipit_status_t
pipit_euler_transform_set_compute_zyx(pipit_transform_t *t, bool zyx)
{
    PIPIT_CHECK_ARG(t != NULL);
    if (t->klass != &euler_class)
        return pipit__error(PIPIT_EINVAL,
                            "ComputeZYX: %s is not an EulerTransform",
                            pipit_transform_name(t));
    /* Kept but without effect in 2-D, where there is one angle. */
    ((euler_t *)t)->zyx = zyx;
    pipit__transform_changed(t);
    return PIPIT_OK;
}

bool
pipit_euler_transform_compute_zyx(const pipit_transform_t *t)
{
    return t != NULL && t->klass == &euler_class && ((const euler_t *)t)->zyx;
}
