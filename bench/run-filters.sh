#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Runs bench/filters and bench/itk_filters (configure --with-itk-bench)
# side by side and prints, per line, the median time of each and the ratio
# ITK / pipit (above 1: pipit is faster), then the mean and geometric
# mean ratios and the targets: every filter at least as fast as
# ITK, 2x on average,
# 3x for the discrete and recursive Gaussians, linear and cubic B-spline
# resampling and the median.
#
# Usage: bench/run-filters.sh [threads [repeats [size [rounds]]]]
#   (defaults 2, 5, 256, 1). Each round runs both programs once, in
#   alternating order; a line's figure is its median over the rounds, so
#   on a shared machine more rounds give steadier ratios.
# Run from the build directory (or set BENCH_DIR to the one holding the
# two programs).
set -eu
threads=${1:-2}
repeats=${2:-5}
size=${3:-256}
rounds=${4:-1}
dir=${BENCH_DIR:-bench}

if [ ! -x "$dir/filters" ]; then
    echo "run-filters.sh: no $dir/filters; run from the build directory" >&2
    exit 1
fi
if [ ! -x "$dir/itk_filters" ]; then
    echo "run-filters.sh: no $dir/itk_filters: configure with" \
         "--with-itk-bench=DIR (Debian: /usr, libinsighttoolkit5-dev)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
r=1
while [ "$r" -le "$rounds" ]; do
    if [ $((r % 2)) -eq 1 ]; then
        "$dir/filters" "$threads" "$repeats" "$size" > "$tmp/p$r"
        "$dir/itk_filters" "$threads" "$repeats" "$size" > "$tmp/i$r"
    else
        "$dir/itk_filters" "$threads" "$repeats" "$size" > "$tmp/i$r"
        "$dir/filters" "$threads" "$repeats" "$size" > "$tmp/p$r"
    fi
    r=$((r + 1))
done

head -n 1 "$tmp/p1"
head -n 1 "$tmp/i1"
echo "rounds: $rounds (figures: median over rounds of medians of $repeats)"
echo

# name -> ms, per program, then the table.
for f in "$tmp"/p*; do tail -n +2 "$f"; done | awk '$3 == "ms" { print "P", $1, $2 }' > "$tmp/all"
for f in "$tmp"/i*; do tail -n +2 "$f"; done | awk '$3 == "ms" { print "I", $1, $2 }' >> "$tmp/all"
sort -k2,2 -k1,1 -k3,3g "$tmp/all" | awk -v ORDER="$tmp/p1" -v target3="discrete_gaussian_var4 recursive_gaussian_sigma2_x recursive_gaussian_sigma2_z smoothing_recursive_gaussian_sigma2 resample_affine_linear resample_affine_bspline3 median_r1" '
function median(arr, n,   m) {
    m = int((n + 1) / 2)
    return (n % 2) ? arr[m] : 0.5 * (arr[m] + arr[m + 1])
}
BEGIN {
    n3 = split(target3, t3, " ")
    for (i = 1; i <= n3; i++) want3[t3[i]] = 1
}
{
    key = $1 SUBSEP $2
    cnt[key]++
    val[key, cnt[key]] = $3
    names[$2] = 1
}
END {
    printf "%-44s %10s %10s %8s  %s\n", "filter", "pipit ms", "ITK ms", "ratio", "target"
    nr = 0; sum = 0; lsum = 0; fails = 0
    # a stable order: the order of bench/filters
    while ((getline line < ORDER) > 0) {
        split(line, f, " ")
        name = f[1]
        if (!(name in names) || (name in done)) continue
        done[name] = 1
        np = cnt["P" SUBSEP name]; ni = cnt["I" SUBSEP name]
        for (k = 1; k <= np; k++) a[k] = val["P", name, k]
        for (k = 1; k <= ni; k++) b[k] = val["I", name, k]
        p = np ? median(a, np) : -1
        q = ni ? median(b, ni) : -1
        if (p < 0) continue
        if (q < 0) {
            printf "%-44s %10.2f %10s %8s\n", name, p, "-", "-"
            continue
        }
        ratio = q / p
        if (name == "memcpy") {
            printf "%-44s %10.2f %10.2f %8.2f  (scale)\n", name, p, q, ratio
            continue
        }
        need = (name in want3) ? 3 : 1
        ok = ratio >= need ? "ok" : "BELOW"
        if (ratio < need) fails++
        nr++; sum += ratio; lsum += log(ratio)
        printf "%-44s %10.2f %10.2f %8.2f  >= %dx %s\n", name, p, q, ratio, need, ok
    }
    if (nr > 0) {
        printf "\nmean ratio over %d filters: %.2f (target >= 2: %s); lines below target: %d\n",
               nr, sum / nr, (sum / nr >= 2 ? "ok" : "BELOW"), fails
        printf "geometric mean ratio: %.2f\n", exp(lsum / nr)
    }
}'
