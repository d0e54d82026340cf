#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# libpipit.so exports only the public API: every dynamic symbol it
# defines is a pipit_ name (no pipit__ internals, no resolvers).
set -eu
lib=.libs/libpipit.so
if [ ! -f "$lib" ]; then
    echo "exports.sh: no $lib (static build?): nothing to check"
    exit 77
fi
if ! command -v nm >/dev/null 2>&1; then
    echo "exports.sh: nm not found"
    exit 77
fi
bad=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' |
      grep -v '^pipit_[a-z0-9]' || true)
if [ -n "$bad" ]; then
    echo "libpipit.so exports names outside the public API:"
    echo "$bad"
    exit 1
fi
count=$(nm -D --defined-only "$lib" | awk 'NF >= 3' | wc -l)
echo "exports.sh: $count symbols, all public pipit_ names"
