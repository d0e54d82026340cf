#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/blobs.sh: deformable (B-spline) registration, pipit against
# Debian's elastix 5.0.1, side by side in one run (issue 10,
# doc/registration-bench.md "B-spline").
#
# For each case, thread count and program it runs the registration REPS
# times under /usr/bin/time and prints the medians of wall time, user+sys
# CPU time and peak RSS, the final metric, and the accuracy against the
# known truth (bench/reg_accuracy: mean, 95th percentile and RMS of
# |T_found(x) - T_true(x)| in voxels), then the ratios elastix/pipit
# (targets: >= 5 in wall and CPU; RSS >= 2 for bspline3d) and api/pipit
# (target <= 1.02).
#
# Cases:
#   blobs      tests/data/registration/blobs.tif (fixed) and
#              blobs-rot15deg.tif (moving), params_bspline.txt unchanged
#              (B-spline, Mattes MI, ASGD with its automatic estimation,
#              6 resolutions x 100, RandomCoordinate 4096); truth: the
#              +15 deg rotation about the centre (reg_accuracy
#              --rotation 15), measured over the image minus a 20-pixel
#              border. Targets: mean < 0.2 px, p95 < 0.4 px (elastix:
#              0.158 / 0.364).
#   bspline3d  bench/reg_make3d_bspline's SIZE3D^3 pair with a known
#              cubic B-spline deformation, bspline3d.txt (mean squares,
#              ASGD, RandomCoordinate 4096, 3 resolutions x 300, 16 mm
#              grid); accuracy over the whole image.
#   presets    the presets against elastix's own kind of parameter file
#              on ~96x96x80 anisotropic cases (issue 10 item 7): affine
#              (bench/reg_make3d, affine3d.txt vs presets/affine-3d-mono.txt)
#              and B-spline (bench/reg_make3d_bspline, bspline3d.txt vs
#              presets/bspline-3d-mono.txt). Goal for the B-spline preset:
#              under 0.3 s at 1 thread with a mean error at most elastix's.
#              Then the multi-modal presets on the same kind of pairs with
#              the moving image remapped by bench/reg_multimodal (a
#              non-monotonic intensity curve, as T2 against T1, plus
#              noise; same known transform): rigid (bench/reg_make3d
#              --rigid, rigid3d_mi.txt vs presets/rigid-3d-multi.txt),
#              affine (affine3d_mi.txt vs presets/affine-3d-multi.txt) and
#              B-spline (bspline3d_mi.txt vs presets/bspline-3d-multi.txt);
#              the *_mi.txt files are affine3d.txt / bspline3d.txt with
#              Mattes mutual information. Goal: each preset at least
#              elastix's accuracy, and faster. REPS repetitions (median).
#
# A program that fails (for instance `pipit register` answering that
# BSplineTransform is an unknown component, before that component is
# merged) gets a "failed" row with the first line of its message, and
# the bench goes on.
#
# Usage: bench/blobs.sh [BUILD-DIR]          (default: build/ beside)
# Environment:
#   CASES="blobs bspline3d presets presets2d"
#   THREADS="1 2"     TOOLS="elastix pipit api"
#   REPS=5            repetitions per measurement (median) for blobs, presets
#   REPS3D=1          repetitions for bspline3d (elastix takes ~1 min)
#   SIZE3D=128        voxels per axis of bspline3d
#   PRESET_SIZE="96 96 80"   the presets' 3-D cases
#   PRESET_KINDS="mono multi"  which presets rows to run
#   WORK=DIR          where outputs go (default: a new folder in /tmp)
#   ELASTIX=/usr/bin/elastix  PIPIT=BUILD/tools/pipit  API=BUILD/bench/register_api
set -u
LC_ALL=C
export LC_ALL

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd) || exit 2
data=$top/tests/data/registration
presets=$top/presets
CASES=${CASES:-"blobs bspline3d presets presets2d"}
THREADS=${THREADS:-"1 2"}
TOOLS=${TOOLS:-"elastix pipit api"}
REPS=${REPS:-5}
REPS3D=${REPS3D:-1}
SIZE3D=${SIZE3D:-128}
PRESET_SIZE=${PRESET_SIZE:-"96 96 80"}
PRESET_KINDS=${PRESET_KINDS:-"mono multi"}
ELASTIX=${ELASTIX:-/usr/bin/elastix}
WORK=${WORK:-$(mktemp -d /tmp/pipit-blobs-bench.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
PIPIT=${PIPIT:-$build/tools/pipit}
API=${API:-$build/bench/register_api}
ACC=$build/bench/reg_accuracy
MAKE3D=$build/bench/reg_make3d
MAKEBS=$build/bench/reg_make3d_bspline
REMAP=$build/bench/reg_multimodal
TIME=/usr/bin/time

if [ ! -x "$TIME" ]; then
    echo "blobs.sh: $TIME is missing (Debian package 'time')" >&2
    exit 2
fi
for p in "$ACC" "$MAKE3D" "$MAKEBS" "$REMAP"; do
    if [ ! -x "$p" ]; then
        echo "blobs.sh: $p is missing: make -C $build bench-register" >&2
        exit 2
    fi
done

have() {
    case " $TOOLS " in *" $1 "*) ;; *) return 1 ;; esac
    case $1 in
        elastix) [ -x "$ELASTIX" ] ;;
        pipit) [ -x "$PIPIT" ] ;;
        api) [ -x "$API" ] ;;
    esac
}
for t in elastix pipit api; do
    case " $TOOLS " in *" $t "*)
        have "$t" || echo "note: no $t column (program missing)" ;;
    esac
done

tool_cmd() {
    case $1 in
        elastix) echo "$ELASTIX" ;;
        pipit) echo "$PIPIT register" ;;
        api) echo "$API" ;;
    esac
}

median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) print "-";
        else if (NR % 2) print v[(NR + 1) / 2];
        else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

final_metric() {
    local f
    f=$(ls "$1"/IterationInfo.*.R*.txt 2>/dev/null | sort -V | tail -n 1)
    [ -n "$f" ] || { echo "-"; return; }
    tail -n 1 "$f" | awk '{ print $2 }'
}

last_tp() {
    ls "$1"/TransformParameters.*.txt 2>/dev/null | sort -V | tail -n 1
}

ratio() {
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
    else
        echo "-"
    fi
}

# measure TOOL THREADS LABEL: runs TOOL on F, M with parameter files P,
# N times; accuracy by ACC_ARGS (reg_accuracy's arguments before FOUND;
# ACC_TRUTH after it, then F). Prints a row; sets R_WALL R_CPU R_RSS.
measure() {
    local tool=$1 th=$2 label=$3 i out cmd
    local walls="" cpus="" rsss="" ok=1
    R_WALL="" R_CPU="" R_RSS=""
    cmd=$(tool_cmd "$tool")
    for i in $(seq 1 "$N"); do
        out=$WORK/$case/$label-$tool-t$th-r$i
        rm -rf "$out"
        mkdir -p "$out"
        # shellcheck disable=SC2086
        if ! $TIME -f '%e %U %S %M' -o "$out.time" \
            $cmd -f "$F" -m "$M" $P -out "$out" -threads "$th" \
            >"$out.stdout" 2>"$out.stderr"; then
            printf '%-10s %-22s %2s %-8s failed: %s\n' "$case" "$label" "$th" \
                "$tool" "$(grep -v '^\s*$' "$out.stderr" | head -n 1 | cut -c1-100)"
            ok=0
            break
        fi
        read -r w u s m < <(tail -n 1 "$out.time")
        walls="$walls $w"
        cpus="$cpus $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
        rsss="$rsss $m"
    done
    [ $ok = 1 ] || return
    R_WALL=$(echo $walls | tr ' ' '\n' | median)
    R_CPU=$(echo $cpus | tr ' ' '\n' | median)
    R_RSS=$(echo $rsss | tr ' ' '\n' | median)
    local metric tp acc mean="-" p95="-" rms="-" ang="" terr=""
    metric=$(final_metric "$out")
    tp=$(last_tp "$out")
    if [ -n "$tp" ]; then
        # shellcheck disable=SC2086
        acc=$("$ACC" $ACC_ARGS "$tp" $ACC_TRUTH "$F" 2>&1 | tr '\n' ' ')
        mean=$(echo "$acc" | sed -n 's/.*mean_vox=\([^ ]*\).*/\1/p')
        p95=$(echo "$acc" | sed -n 's/.*p95_vox=\([^ ]*\).*/\1/p')
        rms=$(echo "$acc" | sed -n 's/.*rms_vox=\([^ ]*\).*/\1/p')
        ang=$(echo "$acc" | sed -n 's/.*angle_err_deg=\([^ ]*\).*/\1/p')
        terr=$(echo "$acc" | sed -n 's/.*t_err_px=\([^ ]*\).*/\1/p')
    fi
    printf '%-10s %-22s %2s %-8s %8.3f %8.3f %8.1f %12s %9s %9s %9s%s\n' \
        "$case" "$label" "$th" "$tool" "$R_WALL" "$R_CPU" \
        "$(awk -v k="$R_RSS" 'BEGIN { print k / 1024 }')" \
        "$metric" "${mean:-?}" "${p95:-?}" "${rms:-?}" \
        "${ang:+ angle_err=$ang t_err=$terr}"
}

# side_by_side LABEL: every tool at every thread count, with ratios.
side_by_side() {
    local label=$1 th
    for th in $THREADS; do
        local EW="" EC="" ER="" PW="" PC="" PR="" AW="" AC=""
        if have elastix; then measure elastix "$th" "$label"; EW=$R_WALL EC=$R_CPU ER=$R_RSS; fi
        if have pipit; then measure pipit "$th" "$label"; PW=$R_WALL PC=$R_CPU PR=$R_RSS; fi
        if have api && [ "$WITH_API" = 1 ]; then
            measure api "$th" "$label"; AW=$R_WALL AC=$R_CPU
        fi
        if [ -n "$PW" ]; then
            echo "  ratios: elastix/pipit wall $(ratio "$EW" "$PW")" \
                 "cpu $(ratio "$EC" "$PC") rss $(ratio "$ER" "$PR")" \
                 "(targets >= 5, >= 5, $RSS_TARGET);" \
                 "api/pipit wall $(ratio "$AW" "$PW") cpu $(ratio "$AC" "$PC")" \
                 "(target <= 1.02)"
        fi
    done
}

echo "B-spline registration bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs," \
     "load $(cut -d' ' -f1-3 /proc/loadavg), REPS=$REPS REPS3D=$REPS3D" \
     "SIZE3D=$SIZE3D, outputs in $WORK"
"$ELASTIX" --version 2>/dev/null | head -n 1
echo "accuracy: |T_found(x) - T_true(x)| in voxels over the image (blobs:" \
     "minus a 20-pixel border): mean, 95th percentile, RMS"
printf '%-10s %-22s %2s %-8s %8s %8s %8s %12s %9s %9s %9s\n' case params thr tool \
    wall_s cpu_s rss_MiB final_metric mean_vox p95_vox rms_vox

for case in $CASES; do
    case $case in
        blobs)
            F=$data/blobs.tif M=$data/blobs-rot15deg.tif
            P="-p $data/params_bspline.txt" N=$REPS WITH_API=1
            ACC_ARGS="--border 20 --rotation 15" ACC_TRUTH=""
            RSS_TARGET=">= 1"
            side_by_side params_bspline.txt
            echo "  targets: mean < 0.2 px, p95 < 0.4 px (elastix 0.158 / 0.364)" ;;
        bspline3d)
            d=$WORK/bspline3d-data-$SIZE3D
            [ -f "$d/truth.txt" ] || "$MAKEBS" "$d" "$SIZE3D" >/dev/null || continue
            F=$d/fixed.mha M=$d/moving.mha
            P="-p $data/bspline3d.txt" N=$REPS3D WITH_API=0
            ACC_ARGS="" ACC_TRUTH=$d/truth.txt RSS_TARGET=">= 2"
            side_by_side bspline3d.txt ;;
        presets)
            # shellcheck disable=SC2086
            set -- $PRESET_SIZE
            sz=$1x$2x$3 N=$REPS WITH_API=0 RSS_TARGET=">= 1" ACC_ARGS=""
            # kind WORD: whether PRESET_KINDS names it
            kind() { case " $PRESET_KINDS " in *" $1 "*) ;; *) return 1 ;; esac; }
            # remap DIR: DIR/moving-mi.mha, the multi-modal moving image
            remap() {
                [ -f "$1/moving-mi.mha" ] ||
                    "$REMAP" "$1/moving.mha" "$1/moving-mi.mha" >/dev/null
            }
            if kind multi; then
                d=$WORK/rigid3d-data-$sz
                [ -f "$d/truth.txt" ] || "$MAKE3D" --rigid "$d" "$@" >/dev/null || continue
                remap "$d" || continue
                F=$d/fixed.mha M=$d/moving-mi.mha ACC_TRUTH=$d/truth.txt
                P="-p $data/rigid3d_mi.txt"; side_by_side "rigid3d_mi.txt@$sz"
                P="-p $presets/rigid-3d-multi.txt"; side_by_side "preset:rigid-3d-multi"
            fi
            d=$WORK/affine3d-data-$sz
            [ -f "$d/truth.txt" ] || "$MAKE3D" "$d" "$@" >/dev/null || continue
            F=$d/fixed.mha M=$d/moving.mha ACC_TRUTH=$d/truth.txt
            if kind mono; then
                P="-p $data/affine3d.txt"; side_by_side "affine3d.txt@$sz"
                P="-p $presets/affine-3d-mono.txt"; side_by_side "preset:affine-3d-mono"
            fi
            if kind multi; then
                remap "$d" || continue
                M=$d/moving-mi.mha
                P="-p $data/affine3d_mi.txt"; side_by_side "affine3d_mi.txt@$sz"
                P="-p $presets/affine-3d-multi.txt"; side_by_side "preset:affine-3d-multi"
            fi
            d=$WORK/bspline3d-data-$sz
            [ -f "$d/truth.txt" ] || "$MAKEBS" "$d" "$@" >/dev/null || continue
            F=$d/fixed.mha M=$d/moving.mha ACC_TRUTH=$d/truth.txt
            if kind mono; then
                P="-p $data/bspline3d.txt"; side_by_side "bspline3d.txt@$sz"
                P="-p $presets/bspline-3d-mono.txt"; side_by_side "preset:bspline-3d-mono"
                echo "  goal: preset:bspline-3d-mono under 0.3 s at 1 thread," \
                     "mean error at most elastix's bspline3d.txt"
            fi
            if kind multi; then
                remap "$d" || continue
                M=$d/moving-mi.mha
                P="-p $data/bspline3d_mi.txt"; side_by_side "bspline3d_mi.txt@$sz"
                P="-p $presets/bspline-3d-multi.txt"; side_by_side "preset:bspline-3d-multi"
                echo "  goal: each *-3d-multi preset at least as accurate as" \
                     "elastix's *_mi.txt, and faster"
            fi ;;
        presets2d)
            N=$REPS WITH_API=0 RSS_TARGET=">= 1"
            kind() { case " $PRESET_KINDS " in *" $1 "*) ;; *) return 1 ;; esac; }
            if kind mono; then
                F=$data/BrainProtonDensitySliceBorder20.png
                M=$data/BrainProtonDensitySliceShifted13x17y.png
                ACC_ARGS="" ACC_TRUTH=$data/truth_brain_translation.txt
                P="-p $data/brain_translation.txt"; side_by_side brain_translation.txt
                P="-p $presets/rigid-2d-mono.txt"; side_by_side "preset:rigid-2d-mono"
            fi
            if kind multi; then
                F=$data/BrainT1SliceBorder20.png
                M=$data/BrainProtonDensitySliceR10X13Y17.png
                ACC_ARGS="" ACC_TRUTH=$data/truth_brain_rigid.txt
                P="-p $data/brain_rigid_mi.txt"; side_by_side brain_rigid_mi.txt
                P="-p $presets/rigid-2d-multi.txt"; side_by_side "preset:rigid-2d-multi"
            fi
            F=$data/blobs.tif ACC_ARGS="--border 20 --rotation 15" ACC_TRUTH=""
            if kind mono; then
                M=$data/blobs-rot15deg.tif
                P="-p $data/affine2d.txt"; side_by_side affine2d.txt
                P="-p $presets/affine-2d-mono.txt"; side_by_side "preset:affine-2d-mono"
                P="-p $data/params_bspline.txt"; side_by_side params_bspline.txt
                P="-p $presets/affine-2d-mono.txt -p $presets/bspline-2d-mono.txt"
                side_by_side "preset:aff+bs-2d-mono"
            fi
            if kind multi; then
                M=$WORK/blobs-rot15deg-mi.mha
                [ -f "$M" ] || "$REMAP" --max 255 "$data/blobs-rot15deg.tif" "$M" \
                    >/dev/null || continue
                P="-p $data/affine2d_mi.txt"; side_by_side affine2d_mi.txt
                P="-p $presets/affine-2d-multi.txt"; side_by_side "preset:affine-2d-multi"
                P="-p $data/params_bspline.txt"; side_by_side "params_bspline.txt(mi)"
                P="-p $presets/affine-2d-multi.txt -p $presets/bspline-2d-multi.txt"
                side_by_side "preset:aff+bs-2d-multi"
            fi
            echo "  goal: each 2-D preset at least as accurate as elastix's" \
                 "own kind of file, and faster" ;;
        *) echo "blobs.sh: unknown case $case" >&2 ;;
    esac
done
