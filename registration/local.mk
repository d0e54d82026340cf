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
	registration/samples.c
libpipit_internal_la_SOURCES += \
	registration/optimizer_asgd_impl.h \
	registration/optimizer_asgd.c \
	registration/asgd_estimate.c \
	registration/optimizer_sgd.c \
	registration/optimizer_rsgd.c \
	registration/optimizer_lbfgs.c
