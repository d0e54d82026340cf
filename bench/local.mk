# SPDX-License-Identifier: Apache-2.0
# Benchmarks print figures and ratios; they never fail on time.
noinst_PROGRAMS += bench/pool
bench_pool_SOURCES = bench/pool.c bench/bench.c bench/bench.h
bench_pool_CFLAGS = $(AM_CFLAGS) -O2
bench_pool_LDADD = libpipit-internal.la
# Image IO against plain read()/write() and the codecs alone (doc/io.md).
noinst_PROGRAMS += bench/io
bench_io_SOURCES = bench/io.c
bench_io_CFLAGS = $(AM_CFLAGS) -O2 $(PNG_CFLAGS) $(TIFF_CFLAGS)
bench_io_LDADD = libpipit-internal.la $(PNG_LIBS) $(TIFF_LIBS)
# The neighbourhood and resampling filters on 256^3 f32; with
# --with-itk-bench=DIR also ITK's equivalents, and a script that runs
# both and prints the ratios (doc/filters-smoothing.md).
noinst_PROGRAMS += bench/filters
bench_filters_SOURCES = bench/filters.c bench/bench.c bench/bench.h
bench_filters_CFLAGS = $(AM_CFLAGS) -O2
bench_filters_LDADD = libpipit-internal.la
EXTRA_DIST += bench/run-filters.sh bench/itk_filters.cxx \
	bench/itk_pointwise.inc
if HAVE_ITK_BENCH
noinst_PROGRAMS += bench/itk_filters
bench_itk_filters_SOURCES = bench/itk_filters.cxx
bench_itk_filters_CPPFLAGS = -I$(ITK_BENCH_DIR)/include/ITK-5.2
bench_itk_filters_CXXFLAGS = -O2 -std=c++17 -pthread
bench_itk_filters_LDFLAGS = -L$(ITK_BENCH_DIR)/lib \
	-Wl,-rpath,$(ITK_BENCH_DIR)/lib -pthread
bench_itk_filters_LDADD = -lITKSmoothing-5.2 -lITKTransform-5.2 \
	-lITKStatistics-5.2 -lITKCommon-5.2 -litkvnl_algo-5.2 \
	-litkvnl-5.2 -litkv3p_netlib-5.2 -litksys-5.2 -litkvcl-5.2 \
	-litkdouble-conversion-5.2 -ldl
endif
# Every filter streamed against its whole update, and the command line
# against the library doing the same file-to-file work.
noinst_PROGRAMS += bench/stream
bench_stream_SOURCES = bench/stream.c bench/bench.c bench/bench.h
bench_stream_CFLAGS = $(AM_CFLAGS) -O2
bench_stream_LDADD = libpipit-internal.la
# Registration (issue 9, doc/registration-bench.md): the 3-D affine case
# generator and the accuracy of a TransformParameters file against the
# truth; both use only what exists without the registration node.
noinst_PROGRAMS += bench/reg_make3d bench/reg_accuracy
bench_reg_make3d_SOURCES = bench/reg_make3d.c
bench_reg_make3d_CFLAGS = $(AM_CFLAGS) -O2
bench_reg_make3d_LDADD = libpipit-internal.la
# The 3-D B-spline case (issue 10): a pair with a known smooth deformation.
noinst_PROGRAMS += bench/reg_make3d_bspline
bench_reg_make3d_bspline_SOURCES = bench/reg_make3d_bspline.c
bench_reg_make3d_bspline_CFLAGS = $(AM_CFLAGS) -O2
bench_reg_make3d_bspline_LDADD = libpipit-internal.la
# The multi-modal cases (presets bench): the moving image of either
# generator remapped through a non-monotonic curve, plus noise.
noinst_PROGRAMS += bench/reg_multimodal
bench_reg_multimodal_SOURCES = bench/reg_multimodal.c
bench_reg_multimodal_CFLAGS = $(AM_CFLAGS) -O2
bench_reg_multimodal_LDADD = libpipit-internal.la
bench_reg_accuracy_SOURCES = bench/reg_accuracy.c
bench_reg_accuracy_CFLAGS = $(AM_CFLAGS) -O2
bench_reg_accuracy_LDADD = libpipit-internal.la
# The same registration as `pipit register`, through the C API, for
# bench/register.sh (`make bench-register` builds all it needs).
noinst_PROGRAMS += bench/register_api
bench_register_api_SOURCES = bench/register_api.c
bench_register_api_CFLAGS = $(AM_CFLAGS) -O2
bench_register_api_LDADD = libpipit-internal.la
EXTRA_DIST += bench/register.sh bench/test_reg_tools.sh bench/blobs.sh
# reg_accuracy and reg_make3d against closed-form answers.
TESTS += bench/test_reg_tools.sh
.PHONY: bench-register
bench-register: bench/register_api$(EXEEXT) bench/reg_make3d$(EXEEXT) \
	bench/reg_make3d_bspline$(EXEEXT) bench/reg_accuracy$(EXEEXT) \
	bench/reg_multimodal$(EXEEXT) tools/pipit$(EXEEXT)
# ASGD's banded B-spline Jacobian terms alone, at a thread count
# (doc/registration-bench.md "The estimation's Jacobian terms").
noinst_PROGRAMS += bench/jacterms
bench_jacterms_SOURCES = bench/jacterms.c bench/bench.c bench/bench.h
bench_jacterms_CFLAGS = $(AM_CFLAGS) -O2
bench_jacterms_LDADD = libpipit-internal.la
# TransformBendingEnergyPenalty's evaluation alone, at a thread count
# (doc/registration-bench.md "The bending energy penalty").
noinst_PROGRAMS += bench/bending
bench_bending_SOURCES = bench/bending.c bench/bench.c bench/bench.h
bench_bending_CFLAGS = $(AM_CFLAGS) -O2
bench_bending_LDADD = libpipit-internal.la
