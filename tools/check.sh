#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test command: builds what is needed in build/ and runs every suite.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/build.sh" "$top/build"
make -C "$top/build" -j"$(nproc)" --no-print-directory check ||
    { cat "$top"/build/tests/*.log >&2 || true; exit 1; }
cat "$top/build/tests/pipit-tests.log" | tail -n 8
