# SPDX-License-Identifier: Apache-2.0
# Examples build and run with `make check`; each checks its own result.
check_PROGRAMS += examples/image_basics
examples_image_basics_SOURCES = examples/image_basics.c
examples_image_basics_LDADD = libpipit.la
TESTS += examples/image_basics
