# SPDX-License-Identifier: Apache-2.0
pipitinclude_HEADERS += registration/pipit/pipit.h \
	registration/pipit/transform_file.h

libpipit_internal_la_SOURCES += \
	registration/transform_file.c \
	registration/transform_file_write.c
libpipit_internal_la_SOURCES += \
	registration/reg_impl.h \
	registration/keys.c \
	registration/mask.c \
	registration/mask_erode.c \
	registration/rng.c \
	registration/samples.c \
	registration/sampler_common.c \
	registration/sampler_full.c \
	registration/sampler_grid.c \
	registration/sampler_random.c \
	registration/sampler_random_coordinate.c
