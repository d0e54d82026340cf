/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the metrics share beyond reg_impl.h's moving side: the keys every
 * Advanced metric reads, the per-worker batches and the reduction
 * workspace made once per level, the valid-sample check, and the
 * intensity extrema of a level image. Only metric_*.c include this.
 */
#ifndef PIPIT_REG_METRIC_IMPL_H
#define PIPIT_REG_METRIC_IMPL_H

#include "reg_impl.h"

/* Samples per batch, which is also the grain of the pool loops: fixed,
 * so the pieces (and the sums) never depend on the thread count, and
 * large enough for the interpolator's vectorised batch path. */
#define REG_METRIC_BATCH 128

typedef struct reg_metric_common {
    /* CheckNumberOfSamples, RequiredRatioOfValidSamples */
    bool check_samples;
    double required_ratio;
    /* One batch per pool worker (grown when the pool grows). */
    reg_moving_batch_t *batches;
    unsigned n_batches;
    bool ready; /* begin_level done */
    pipit_reduction_t *red;
} reg_metric_common_t;

/** Reads CheckNumberOfSamples and RequiredRatioOfValidSamples. */
pipit_status_t pipit__reg_metric_common_configure(reg_metric_common_t *c,
                                                  const reg_map_t *m,
                                                  unsigned level);
/** Per level: the reduction workspace (acc_size bytes per chunk) and the
 * batches. Frees what an earlier level made. */
pipit_status_t pipit__reg_metric_common_begin(reg_metric_common_t *c,
                                              const reg_level_t *L,
                                              size_t acc_size);
/** Pins the pool for one evaluation and makes sure every worker has a
 * batch (allocates only when the pool has grown since begin_level).
 * On success the caller must call pipit_pool_release. */
pipit_status_t pipit__reg_metric_hold(reg_metric_common_t *c,
                                      const reg_level_t *L);
/** elastix's check: "Too many samples map outside moving image buffer:
 * n / N" (PIPIT_ERANGE) unless enough are valid or the check is off. */
pipit_status_t pipit__reg_metric_check_valid(const reg_metric_common_t *c,
                                             size_t n_valid, size_t n);
void pipit__reg_metric_common_free(reg_metric_common_t *c);

/** Smallest and largest pixel of img's buffered region (f32 or any
 * scalar type), counting only pixels whose physical point is inside mask
 * when mask is not NULL. PIPIT_EINVAL when no pixel counts. */
pipit_status_t pipit__reg_image_extrema(const pipit_image_t *img,
                                        const reg_mask_t *mask, double *min,
                                        double *max);

/* Levels a configure call checks: `level` itself, or all of them when
 * level >= n_levels (the node's early check of every value). */
static inline unsigned
pipit__reg_config_levels(const reg_map_t *m, unsigned level, unsigned *first)
{
    unsigned n = m->n_levels > 0 ? m->n_levels : 1;
    if (level < n) {
        *first = level;
        return level + 1;
    }
    *first = 0;
    return n;
}

#endif
