# SPDX-License-Identifier: Apache-2.0
# One CUnit binary; each module adds a suite file and a line in
# tests/suites.h. `tests/pipit-tests [suite ...]` runs some suites only.
if HAVE_CUNIT
check_PROGRAMS += tests/pipit-tests
TESTS += tests/pipit-tests
tests_pipit_tests_SOURCES = \
	tests/main.c \
	tests/testutil.c \
	tests/testutil.h \
	tests/test_io_util.c \
	tests/test_io_util.h \
	tests/test_io_mha.c \
	tests/test_io_nifti.c \
	tests/test_io_png.c \
	tests/test_io_tiff.c \
	tests/test_io.c \
	tests/test_io_write.c \
	tests/test_hostile_input.c \
	tests/suites.h \
	tests/test_core.c \
	tests/test_image.c \
	tests/test_pool.c \
	tests/test_pool_reduce.c \
	tests/test_node.c \
	tests/test_graph.c \
	tests/test_registration.c \
	tests/test_params.c \
	tests/test_transform.c \
	tests/test_transform_file.c \
	tests/test_transform_tools.c \
	tests/test_reg_samplers.c \
	tests/test_reg_penalty.c \
	tests/test_reg_components.c \
	tests/test_interpolator.c \
	tests/test_filters_util.c \
	tests/test_filters_util.h \
	tests/test_filters_pointwise.c \
	tests/test_filters_grid.c \
	tests/test_filters_sweep.c \
	tests/test_filters_cli.c \
	tests/smooth_util.c \
	tests/smooth_util.h \
	tests/test_filters_smoothing.c \
	tests/test_filters_gradient.c \
	tests/test_filters_resample.c \
	tests/test_filters_smooth_threads.c \
	tests/test_filters_smooth_errors.c \
	tests/test_filters_settings.c \
	tests/test_filters_sources.c \
	tests/test_reg_metrics.c \
	tests/test_reg_optimizers.c \
	tests/test_reg_bspline.c \
	tests/test_asgd_terms.c \
	tests/test_plot.c \
	tools/plot.c \
	tools/plot.h
tests_pipit_tests_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) \
	-DPIPIT_TEST_DATA='"$(abs_top_srcdir)/tests/data"'
tests_pipit_tests_LDADD = libpipit-internal.la $(CUNIT_LIBS) $(TIFF_LIBS)
else
# Without CUnit the suites cannot be built: say so instead of passing.
check-local:
	@echo "make check needs CUnit, which configure did not find:" >&2
	@echo "  apt-get install libcunit1-dev, then run configure again" >&2
	@exit 1
endif
EXTRA_DIST += tests/data tests/kill_writes.sh

# libFuzzer targets of the image readers (doc/io.md): configure with
# CC=clang, CFLAGS with -fsanitize=fuzzer-no-link,address,undefined and
# --enable-fuzzers, then `make tests/fuzz/fuzz_png` and so on.
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_png tests/fuzz/fuzz_tiff \
	tests/fuzz/fuzz_mha tests/fuzz/fuzz_nifti tests/fuzz/fuzz_params
FUZZ_COMPILE = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_LINK = -fsanitize=fuzzer,address,undefined
FUZZ_READ = tests/fuzz/fuzz_read.c tests/fuzz/fuzz_read.h
tests_fuzz_fuzz_png_SOURCES = tests/fuzz/fuzz_png.c $(FUZZ_READ)
tests_fuzz_fuzz_png_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_png_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_png_LDADD = libpipit-internal.la
tests_fuzz_fuzz_tiff_SOURCES = tests/fuzz/fuzz_tiff.c $(FUZZ_READ)
tests_fuzz_fuzz_tiff_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_tiff_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_tiff_LDADD = libpipit-internal.la
tests_fuzz_fuzz_mha_SOURCES = tests/fuzz/fuzz_mha.c $(FUZZ_READ)
tests_fuzz_fuzz_mha_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_mha_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_mha_LDADD = libpipit-internal.la
tests_fuzz_fuzz_nifti_SOURCES = tests/fuzz/fuzz_nifti.c $(FUZZ_READ)
tests_fuzz_fuzz_nifti_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_nifti_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_nifti_LDADD = libpipit-internal.la
tests_fuzz_fuzz_params_SOURCES = tests/fuzz/fuzz_params.c
tests_fuzz_fuzz_params_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_params_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_params_LDADD = libpipit-internal.la
endif
EXTRA_DIST += tests/fuzz

# The shared library exports only public pipit_ names.
TESTS += tests/exports.sh
EXTRA_DIST += tests/exports.sh
# `pipit register`'s exit codes and checks before the first iteration.
TESTS += tests/test_register_cli.sh
EXTRA_DIST += tests/test_register_cli.sh
# IterationInfo's per-metric columns of a multi-metric registration,
# header as elastix 5.0.1's.
TESTS += tests/test_iterinfo_multi.sh
EXTRA_DIST += tests/test_iterinfo_multi.sh
# tools/pipit with a stand-in registration node: `pipit register`'s
# output folder tested apart from the real node (tests/fake_registration.c).
check_PROGRAMS += tests/pipit-fake-register
tests_pipit_fake_register_SOURCES = tests/fake_registration.c \
	$(tools_pipit_SOURCES)
tests_pipit_fake_register_LDADD = libpipit-internal.la
# `pipit register` against known answers (issue 9 item 8); skipped (77)
# until the command exists.
TESTS += tests/register_known.sh
EXTRA_DIST += tests/register_known.sh
# `pipit transform` against Debian's transformix (-in, -def all and
# points, -jac, -jacmat) and the transform tools (field, invert,
# compose, resample --transform); transformix's parts skip when it is
# missing.
check_PROGRAMS += tests/image-compare
tests_image_compare_SOURCES = tests/image_compare.c
tests_image_compare_LDADD = libpipit-internal.la
TESTS += tests/test_transform_cli.sh
EXTRA_DIST += tests/test_transform_cli.sh
