# SPDX-License-Identifier: Apache-2.0
# Benchmarks print figures and ratios; they never fail on time.
noinst_PROGRAMS += bench/pool
bench_pool_SOURCES = bench/pool.c bench/bench.c bench/bench.h
bench_pool_CFLAGS = $(AM_CFLAGS) -O2
bench_pool_LDADD = libpipit-internal.la
