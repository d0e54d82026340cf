#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `pipit register` with a MultiMetricMultiResolutionRegistration (Mattes
# MI + TransformBendingEnergyPenalty on the blobs pair): IterationInfo
# carries elastix's per-metric columns 2:Metric<j>, 4:||Gradient<j>||,
# Time<j>[ms] with elastix 5.0.1's header, and every row holds
# 2:Metric = sum_j Metric<j>Weight * 2:Metric<j> over the metrics in use
# (to the printed rounding), norms and times >= 0; a metric with
# Metric<j>Use "false" keeps its columns (elastix still evaluates it) and
# stays out of the sum; a single-metric registration's file keeps the
# optimizer's columns only. When Debian's elastix is installed, its
# header for the same parameter file is compared too.
# Skips (77) when `pipit register` is not built. Run by `make check`
# from the build folder (srcdir set by automake).
set -u
PIPIT=${PIPIT:-./tools/pipit}
D=${srcdir:-$(dirname "$0")/..}/tests/data/registration
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipit-itinfo-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
failed() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$PIPIT" register --help >/dev/null 2>&1 ||
    { echo "pipit register not built: skipped"; exit 77; }

# What elastix 5.0.1 (/usr/bin/elastix, Debian bookworm) writes as the
# first line of IterationInfo.0.R0.txt for this parameter file
# (AdaptiveStochasticGradientDescent, two metrics), tab-separated.
TAB=$(printf '\t')
EXPECTED="1:ItNr${TAB}2:Metric${TAB}2:Metric0${TAB}2:Metric1${TAB}3a:Time${TAB}3b:StepSize${TAB}4:||Gradient0||${TAB}4:||Gradient1||${TAB}4:||Gradient||${TAB}Time0[ms]${TAB}Time1[ms]${TAB}Time[ms]"
SINGLE="1:ItNr${TAB}2:Metric${TAB}3a:Time${TAB}3b:StepSize${TAB}4:||Gradient||${TAB}Time[ms]"

# params_bspline.txt with two metrics, 2 resolutions of 10 iterations
sed -e 's/"MultiResolutionRegistration"/"MultiMetricMultiResolutionRegistration"/' \
    -e 's/^(Metric "AdvancedMattesMutualInformation")/(Metric "AdvancedMattesMutualInformation" "TransformBendingEnergyPenalty")\n(Metric0Weight 0.5)\n(Metric1Weight 100)/' \
    -e 's/(NumberOfResolutions 6)/(NumberOfResolutions 2)/' \
    -e 's/(MaximumNumberOfIterations 100)/(MaximumNumberOfIterations 10)/' \
    "$D/params_bspline.txt" >"$TMP/multi.txt"
grep -q 'Metric1Weight 100' "$TMP/multi.txt" || failed "could not make multi.txt"
sed -e 's/(Metric1Weight 100)/(Metric1Weight 100)\n(Metric1Use "false")/' \
    "$TMP/multi.txt" >"$TMP/unused.txt"
sed -e 's/(NumberOfResolutions 6)/(NumberOfResolutions 1)/' \
    -e 's/(MaximumNumberOfIterations 100)/(MaximumNumberOfIterations 5)/' \
    "$D/params_bspline.txt" >"$TMP/single.txt"

# six decimals, spelt out: mawk has no {6}
D6='[0-9][0-9][0-9][0-9][0-9][0-9]'

run() { # NAME PARAMS
    mkdir "$TMP/$1"
    "$PIPIT" register -f "$D/blobs.tif" -m "$D/blobs-rot15deg.tif" \
        -p "$2" -out "$TMP/$1" >"$TMP/$1.log" 2>&1 ||
        { failed "$1: pipit register exited $?"; cat "$TMP/$1.log"; }
}

# check FILE W0 W1 USE1: the header and the relations of every row
check() {
    f=$1
    [ -f "$f" ] || { failed "$f missing"; return; }
    h=$(head -n 1 "$f")
    [ "$h" = "$EXPECTED" ] || failed "$f: header '$h', elastix's '$EXPECTED'"
    awk -F '\t' -v d6="$D6" -v w0="$2" -v w1="$3" -v use1="$4" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; ncol = NF; next }
        {
            rows++
            if (NF != ncol) { print "row " NR ": " NF " cells"; bad++ }
            m = $col["2:Metric"]; m0 = $col["2:Metric0"]; m1 = $col["2:Metric1"]
            if (m0 !~ "^-?[0-9]+\\." d6 "$" || m1 !~ "^-?[0-9]+\\." d6 "$") {
                print "row " NR ": Metric0 " m0 ", Metric1 " m1; bad++
            }
            s = w0 * m0 + (use1 ? w1 * m1 : 0)
            # each printed value is within 5e-7 of its true value
            tol = 5e-7 * (1 + w0 + (use1 ? w1 : 0)) + 1e-9
            d = m - s; if (d < 0) d = -d
            if (d > tol) { print "row " NR ": Metric " m " but sum " s; bad++ }
            for (j = 0; j < 2; j++) {
                g = $col["4:||Gradient" j "||"]; t = $col["Time" j "[ms]"]
                if (g !~ "^[0-9]+\\." d6 "$" || t !~ /^[0-9]+\.[0-9]$/) {
                    print "row " NR ": gradient " g ", time " t; bad++
                }
            }
        }
        END { if (rows != 10) { print rows " rows"; bad++ } exit bad > 0 }
    ' "$f" || failed "$f: rows (above)"
}

run multi "$TMP/multi.txt"
check "$TMP/multi/IterationInfo.0.R0.txt" 0.5 100 1
check "$TMP/multi/IterationInfo.0.R1.txt" 0.5 100 1
run unused "$TMP/unused.txt"
check "$TMP/unused/IterationInfo.0.R0.txt" 0.5 100 0
check "$TMP/unused/IterationInfo.0.R1.txt" 0.5 100 0
# the bending of a B-spline that moved is not zero: the penalty left out
# is still evaluated, as elastix does
awk -F '\t' 'NR > 1 && $4 + 0 > 0 { n++ } END { exit !(n > 0) }' \
    "$TMP/unused/IterationInfo.0.R1.txt" ||
    failed "Metric1Use false: its 2:Metric1 column is all zero"
# QuasiNewtonLBFGS: its columns and the per-metric ones, sorted (elastix
# 5.0.1's header for this file); 4:||Gradient0|| sorts before 4a:
sed -e 's/"AdaptiveStochasticGradientDescent"/"QuasiNewtonLBFGS"/' \
    -e 's/(NumberOfResolutions 2)/(NumberOfResolutions 1)/' \
    -e 's/(MaximumNumberOfIterations 10)/(MaximumNumberOfIterations 2)/' \
    "$TMP/multi.txt" >"$TMP/lbfgs.txt"
run lbfgs "$TMP/lbfgs.txt"
LBFGS="1:ItNr${TAB}1a:SrchDirNr${TAB}1b:LineItNr${TAB}2:Metric${TAB}2:Metric0${TAB}2:Metric1${TAB}3:StepLength${TAB}4:||Gradient0||${TAB}4:||Gradient1||${TAB}4a:||Gradient||${TAB}4b:||SearchDir||${TAB}4c:DirGradient${TAB}5:Phase${TAB}6a:Wolfe1${TAB}6b:Wolfe2${TAB}7:LinSrchStopCondition${TAB}Time0[ms]${TAB}Time1[ms]${TAB}Time[ms]"
h=$(head -n 1 "$TMP/lbfgs/IterationInfo.0.R0.txt")
[ "$h" = "$LBFGS" ] || failed "QuasiNewtonLBFGS: header '$h', elastix's '$LBFGS'"
# one metric: the optimizer's columns only
run single "$TMP/single.txt"
h=$(head -n 1 "$TMP/single/IterationInfo.0.R0.txt")
[ "$h" = "$SINGLE" ] || failed "single metric: header '$h'"
# one metric under MultiMetricMultiResolutionRegistration: weighted by
# Metric0Weight all the same (elastix 5.0.1 printed 2:Metric = 10 x
# 2:Metric0 and ||Gradient|| = 10 x ||Gradient0|| for weight 10)
sed -e 's/"MultiResolutionRegistration"/"MultiMetricMultiResolutionRegistration"/' \
    -e 's/^(Metric "AdvancedMattesMutualInformation")/(Metric "AdvancedMattesMutualInformation")\n(Metric0Weight 10)/' \
    -e 's/(NumberOfResolutions 6)/(NumberOfResolutions 1)/' \
    -e 's/(MaximumNumberOfIterations 100)/(MaximumNumberOfIterations 3)/' \
    "$D/params_bspline.txt" >"$TMP/lone.txt"
run lone "$TMP/lone.txt"
# (6 decimals: the small gradient norms keep 3-4 digits)
awk -F '\t' 'NR > 1 { n++; if ($3 == 0 || $6 == 0 ||
                                 ($2 / $3 - 10) ^ 2 > 1e-6 ||
                                 ($7 / $6 - 10) ^ 2 > 0.05 ^ 2) bad++ }
              END { exit !(n > 0 && bad == 0) }' \
    "$TMP/lone/IterationInfo.0.R0.txt" ||
    failed "one metric, weight 10: 2:Metric is not 10 x 2:Metric0"

# elastix itself, when installed: the same header for the same file
if command -v elastix >/dev/null 2>&1; then
    mkdir "$TMP/elastix"
    if elastix -f "$D/blobs.tif" -m "$D/blobs-rot15deg.tif" \
        -p "$TMP/multi.txt" -out "$TMP/elastix" >/dev/null 2>&1; then
        for r in 0 1; do
            e=$(head -n 1 "$TMP/elastix/IterationInfo.0.R$r.txt")
            p=$(head -n 1 "$TMP/multi/IterationInfo.0.R$r.txt")
            [ "$e" = "$p" ] || failed "R$r: elastix '$e', pipit '$p'"
        done
    else
        echo "elastix failed on multi.txt: its header not compared"
    fi
else
    echo "elastix not installed: compared with the recorded header only"
fi

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "IterationInfo per-metric columns: OK"
