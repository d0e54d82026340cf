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
# TEMPORARY: remove with the file when registration.c (the node) lands.
libpipit_internal_la_SOURCES += registration/registration_stub.c
