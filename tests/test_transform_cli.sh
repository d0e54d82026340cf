#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `pipit transform`: transformix's command line against Debian's
# transformix 5.0.1 on elastix's own TransformParameters chains
# (tests/data/transform: Euler -> affine -> B-spline in 2-D with a
# rotated, anisotropic grid; Euler ZYX -> affine -> B-spline added in
# 3-D; a hand-written B-spline with resampler keys off their defaults):
# result images, deformation fields, Jacobian determinants, full
# Jacobians and outputpoints.txt within float tolerance; exit codes;
# -threads; and the transform tools (field, invert, compose) and
# `pipit filter resample --transform`. The parts that need transformix
# are skipped (with a line saying so) when it is missing, and the rest
# still runs; exit 77 only when `pipit transform` is not built.
set -u
PIPIT=$PWD/tools/pipit
CMP=$PWD/tests/image-compare
SRC=$(cd "${srcdir:-.}" && pwd)
D=$SRC/tests/data/transform
EX=$SRC/tests/data/registration
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipit-transform-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

$PIPIT transform --help >/dev/null 2>&1 || { echo "pipit transform not built: skipped"; exit 77; }
TX=$(command -v transformix || true)
[ -n "$TX" ] || echo "transformix is missing: its comparisons are skipped"

# The images: elastix's example moving image with chain2d's geometry
# (tests/data/transform/make_reference.sh), and a 3-D volume.
cat >"$TMP/m2.mhd" <<EOF
ObjectType = Image
NDims = 2
BinaryData = True
BinaryDataByteOrderMSB = False
ElementType = MET_SHORT
ElementSpacing = 0.9 1.1
Offset = 14 -12
TransformMatrix = 0.955336489125606 0.29552020666134 -0.29552020666134 0.955336489125606
DimSize = 256 256
ElementDataFile = $EX/moving.raw
EOF
have3d=false
if command -v python3 >/dev/null 2>&1 && python3 "$D/make_volume.py" "$TMP" >/dev/null 2>&1; then
    have3d=true
else
    echo "python3 is missing: the 3-D -in comparison is skipped"
fi

# outputpoints A B: the same fields, integers equal, reals within 2e-6
points_equal() {
    awk -v tol=2e-6 'NR == FNR { a[FNR] = $0; n = FNR; next }
        { m = FNR
          na = split(a[FNR], x, /[ \t]+/); nb = split($0, y, /[ \t]+/)
          if (na != nb) { print "line " FNR ": field counts differ"; bad = 1; next }
          for (i = 1; i <= na; i++) {
              if (x[i] == y[i]) continue
              if (x[i] ~ /^-?[0-9.]+$/ && y[i] ~ /^-?[0-9.]+$/ &&
                  (x[i] - y[i] <= tol && y[i] - x[i] <= tol)) continue
              print "line " FNR ": " x[i] " against " y[i]; bad = 1
          } }
        END { if (n != m) { print n " lines against " m; bad = 1 }; exit bad }' "$1" "$2"
}

# compare_run NAME DIR TP IN POINTS: transformix and pipit on the same
# flags, from the folder of the TP file (its chain names files relative
# to it), every output compared.
compare_run() {
    name=$1 dir=$2 tp=$3 in=$4 pts=$5 fmt=${6:-mhd}
    mkdir -p "$TMP/$name/tx" "$TMP/$name/pp" "$TMP/$name/txp" "$TMP/$name/ppp"
    inflag=""
    [ -n "$in" ] && inflag="-in $in"
    (cd "$dir" && "$TX" -tp "$tp" $inflag -def all -jac all -jacmat all \
        -out "$TMP/$name/tx" >/dev/null 2>&1) || { fail "$name: transformix failed"; return; }
    (cd "$dir" && $PIPIT transform -tp "$tp" $inflag -def all -jac all \
        -jacmat all -out "$TMP/$name/pp") || { fail "$name: pipit transform failed"; return; }
    for f in deformationField spatialJacobian fullSpatialJacobian; do
        r=$($CMP "$TMP/$name/tx/$f.$fmt" "$TMP/$name/pp/$f.$fmt" 1e-4) ||
            fail "$name $f: $r"
        echo "$name $f: $r"
    done
    if [ -n "$in" ]; then
        # integers after a B-spline interpolation: 1 in 1000 may round
        # the other way
        r=$($CMP "$TMP/$name/tx/result.$fmt" "$TMP/$name/pp/result.$fmt" 1.0001 100) ||
            fail "$name result: $r"
        echo "$name result: $r"
    fi
    if [ -n "$pts" ]; then
        (cd "$dir" && "$TX" -tp "$tp" $inflag -def "$pts" -out "$TMP/$name/txp" >/dev/null 2>&1)
        (cd "$dir" && $PIPIT transform -tp "$tp" $inflag -def "$pts" -out "$TMP/$name/ppp") ||
            fail "$name: pipit transform -def points failed"
        points_equal "$TMP/$name/txp/outputpoints.txt" "$TMP/$name/ppp/outputpoints.txt" ||
            fail "$name outputpoints.txt differ"
    fi
}

# A cyclic B-spline as elastix wrote it (tests/data/transform/cyclic2d):
# the deformation field only, since transformix's spatial Jacobian of a
# cyclic transform also reads the last block of coefficients, which its
# own point mapping ignores (pipit's is the derivative of the mapping).
if [ -n "$TX" ]; then
    mkdir -p "$TMP/cyc/tx" "$TMP/cyc/pp"
    (cd "$D/cyclic2d" && "$TX" -tp TransformParameters.0.txt -def all -out "$TMP/cyc/tx" >/dev/null 2>&1) ||
        fail "cyclic2d: transformix failed"
    (cd "$D/cyclic2d" && $PIPIT transform -tp TransformParameters.0.txt -def all -out "$TMP/cyc/pp") ||
        fail "cyclic2d: pipit transform failed"
    r=$($CMP "$TMP/cyc/tx/deformationField.mhd" "$TMP/cyc/pp/deformationField.mhd" 1e-5) ||
        fail "cyclic2d deformationField: $r"
    echo "cyclic2d deformationField: $r"
fi

if [ -n "$TX" ]; then
    compare_run chain2d "$D/chain2d" TransformParameters.2.txt "$TMP/m2.mhd" "$D/points2d.txt"
    compare_run chain2d_rigid "$D/chain2d" TransformParameters.0.txt "" "$D/points2d.txt"
    if $have3d; then
        compare_run chain3d "$D/chain3d" TransformParameters.2.txt "$TMP/moving3d.mhd" "$D/points3d.txt"
    else
        compare_run chain3d "$D/chain3d" TransformParameters.2.txt "" "$D/points3d.txt"
    fi
    compare_run bspline2d "$D/handwritten" bspline2d.txt "$EX/fixed.mhd" "$D/points2d.txt" nii.gz
fi

# The reference outputpoints of tests/data/transform (transformix 5.0.1),
# which need no transformix here.
for c in "chain2d points2d" "chain3d points3d" "translation2d points2d"; do
    set -- $c
    for tp in "$D/$1"/TransformParameters.*.txt; do
        n=${tp##*/TransformParameters.}; n=${n%.txt}
        o=$TMP/ref_$1_$n; mkdir -p "$o"
        (cd "$D/$1" && $PIPIT transform -tp "TransformParameters.$n.txt" -def "$D/$2.txt" -out "$o") ||
            fail "$1 $n: -def points failed"
        points_equal "$D/$1/outputpoints.$n.txt" "$o/outputpoints.txt" ||
            fail "$1 $n: outputpoints.txt differs from transformix's"
    done
done

# Exit codes: 255 no -tp or nothing to do, 254 -out, 1 errors.
mkdir -p "$TMP/out"
TP2=$D/chain2d/TransformParameters.2.txt
expect() {
    want=$1; shift
    (cd "$D/chain2d" && "$@") >/dev/null 2>&1
    got=$?
    [ "$got" = "$want" ] || fail "$* exited $got, expected $want"
}
expect 255 $PIPIT transform -out "$TMP/out" -def all
expect 255 $PIPIT transform -tp "$TP2" -out "$TMP/out"
expect 254 $PIPIT transform -tp "$TP2" -def all
expect 254 $PIPIT transform -tp "$TP2" -def all -out "$TMP/nowhere"
expect 1 $PIPIT transform -tp "$TMP/none.txt" -def all -out "$TMP/out"
expect 1 $PIPIT transform -tp "$TP2" -in "$TMP/none.mhd" -out "$TMP/out"
expect 0 $PIPIT transform -tp "$TP2" -jac nothing -out "$TMP/out"
[ -f "$TMP/out/transformix.log" ] || fail "no transformix.log"
grep -q "only 'all'" "$TMP/out/transformix.log" || fail "-jac nothing not logged"
printf 'point\n3\n1 2\n' >"$TMP/short.txt"
expect 1 $PIPIT transform -tp "$TP2" -def "$TMP/short.txt" -jac all -out "$TMP/out"
grep -q "ends after" "$TMP/out/transformix.log" || fail "a short point file is not named in the log"
[ -f "$TMP/out/spatialJacobian.mhd" ] || fail "-jac all did not go on after a bad point file"

# -threads 1 and the default give the same bytes.
mkdir -p "$TMP/t1" "$TMP/tn"
(cd "$D/chain2d" && $PIPIT transform -tp TransformParameters.2.txt -in "$TMP/m2.mhd" -def all -jac all -threads 1 -out "$TMP/t1" &&
    PIPIT_NUM_THREADS=3 $PIPIT transform -tp TransformParameters.2.txt -in "$TMP/m2.mhd" -def all -jac all -out "$TMP/tn") ||
    fail "-threads runs failed"
for f in result.raw deformationField.raw spatialJacobian.raw; do
    cmp -s "$TMP/t1/$f" "$TMP/tn/$f" || fail "$f differs between -threads 1 and 3 threads"
done

# field: the same numbers as -def all, as NIfTI (vector intent 1007,
# dim[5] = D) and MetaImage.
(cd "$D/chain2d" && $PIPIT transform field TransformParameters.2.txt "$TMP/field.nii.gz" &&
    $PIPIT transform field TransformParameters.2.txt "$TMP/field.mha") || fail "transform field failed"
r=$($CMP "$TMP/t1/deformationField.mhd" "$TMP/field.mha" 0) || fail "field .mha differs from -def all: $r"
r=$($CMP "$TMP/t1/deformationField.mhd" "$TMP/field.nii.gz" 0) || fail "field .nii.gz differs from -def all: $r"
hdr=$(gzip -dc "$TMP/field.nii.gz" | od -An -td2 -j40 -N16 | tr -s ' ')
intent=$(gzip -dc "$TMP/field.nii.gz" | od -An -td2 -j68 -N2 | tr -d ' ')
set -- $hdr
[ "$1" = 5 ] && [ "$2" = 256 ] && [ "$3" = 256 ] && [ "$4" = 1 ] && [ "$5" = 1 ] && [ "$6" = 2 ] ||
    fail "field.nii.gz dims are '$hdr', expected 5 256 256 1 1 2"
[ "$intent" = 1007 ] || fail "field.nii.gz intent code $intent, expected 1007"

# Points mapped by -def agree with the deformation field at voxels.
printf 'index\n4\n0 0\n17 200\n128 64\n255 255\n' >"$TMP/vox.txt"
mkdir -p "$TMP/vox"
(cd "$D/chain2d" && $PIPIT transform -tp TransformParameters.2.txt -def "$TMP/vox.txt" -out "$TMP/vox") ||
    fail "-def index points failed"
i=0
for v in "0 0" "17 200" "128 64" "255 255"; do
    set -- $v
    off=$(( ($1 + $2 * 256) * 8 ))
    want=$(od -An -tf4 -j$off -N8 "$TMP/t1/deformationField.raw")
    got=$(sed -n "$((i + 1))p" "$TMP/vox/outputpoints.txt" | sed 's/.*Deformation = \[ \([^]]*\)\].*/\1/')
    echo "$want $got" | awk '{ if ((($1-$3)^2 + ($2-$4)^2) > 1e-10) exit 1 }' ||
        fail "voxel $v: field '$want', points '$got'"
    i=$((i + 1))
done

# invert, linear: the Euler -> affine chain's inverse composed with it is
# the identity (points move by < 1e-6), also for transformix.
TP1=$D/chain2d/TransformParameters.1.txt
(cd "$D/chain2d" && $PIPIT transform invert TransformParameters.1.txt "$TMP/inv1.txt" &&
    $PIPIT transform compose TransformParameters.1.txt "$TMP/inv1.txt" "$TMP/ident.txt") ||
    fail "invert / compose of a linear chain failed"
mkdir -p "$TMP/id"
$PIPIT transform -tp "$TMP/ident.txt" -def "$D/points2d.txt" -out "$TMP/id" || fail "-def through the composed file failed"
sed 's/.*Deformation = \[ \([^]]*\)\].*/\1/' "$TMP/id/outputpoints.txt" |
    awk '{ if ($1 > 1e-6 || $1 < -1e-6 || $2 > 1e-6 || $2 < -1e-6) { print; bad = 1 } } END { exit bad }' ||
    fail "T composed with its inverse moves points"
if [ -n "$TX" ]; then
    mkdir -p "$TMP/idx"
    "$TX" -tp "$TMP/ident.txt" -def "$D/points2d.txt" -out "$TMP/idx" >/dev/null 2>&1 ||
        fail "transformix cannot read the composed files"
    points_equal "$TMP/id/outputpoints.txt" "$TMP/idx/outputpoints.txt" ||
        fail "transformix maps the composed inverse differently"
fi

# Files pipit writes, read by transformix: the rigid transform composed
# with the whole B-spline chain (four links, named by absolute paths).
(cd "$D/chain2d" && $PIPIT transform compose TransformParameters.0.txt TransformParameters.2.txt "$TMP/rb.txt") ||
    fail "compose of the rigid and B-spline chains failed"
[ -f "$TMP/rb.2.txt" ] || fail "compose wrote no inner links"
if [ -n "$TX" ]; then
    compare_run written "$TMP" "$TMP/rb.txt" "$TMP/m2.mhd" "$D/points2d.txt"
fi

# The Euler file alone inverts to an EulerTransform file.
(cd "$D/chain2d" && $PIPIT transform invert TransformParameters.0.txt "$TMP/inv0.txt" &&
    $PIPIT transform compose TransformParameters.0.txt "$TMP/inv0.txt" "$TMP/id0.txt") ||
    fail "invert / compose of the Euler file failed"
grep -q '(Transform "EulerTransform")' "$TMP/inv0.txt" || fail "the Euler inverse is not an EulerTransform"
if [ -n "$TX" ]; then
    mkdir -p "$TMP/id0"
    "$TX" -tp "$TMP/id0.txt" -def "$D/points2d.txt" -out "$TMP/id0" >/dev/null 2>&1 ||
        fail "transformix cannot read the Euler inverse"
    sed 's/.*Deformation = \[ \([^]]*\)\].*/\1/' "$TMP/id0/outputpoints.txt" |
        awk '{ if ($1 > 1e-6 || $1 < -1e-6 || $2 > 1e-6 || $2 < -1e-6) bad = 1 } END { exit bad }' ||
        fail "transformix: the Euler file composed with its inverse moves points"
fi

# invert, deformable: the B-spline chain's inverse field and its
# residual (tests/test_transform_tools.c checks the field against T
# itself).
out=$(cd "$D/chain2d" && $PIPIT transform invert --type f64 TransformParameters.2.txt "$TMP/inv2.mha") ||
    fail "invert of the B-spline chain failed"
echo "invert B-spline chain: $(echo $out)"
res=$(echo "$out" | sed -n 's/^residual-max: //p')
awk -v r="$res" 'BEGIN { exit !(r < 1e-5) }' || fail "residual-max $res is not small"
$PIPIT transform invert "$TP2" "$TMP/inv2.txt" >/dev/null 2>&1 &&
    fail "invert of a B-spline into a .txt did not refuse"

# resample --transform: the TP file's grid by default, as transformix's
# result (B-spline order 3, f64 then truncated there; here the same
# interpolation rounded: within 1 grey level).
(cd "$D/chain2d" && $PIPIT filter resample --transform TransformParameters.2.txt --interpolator bspline \
    --type f32 "$TMP/m2.mhd" "$TMP/res.mha") || fail "resample --transform failed"
r=$($CMP "$TMP/t1/result.mhd" "$TMP/res.mha" 1.0) || fail "resample --transform against -in: $r"
echo "resample --transform against -in: $r"

echo "$fails failure(s)"
[ "$fails" = 0 ]
