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
	registration/rng.c \
	registration/samples.c \
	registration/metric_impl.h \
	registration/metric_moving.c \
	registration/metric_mean_squares.c \
	registration/metric_ncc.c \
	registration/histogram_impl.h \
	registration/joint_histogram.c \
	registration/metric_mattes.c \
	registration/metric_nmi.c
