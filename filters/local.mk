# SPDX-License-Identifier: Apache-2.0
# A new filter adds its .c here (keep alphabetical), its class to
# filters/registry.c and filters_impl.h, its constructor to
# filters/pipit/filters.h, and its suite under tests/.
pipitinclude_HEADERS += filters/pipit/filters.h
noinst_HEADERS += filters/filters_impl.h
libpipit_internal_la_SOURCES += \
	filters/registry.c
