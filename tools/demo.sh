#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: installs what is missing, builds, and runs pipit on the
# bundled data, leaving results to look at in out/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tools/deps.sh"
"$top/tools/build.sh" "$top/build"
out="$top/out"
mkdir -p "$out"
echo "== pool and pipeline benchmark (bench/pool), figures in out/bench-pool.txt"
"$top/build/bench/pool" 2 | tee "$out/bench-pool.txt"
