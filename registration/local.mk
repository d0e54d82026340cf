# SPDX-License-Identifier: Apache-2.0
pipitinclude_HEADERS += registration/pipit/pipit.h \
	registration/pipit/registration.h \
	registration/pipit/transform_file.h

# TransformParameters files
libpipit_internal_la_SOURCES += \
	registration/transform_file.c \
	registration/transform_file_write.c

# The node and what it shares with its components
libpipit_internal_la_SOURCES += \
	registration/reg_impl.h \
	registration/registration_impl.h \
	registration/registration.c \
	registration/check.c \
	registration/components.c \
	registration/keys.c \
	registration/mask.c \
	registration/mask_erode.c \
	registration/rng.c \
	registration/samples.c

# Samplers
libpipit_internal_la_SOURCES += \
	registration/sampler_common.c \
	registration/sampler_full.c \
	registration/sampler_grid.c \
	registration/sampler_random.c \
	registration/sampler_random_coordinate.c

# Transforms
libpipit_internal_la_SOURCES += \
	registration/transform_setup.c \
	registration/linear_transform_impl.h \
	registration/linear_transform.c \
	registration/translation_transform.c \
	registration/euler_transform.c \
	registration/similarity_transform.c \
	registration/affine_transform.c \
	registration/bspline_transform.c \
	registration/bspline_fast.h \
	registration/bspline_fast.c

# Metrics
libpipit_internal_la_SOURCES += \
	registration/metric_impl.h \
	registration/metric_moving.c \
	registration/metric_mean_squares.c \
	registration/metric_ncc.c \
	registration/histogram_impl.h \
	registration/joint_histogram.c \
	registration/metric_mattes.c \
	registration/metric_nmi.c \
	registration/metric_bending_energy.c

# Optimizers
libpipit_internal_la_SOURCES += \
	registration/optimizer_asgd_impl.h \
	registration/optimizer_asgd.c \
	registration/asgd_estimate.c \
	registration/optimizer_sgd.c \
	registration/optimizer_rsgd.c \
	registration/optimizer_lbfgs.c
