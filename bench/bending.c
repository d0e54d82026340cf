/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/bending: TransformBendingEnergyPenalty's evaluation (value and
 * derivative) on its own, timed at a given thread count: a cubic
 * B-spline of G^D control points, spacing 20 (the blobs case's finest
 * level is 2-D, 16^2, 4096 samples), smooth random coefficients, COUNT
 * samples spread over the grid's valid region; the median of REPS
 * evaluations. Prints the value and a checksum of the derivative with
 * all digits, to compare two builds.
 *
 *   bench/bending D G THREADS [REPS] [COUNT]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <pipit/pool.h>
#include <pipit/transform.h>

#include "reg_impl.h"
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
    int reps = argc > 4 ? atoi(argv[4]) : 50;
    size_t count = argc > 5 ? (size_t)atol(argv[5]) : 4096;
    if (D < 2 || D > 3 || G < 5 || reps < 1 || reps > 100000 || count < 1)
        return 2;
    const double h = 20.0;
    pipit_bspline_grid_t g;
    pipit_bspline_grid_init(&g, D);
    for (unsigned d = 0; d < D; d++) {
        g.size[d] = G;
        g.spacing[d] = h;
        g.origin[d] = -h;
    }
    pipit_transform_t *t = pipit_bspline_transform_new(D, 3, &g);
    if (t == NULL || pipit_pool_set_threads(threads) != PIPIT_OK)
        return 1;
    size_t P = pipit_transform_n_parameters(t);
    double *p = malloc(P * sizeof *p), *deriv = malloc(P * sizeof *deriv);
    for (size_t k = 0; k < P; k++)
        p[k] = 2.0 * sin(0.7 * (double)k + 0.3) * cos(0.13 * (double)k);
    if (pipit_transform_set_parameters(t, p, P) != PIPIT_OK)
        return 1;
    reg_samples_t s = { 0 };
    if (pipit__reg_samples_reserve(&s, D, count) != PIPIT_OK)
        return 1;
    unsigned long long r = 12345;
    for (size_t i = 0; i < count * D; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        /* the valid region: control points 1 .. G-2 for cubic */
        double u = (double)(r >> 11) / 9007199254740992.0;
        s.points[i] = h * u * (G - 3.0);
    }
    s.n = count;
    reg_level_t L = { .dim = D, .transform = t, .optimized = t,
                      .n_params = P };
    const reg_metric_class_t *k = &pipit__reg_metric_bending_energy;
    void *state = calloc(1, k->state_size);
    if (state == NULL || k->begin_level(state, &L) != PIPIT_OK)
        return 1;
    double *ts = malloc((size_t)reps * sizeof *ts), v = 0.0;
    size_t nv;
    for (int i = 0; i < reps; i++) {
        double t0 = bench_now();
        if (k->evaluate(state, &L, &s, &v, deriv, &nv) != PIPIT_OK)
            return 1;
        ts[i] = bench_now() - t0;
    }
    double sum = 0.0, sq = 0.0;
    for (size_t q = 0; q < P; q++)
        sum += deriv[q] * (double)(q % 7 + 1), sq += deriv[q] * deriv[q];
    double median = bench_median(ts, (size_t)reps); /* sorts: ts[0] min */
    printf("D %u G %u params %zu samples %zu threads %u: median %.3f ms "
           "(min %.3f, %.1f ns/sample) value %.17g dsum %.17g dnorm %.17g\n",
           D, G, P, count, pipit_pool_threads(), 1e3 * median,
           1e3 * ts[0], 1e9 * median / (double)count, v, sum,
           sqrt(sq));
    k->finalize(state);
    free(state);
    free(ts);
    free(p);
    free(deriv);
    pipit__reg_samples_free(&s);
    pipit_transform_unref(t);
    return 0;
}
