# SPDX-License-Identifier: Apache-2.0
# Parameter files a user can start from (issue 10 item 7), installed to
# $(pkgdatadir)/presets and listed by `pipit register --presets`
# (tools/presets.c). doc/registration-bench.md says how they were tuned.
presetsdir = $(pkgdatadir)/presets
dist_presets_DATA = \
	presets/rigid-2d-mono.txt \
	presets/rigid-2d-multi.txt \
	presets/rigid-3d-mono.txt \
	presets/rigid-3d-multi.txt \
	presets/affine-2d-mono.txt \
	presets/affine-2d-multi.txt \
	presets/affine-3d-mono.txt \
	presets/affine-3d-multi.txt \
	presets/bspline-2d-mono.txt \
	presets/bspline-2d-multi.txt \
	presets/bspline-3d-mono.txt \
	presets/bspline-3d-multi.txt
# The listing, and the presets on known answers (bench/reg_accuracy).
TESTS += presets/test_presets.sh
EXTRA_DIST += presets/test_presets.sh
