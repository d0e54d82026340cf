# SPDX-License-Identifier: Apache-2.0
# A new filter adds its .c here (keep alphabetical), its class to
# filters/registry.c and filters_impl.h, its constructor to
# filters/pipit/filters.h, and its suite under tests/.
pipitinclude_HEADERS += filters/pipit/filters.h
noinst_HEADERS += filters/filters_impl.h
libpipit_internal_la_SOURCES += \
	filters/registry.c
# The pointwise, reduction and pixel-moving filters and what they share.
noinst_HEADERS += filters/pointwise_impl.h filters/grid_impl.h
libpipit_internal_la_SOURCES += \
	filters/abs.c \
	filters/add.c \
	filters/bin_shrink.c \
	filters/binary.c \
	filters/binary_threshold.c \
	filters/cast.c \
	filters/change_information.c \
	filters/checkerboard.c \
	filters/clamp.c \
	filters/constant_pad.c \
	filters/divide.c \
	filters/exp.c \
	filters/extract_region.c \
	filters/flip.c \
	filters/grid.c \
	filters/histogram.c \
	filters/log.c \
	filters/maximum.c \
	filters/minimum.c \
	filters/mirror_pad.c \
	filters/multiply.c \
	filters/otsu_threshold.c \
	filters/permute_axes.c \
	filters/pointwise.c \
	filters/reduce.c \
	filters/rescale_intensity.c \
	filters/shift_scale.c \
	filters/shrink.c \
	filters/sqrt.c \
	filters/square.c \
	filters/statistics.c \
	filters/subtract.c \
	filters/threshold.c \
	filters/unary.c
# The neighbourhood filters (Gaussians, mean, median, derivatives),
# resampling, warping and pyramids, and the engines they share
# (doc/filters-smoothing.md).
noinst_HEADERS += filters/smooth_impl.h
libpipit_internal_la_SOURCES += \
	filters/discrete_gaussian.c \
	filters/gradient.c \
	filters/gradient_magnitude.c \
	filters/gradient_magnitude_recursive_gaussian.c \
	filters/laplacian.c \
	filters/mean.c \
	filters/median.c \
	filters/pyramid.c \
	filters/recursive_gaussian.c \
	filters/resample.c \
	filters/separable_fir.c \
	filters/separable_iir.c \
	filters/smooth_common.c \
	filters/smoothing_recursive_gaussian.c \
	filters/stencil.c \
	filters/transform_compose.c \
	filters/transform_field.c \
	filters/transform_invert.c \
	filters/warp.c
# The source nodes (no input) and what they share.
noinst_HEADERS += filters/source_impl.h
libpipit_internal_la_SOURCES += \
	filters/source_callback.c \
	filters/source_common.c \
	filters/source_constant.c \
	filters/source_noise.c \
	filters/source_ramp.c
