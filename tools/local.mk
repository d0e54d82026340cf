# SPDX-License-Identifier: Apache-2.0
# The `pipit` command: tools/pipit.c dispatches to tools/cmd_<name>.c.
bin_PROGRAMS += tools/pipit
tools_pipit_SOURCES = \
	tools/pipit.c \
	tools/signals.c \
	tools/tool.h \
	tools/cmd_info.c \
	tools/cmd_convert.c \
	tools/cmd_filter.c \
	tools/cmd_register.c \
	tools/cmd_transform.c \
	tools/plot.c \
	tools/plot.h \
	tools/presets.c
tools_pipit_LDADD = libpipit-internal.la
# `pipit register --presets`: the installed folder, then the source
# tree's for a build that is not installed.
tools_pipit_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPIPIT_PRESETS_DIR='"$(pkgdatadir)/presets"' \
	-DPIPIT_PRESETS_SRCDIR='"$(abs_top_srcdir)/presets"'
TESTS += tools/test_pipit.sh
EXTRA_DIST += tools/test_pipit.sh
