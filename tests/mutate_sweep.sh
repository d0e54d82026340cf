#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The mutated-input sweep: every bundled test image (and its NIfTI and
# MetaImage conversions) with single bit flips, truncated at every 1/16th,
# and with size and spacing extremes written into its header, each read
# by `pipit info` (which touches every pixel). Any status is fine; a
# sanitizer report or a run longer than the time limit is a failure.
#
# Usage: tests/mutate_sweep.sh BUILD-DIR [STEP [RANDOM-FLIPS]]
#   BUILD-DIR  a build, ideally with -fsanitize=address,undefined
#   STEP       flip a bit in every STEP-th byte of the first 512 (4)
#   RANDOM-FLIPS  further flips at seeded random offsets per file (16)
# Environment: TIMEOUT (seconds per run, 20). Prints the figures; exits 1
# on any report or timeout. A small sample: STEP=64 RANDOM-FLIPS=2.
set -u
build=${1:?usage: $0 BUILD-DIR [STEP [RANDOM-FLIPS]]}
step=${2:-4}
nrand=${3:-16}
limit=${TIMEOUT:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
pipit=$(cd "$build" && pwd)/tools/pipit
data=$top/tests/data/io
work=$(mktemp -d "${TMPDIR:-/tmp}/pipit-sweep-XXXXXX")
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
runs=0 reports=0 timeouts=0 max_ms=0 max_case=
RANDOM=11

# run CASE FILE: reads FILE, records the figures
run() {
    local t0 t1 ms rc
    t0=$(date +%s%N)
    timeout "$limit" "$pipit" info "$2" >"$work/out" 2>"$work/err"
    rc=$?
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    runs=$((runs + 1))
    if [ "$ms" -gt "$max_ms" ]; then max_ms=$ms max_case=$1; fi
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        timeouts=$((timeouts + 1))
        echo "TIMEOUT: $1"
        cp "$2" "$work/../pipit-sweep-timeout-$runs" 2>/dev/null
    elif grep -q -E 'Sanitizer|runtime error:' "$work/err"; then
        reports=$((reports + 1))
        echo "REPORT: $1"
        head -5 "$work/err"
        cp "$2" "$work/../pipit-sweep-report-$runs" 2>/dev/null
    fi
}

# flip FILE OFFSET BIT: flips one bit of one byte in place
flip() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    [ -n "$b" ] || return 1
    printf "$(printf '\\%03o' $((b ^ (1 << $3))))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# The originals: a folder each, with the data file beside a .mhd.
srcs=$work/src
mkdir -p "$srcs"
cp "$data"/* "$srcs"/ 2>/dev/null
"$pipit" convert "$data/fixed.mhd" "$srcs/fixed.nii" >/dev/null
"$pipit" convert "$data/fixed.mhd" "$srcs/fixed.nii.gz" >/dev/null
"$pipit" convert "$data/fixed.mhd" "$srcs/pair.hdr" >/dev/null
"$pipit" convert --compress "$data/BrainProtonDensity3Slices.mha" \
    "$srcs/z.mha" >/dev/null
files="fixed.mhd mask_fixed.mhd BrainProtonDensity3Slices.mha z.mha
BrainProtonDensitySlice.png blobs.tif fixed.nii fixed.nii.gz pair.hdr"

# Each case changes one file of a copy of the folder and puts it back.
case_dir=$work/case
cp -r "$srcs" "$case_dir"
restore() { cp "$srcs/$1" "$case_dir/$1"; }
for f in $files; do
    size=$(wc -c <"$srcs/$f")
    # bit flips: every STEP-th byte of the header part, then random ones
    offs=$(seq 0 "$step" $((size < 512 ? size - 1 : 511)))
    for _ in $(seq 1 "$nrand"); do
        offs="$offs $(((RANDOM * 32768 + RANDOM) % size))"
    done
    for off in $offs; do
        flip "$case_dir/$f" "$off" $((RANDOM % 8)) || continue
        run "$f flip@$off" "$case_dir/$f"
        restore "$f"
    done
    # truncations at k/16 of the size
    for k in $(seq 0 15); do
        truncate -s $((size * k / 16)) "$case_dir/$f"
        run "$f cut@$k/16" "$case_dir/$f"
        restore "$f"
    done
done

# size and spacing extremes in MetaImage headers
for f in fixed.mhd BrainProtonDensity3Slices.mha; do
    for v in 0 1 -1 65535 2147483648 4294967296 9223372036854775807 \
        18446744073709551616 1e300 nan; do
        sed -i "s/^DimSize = [0-9]*/DimSize = $v/" "$case_dir/$f"
        run "$f DimSize=$v" "$case_dir/$f"
        restore "$f"
    done
    for v in 0 -1 1e-300 5e-324 1e308 inf nan 1e-100; do
        sed -i "s/^ElementSpacing = [0-9.e-]*/ElementSpacing = $v/" \
            "$case_dir/$f"
        run "$f ElementSpacing=$v" "$case_dir/$f"
        restore "$f"
    done
done
# ... and in the NIfTI-1 header: dim[1] (int16 at 42), pixdim[1] (float
# at 80), both little-endian
for v in 0 1 32767 65535; do
    printf "$(printf '\\%03o\\%03o' $((v & 255)) $((v >> 8)))" |
        dd of="$case_dir/fixed.nii" bs=1 seek=42 conv=notrunc status=none
    run "fixed.nii dim[1]=$v" "$case_dir/fixed.nii"
    restore fixed.nii
done
for bytes in '\001\000\000\000' '\000\000\200\177' '\377\377\177\177' \
    '\000\000\300\177' '\000\000\200\377'; do
    printf "$bytes" |
        dd of="$case_dir/fixed.nii" bs=1 seek=80 conv=notrunc status=none
    run "fixed.nii pixdim[1]=$bytes" "$case_dir/fixed.nii"
    restore fixed.nii
done

echo "mutate_sweep: $runs runs, $reports sanitizer reports, $timeouts" \
    "timeouts (limit ${limit} s), longest ${max_ms} ms ($max_case)"
[ "$reports" = 0 ] && [ "$timeouts" = 0 ]
