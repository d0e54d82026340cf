# SPDX-License-Identifier: Apache-2.0
pipitinclude_HEADERS += io/pipit/io.h

noinst_HEADERS += io/io_impl.h

libpipit_internal_la_SOURCES += \
	io/io.c \
	io/file.c \
	io/pixels.c \
	io/zstream.c \
	io/png.c \
	io/tiff.c io/tiff_lib.c io/tiff_lib.h \
	io/metaimage.c \
	io/nifti.c \
	io/nifti_header.c io/nifti_impl.h
