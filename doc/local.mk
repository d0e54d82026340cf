# SPDX-License-Identifier: Apache-2.0
EXTRA_DIST += doc/params.md doc/design.md
