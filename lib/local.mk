# SPDX-License-Identifier: Apache-2.0
pipitinclude_HEADERS += \
	lib/pipit/error.h \
	lib/pipit/types.h \
	lib/pipit/buffer.h \
	lib/pipit/image.h \
	lib/pipit/pool.h \
	lib/pipit/node.h \
	lib/pipit/node_class.h \
	lib/pipit/data.h \
	lib/pipit/object.h \
	lib/pipit/params.h \
	lib/pipit/transform.h \
	lib/pipit/interpolator.h

noinst_HEADERS += \
	lib/object_impl.h \
	lib/error_impl.h \
	lib/image_impl.h \
	lib/buffer_impl.h \
	lib/params_impl.h \
	lib/node_impl.h \
	lib/pool_impl.h \
	lib/linalg_impl.h \
	lib/bspline_impl.h \
	lib/transform_impl.h \
	lib/interpolator_impl.h \
	lib/node_update_impl.h \
	lib/data_impl.h \
	lib/scratch_impl.h \
	lib/cpu_impl.h \
	lib/pixel_convert_impl.h

libpipit_internal_la_SOURCES += \
	lib/error.c \
	lib/mtime.c \
	lib/alloc.c \
	lib/pixel.c \
	lib/pixel_convert.c \
	lib/scratch.c \
	lib/cpu.c \
	lib/region.c \
	lib/buffer.c \
	lib/image.c \
	lib/pool.c \
	lib/pool_loops.c \
	lib/pool_reduce.c \
	lib/node.c \
	lib/node_update.c \
	lib/node_graph.c \
	lib/data.c \
	lib/node_settings.c \
	lib/node_helpers.c \
	lib/stream.c \
	lib/params.c \
	lib/transform.c \
	lib/transform_translation.c \
	lib/transform_euler.c \
	lib/transform_similarity.c \
	lib/transform_affine.c \
	lib/transform_bspline.c \
	lib/transform_chain.c \
	lib/interpolator.c \
	lib/interpolator_bspline.c \
	lib/interpolator_rows.c \
	lib/bspline_prefilter.c \
	lib/params_get.c
