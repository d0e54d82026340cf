/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration's internal contract: what the node (registration.c)
 * hands its components and what each kind of component offers. One table
 * per kind in components.c, one file per component named as elastix names
 * it (shared/spec/elastix-compat.md §5, §7).
 *
 * The node owns everything a run touches (images, masks, samples, the
 * random generator, the workspaces), so two registrations in one process
 * share nothing but the pool.
 *
 * Coordinates: transforms map fixed-image physical points to moving-image
 * physical points. Samples hold physical points of the fixed image.
 * Parameters are the optimised transform's (`reg_level_t.optimized`);
 * optimizers work in scaled space y = mu * s, dC/dy = (dC/dmu) / s.
 */
#ifndef PIPIT_REG_IMPL_H
#define PIPIT_REG_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pipit/image.h>
#include <pipit/interpolator.h>
#include <pipit/params.h>
#include <pipit/pool.h>
#include <pipit/transform.h>

/* ---- Random numbers ------------------------------------------------
 * xoshiro256** seeded through splitmix64 from RandomSeed: one generator
 * per registration node, so runs repeat bit for bit and two nodes never
 * share state. Draws happen on the calling thread only. */
typedef struct reg_rng {
    uint64_t s[4];
} reg_rng_t;

void pipit__reg_rng_seed(reg_rng_t *g, uint64_t seed);
uint64_t pipit__reg_rng_next(reg_rng_t *g);
/** Uniform in [0, 1) with 53 random bits. */
double pipit__reg_rng_uniform(reg_rng_t *g);
/** Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t pipit__reg_rng_below(reg_rng_t *g, uint64_t n);
/** Standard normal (Box-Muller, one value per two uniforms). */
double pipit__reg_rng_normal(reg_rng_t *g);

/* ---- One parameter map -----------------------------------------------
 * Every read of a key goes through these getters: a malformed value is
 * an error naming the map's file, the key's line, the key and the value;
 * a missing key gives elastix's default. `index` is the resolution for
 * per-resolution keys (fallback to entry 0 as elastix), the axis for
 * per-dimension keys, r*D+d for per-resolution-and-axis keys. */
typedef struct reg_map {
    const pipit_params_t *params;
    const char *file;   /* file name, or "parameter map N" */
    unsigned index;     /* which map of the chain: <p> in IterationInfo.<p> */
    unsigned dim;       /* the images' dimension */
    unsigned n_levels;  /* NumberOfResolutions (0 read as 1) */
    /* Where warnings go (elastix.log); NULL: the library's log. */
    void (*log)(const char *line, void *user);
    void *log_user;
} reg_map_t;

pipit_status_t pipit__reg_get_double(const reg_map_t *m, const char *key,
                                     size_t index, double dflt, double *out);
pipit_status_t pipit__reg_get_int(const reg_map_t *m, const char *key,
                                  size_t index, int64_t dflt, int64_t *out);
/** As get_int, and an error unless lo <= value <= hi. */
pipit_status_t pipit__reg_get_int_in(const reg_map_t *m, const char *key,
                                     size_t index, int64_t dflt, int64_t lo,
                                     int64_t hi, int64_t *out);
pipit_status_t pipit__reg_get_bool(const reg_map_t *m, const char *key,
                                   size_t index, bool dflt, bool *out);
/** Borrowed from the map, or dflt. */
pipit_status_t pipit__reg_get_string(const reg_map_t *m, const char *key,
                                     size_t index, const char *dflt,
                                     const char **out);
/** The map's file name for messages. */
const char *pipit__reg_map_file(const reg_map_t *m);
/** An error naming file, line, key and value unless `name` is one of
 * `names` (NULL-terminated), which the message lists. */
pipit_status_t pipit__reg_check_name(const reg_map_t *m, const char *key,
                                     const char *name,
                                     const char *const *names);
/** Number of values the key has (0 when absent). */
size_t pipit__reg_count(const reg_map_t *m, const char *key);
/** Records an error "FILE:LINE: key KEY value 'V': why" and returns st. */
pipit_status_t pipit__reg_key_error(const reg_map_t *m, const char *key,
                                    size_t index, pipit_status_t st,
                                    const char *why);
/** Logs a warning line into the registration's log (elastix.log). */
void pipit__reg_warn(const reg_map_t *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Logs an information line (no prefix), as elastix.log shows the
 * settings a component actually used. */
void pipit__reg_info(const reg_map_t *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- Masks ------------------------------------------------------------
 * A mask is looked up in physical space at the nearest voxel (value != 0
 * is inside); it keeps its own grid. */
typedef struct reg_mask {
    pipit_image_t *image;   /* u8, one component */
    unsigned dim;
    size_t size[PIPIT_MAX_DIM];
    double origin[PIPIT_MAX_DIM];
    double to_index[PIPIT_MAX_DIM * PIPIT_MAX_DIM]; /* (S^-1 M^-1) */
    const uint8_t *pixels;
    size_t stride[PIPIT_MAX_DIM];
    /* bounding box of the inside voxels, in the mask's indices */
    size_t lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM]; /* hi exclusive */
    size_t n_inside;
} reg_mask_t;

/** A mask from any scalar image (value != 0 inside); error if it has no
 * inside voxel (naming what), or is not scalar. */
pipit_status_t pipit__reg_mask_new(const pipit_image_t *img,
                                   const char *what, reg_mask_t **out);
/** The mask eroded by elastix's parabolic structuring function of
 * per-axis radius (§7.3); a new mask. */
pipit_status_t pipit__reg_mask_erode(const reg_mask_t *m,
                                     const double *radius, reg_mask_t **out);
void pipit__reg_mask_free(reg_mask_t *m);
bool pipit__reg_mask_inside(const reg_mask_t *m, const double *p);
/** Recounts n_inside and the bounding box after the pixels changed. */
void pipit__reg_mask_measure(reg_mask_t *m);
/** The mask a level uses (mask_erode.c): ErodeMask (R, default true),
 * overridden by ErodeFixedMask / ErodeMovingMask (R), read for `level`;
 * when on, m eroded with radius f_d + 1 (fixed) or 2 f_d + 1 (moving) for
 * the level's pyramid factors f (dim values), else m itself. Either way
 * *out is a new reg_mask_t the caller frees with pipit__reg_mask_free;
 * without erosion it shares m's pixels (the image is reference counted),
 * so m may be freed first. An error naming the key when the eroded mask
 * covers no pixel. */
pipit_status_t pipit__reg_mask_for_level(const reg_mask_t *m,
                                         const reg_map_t *map,
                                         unsigned level,
                                         const unsigned *factors,
                                         bool moving, reg_mask_t **out);

/* ---- Samples --------------------------------------------------------- */
typedef struct reg_samples {
    size_t n, capacity;
    unsigned dim;
    double *points;  /* n * dim physical points of the fixed image */
    double *values;  /* n fixed values */
} reg_samples_t;

/** Makes room for n samples (keeps the allocation when it is enough). */
pipit_status_t pipit__reg_samples_reserve(reg_samples_t *s, unsigned dim,
                                          size_t n);
void pipit__reg_samples_free(reg_samples_t *s);

/* ---- One resolution level --------------------------------------------- */
typedef struct reg_level {
    const reg_map_t *map;
    unsigned level;                 /* r, 0 the coarsest */
    unsigned dim;
    pipit_image_t *fixed;           /* pyramid level r, f32 */
    pipit_image_t *moving;          /* pyramid level r, f32 */
    const pipit_image_t *fixed_full;  /* full-resolution inputs, f32 */
    const pipit_image_t *moving_full;
    const reg_mask_t *fixed_mask;   /* eroded for this level; NULL: none */
    const reg_mask_t *moving_mask;
    pipit_interpolator_t *interp;   /* the Interpolator on `moving` */
    /* Maps fixed points to moving points: `optimized` itself, or a
     * chain whose current part is `optimized`. */
    pipit_transform_t *transform;
    pipit_transform_t *optimized;   /* whose parameters the optimizer moves */
    size_t n_params;
    const double *scales;           /* n_params optimizer scales */
    reg_rng_t *rng;                 /* the node's generator */
} reg_level_t;

/* ---- Components ---------------------------------------------------------
 * Every component has `state_size` bytes of zeroed state made by the
 * node, `configure` (reads its keys for the level; may be called again
 * for the next level with the same state) and `finalize` (frees what the
 * state holds; the state itself is the node's). configure is where every
 * key is read and checked; the node also calls it with level = all levels
 * before the first iteration to catch a malformed value early. */

/* Samplers fill a sample set from the fixed level image (mask-aware). */
typedef struct reg_sampler_class {
    const char *name;  /* "Full", "Grid", "Random", "RandomCoordinate" */
    bool random;       /* NewSamplesEveryIteration makes sense */
    size_t state_size;
    pipit_status_t (*configure)(void *st, const reg_map_t *m,
                                unsigned level);
    pipit_status_t (*draw)(void *st, const reg_level_t *L,
                           reg_samples_t *out);
    void (*finalize)(void *st);
} reg_sampler_class_t;

/* Metrics: value and derivative over a sample set (minimised). */
typedef struct reg_metric_class {
    const char *name;  /* "AdvancedMeanSquares", ... */
    size_t state_size;
    pipit_status_t (*configure)(void *st, const reg_map_t *m,
                                unsigned level);
    /* Once per level, after configure: limits, workspaces. */
    pipit_status_t (*begin_level)(void *st, const reg_level_t *L);
    /* value, and deriv (n_params values) when not NULL, at the current
     * parameters of L->optimized; *n_valid samples mapped inside the
     * moving image (and mask). Too few valid samples is the elastix
     * error "Too many samples map outside moving image buffer". */
    pipit_status_t (*evaluate)(void *st, const reg_level_t *L,
                               const reg_samples_t *s, double *value,
                               double *deriv, size_t *n_valid);
    void (*finalize)(void *st);
} reg_metric_class_t;

/* What an optimizer reports each iteration (IterationInfo columns). */
typedef struct reg_iteration {
    size_t iteration;
    double metric;        /* before this iteration's step */
    double step_size;     /* gain or step length */
    double gradient_norm; /* of the scaled gradient */
    double asgd_time;     /* ASGD t_k; NaN for other optimizers */
    /* QuasiNewtonLBFGS extras (NaN / 0 otherwise) */
    size_t line_iteration, search_direction;
    double search_dir_norm, dir_gradient;
    const char *phase, *wolfe1, *wolfe2, *line_search_stop;
} reg_iteration_t;

/* The cost an optimizer minimises, provided by the node. */
typedef struct reg_problem reg_problem_t;
struct reg_problem {
    const reg_level_t *L;
    size_t n;               /* parameters */
    const double *scales;   /* n scales; all 1 when none apply */
    bool random_samples;    /* sampler random and NewSamplesEveryIteration */
    /* Metric value and derivative w.r.t. mu (unscaled) at mu, on the
     * current samples. */
    pipit_status_t (*evaluate)(reg_problem_t *pb, const double *mu,
                               double *value, double *deriv);
    /* Draws new samples (a no-op unless random_samples). */
    pipit_status_t (*new_samples)(reg_problem_t *pb);
    /* The exact gradient for ASGD's estimation: a Grid sampler of about
     * n_samples points on the fixed level (mask-aware). */
    pipit_status_t (*evaluate_exact)(reg_problem_t *pb, const double *mu,
                                     size_t n_samples, double *value,
                                     double *deriv);
    /* About n physical points of a grid over the fixed level image
     * (inside its mask): ASGD's Jacobian measurements and automatic
     * scales. The array is the problem's, valid until the next call. */
    pipit_status_t (*grid_points)(reg_problem_t *pb, size_t n,
                                  const double **points, size_t *count);
    /* One IterationInfo row; PIPIT_ECANCELED when the user cancels. */
    pipit_status_t (*report)(reg_problem_t *pb, const reg_iteration_t *it);
    void *node; /* the node's, opaque */
};

/* Optimizers drive mu (in: start, out: final) over one level. */
typedef struct reg_optimizer_class {
    const char *name;
    size_t state_size;
    pipit_status_t (*configure)(void *st, const reg_map_t *m,
                                unsigned level);
    pipit_status_t (*run)(void *st, reg_problem_t *pb, double *mu);
    void (*finalize)(void *st);
    /* IterationInfo header (tab-separated, no newline). */
    const char *columns;
} reg_optimizer_class_t;

/* What a transform component needs to set its transform up (§7.8). */
typedef struct reg_transform_setup {
    const reg_map_t *map;
    const pipit_image_t *fixed;    /* full resolution, f32 */
    const pipit_image_t *moving;
    const reg_mask_t *fixed_mask;  /* not eroded; NULL: none */
    const reg_mask_t *moving_mask;
    pipit_transform_t *initial;    /* NULL: none */
    pipit_combine_t how;           /* HowToCombineTransforms */
} reg_transform_setup_t;

/* Transforms: a new transform with its centre, starting parameters and
 * scales (n_params values, allocated by the component). */
typedef struct reg_transform_class {
    const char *name;  /* "TranslationTransform", "EulerTransform", ... */
    /* The transform of level 0. */
    pipit_status_t (*create)(const reg_transform_setup_t *s,
                             pipit_transform_t **out, double **scales);
    /* Optional, for kinds whose parameters depend on the level (a
     * B-spline grid): for level r > 0, *t holds level r-1's final
     * transform (a reference the callee may drop); replace it with level
     * r's, carrying the same mapping, and allocate its scales (squared,
     * as create's). Leaving *t as it was keeps the transform and its
     * scales (then *scales is ignored). */
    pipit_status_t (*next_level)(const reg_transform_setup_t *s,
                                 unsigned level, pipit_transform_t **t,
                                 double **scales);
    /* Optional: reads and checks the kind's own keys for every level
     * without the images (pipit_registration_check). */
    pipit_status_t (*check)(const reg_map_t *m);
} reg_transform_class_t;

/* Shared by the transform components (transform_setup.c). */
/** The centre of rotation (§7.8.1): CenterOfRotationPoint, else
 * CenterOfRotation (an index), else the fixed image's centre (geometric,
 * or of gravity with AutomaticTransformInitializationMethod
 * "CenterOfGravity"); mapped through the initial transform when composed. */
pipit_status_t pipit__reg_transform_center(const reg_transform_setup_t *s,
                                           double *center);
/** The starting translation: AutomaticTransformInitialization's (moving
 * centre minus fixed centre, or origins), or 0. `methods` lists the
 * methods the transform accepts, NULL-terminated. */
pipit_status_t pipit__reg_transform_start(
    const reg_transform_setup_t *s, const char *const *methods,
    double *translation);
/** Scales (§7.8.2): AutomaticScalesEstimation, else `Scales` (1 value:
 * every entry whose default is not 1; P values: all), else defaults.
 * *out is allocated (P values). */
pipit_status_t pipit__reg_transform_scales(const reg_transform_setup_t *s,
                                           const pipit_transform_t *t,
                                           const double *defaults,
                                           double **out);

/* B-spline grids (bspline_transform.c, spec §7.8.4). */
/** The control-point grid of `level` for the setup's map and fixed image
 * (and initial transform, when composed). */
pipit_status_t pipit__reg_bspline_level_grid(const reg_transform_setup_t *s,
                                             unsigned level,
                                             pipit_bspline_grid_t *grid);
/** A new B-spline transform on `grid` carrying old's field: old's spline
 * sampled at the new control points (mirrored at old's faces, 0 outside
 * its grid), then B-spline decomposition per component (§7.8.4). */
pipit_status_t pipit__reg_bspline_refine(const pipit_transform_t *old,
                                         const pipit_bspline_grid_t *grid,
                                         pipit_transform_t **out);

/* Pyramids and interpolators are lib/ and filters/ code selected by name;
 * their tables only map names. */
typedef struct reg_pyramid_class {
    const char *name;  /* without the Fixed / Moving prefix */
    const char *type;  /* pipit_pyramid_new's type */
} reg_pyramid_class_t;

/* ---- The components (one file each; components.c lists them) ------------ */
extern const reg_sampler_class_t pipit__reg_sampler_full;       /* Full */
extern const reg_sampler_class_t pipit__reg_sampler_grid;       /* Grid */
extern const reg_sampler_class_t pipit__reg_sampler_random;     /* Random */
extern const reg_sampler_class_t pipit__reg_sampler_random_coordinate;
extern const reg_metric_class_t pipit__reg_metric_mean_squares; /* Advanced */
extern const reg_metric_class_t pipit__reg_metric_ncc;
extern const reg_metric_class_t pipit__reg_metric_mattes;
extern const reg_metric_class_t pipit__reg_metric_nmi;
extern const reg_metric_class_t pipit__reg_metric_bending_energy;
extern const reg_optimizer_class_t pipit__reg_optimizer_asgd;
extern const reg_optimizer_class_t pipit__reg_optimizer_sgd;
extern const reg_optimizer_class_t pipit__reg_optimizer_rsgd;
extern const reg_optimizer_class_t pipit__reg_optimizer_lbfgs;
extern const reg_transform_class_t pipit__reg_transform_translation;
extern const reg_transform_class_t pipit__reg_transform_euler;
extern const reg_transform_class_t pipit__reg_transform_similarity;
extern const reg_transform_class_t pipit__reg_transform_affine;
extern const reg_transform_class_t pipit__reg_transform_bspline;
extern const reg_transform_class_t pipit__reg_transform_recursive_bspline;

/* ---- Lookup tables (components.c) -------------------------------------
 * NULL with an error listing the supported names when `name` is not one;
 * `key` names the parameter-map key for the message. */
const reg_sampler_class_t *pipit__reg_sampler(const reg_map_t *m,
                                              const char *name);
const reg_metric_class_t *pipit__reg_metric(const reg_map_t *m,
                                            const char *name);
const reg_optimizer_class_t *pipit__reg_optimizer(const reg_map_t *m,
                                                  const char *name);
const reg_transform_class_t *pipit__reg_transform(const reg_map_t *m,
                                                  const char *name);
const reg_pyramid_class_t *pipit__reg_pyramid(const reg_map_t *m,
                                              const char *key,
                                              const char *name);

/* ---- Shared by the samplers (sampler_common.c) --------------------------
 * Samples come from the fixed level image's buffered region cut to the
 * fixed mask's bounding box as elastix crops it (§7.4): the box of the
 * inside voxels widened by half a voxel of the mask (ITK 5's
 * ImageMaskSpatialObject), its corners mapped to continuous indices of
 * the level image, floor of the least and ceil of the greatest, both
 * included. Indices are the image's (absolute) indices. */
pipit_status_t pipit__reg_sampler_region(const reg_level_t *L,
                                         pipit_region_t *out);

/* What a lattice fill keeps between draws (zeroed by the sampler state). */
typedef struct reg_lattice {
    size_t *rows;      /* per-row counts, then offsets (mask only) */
    size_t capacity;
} reg_lattice_t;

/** Every point first + k * step (k_d < count_d; dim values each) of the
 * fixed level image that lies inside the fixed mask, x fastest, on the
 * pool; out reuses its allocation. The points are
 * pipit_image_index_to_point's. */
pipit_status_t pipit__reg_sample_lattice(const reg_level_t *L,
                                         const size_t *first,
                                         const size_t *step,
                                         const size_t *count,
                                         reg_lattice_t *scratch,
                                         reg_samples_t *out);
void pipit__reg_lattice_free(reg_lattice_t *scratch);
/** The fixed level value at integer index idx (no checks). */
double pipit__reg_fixed_value(const pipit_image_t *img, const size_t *idx);

/* ---- Shared by the metrics (metric_moving.c) --------------------------
 * The moving side of every metric, for one batch of samples on one
 * worker: map the points, reject those outside the moving image or mask,
 * interpolate value and physical gradient through lib's batch path, and
 * give dM/dmu as a sparse row. Workspaces are made in begin_level, one per
 * worker, never in the loop. The valid samples of a batch are packed at
 * the front: entry j < n_valid is sample sample[j] of the set. */
struct reg_moving_map; /* metric_impl.h: the per-evaluation mapping */

typedef struct reg_moving_batch {
    size_t capacity;        /* samples per batch */
    size_t n_params;
    size_t jac_size;        /* pipit_transform_jacobian_size */
    unsigned dim;
    const struct reg_moving_map *map; /* the metric's, set per level */
    double *mapped;         /* capacity * dim, T(x) of valid entry j */
    double *index;          /* capacity * dim continuous indices */
    double *value;          /* capacity, M(T(x)) of valid entry j */
    double *gradient;       /* capacity * dim, w.r.t. the continuous index */
    size_t *sample;         /* capacity: which sample entry j is */
    size_t *jac_index;      /* jac_size */
    double *jac_value;      /* jac_size * dim */
    double *dmu;            /* jac_size: dM/dmu of the last dmu call */
    /* B-spline fast path (metric_impl.h), else NULL: per valid entry,
     * plus one scratch entry at capacity, its support. */
    struct reg_bspline_support *bs;
} reg_moving_batch_t;

pipit_status_t pipit__reg_moving_batch_init(reg_moving_batch_t *b,
                                            const reg_level_t *L,
                                            size_t capacity);
void pipit__reg_moving_batch_free(reg_moving_batch_t *b);
/** Samples [lo, hi) (hi - lo <= capacity): packs the valid ones (mapped
 * inside the moving buffer and mask) at the front with their sample
 * number, continuous index, value and, when with_gradient, gradient
 * (index space; dmu converts it). Returns the number of valid ones. */
size_t pipit__reg_moving_evaluate(reg_moving_batch_t *b, const reg_level_t *L,
                                  const reg_samples_t *s, size_t lo,
                                  size_t hi, bool with_gradient);
/** dM/dmu of valid entry j (or (size_t)-1: not from this batch's last
 * evaluate; fixed point x, its gradient asked for) for gradient g (index
 * space, dim values): nz indices into the parameters and their values
 * (the batch's arrays, valid until the next call); returns nz. */
size_t pipit__reg_moving_dmu(reg_moving_batch_t *b, const reg_level_t *L,
                             size_t j, const double *x, const double *g,
                             size_t **indices, double **values);

#endif
