# SPDX-License-Identifier: Apache-2.0
# One CUnit binary; each module adds a suite file and a line in
# tests/suites.h. `tests/pipit-tests [suite ...]` runs some suites only.
check_PROGRAMS += tests/pipit-tests
TESTS += tests/pipit-tests
tests_pipit_tests_SOURCES = \
	tests/main.c \
	tests/testutil.c \
	tests/testutil.h \
	tests/suites.h \
	tests/test_core.c \
	tests/test_image.c \
	tests/test_pool.c \
	tests/test_node.c \
	tests/test_params.c \
	tests/test_transform.c \
	tests/test_interpolator.c
tests_pipit_tests_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) \
	-DPIPIT_TEST_DATA='"$(abs_top_srcdir)/tests/data"'
tests_pipit_tests_LDADD = libpipit-internal.la $(CUNIT_LIBS)
EXTRA_DIST += tests/data
