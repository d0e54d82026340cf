#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The registration bench's own tools against answers known in closed
# form: bench/reg_accuracy on transforms that differ from the truth by a
# known translation or rotation, bench/reg_make3d's grid and centre (and
# --rigid's rotation), and bench/reg_multimodal's curve.
# Run by `make check` from the build folder (srcdir set by automake).
set -u
ACC=./bench/reg_accuracy
MAKE3D=./bench/reg_make3d
REMAP=./bench/reg_multimodal
PIPIT=./tools/pipit
DATA=${srcdir:-.}/tests/data/registration
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipit-regbench-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0

# value KEY FILE: the value of "KEY=value" in FILE
value() { tr ' ' '\n' <"$2" | sed -n "s/^$1=//p" | head -n 1; }

# near KEY WANT TOL FILE
near() {
    got=$(value "$1" "$4")
    if ! awk -v g="$got" -v w="$2" -v t="$3" \
        'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= t) }'; then
        echo "FAIL: $1 = '$got', expected $2 (+- $3)"; cat "$4"
        fails=$((fails + 1))
    fi
}

# Replaces the parameters of a TP file: setparams IN OUT "p0 p1 ...".
setparams() {
    sed "s/^(TransformParameters .*/(TransformParameters $3)/" "$1" >"$2"
}

# 1. A translation off by (0.3, 0.4): |e| = 0.5 px everywhere.
setparams "$DATA/truth_brain_translation.txt" "$TMP/t.txt" "13.3 17.4"
$ACC "$TMP/t.txt" "$DATA/truth_brain_translation.txt" \
    "$DATA/BrainProtonDensitySliceBorder20.png" >"$TMP/out1" 2>&1 ||
    { echo "FAIL: reg_accuracy (translation)"; fails=$((fails + 1)); }
near rms_vox 0.5 1e-9 "$TMP/out1"
near max_vox 0.5 1e-9 "$TMP/out1"
near t_err_px 0.5 1e-9 "$TMP/out1"
near angle_err_deg 0 1e-12 "$TMP/out1"
near voxels 56797 0 "$TMP/out1"

# 2. An Euler angle off by 0.01 rad about the centre c = (110, 128) of a
# 221x257 grid: |e(x)| = 2 sin(0.005) |x - c|, and the mean of |x - c|^2
# over the grid is ((221^2 - 1) + (257^2 - 1)) / 12.
setparams "$DATA/truth_brain_rigid.txt" "$TMP/r0.txt" "0 13.096 15.926"
setparams "$DATA/truth_brain_rigid.txt" "$TMP/r1.txt" "0.01 13.096 15.926"
$ACC "$TMP/r1.txt" "$TMP/r0.txt" "$DATA/BrainT1SliceBorder20.png" \
    >"$TMP/out2" 2>&1 ||
    { echo "FAIL: reg_accuracy (rotation)"; fails=$((fails + 1)); }
rms=$(awk 'BEGIN { printf "%.9f", 2 * sin(0.005) * sqrt((221^2 - 1 + 257^2 - 1) / 12) }')
max=$(awk 'BEGIN { printf "%.9f", 2 * sin(0.005) * sqrt(110^2 + 128^2) }')
near rms_mm "$rms" 1e-6 "$TMP/out2"
near max_mm "$max" 1e-6 "$TMP/out2"
near angle_err_deg 0.572957795 1e-6 "$TMP/out2"
near t_err_px 0 1e-9 "$TMP/out2"

# 3. reg_make3d on 24^3: the truth's centre is the geometric centre,
# origin + 11.5 * spacing; the truth against itself is 0; the truth
# with its translation moved by one voxel on each axis, (1, 1.2, 1.5)
# mm, is sqrt(3) voxels and sqrt(1 + 1.44 + 2.25) mm off everywhere.
if ! $MAKE3D "$TMP/v" 24 >"$TMP/out3" 2>&1; then
    echo "FAIL: reg_make3d"; cat "$TMP/out3"; fails=$((fails + 1))
fi
for f in fixed.mha moving.mha truth.txt; do
    [ -s "$TMP/v/$f" ] || { echo "FAIL: reg_make3d wrote no $f"; fails=$((fails + 1)); }
done
grep -q '^(CenterOfRotationPoint -53.0* 34.050* -82.750*)' "$TMP/v/truth.txt" ||
    { echo "FAIL: centre of the 3-D truth"; grep Center "$TMP/v/truth.txt"; fails=$((fails + 1)); }
$ACC "$TMP/v/truth.txt" "$TMP/v/truth.txt" "$TMP/v/fixed.mha" >"$TMP/out4" 2>&1
near rms_vox 0 0 "$TMP/out4"
near voxels 13824 0 "$TMP/out4"
p=$(sed -n 's/^(TransformParameters \(.*\))/\1/p' "$TMP/v/truth.txt" |
    awk '{ $10 += 1; $11 += 1.2; $12 += 1.5; print }')
setparams "$TMP/v/truth.txt" "$TMP/shift.txt" "$p"
$ACC "$TMP/shift.txt" "$TMP/v/truth.txt" "$TMP/v/fixed.mha" >"$TMP/out5" 2>&1
near rms_vox 1.732050808 1e-5 "$TMP/out5"
near max_vox 1.732050808 1e-5 "$TMP/out5"
near rms_mm 2.165640783 1e-5 "$TMP/out5"

# 3a. reg_make3d --rigid: the truth's matrix is a rotation (A'A = I,
# det 1) and its translation that of the affine truth, (3, -2.5, 4).
$MAKE3D --rigid "$TMP/vr" 24 >/dev/null 2>&1 ||
    { echo "FAIL: reg_make3d --rigid"; fails=$((fails + 1)); }
sed -n 's/^(TransformParameters \(.*\))/\1/p' "$TMP/vr/truth.txt" | awk '{
    e = 0
    for (i = 0; i < 3; i++) for (j = 0; j < 3; j++) {
        s = 0
        for (k = 0; k < 3; k++) s += $(3 * k + i + 1) * $(3 * k + j + 1)
        d = s - (i == j); if (d < 0) d = -d; if (d > e) e = d
    }
    det = $1 * ($5 * $9 - $6 * $8) - $2 * ($4 * $9 - $6 * $7) + $3 * ($4 * $8 - $5 * $7)
    t = ($10 - 3) ^ 2 + ($11 + 2.5) ^ 2 + ($12 - 4) ^ 2
    exit !(e < 1e-9 && det > 1 - 1e-9 && det < 1 + 1e-9 && t < 1e-18) }' ||
    { echo "FAIL: reg_make3d --rigid truth is not the rotation + (3, -2.5, 4)"
      grep '^(TransformParameters' "$TMP/vr/truth.txt"; fails=$((fails + 1)); }

# 3c. reg_multimodal without noise on constant images: the curve's
# knots and a point between (u = 0.45: 0.9 + 0.5 (0.7 - 0.9) = 0.8; u =
# 0.7: 0.3 + (2/3) 0.25), 0 below 0, the last knot above 1000. With
# noise sigma 20 the values spread (min < max).
# (value + shift) * scale: 0 first, then the constant
$PIPIT filter shift-scale --scale 0 "$TMP/v/fixed.mha" "$TMP/zero.mha" \
    >/dev/null 2>&1 || { echo "FAIL: pipit filter shift-scale"; fails=$((fails + 1)); }
for vg in "0 0" "200 150" "400 900" "450 800" "600 300" "700 466.6667" \
    "1000 200" "-5 0" "1500 200"; do
    set -- $vg
    $PIPIT filter shift-scale --shift "$1" "$TMP/zero.mha" "$TMP/c.mha" \
        >/dev/null 2>&1 &&
        $REMAP --sigma 0 "$TMP/c.mha" "$TMP/cm.mha" >/dev/null 2>&1 ||
        { echo "FAIL: reg_multimodal on $1"; fails=$((fails + 1)); continue; }
    $PIPIT info "$TMP/cm.mha" | awk -v w="$2" '/^min\/max/ {
        d1 = $2 - w; d2 = $3 - w; if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2
        ok = d1 < 1e-3 && d2 < 1e-3 } END { exit !ok }' ||
        { echo "FAIL: reg_multimodal maps $1 to $($PIPIT info "$TMP/cm.mha" | grep min/max), expected $2"
          fails=$((fails + 1)); }
done
$REMAP "$TMP/c.mha" "$TMP/cm.mha" >/dev/null 2>&1 &&
    $PIPIT info "$TMP/cm.mha" | awk '/^min\/max/ { ok = $2 < 150 && $3 > 250 } END { exit !ok }' ||
    { echo "FAIL: reg_multimodal's noise"; fails=$((fails + 1)); }
$REMAP --sigma -1 "$TMP/c.mha" "$TMP/cm.mha" >"$TMP/out11" 2>&1
[ $? = 2 ] && grep -q -- "--sigma -1" "$TMP/out11" ||
    { echo "FAIL: reg_multimodal --sigma -1"; cat "$TMP/out11"; fails=$((fails + 1)); }

# 3b. --rotation: the blobs truth written as an elastix Euler transform
# (angle -15 deg about (127.5, 127.5), see reg_accuracy.c) is 0 off;
# with t = (0.3, 0.4) it is 0.5 px off everywhere (mean and p95); a
# 20-pixel border leaves 216^2 pixels of 256^2.
sed -e "s/^(TransformParameters .*/(TransformParameters -0.2617993877991494 0 0)/" \
    -e "s/^(CenterOfRotationPoint .*/(CenterOfRotationPoint 127.5 127.5)/" \
    -e "s/^(Size .*/(Size 256 256)/" "$DATA/truth_brain_rigid.txt" >"$TMP/b0.txt"
setparams "$TMP/b0.txt" "$TMP/b1.txt" "-0.2617993877991494 0.3 0.4"
$ACC --border 20 --rotation 15 "$TMP/b0.txt" "$DATA/blobs.tif" >"$TMP/out7" 2>&1 ||
    { echo "FAIL: reg_accuracy --rotation"; cat "$TMP/out7"; fails=$((fails + 1)); }
near mean_vox 0 1e-9 "$TMP/out7"
near p95_vox 0 1e-9 "$TMP/out7"
near voxels 46656 0 "$TMP/out7"
near angle_err_deg 0 1e-9 "$TMP/out7"
$ACC --border 20 --rotation 15 "$TMP/b1.txt" "$DATA/blobs.tif" >"$TMP/out8" 2>&1
near mean_vox 0.5 1e-9 "$TMP/out8"
near p95_vox 0.5 1e-9 "$TMP/out8"
# The rotation the other way round is far off: |e| = 2 sin(15 deg) |x - c|.
$ACC --rotation -15 "$TMP/b0.txt" "$DATA/blobs.tif" >"$TMP/out9" 2>&1
max=$(awk 'BEGIN { printf "%.9f", 2 * sin(3.14159265358979 / 12) * sqrt(2) * 127.5 }')
near max_vox "$max" 1e-6 "$TMP/out9"
$ACC --border 128 --rotation 15 "$TMP/b0.txt" "$DATA/blobs.tif" >"$TMP/out10" 2>&1
[ $? = 1 ] && grep -q "border" "$TMP/out10" ||
    { echo "FAIL: a border larger than the image"; cat "$TMP/out10"; fails=$((fails + 1)); }

# 4. Bad input: a clear message, status 1 (2 for usage).
$ACC "$TMP/none.txt" "$TMP/v/truth.txt" "$TMP/v/fixed.mha" >"$TMP/out6" 2>&1
[ $? = 1 ] && grep -q "none.txt" "$TMP/out6" ||
    { echo "FAIL: missing file"; cat "$TMP/out6"; fails=$((fails + 1)); }
$ACC >/dev/null 2>&1
[ $? = 2 ] || { echo "FAIL: usage status"; fails=$((fails + 1)); }

[ $fails = 0 ] && echo "reg bench tools: all checks passed"
exit $((fails != 0))
