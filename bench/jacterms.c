/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/jacterms: ASGD's B-spline Jacobian terms
 * (pipit__reg_bspline_jacobian_terms) on their own, timed at a given
 * thread count: a cubic grid of G^D control points, the estimation's
 * point count (D·G^D, elastix's max(P, 1000)) spread over the grid's
 * valid region, the median of REPS calls.
 *
 *   bench/jacterms D G THREADS [REPS] [COUNT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <pipit/pool.h>
#include <pipit/transform.h>

#include "bspline_fast.h"
#include "bench.h"

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s D G THREADS [REPS] [COUNT]\n", argv[0]);
        return 2;
    }
    unsigned D = (unsigned)atoi(argv[1]), G = (unsigned)atoi(argv[2]);
    unsigned threads = (unsigned)atoi(argv[3]);
    int reps = argc > 4 ? atoi(argv[4]) : 5;
    if (D < 2 || D > 3 || G < 5 || reps < 1 || reps > 100)
        return 2;
    pipit_bspline_grid_t g;
    pipit_bspline_grid_init(&g, D);
    size_t np = 1;
    for (unsigned d = 0; d < D; d++) {
        g.size[d] = G;
        g.spacing[d] = 8.0;
        np *= G;
    }
    size_t count = argc > 5 ? (size_t)atol(argv[5]) : D * np;
    pipit_transform_t *t = pipit_bspline_transform_new(D, 3, &g);
    reg_bspline_fast_t f;
    if (t == NULL || !pipit__reg_bspline_fast_init(&f, t) ||
        pipit_pool_set_threads(threads) != PIPIT_OK)
        return 1;
    double *pts = malloc(count * D * sizeof *pts);
    double *sc = malloc(D * np * sizeof *sc);
    unsigned long long s = 12345;
    for (size_t i = 0; i < count * D; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        /* the valid region: control points 1 .. G-2 for cubic */
        double u = (double)(s >> 11) / 9007199254740992.0;
        pts[i] = 8.0 * (1.0 + u * (G - 3.0));
    }
    for (size_t i = 0; i < D * np; i++)
        sc[i] = 1.0;
    double *ts = malloc((size_t)reps * sizeof *ts);
    reg_bspline_jac_terms_t jt;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        if (pipit__reg_bspline_jacobian_terms(&f, sc, pts, count, &jt) !=
            PIPIT_OK)
            return 1;
        ts[r] = bench_now() - t0;
    }
    double median = bench_median(ts, (size_t)reps); /* sorts: ts[0] min */
    printf("D %u G %u points %zu count %zu threads %u: median %.2f ms "
           "(min %.2f) trc %.17g trcc %.17g maxjj %.17g maxjcj %.17g\n",
           D, G, np, count, pipit_pool_threads(), 1e3 * median,
           1e3 * ts[0], jt.trc, jt.trcc, jt.max_jj, jt.max_jcj);
    free(ts);
    free(pts);
    free(sc);
    pipit_transform_unref(t);
    return 0;
}
