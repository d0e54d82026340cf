#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/register.sh: registration, pipit against Debian's elastix 5.0.1,
# side by side in one run (issue 9, doc/registration-bench.md).
#
# For each case and thread count it runs, REPS times each,
#   elastix         /usr/bin/elastix -f F -m M -p P.. -out DIR -threads N
#   pipit           pipit register   (the same flags)
#   api             bench/register_api (the same registration through the
#                   C API: pipit_registration_new and its ports)
# under /usr/bin/time, and prints the medians of wall time, user+sys CPU
# time and peak RSS, the final metric (last row of the last IterationInfo
# file) and the accuracy against the truth (bench/reg_accuracy: RMS and
# maximum error over the fixed image's voxels, in voxels; for the 2-D
# cases also the angle and translation errors; for the example, which
# has no truth, the distance to elastix's transform of the same thread
# count, marked '*'), then the ratios
# elastix/pipit (targets: >= 5 in wall and CPU time, RSS ratio >= 1) and
# api/pipit (target <= 1.02). Then the start-up time of each program on a
# 1-iteration parameter file (pipit's target: < 10 ms).
#
# Cases:
#   translation  BrainProtonDensity Border20 -> Shifted13x17y, Translation,
#                mean squares; truth (13, 17)
#   rigid        BrainT1 Border20 -> BrainProtonDensity R10X13Y17, Euler,
#                Mattes MI; truth 9.998 deg, t = (13.096, 15.926) about
#                (110, 128)
#   example      elastix's example pair, parameters_Rigid.txt then
#                parameters_Affine.txt; no truth: compare final metrics
#   affine3d     bench/reg_make3d's SIZE3D^3 volume and its known affine
#                transform, anisotropic spacing, non-zero origin
#
# A column whose program is missing is skipped with a note: `pipit
# register` answering "unknown command" (the registration node not built
# yet), bench/register_api not built (`make -C BUILD bench-register`).
#
# Usage: bench/register.sh [BUILD-DIR]        (default: build/ beside)
# Environment:
#   CASES="translation rigid example affine3d"  which cases
#   THREADS="1 2"        thread counts
#   TOOLS="elastix pipit api"  which columns
#   REPS=5               repetitions per measurement (median)
#   REPS3D=1             repetitions for affine3d (elastix takes ~1 min)
#   SIZE3D=128           voxels per axis of the 3-D case
#   STARTUP_REPS=10      repetitions of the start-up measurement (0: skip)
#   WORK=DIR             where outputs go (default: a new folder in /tmp)
#   ELASTIX=/usr/bin/elastix
#   PIPIT=BUILD/tools/pipit  API=BUILD/bench/register_api  (other builds)
set -u
LC_ALL=C
export LC_ALL

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd) || exit 2
data=$top/tests/data/registration
CASES=${CASES:-"translation rigid example affine3d"}
THREADS=${THREADS:-"1 2"}
TOOLS=${TOOLS:-"elastix pipit api"}
REPS=${REPS:-5}
REPS3D=${REPS3D:-1}
SIZE3D=${SIZE3D:-128}
STARTUP_REPS=${STARTUP_REPS:-10}
ELASTIX=${ELASTIX:-/usr/bin/elastix}
WORK=${WORK:-$(mktemp -d /tmp/pipit-register-bench.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
PIPIT=${PIPIT:-$build/tools/pipit}
API=${API:-$build/bench/register_api}
ACC=$build/bench/reg_accuracy
MAKE3D=$build/bench/reg_make3d
TIME=/usr/bin/time

if [ ! -x "$TIME" ]; then
    echo "register.sh: $TIME is missing (Debian package 'time')" >&2
    exit 2
fi
for p in "$ACC" "$MAKE3D"; do
    if [ ! -x "$p" ]; then
        echo "register.sh: $p is missing: make -C $build" >&2
        exit 2
    fi
done

# Which columns can run.
have_elastix=0 have_pipit=0 have_api=0
case " $TOOLS " in *" elastix "*)
    if [ -x "$ELASTIX" ]; then have_elastix=1
    else echo "note: $ELASTIX missing: no elastix column"; fi ;;
esac
case " $TOOLS " in *" pipit "*)
    if [ ! -x "$PIPIT" ]; then
        echo "note: $PIPIT missing: no pipit column"
    elif "$PIPIT" register --help 2>&1 | grep -qi "unknown command"; then
        echo "note: 'pipit register' is an unknown command here (the" \
             "registration node is not built): no pipit column"
    else have_pipit=1; fi ;;
esac
case " $TOOLS " in *" api "*)
    if [ -x "$API" ]; then have_api=1
    else echo "note: $API not built (make -C $build bench-register): no api column"; fi ;;
esac

# The command of one tool: prints its argv prefix.
tool_cmd() {
    case $1 in
        elastix) echo "$ELASTIX" ;;
        pipit) echo "$PIPIT register" ;;
        api) echo "$API" ;;
    esac
}

# Case setup: sets F, M, P (list of -p args), TRUTH (file or empty),
# and N (repetitions).
setup_case() {
    TRUTH="" N=$REPS
    case $1 in
        translation)
            F=$data/BrainProtonDensitySliceBorder20.png
            M=$data/BrainProtonDensitySliceShifted13x17y.png
            P="-p $data/brain_translation.txt"
            TRUTH=$data/truth_brain_translation.txt ;;
        rigid)
            F=$data/BrainT1SliceBorder20.png
            M=$data/BrainProtonDensitySliceR10X13Y17.png
            P="-p $data/brain_rigid_mi.txt"
            TRUTH=$data/truth_brain_rigid.txt ;;
        example)
            F=$data/fixed.mhd
            M=$data/moving.mhd
            P="-p $data/parameters_Rigid.txt -p $data/parameters_Affine.txt" ;;
        affine3d)
            local d=$WORK/affine3d-data-$SIZE3D
            if [ ! -f "$d/truth.txt" ]; then
                "$MAKE3D" "$d" "$SIZE3D" >/dev/null || return 1
            fi
            F=$d/fixed.mha M=$d/moving.mha
            P="-p $data/affine3d.txt"
            TRUTH=$d/truth.txt N=$REPS3D ;;
        *) echo "register.sh: unknown case $1" >&2; return 1 ;;
    esac
}

# median of the numbers on stdin
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) print "-";
        else if (NR % 2) print v[(NR + 1) / 2];
        else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The final metric: column 2 of the last row of the last IterationInfo
# file (highest map, then highest resolution).
final_metric() {
    local f
    f=$(ls "$1"/IterationInfo.*.R*.txt 2>/dev/null | sort -V | tail -n 1)
    [ -n "$f" ] || { echo "-"; return; }
    tail -n 1 "$f" | awk '{ print $2 }'
}

# The last TransformParameters file of an output folder.
last_tp() {
    ls "$1"/TransformParameters.*.txt 2>/dev/null | sort -V | tail -n 1
}

# Runs tool $1 on the case set up, threads $2, $N times; prints one
# table row and sets R_WALL, R_CPU, R_RSS for the ratios.
measure() {
    local tool=$1 th=$2 i out cmd
    local walls="" cpus="" rsss="" ok=1
    cmd=$(tool_cmd "$tool")
    for i in $(seq 1 "$N"); do
        out=$WORK/$case/$tool-t$th-r$i
        rm -rf "$out"
        mkdir -p "$out"
        # shellcheck disable=SC2086
        if ! $TIME -f '%e %U %S %M' -o "$out.time" \
            $cmd -f "$F" -m "$M" $P -out "$out" -threads "$th" \
            >"$out.stdout" 2>"$out.stderr"; then
            echo "  $tool failed (threads $th): see $out.stderr" >&2
            ok=0
            break
        fi
        read -r w u s m < <(tail -n 1 "$out.time")
        walls="$walls $w"
        cpus="$cpus $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
        rsss="$rsss $m"
    done
    if [ $ok = 0 ]; then
        printf '%-12s %2s %-8s failed\n' "$case" "$th" "$tool"
        R_WALL="" R_CPU="" R_RSS=""
        return
    fi
    R_WALL=$(echo $walls | tr ' ' '\n' | median)
    R_CPU=$(echo $cpus | tr ' ' '\n' | median)
    R_RSS=$(echo $rsss | tr ' ' '\n' | median)
    local metric acc rms="-" maxv="-" ang="-" terr="-" tp
    metric=$(final_metric "$out")
    tp=$(last_tp "$out")
    local ref=$TRUTH mark=""
    # No truth (the elastix example): how far from elastix's transform
    # of the same run, marked with '*'.
    if [ -z "$ref" ] && [ "$tool" != elastix ] && [ -n "$REF_TP" ]; then
        ref=$REF_TP mark="*"
    fi
    [ "$tool" = elastix ] && REF_TP=$tp
    if [ -n "$ref" ] && [ -n "$tp" ]; then
        acc=$("$ACC" "$tp" "$ref" "$F" 2>&1 | tr '\n' ' ')
        rms=$(echo "$acc" | sed -n 's/.*rms_vox=\([^ ]*\).*/\1/p')
        maxv=$(echo "$acc" | sed -n 's/.*max_vox=\([^ ]*\).*/\1/p')
        ang=$(echo "$acc" | sed -n 's/.*angle_err_deg=\([^ ]*\).*/\1/p')
        terr=$(echo "$acc" | sed -n 's/.*t_err_px=\([^ ]*\).*/\1/p')
        [ -n "$rms" ] || rms="?"
        rms=$rms$mark
    fi
    printf '%-12s %2s %-8s %9.3f %9.3f %9.1f %14s %9s %9s %10s %9s\n' \
        "$case" "$th" "$tool" "$R_WALL" "$R_CPU" \
        "$(awk -v k="$R_RSS" 'BEGIN { print k / 1024 }')" \
        "$metric" "$rms" "$maxv" "${ang:--}" "${terr:--}"
}

ratio() {
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
    else
        echo "-"
    fi
}

echo "registration bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs," \
     "REPS=$REPS REPS3D=$REPS3D SIZE3D=$SIZE3D, outputs in $WORK"
"$ELASTIX" --version 2>/dev/null | head -n 1
printf '%-12s %2s %-8s %9s %9s %9s %14s %9s %9s %10s %9s\n' case thr tool \
    wall_s cpu_s rss_MiB final_metric rms_vox max_vox angle_err t_err_px
for case in $CASES; do
    setup_case "$case" || continue
    for th in $THREADS; do
        EW="" EC="" ER="" PW="" PC="" PR="" AW="" AC="" REF_TP=""
        if [ $have_elastix = 1 ]; then
            measure elastix "$th"; EW=$R_WALL EC=$R_CPU ER=$R_RSS
        fi
        if [ $have_pipit = 1 ]; then
            measure pipit "$th"; PW=$R_WALL PC=$R_CPU PR=$R_RSS
        fi
        if [ $have_api = 1 ]; then
            measure api "$th"; AW=$R_WALL AC=$R_CPU
        fi
        if [ $have_pipit = 1 ]; then
            echo "  ratios: elastix/pipit wall $(ratio "$EW" "$PW")" \
                 "cpu $(ratio "$EC" "$PC") rss $(ratio "$ER" "$PR")" \
                 "(targets >= 5, >= 5, >= 1);" \
                 "api/pipit wall $(ratio "$AW" "$PW") (target <= 1.02)" \
                 "cpu $(ratio "$AC" "$PC")"
        fi
    done
done

# Start-up: a 1-iteration, 1-resolution map on the small brain pair, no
# result image. The time is nearly all reading, setting up and writing.
if [ "$STARTUP_REPS" -gt 0 ]; then
    echo "start-up (median wall of $STARTUP_REPS runs, 1 thread," \
         "startup_1iter.txt):"
    F=$data/BrainProtonDensitySliceBorder20.png
    M=$data/BrainProtonDensitySliceShifted13x17y.png
    P="-p $data/startup_1iter.txt"
    for tool in elastix pipit api; do
        case $tool in
            elastix) [ $have_elastix = 1 ] || continue ;;
            pipit) [ $have_pipit = 1 ] || continue ;;
            api) [ $have_api = 1 ] || continue ;;
        esac
        cmd=$(tool_cmd "$tool") walls="" failed=0
        for i in $(seq 1 "$STARTUP_REPS"); do
            out=$WORK/startup/$tool-r$i
            rm -rf "$out"
            mkdir -p "$out"
            # shellcheck disable=SC2086
            $TIME -f '%e' -o "$out.time" $cmd -f "$F" -m "$M" $P \
                -out "$out" -threads 1 >/dev/null 2>&1 || {
                echo "  $tool failed: see $out" >&2; failed=1; break; }
            # %e has 10 ms resolution: see the finer clock below.
            walls="$walls $(tail -n 1 "$out.time")"
        done
        [ $failed = 0 ] || continue
        # A finer clock: the same runs timed by bash's EPOCHREALTIME.
        fine=""
        for i in $(seq 1 "$STARTUP_REPS"); do
            out=$WORK/startup/$tool-f$i
            rm -rf "$out"
            mkdir -p "$out"
            t0=$EPOCHREALTIME
            # shellcheck disable=SC2086
            $cmd -f "$F" -m "$M" $P -out "$out" -threads 1 >/dev/null 2>&1
            t1=$EPOCHREALTIME
            fine="$fine $(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) * 1000 }')"
        done
        printf '  %-8s %8.1f ms  (/usr/bin/time median %s s)\n' "$tool" \
            "$(echo $fine | tr ' ' '\n' | median)" \
            "$(echo $walls | tr ' ' '\n' | median)"
    done
    echo "  target: pipit register < 10 ms"
fi
