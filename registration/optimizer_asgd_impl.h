/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AdaptiveStochasticGradientDescent's state, shared by the iteration
 * (optimizer_asgd.c) and the automatic parameter estimation
 * (asgd_estimate.c).
 */
#ifndef PIPIT_OPTIMIZER_ASGD_IMPL_H
#define PIPIT_OPTIMIZER_ASGD_IMPL_H

#include "reg_impl.h"

typedef enum {
    ASGD_ORIGINAL,
    ASGD_ORIGINAL_SIGMOID_DEFAULT, /* OriginalButSigmoidToDefault */
    ASGD_DISPLACEMENT              /* DisplacementDistribution */
} asgd_method_t;

/* The gain schedule one level runs with. */
typedef struct {
    double a, A, alpha;
    double fmax, fmin, omega; /* SigmoidMax, SigmoidMin, SigmoidScale */
} asgd_gain_t;

typedef struct {
    const reg_map_t *map;
    unsigned level;
    /* keys of the level */
    int64_t max_iter;
    bool automatic, adaptive, constant_step;
    asgd_method_t method;
    bool percentile95;            /* MaximumDisplacementEstimationMethod */
    bool noise_compensation;
    asgd_gain_t user;             /* SP_a, SP_A, SP_alpha, Sigmoid* keys */
    double t0;                    /* SigmoidInitialTime */
    double max_step;              /* MaximumStepLength; <= 0: from spacing */
    double max_step_ratio;
    int64_t n_jacobian;           /* 0: max(1000, P) */
    int64_t n_gradient;           /* 0: from TrC, TrCC */
    int64_t n_exact;
    double sigmoid_scale_factor;
    /* the schedule used by the last run (for tests and the log) */
    asgd_gain_t used;
    /* workspaces, grown by run and the estimation, freed by finalize */
    size_t cap_n;
    double *work;                 /* 6 n: the arrays below */
    double *g, *gy, *prev, *mu0, *gex, *gap;
    size_t cap_c;
    double *c;                    /* n x n */
    size_t cap_jac;
    size_t *jac_index;
    double *jac_value, *jc;       /* dim x jac_size each */
    size_t cap_dist;
    double *dist;
} asgd_t;

/** Grows *p to hold n doubles (keeps it when big enough). */
pipit_status_t pipit__asgd_grow(double **p, size_t *cap, size_t n);

/** Reads MaximumNumberOfIterations, SP_a, SP_A (default A_dflt) and
 * SP_alpha for the level. */
pipit_status_t pipit__asgd_read_gain(asgd_t *o, const reg_map_t *m,
                                     unsigned level, double A_dflt);

/** The iterations with o->used; sgd: t_k = k (StandardGradientDescent). */
pipit_status_t pipit__asgd_iterate(asgd_t *o, reg_problem_t *pb, double *mu,
                                   bool sgd);

/** Frees the workspaces (the finalize of both classes). */
void pipit__asgd_finalize(void *st);

/** The automatic parameter estimation (§7.7) at mu for the level: fills
 * o->used from the measurements. */
pipit_status_t pipit__asgd_estimate(asgd_t *o, reg_problem_t *pb,
                                    const double *mu);

#endif
