#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `pipit register`: elastix's exit codes (0, 255 no -p, 254 -out missing
# or not a folder, 1 any other error) and, for every mistake in the
# inputs, a message naming the fault, found before the first iteration:
# no IterationInfo file is written and each run takes milliseconds.
# Skips (77) when `pipit register` is not built. Run by `make check`
# from the build folder (srcdir set by automake).
set -u
PIPIT=./tools/pipit
DATA=${srcdir:-.}/tests/data/io
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipit-register-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0

$PIPIT register --help >/dev/null 2>&1 || { echo "pipit register not built: skipped"; exit 77; }

now_ms() { date +%s%3N; }

# expect STATUS WORD -- command...: exit status, a word in stdout/stderr,
# no iteration ran (no IterationInfo file) and under a second of wall time
expect() {
    want=$1 word=$2
    shift 3
    rm -f "$TMP"/out/IterationInfo.*
    t0=$(now_ms)
    "$@" >"$TMP/stdout" 2>"$TMP/stderr"
    got=$?
    ms=$(( $(now_ms) - t0 ))
    if [ "$got" != "$want" ]; then
        echo "FAIL: $* exited $got, expected $want"; cat "$TMP/stderr"
        fails=$((fails + 1))
    elif [ -n "$word" ] && ! grep -q -- "$word" "$TMP/stdout" "$TMP/stderr"; then
        echo "FAIL: $*: no '$word' in the output"; cat "$TMP/stdout" "$TMP/stderr"
        fails=$((fails + 1))
    elif [ "$want" != 0 ] && ls "$TMP"/out/IterationInfo.* >/dev/null 2>&1; then
        echo "FAIL: $*: an iteration ran before the error"; fails=$((fails + 1))
    elif [ "$want" != 0 ] && [ "$ms" -gt 1000 ]; then
        echo "FAIL: $*: took $ms ms to fail"; fails=$((fails + 1))
    fi
}

mkdir "$TMP/out"
F=$DATA/fixed.mhd
M=${srcdir:-.}/tests/data/registration/moving.mhd
P=$TMP/good.txt
cat >"$P" <<'PAR'
(Transform "TranslationTransform")
(Metric "AdvancedMeanSquares")
(Optimizer "RegularStepGradientDescent")
(ImageSampler "Full")
(NumberOfResolutions 1)
(MaximumNumberOfIterations 1)
PAR
sed 's/AdvancedMeanSquares/NoSuchMetric/' "$P" >"$TMP/metric.txt"
sed 's/(NumberOfResolutions 1)/(NumberOfResolutions "abc")/' "$P" >"$TMP/malformed.txt"
cp "$P" "$TMP/params.cfg"
printf '(Transform "TranslationTransform"\n' >"$TMP/syntax.txt"
# a mask of zeros and one of the wrong dimension
$PIPIT filter binary-threshold --lower 30000 --upper 32767 "$F" "$TMP/empty_mask.mha" ||
    { echo "FAIL: cannot make the empty mask"; fails=$((fails + 1)); }
$PIPIT filter binary-threshold --lower -32768 --upper 32767 "$F" "$TMP/full_mask.mha" ||
    { echo "FAIL: cannot make the full mask"; fails=$((fails + 1)); }

# --help, --version, no arguments: 0
expect 0 "usage: pipit register" -- $PIPIT register --help
expect 0 "pipit register" -- $PIPIT register --version
expect 0 "--help" -- $PIPIT register

# start-up: 255 without -p (also when -out is wrong too), 254 for -out
expect 255 "no -p" -- $PIPIT register -f "$F" -m "$M" -out "$TMP/out"
expect 255 "no -p" -- $PIPIT register -f "$F" -m "$M"
expect 254 "no -out" -- $PIPIT register -f "$F" -m "$M" -p "$P"
expect 254 "$TMP/nowhere" -- $PIPIT register -f "$F" -m "$M" -p "$P" -out "$TMP/nowhere"
expect 254 "not a folder" -- $PIPIT register -f "$F" -m "$M" -p "$P" -out "$P"

# parameter files
expect 1 "$TMP/none.txt" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/none.txt" -out "$TMP/out"
expect 1 "must end in .txt" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/params.cfg" -out "$TMP/out"
expect 1 "syntax.txt" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/syntax.txt" -out "$TMP/out"
expect 1 "none.txt" -- $PIPIT register -f "$F" -m "$M" -p "$P" -p "$TMP/none.txt" -out "$TMP/out"
printf '(ResultImageFormat "jpg")\n' | cat "$P" - >"$TMP/format.txt"
expect 1 "ResultImageFormat" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/format.txt" -out "$TMP/out"
printf '(ResultImagePixelType "quaternion")\n' | cat "$P" - >"$TMP/ptype.txt"
expect 1 "quaternion" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/ptype.txt" -out "$TMP/out"

# images, masks, -t0
expect 1 "$TMP/none.mha" -- $PIPIT register -f "$TMP/none.mha" -m "$M" -p "$P" -out "$TMP/out"
expect 1 "$TMP/none.mha" -- $PIPIT register -f "$F" -m "$TMP/none.mha" -p "$P" -out "$TMP/out"
expect 1 "no -m" -- $PIPIT register -f "$F" -p "$P" -out "$TMP/out"
expect 1 "dimensions" -- $PIPIT register -f "$F" -m "$DATA/BrainProtonDensity3Slices.mha" -p "$P" -out "$TMP/out"
expect 1 "covers no pixel" -- $PIPIT register -f "$F" -m "$M" -fMask "$TMP/empty_mask.mha" -p "$P" -out "$TMP/out"
expect 1 "covers no pixel" -- $PIPIT register -f "$F" -m "$M" -mMask "$TMP/empty_mask.mha" -p "$P" -out "$TMP/out"
expect 1 "empty_mask" -- $PIPIT register -f0 "$F" -m "$M" -fMask0 "$TMP/empty_mask.mha" -fMask "$TMP/full_mask.mha" -p "$P" -out "$TMP/out"
expect 1 "dimensions" -- $PIPIT register -f "$F" -m "$M" -fMask "$DATA/BrainProtonDensity3Slices.mha" -p "$P" -out "$TMP/out"
expect 1 "$TMP/nomask.mha" -- $PIPIT register -f "$F" -m "$M" -mMask "$TMP/nomask.mha" -p "$P" -out "$TMP/out"
expect 1 "$TMP/none_tp.txt" -- $PIPIT register -f "$F" -m "$M" -t0 "$TMP/none_tp.txt" -p "$P" -out "$TMP/out"
expect 1 "multi-image" -- $PIPIT register -f "$F" -f1 "$F" -m "$M" -p "$P" -out "$TMP/out"

# what the registration node checks: component names, malformed values
$PIPIT register -f "$F" -m "$M" -p "$TMP/metric.txt" -out "$TMP/out" >/dev/null 2>"$TMP/probe"
if grep -q "not built" "$TMP/probe"; then
    echo "registration node not built yet: its checks skipped"
else
    expect 1 "NoSuchMetric" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/metric.txt" -out "$TMP/out"
    expect 1 "AdvancedMattesMutualInformation" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/metric.txt" -out "$TMP/out"
    expect 1 "malformed.txt" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/malformed.txt" -out "$TMP/out"
    expect 1 "NumberOfResolutions" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/malformed.txt" -out "$TMP/out"
    expect 1 "abc" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/malformed.txt" -out "$TMP/out"
    expect 1 ":5" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/malformed.txt" -out "$TMP/out"
    # a run: the output folder as elastix writes it
    expect 0 "" -- $PIPIT register -f "$F" -m "$M" -p "$P" -p "$P" -out "$TMP/out" -threads 2 -priority high
    for f in elastix.log IterationInfo.0.R0.txt IterationInfo.1.R0.txt \
             TransformParameters.0.txt TransformParameters.1.txt \
             result.0.mhd result.1.mhd convergence.png; do
        [ -s "$TMP/out/$f" ] || { echo "FAIL: no $f in the output folder"; fails=$((fails + 1)); }
    done
    grep -q "InitialTransformParametersFileName \"$TMP/out/TransformParameters.0.txt\"" "$TMP/out/TransformParameters.1.txt" ||
        { echo "FAIL: TransformParameters.1.txt does not name TransformParameters.0.txt"; fails=$((fails + 1)); }
    grep -q 'NoInitialTransform' "$TMP/out/TransformParameters.0.txt" ||
        { echo "FAIL: TransformParameters.0.txt has an initial transform"; fails=$((fails + 1)); }
    grep -q 'Total time' "$TMP/out/elastix.log" ||
        { echo "FAIL: elastix.log has no total time"; fails=$((fails + 1)); }
    [ -s "$TMP/stderr" ] && { echo "FAIL: a run off a terminal wrote to stderr:"; cat "$TMP/stderr"; fails=$((fails + 1)); }
fi

# WriteTransformParametersEachIteration / EachResolution: elastix's names
sed 's/(MaximumNumberOfIterations 1)/(MaximumNumberOfIterations 2)/' "$P" >"$TMP/each.txt"
sed -i '/(NumberOfResolutions 1)/d' "$TMP/each.txt"
printf '(NumberOfResolutions 2)\n(WriteTransformParametersEachIteration "true")\n(WriteTransformParametersEachResolution "true")\n' >>"$TMP/each.txt"
rm -rf "$TMP/each"; mkdir -p "$TMP/each"
$PIPIT --no-sync register -f "$F" -m "$M" -p "$TMP/each.txt" -out "$TMP/each" >/dev/null 2>&1 ||
    { echo "FAIL: the Each* run failed"; fails=$((fails + 1)); }
for f in TransformParameters.0.R0.txt TransformParameters.0.R1.txt \
         TransformParameters.0.R0.It0000000.txt TransformParameters.0.R1.It0000001.txt; do
    [ -s "$TMP/each/$f" ] || { echo "FAIL: no $f"; fails=$((fails + 1)); }
done
cmp -s "$TMP/each/TransformParameters.0.R1.txt" "$TMP/each/TransformParameters.0.txt" ||
    { echo "FAIL: the last resolution's file is not the final transform"; fails=$((fails + 1)); }

# pipit transform: transformix's exit codes
expect 255 "no -tp" -- $PIPIT transform -in "$F" -out "$TMP/out"
expect 255 "nothing to do" -- $PIPIT transform -tp "$P" -out "$TMP/out"
expect 254 "-out" -- $PIPIT transform -tp "$P" -in "$F" -out "$TMP/nowhere"
expect 1 "good.txt" -- $PIPIT transform -tp "$P" -in "$F" -out "$TMP/out"

# The output folder, with a stand-in node (tests/fake_registration.c:
# map m translates by (m+1, -(m+1)/2) after the previous map, two
# resolutions of four iterations each).
FAKE=./tests/pipit-fake-register
if [ -x "$FAKE" ]; then
    mkdir "$TMP/fake"
    sed 's/(ImageSampler "Full")/(ImageSampler "Full")\n(ResultImagePixelType "float")/' "$P" >"$TMP/p1.txt"
    printf '(ResultImageFormat "nii")\n(ResampleInterpolator "FinalLinearInterpolator")\n' | cat "$P" - >"$TMP/p2.txt"
    printf '(WriteResultImage "false")\n(WriteIterationInfo "false")\n' | cat "$P" - >"$TMP/p3.txt"
    expect 0 "" -- $FAKE register -f "$F" -m "$M" -p "$TMP/p1.txt" -p "$TMP/p2.txt" -p "$TMP/p3.txt" -out "$TMP/fake"
    [ -s "$TMP/stderr" ] && { echo "FAIL: a run off a terminal wrote to stderr:"; cat "$TMP/stderr"; fails=$((fails + 1)); }
    for f in elastix.log IterationInfo.0.R0.txt IterationInfo.0.R1.txt \
             IterationInfo.1.R1.txt TransformParameters.0.txt \
             TransformParameters.1.txt TransformParameters.2.txt \
             result.0.mhd result.1.nii convergence.png; do
        [ -s "$TMP/fake/$f" ] || { echo "FAIL: no $f in the output folder"; fails=$((fails + 1)); }
    done
    for f in IterationInfo.2.R0.txt result.2.mhd; do
        [ -e "$TMP/fake/$f" ] && { echo "FAIL: $f written though switched off"; fails=$((fails + 1)); }
    done
    # elastix's IterationInfo: the header, then one row per iteration
    [ "$(wc -l <"$TMP/fake/IterationInfo.0.R1.txt")" = 5 ] || { echo "FAIL: IterationInfo.0.R1.txt:"; cat "$TMP/fake/IterationInfo.0.R1.txt"; fails=$((fails + 1)); }
    head -1 "$TMP/fake/IterationInfo.0.R0.txt" | grep -q '^1:ItNr	2:Metric' || { echo "FAIL: IterationInfo header"; fails=$((fails + 1)); }
    # each TP file holds its own map's link and names the one before it
    grep -q '(InitialTransformParametersFileName "NoInitialTransform")' "$TMP/fake/TransformParameters.0.txt" || { echo "FAIL: TP 0 initial"; fails=$((fails + 1)); }
    grep -q "(InitialTransformParametersFileName \"$TMP/fake/TransformParameters.0.txt\")" "$TMP/fake/TransformParameters.1.txt" || { echo "FAIL: TP 1 initial"; cat "$TMP/fake/TransformParameters.1.txt"; fails=$((fails + 1)); }
    grep -q "(InitialTransformParametersFileName \"$TMP/fake/TransformParameters.1.txt\")" "$TMP/fake/TransformParameters.2.txt" || { echo "FAIL: TP 2 initial"; fails=$((fails + 1)); }
    grep -q '(TransformParameters 2.000000 -1.000000)' "$TMP/fake/TransformParameters.1.txt" || { echo "FAIL: TP 1 parameters"; grep TransformParameters "$TMP/fake/TransformParameters.1.txt"; fails=$((fails + 1)); }
    grep -q '(Size 256 256)' "$TMP/fake/TransformParameters.2.txt" || { echo "FAIL: TP 2 grid"; fails=$((fails + 1)); }
    grep -q '(ResultImageFormat "nii")' "$TMP/fake/TransformParameters.1.txt" || { echo "FAIL: TP 1 resampler keys"; fails=$((fails + 1)); }
    # result.0 (resampled here, float): the moving image moved by (1, -0.5)
    expect 0 "pixel type   f32" -- $PIPIT info "$TMP/fake/result.0.mhd"
    # -t0: the first file names it verbatim
    mkdir "$TMP/t0"
    expect 0 "" -- $FAKE register -f "$F" -m "$M" -p "$P" -t0 "$TMP/fake/TransformParameters.1.txt" -out "$TMP/t0/"
    grep -q "(InitialTransformParametersFileName \"$TMP/fake/TransformParameters.1.txt\")" "$TMP/t0/TransformParameters.0.txt" || { echo "FAIL: TP 0 does not name -t0"; fails=$((fails + 1)); }
    grep -q '(TransformParameters 1.000000 -0.500000)' "$TMP/t0/TransformParameters.0.txt" || { echo "FAIL: TP 0 after -t0: not its own link"; fails=$((fails + 1)); }
    # transformix reads the chain, when installed
    if command -v transformix >/dev/null 2>&1; then
        mkdir "$TMP/tx"
        expect 0 "" -- $FAKE register -f "$F" -m "$M" -p "$P" -p "$P" -out "$TMP/fake"
        expect 0 "" -- transformix -tp "$TMP/fake/TransformParameters.1.txt" -def all -out "$TMP/tx"
        [ -s "$TMP/tx/deformationField.mhd" ] || { echo "FAIL: transformix wrote no deformation field"; fails=$((fails + 1)); }
        # pipit transform writes the same field, to the byte
        mkdir "$TMP/px"
        expect 0 "" -- $PIPIT transform -tp "$TMP/fake/TransformParameters.1.txt" -def all -jac all -in "$M" -out "$TMP/px"
        cmp -s "$TMP/tx/deformationField.raw" "$TMP/px/deformationField.raw" || { echo "FAIL: pipit transform's deformation field differs from transformix's"; fails=$((fails + 1)); }
        expect 0 "min/max      1 1" -- $PIPIT info "$TMP/px/spatialJacobian.mhd"
        expect 0 "pixel type   i16" -- $PIPIT info "$TMP/px/result.mhd"
    fi
fi

# RecursiveBSplineTransform: the TransformParameters file says so (elastix
# writes the name it was given; lib has one implementation for both)
cat >"$TMP/rbs.txt" <<'PAR'
(Transform "RecursiveBSplineTransform")
(FinalGridSpacingInVoxels 8)
(Metric "AdvancedMeanSquares")
(Optimizer "RegularStepGradientDescent")
(ImageSampler "Full")
(NumberOfResolutions 1)
(MaximumNumberOfIterations 1)
PAR
mkdir "$TMP/rbs"
expect 0 "" -- $PIPIT register -f "$F" -m "$M" -p "$TMP/rbs.txt" -out "$TMP/rbs"
grep -q '(Transform "RecursiveBSplineTransform")' "$TMP/rbs/TransformParameters.0.txt" || { echo "FAIL: TP file of a RecursiveBSplineTransform: $(grep '(Transform ' "$TMP/rbs/TransformParameters.0.txt")"; fails=$((fails + 1)); }

[ "$fails" = 0 ] && echo "tests/test_register_cli.sh: all passed"
exit $((fails > 0))
