#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: installs what is missing, builds, and runs pipit on the
# bundled data, leaving results to look at in out/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tools/deps.sh"
"$top/tools/build.sh" "$top/build"
pipit="$top/build/tools/pipit"
data="$top/tests/data/io"
out="$top/out"
mkdir -p "$out"

echo "== read -> smooth -> write: an MRI slice (ITK's BrainProtonDensitySlice)"
"$pipit" info "$data/BrainProtonDensitySlice.png"
"$pipit" convert --type f32 "$data/BrainProtonDensitySlice.png" "$out/brain.mha"
"$pipit" filter smoothing-recursive-gaussian --sigma 2 "$out/brain.mha" "$out/smoothed.mha"
"$pipit" filter rescale-intensity --type u8 "$out/smoothed.mha" "$out/smoothed.png"
"$pipit" filter gradient-magnitude "$out/smoothed.mha" "$out/edges.mha"
"$pipit" filter rescale-intensity --type u8 "$out/edges.mha" "$out/edges.png"
"$pipit" filter checkerboard --pattern 6 "$data/BrainProtonDensitySlice.png" \
    "$out/edges.png" "$out/checkerboard.png"
"$pipit" filter otsu-threshold "$out/smoothed.png" "$out/mask.png"
"$pipit" filter statistics "$out/smoothed.mha"

echo "== the same on elastix's example slice (MetaImage, int16)"
"$pipit" filter smoothing-recursive-gaussian --sigma 1.5 "$data/fixed.mhd" "$out/fixed-smoothed.mha"
"$pipit" info "$out/fixed-smoothed.mha"

echo "== resample -> register (rigid, then affine) -> warp: elastix's example pair"
reg="$top/tests/data/registration"
"$top/build/examples/resample_register_warp" "$reg/fixed.mhd" "$reg/moving.mhd" \
    "$out/register"
echo "== the same registration through the command line, elastix's flags"
mkdir -p "$out/register-cli"
"$pipit" register -f "$reg/fixed.mhd" -m "$reg/moving.mhd" \
    -p "$reg/parameters_Rigid.txt" -p "$reg/parameters_Affine.txt" \
    -out "$out/register-cli"
tail -n 2 "$out/register-cli/elastix.log"

echo "== pool and pipeline benchmark (bench/pool)"
"$top/build/bench/pool" 2 | tee "$out/bench-pool.txt"
echo
echo "Results in $out: smoothed.png, edges.png, checkerboard.png, mask.png;"
echo "registration: register/checkerboard_before.png and"
echo "register/checkerboard_after.png (fixed and result in alternate squares:"
echo "after registration the edges run on across the squares), register/result.mha,"
echo "and register-cli/ (elastix's output folder: TransformParameters.*.txt,"
echo "IterationInfo.*.txt, result.1.mhd, convergence.png, elastix.log)"
