/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Spatial transforms, as elastix has them.
 *
 * A transform maps a point of the fixed (output) image's physical space
 * to a point of the moving (input) image's physical space: a resampler
 * computes out(x) = moving(T(x)) on the fixed grid. Points are physical
 * (origin, spacing and direction already applied), never indices.
 *
 * Parameters are a flat array of doubles in elastix's order (the order
 * of TransformParameters in a TransformParameters file; see
 * ../shared/spec/elastix-compat.md section 6.2). Fixed parameters (a
 * centre of rotation, a B-spline grid, the Euler ZYX flag) are set apart.
 * Matrices are row-major: m[r * dim + c]. Directions in elastix files are
 * column-major; a reader transposes them.
 *
 * Kinds, their `Transform` name and parameters (c: centre):
 *   TranslationTransform  t                 T(x) = x + t
 *   EulerTransform 2-D    θ tx ty           T(x) = R(x - c) + c + t
 *   EulerTransform 3-D    θx θy θz t        R = Rz·Rx·Ry (Ry applied
 *                                           first), Rz·Ry·Rx with ZYX
 *   SimilarityTransform   2-D s θ t; 3-D vx vy vz t s (versor vector
 *                         part, w = sqrt(1 - |v|²))  T(x) = sR(x-c)+c+t
 *   AffineTransform       a00 a01 .. (row-major) then t
 *                                           T(x) = A(x - c) + c + t
 *   BSplineTransform      all x coefficients, then all y, (then z);
 *                         control points x fastest   T(x) = x + Σ c_k β
 * Angles are in radians; rotations are right-handed.
 *
 * Thread safety: evaluating (point, Jacobians) only reads, so any number
 * of threads may evaluate one transform at once; changing parameters or
 * fixed parameters must not overlap with evaluation.
 */
#ifndef PIPIT_TRANSFORM_H
#define PIPIT_TRANSFORM_H

#include <pipit/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pipit_transform pipit_transform_t;

/* ---- Common to every kind ---------------------------------------- */

PIPIT_API pipit_transform_t *pipit_transform_ref(pipit_transform_t *t);
/** Drops a reference; NULL is a no-op. */
PIPIT_API void pipit_transform_unref(pipit_transform_t *t);

/**
 * A new, independent transform with the same kind, fixed parameters and
 * parameters (a chain copies both of its parts). NULL on ENOMEM.
 */
PIPIT_API pipit_transform_t *pipit_transform_dup(const pipit_transform_t *t);

/**
 * The elastix `Transform` value: "TranslationTransform", "EulerTransform",
 * "SimilarityTransform", "AffineTransform", "BSplineTransform". A chain
 * answers with its current (last) transform's name, as the
 * TransformParameters file of a chain does.
 */
PIPIT_API const char *pipit_transform_name(const pipit_transform_t *t);

/** Number of axes of the spaces it maps (2, 3; 4 for some kinds). */
PIPIT_API unsigned pipit_transform_dim(const pipit_transform_t *t);

/** Number of parameters (elastix `NumberOfParameters`). */
PIPIT_API size_t pipit_transform_n_parameters(const pipit_transform_t *t);

/**
 * The parameters, borrowed: valid until they are next set or t dies. A
 * chain's are those of its current transform.
 */
PIPIT_API const double *pipit_transform_parameters(const pipit_transform_t *t);

/**
 * Copies n parameters (n must equal pipit_transform_n_parameters) and
 * updates what depends on them. PIPIT_EINVAL for a wrong count or a
 * non-finite value (naming its index); t is then unchanged. Not thread
 * safe against evaluation.
 */
PIPIT_API pipit_status_t pipit_transform_set_parameters(pipit_transform_t *t,
                                                        const double *p,
                                                        size_t n);

/** Puts the identity's parameters back (zero, unit scale or matrix). */
PIPIT_API void pipit_transform_set_identity(pipit_transform_t *t);

/**
 * Maps one fixed-space point to moving space: out = T(in), arrays of dim.
 * in and out may be the same array. Thread safe.
 */
PIPIT_API void pipit_transform_point(const pipit_transform_t *t,
                                     const double *in, double *out);

/**
 * Largest count pipit_transform_jacobian can return: the number of
 * parameters for the dense kinds, dim·(order+1)^dim for a B-spline.
 */
PIPIT_API size_t pipit_transform_jacobian_size(const pipit_transform_t *t);

/**
 * The derivative of T(x) with respect to the parameters, sparse: returns
 * the number m of parameters that can have a non-zero derivative at x,
 * stores their indices, ascending, in indices[0..m) and the derivatives in
 * values, dim x m row-major: values[d * m + k] = ∂T_d / ∂p_indices[k].
 * Both arrays need room for pipit_transform_jacobian_size entries (values:
 * dim times that). A B-spline names only the (order+1)^dim supporting
 * control points per output axis, axis d's block before axis d+1's, and
 * row d is zero outside its block; outside its valid region it returns 0.
 * Thread safe.
 */
PIPIT_API size_t pipit_transform_jacobian(const pipit_transform_t *t,
                                          const double *x, size_t *indices,
                                          double *values);

/**
 * The derivative of T(x) with respect to x: j[r * dim + c] = ∂T_r / ∂x_c.
 * Thread safe.
 */
PIPIT_API void pipit_transform_spatial_jacobian(const pipit_transform_t *t,
                                                const double *x, double *j);

/**
 * True when T(x) = m·x + offset everywhere (translation, Euler,
 * similarity, affine, and chains of those); then stores m (dim x dim,
 * row-major) and offset (dim) when they are not NULL. Resamplers use it
 * to step through the output grid incrementally.
 */
PIPIT_API bool pipit_transform_get_matrix(const pipit_transform_t *t,
                                          double *m, double *offset);

/**
 * A new transform of the same kind with T⁻¹(T(x)) = x and the same centre
 * (for a Compose chain: the chain of the inverses, in reverse order).
 * PIPIT_EUNSUPPORTED for a B-spline or an Add chain; PIPIT_EINVAL for a
 * singular matrix or a zero scale; *out is NULL on failure.
 */
PIPIT_API pipit_status_t pipit_transform_inverse(const pipit_transform_t *t,
                                                 pipit_transform_t **out);

/**
 * The centre of rotation (Euler, similarity, affine), dim values,
 * borrowed; NULL for kinds without one.
 */
PIPIT_API const double *pipit_transform_center(const pipit_transform_t *t);

/**
 * Sets the centre; the parameters stay, so the mapping changes (the
 * centre is a fixed parameter, as in elastix). PIPIT_EINVAL for a kind
 * without a centre or a non-finite value.
 */
PIPIT_API pipit_status_t pipit_transform_set_center(pipit_transform_t *t,
                                                    const double *center);

/* ---- Constructors ------------------------------------------------- */

/**
 * Constructors return a new reference holding the identity, or NULL with
 * PIPIT_EINVAL (unsupported dim, bad centre) or PIPIT_ENOMEM recorded.
 * center may be NULL for the origin. dim: translation, affine and
 * B-spline 2..4; Euler and similarity 2 or 3.
 */
PIPIT_API pipit_transform_t *pipit_translation_transform_new(unsigned dim);
PIPIT_API pipit_transform_t *pipit_euler_transform_new(unsigned dim,
                                                       const double *center);
PIPIT_API pipit_transform_t *pipit_similarity_transform_new(
    unsigned dim, const double *center);
PIPIT_API pipit_transform_t *pipit_affine_transform_new(unsigned dim,
                                                        const double *center);

/**
 * 3-D Euler only: true makes R = Rz·Ry·Rx (elastix `ComputeZYX "true"`),
 * false (the default) R = Rz·Rx·Ry. PIPIT_EINVAL for other transforms.
 */
PIPIT_API pipit_status_t pipit_euler_transform_set_compute_zyx(
    pipit_transform_t *t, bool zyx);
PIPIT_API bool pipit_euler_transform_compute_zyx(const pipit_transform_t *t);

/**
 * A B-spline control-point grid (elastix Grid* keys). The physical
 * position of control point k (k_d in [index_d, index_d + size_d)) is
 * origin + direction · diag(spacing) · k; the control point at position
 * k is parameter number lin(k - index) within each axis's block, x
 * fastest. direction is row-major (elastix writes it column-major).
 */
typedef struct pipit_bspline_grid {
    size_t size[PIPIT_MAX_DIM];
    ptrdiff_t index[PIPIT_MAX_DIM];
    double spacing[PIPIT_MAX_DIM];
    double origin[PIPIT_MAX_DIM];
    double direction[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
} pipit_bspline_grid_t;

/**
 * elastix's defaults for a grid whose keys are missing: size 1, index 0,
 * spacing 1, origin 0, identity direction (dim x dim).
 */
PIPIT_API void pipit_bspline_grid_init(pipit_bspline_grid_t *g, unsigned dim);

/**
 * A new B-spline transform of spline order 1..3 (elastix
 * `BSplineTransformSplineOrder`) on grid (copied), all coefficients 0.
 * The displacement is zero where a point's continuous grid index u
 * leaves [index + (order-1)/2, index + size - 1 - (order-1)/2) on any
 * axis (for order 3: [1, size - 2)). PIPIT_EINVAL names a bad order,
 * size 0, a spacing that is not > 0, or a singular direction.
 */
PIPIT_API pipit_transform_t *pipit_bspline_transform_new(
    unsigned dim, unsigned order, const pipit_bspline_grid_t *grid);

/**
 * A new cyclic B-spline transform (elastix `UseCyclicTransform "true"`),
 * for images whose last axis is time over one period: as
 * pipit_bspline_transform_new, except along the last grid axis, where
 * control point k stands for coefficient k mod size (the field repeats
 * every size · spacing, and no point leaves the grid along that axis),
 * and nothing moves along that axis: the last component of T(x) is x's
 * and depends on no parameter (the last block of coefficients is kept,
 * read and written, but unused, as in elastix). The last axis needs
 * size >= order + 1 (PIPIT_EINVAL otherwise).
 */
PIPIT_API pipit_transform_t *pipit_bspline_transform_new_cyclic(
    unsigned dim, unsigned order, const pipit_bspline_grid_t *grid);

/**
 * The grid of a B-spline transform, borrowed; NULL for other kinds, a
 * cyclic B-spline included (code reading a plain grid's index arithmetic
 * would misread its wrapping axis; see the next function).
 */
PIPIT_API const pipit_bspline_grid_t *pipit_bspline_transform_grid(
    const pipit_transform_t *t);

/** The grid of a cyclic B-spline transform, borrowed; NULL otherwise. */
PIPIT_API const pipit_bspline_grid_t *pipit_bspline_transform_cyclic_grid(
    const pipit_transform_t *t);

/** The spline order of a B-spline transform, cyclic or not; 0 for other
 * kinds. */
PIPIT_API unsigned pipit_bspline_transform_order(const pipit_transform_t *t);

/* ---- Chains (elastix InitialTransformParametersFileName) ---------- */

/** elastix `HowToCombineTransforms`. */
typedef enum pipit_combine {
    PIPIT_COMBINE_COMPOSE, /* T(x) = current(initial(x)) */
    PIPIT_COMBINE_ADD      /* T(x) = current(x) + initial(x) - x */
} pipit_combine_t;

/**
 * A new chain holding a reference to each part (either may itself be a
 * chain, for chains of any length). Its parameters, their count and its
 * Jacobian with respect to them are those of current: the initial
 * transform stays fixed during a registration. PIPIT_EINVAL when the
 * dimensions differ.
 */
PIPIT_API pipit_transform_t *pipit_transform_chain_new(
    pipit_transform_t *initial, pipit_transform_t *current,
    pipit_combine_t how);

PIPIT_API bool pipit_transform_is_chain(const pipit_transform_t *t);
/** The parts of a chain, borrowed; NULL when t is not a chain. */
PIPIT_API pipit_transform_t *pipit_transform_chain_initial(
    const pipit_transform_t *t);
PIPIT_API pipit_transform_t *pipit_transform_chain_current(
    const pipit_transform_t *t);
/** How a chain combines its parts (PIPIT_COMBINE_COMPOSE for non-chains). */
PIPIT_API pipit_combine_t pipit_transform_chain_how(const pipit_transform_t *t);

#ifdef __cplusplus
}
#endif
#endif
