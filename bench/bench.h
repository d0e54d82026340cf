/* SPDX-License-Identifier: Apache-2.0 */
/* Timing helpers the benches share: medians of repeated runs. */
#ifndef PIPIT_BENCH_H
#define PIPIT_BENCH_H

#include <stddef.h>

/** Monotonic time in seconds. */
double bench_now(void);

/** Median of n values (sorts them). */
double bench_median(double *v, size_t n);

/** Seconds of CPU (user + system) this process used so far. */
double bench_cpu_seconds(void);

#endif
