# SPDX-License-Identifier: Apache-2.0
# Examples build and run with `make check`; each checks its own result.
check_PROGRAMS += examples/image_basics
examples_image_basics_SOURCES = examples/image_basics.c
examples_image_basics_LDADD = libpipit.la
TESTS += examples/image_basics
# The filter of doc/tutorial-writing-a-filter.md; it checks its own
# result, so `make check` runs it.
check_PROGRAMS += examples/my_filter
TESTS += examples/my_filter
examples_my_filter_SOURCES = examples/my_filter.c
examples_my_filter_LDADD = libpipit.la
# Installed beside the documentation, to read and to build against the
# installed library (`cc my_filter.c $(pkg-config --cflags --libs pipit)`).
examplesdir = $(docdir)/examples
dist_examples_DATA = examples/image_basics.c examples/my_filter.c \
	examples/resample_register_warp.c examples/deformation_grid.c
# Resample -> register -> warp: the README's main job runs it on the
# bundled elastix example images.
noinst_PROGRAMS += examples/resample_register_warp
examples_resample_register_warp_SOURCES = examples/resample_register_warp.c
examples_resample_register_warp_LDADD = libpipit.la
# A registration's transform as a picture: a grid of lines warped by a
# TransformParameters chain (the README's deformable main job).
noinst_PROGRAMS += examples/deformation_grid
examples_deformation_grid_SOURCES = examples/deformation_grid.c
examples_deformation_grid_LDADD = libpipit.la
