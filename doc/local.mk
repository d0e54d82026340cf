# SPDX-License-Identifier: Apache-2.0
EXTRA_DIST += doc/params.md doc/design.md doc/io.md doc/transform-files.md \
	doc/reliability.md doc/interpolation.md doc/registration.md
EXTRA_DIST += doc/registration-bench.md doc/pool.md doc/streaming.md
# The filter reference is generated from the node classes' own
# descriptions; the filters_cli test fails when the committed page is
# out of date. Regenerate it with `make update-filters-doc`.
EXTRA_DIST += doc/filters.md doc/filters-pointwise.md \
	doc/filters-smoothing.md \
	doc/tutorial-writing-a-filter.md
update-filters-doc: tools/pipit$(EXEEXT)
	$(AM_V_GEN)tools/pipit$(EXEEXT) filters --markdown \
		> $(srcdir)/doc/filters.md
.PHONY: update-filters-doc
# The man page of `pipit register`.
dist_man1_MANS = doc/pipit-register.1 doc/pipit-transform.1
