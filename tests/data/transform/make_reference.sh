#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates the elastix 5.0.1 reference files of this folder with
# Debian's `elastix` package: TransformParameters files from real
# registrations, and transformix's outputpoints for them.
#   tests/data/transform/make_reference.sh SHARED_DATA_DIR
# SHARED_DATA_DIR holds elastix-example/ (Debian elastix-doc 5.0.1).
# Run from anywhere; it writes into the folder it lives in.
set -euo pipefail
data=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ex="$data/elastix-example"
cp "$ex"/fixed.mhd "$ex"/fixed.raw "$ex"/moving.mhd "$ex"/moving.raw "$tmp"/
# The example images again, with anisotropic spacing, an origin and a
# rotated direction, so that every geometry key of the files matters.
with_geometry() { # header in, origin -> header out
    grep -v -e ElementSpacing -e DimSize -e ElementDataFile "$1"
    echo "ElementSpacing = 0.9 1.1"
    echo "Offset = $2"
    echo "TransformMatrix = 0.955336489125606 0.29552020666134 -0.29552020666134 0.955336489125606"
    echo "DimSize = 256 256"
    grep ElementDataFile "$1"
}
with_geometry "$ex/fixed.mhd" "10.5 -20.25" > "$tmp/f2.mhd"
with_geometry "$ex/moving.mhd" "14 -12" > "$tmp/m2.mhd"
# elastix's example parameter files, made quick: 2 resolutions, 60
# iterations, a coarse B-spline grid (a small file), no result image.
for k in Rigid Affine BSpline; do
    sed -e 's/^(NumberOfResolutions.*/(NumberOfResolutions 2)/' \
        -e 's/^(MaximumNumberOfIterations.*/(MaximumNumberOfIterations 60)/' \
        -e 's/^(WriteResultImage.*/(WriteResultImage "false")/' \
        -e 's/^(FinalGridSpacingInPhysicalUnits.*/(FinalGridSpacingInPhysicalUnits 64)/' \
        "$ex/parameters_$k.txt" > "$tmp/p_$k.txt"
done
python3 "$here/make_volume.py" "$tmp"

run_elastix() { # folder, fixed, moving, parameter files...
    local dir="$here/$1" f="$2" m="$3"
    shift 3
    local ps=()
    for p in "$@"; do ps+=(-p "$p"); done
    rm -rf "$dir"
    mkdir -p "$dir"
    # -out . makes the files name each other relative to their folder.
    (cd "$dir" && elastix -f "$f" -m "$m" "${ps[@]}" -out . -threads 1 >/dev/null)
    rm -f "$dir"/elastix.log "$dir"/IterationInfo.*
}
run_transformix() { # folder, points file
    local dir="$here/$1"
    for tp in "$dir"/TransformParameters.*.txt; do
        local n=${tp##*/TransformParameters.}
        n=${n%.txt}
        rm -rf "$tmp/tx" && mkdir "$tmp/tx"
        (cd "$dir" && transformix -tp "TransformParameters.$n.txt" \
            -def "$here/$2" -out "$tmp/tx" >/dev/null)
        cp "$tmp/tx/outputpoints.txt" "$dir/outputpoints.$n.txt"
    done
}

run_elastix chain2d "$tmp/f2.mhd" "$tmp/m2.mhd" \
    "$tmp/p_Rigid.txt" "$tmp/p_Affine.txt" "$tmp/p_BSpline.txt"
run_transformix chain2d points2d.txt
run_elastix translation2d "$tmp/fixed.mhd" "$tmp/moving.mhd" \
    "$here/params/translation2d.txt"
run_transformix translation2d points2d.txt
run_elastix chain3d "$tmp/fixed3d.mhd" "$tmp/moving3d.mhd" \
    "$here/params/euler3d_zyx.txt" "$here/params/affine3d.txt" \
    "$here/params/bspline3d_add.txt"
run_transformix chain3d points3d.txt
