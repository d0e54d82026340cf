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
pipitinclude_HEADERS += registration/pipit/registration.h
libpipit_internal_la_SOURCES += \
	registration/registration_impl.h \
	registration/registration.c \
	registration/check.c \
	registration/transform_setup.c \
	registration/linear_transform_impl.h \
	registration/linear_transform.c \
	registration/translation_transform.c \
	registration/euler_transform.c \
	registration/similarity_transform.c \
	registration/affine_transform.c
libpipit_internal_la_SOURCES += registration/tmp_pool_limit.c
