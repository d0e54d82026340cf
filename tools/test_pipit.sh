#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The `pipit` command: output, exit statuses (0 ok, 1 failed, 2 usage)
# and "pipit: " messages on stderr. Run by `make check` from the build
# folder (srcdir set by automake).
set -u
PIPIT=./tools/pipit
DATA=${srcdir:-.}/tests/data/io
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipit-tool-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0

expect() {  # expect STATUS WORD -- command...: status and a word of output
    want=$1 word=$2
    shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $* exited $got, expected $want"; cat "$TMP/err"
        fails=$((fails + 1))
    elif [ -n "$word" ] && ! grep -q -- "$word" "$TMP/out" "$TMP/err"; then
        echo "FAIL: $*: no '$word' in the output"; cat "$TMP/out" "$TMP/err"
        fails=$((fails + 1))
    fi
}

expect 0 "size         256 256" -- $PIPIT info "$DATA/fixed.mhd"
expect 0 "pixel type   i16" -- $PIPIT info "$DATA/fixed.mhd"
expect 0 "min/max      -2 217" -- $PIPIT info "$DATA/fixed.mhd"
expect 0 "size         181 217 3" -- $PIPIT info "$DATA/BrainProtonDensity3Slices.mha"
expect 0 "spacing      1 1" -- $PIPIT info "$DATA/BrainProtonDensitySlice.png"
expect 0 "format       tiff" -- $PIPIT info "$DATA/blobs.tif"
expect 1 "pipit: png: '$TMP/none.png'" -- $PIPIT info "$TMP/none.png"
expect 1 "pipit: " -- $PIPIT info "$TMP/x.jpg"
expect 2 "usage: pipit info" -- $PIPIT info
expect 2 "usage: pipit info" -- $PIPIT info a b
expect 2 "unknown command" -- $PIPIT frobnicate
expect 2 "usage" -- $PIPIT
expect 0 "info" -- $PIPIT --help

# convert: formats from the names, pixels through unchanged
expect 0 "" -- $PIPIT convert "$DATA/fixed.mhd" "$TMP/fixed.nii.gz"
expect 0 "min/max      -2 217" -- $PIPIT info "$TMP/fixed.nii.gz"
expect 0 "" -- $PIPIT convert --compress "$TMP/fixed.nii.gz" "$TMP/f.tif"
expect 0 "pixel type   i16" -- $PIPIT info "$TMP/f.tif"
expect 0 "" -- $PIPIT convert --type u8 "$DATA/fixed.mhd" "$TMP/fixed.png"
expect 0 "pixel type   u8" -- $PIPIT info "$TMP/fixed.png"
expect 0 "min/max      0 217" -- $PIPIT info "$TMP/fixed.png"
expect 0 "" -- $PIPIT convert -t float "$DATA/blobs.tif" "$TMP/b.mhd"
expect 0 "pixel type   f32" -- $PIPIT info "$TMP/b.mhd"
expect 1 "convert the type" -- $PIPIT convert "$DATA/fixed.mhd" "$TMP/i16.png"
[ -e "$TMP/i16.png" ] && { echo "FAIL: i16.png left behind"; fails=$((fails + 1)); }
expect 1 "pipit: " -- $PIPIT convert "$TMP/none.mha" "$TMP/o.mha"
expect 2 "usage: pipit convert" -- $PIPIT convert "$DATA/fixed.mhd"
expect 2 "usage: pipit convert" -- $PIPIT convert a.mha b.mha c.mha
expect 2 "--type" -- $PIPIT convert --type u12 a.mha b.mha
expect 2 "unknown option" -- $PIPIT convert --frob a.mha b.mha
expect 2 "level" -- $PIPIT convert --level 99 "$DATA/fixed.mhd" "$TMP/l.mha"

# writing: --no-sync still writes; a file size limit (SIGXFSZ) is a
# write error that leaves the old file and no temporary file
expect 0 "" -- $PIPIT convert --no-sync "$DATA/fixed.mhd" "$TMP/ns.mha"
expect 0 "min/max      -2 217" -- $PIPIT info "$TMP/ns.mha"
expect 0 "" -- $PIPIT filter binary-threshold --no-sync --lower 0 "$DATA/fixed.mhd" "$TMP/ns.nii"
expect 0 "pixel type" -- $PIPIT info "$TMP/ns.nii"
mkdir "$TMP/lim"
for ext in mha mhd nii tif png; do
    type=f32; [ $ext = png ] && type=u16
    $PIPIT convert --type u8 "$DATA/fixed.mhd" "$TMP/lim/o.$ext"
    expect 1 "File too large" -- sh -c "ulimit -f 16; exec $PIPIT convert --type $type '$DATA/fixed.mhd' '$TMP/lim/o.$ext'"
    expect 0 "pixel type   u8" -- $PIPIT info "$TMP/lim/o.$ext"
    if ls -A "$TMP/lim" | grep -q pipit-; then
        echo "FAIL: ulimit -f left a temporary file:"; ls -A "$TMP/lim"
        fails=$((fails + 1))
    fi
done

# options: a dash-word is an unknown option in every command, `--` ends
# the options (a file may then start with a dash)
expect 2 "unknown option '-x'" -- $PIPIT info -x
expect 2 "unknown option '-x'" -- $PIPIT convert -x a.mha b.mha
expect 2 "unknown option '-x'" -- $PIPIT filter abs -x a.mha b.mha
expect 2 "usage: pipit info" -- $PIPIT info -- a.mha b.mha
PIPIT_ABS=$(cd "$(dirname "$PIPIT")" && pwd)/pipit
DATA_ABS=$(cd "$DATA" && pwd)
expect 0 "" -- sh -c "cd '$TMP' && '$PIPIT_ABS' convert -- '$DATA_ABS/fixed.mhd' -d.mha"
expect 0 "min/max      -2 217" -- sh -c "cd '$TMP' && '$PIPIT_ABS' info -- -d.mha"
expect 0 "" -- sh -c "cd '$TMP' && '$PIPIT_ABS' filter abs -- -d.mha -e.mha"
expect 0 "min/max      0 217" -- sh -c "cd '$TMP' && '$PIPIT_ABS' info -- -e.mha"
expect 0 "" -- $PIPIT filter shift-scale --shift -1 "$DATA/fixed.mhd" "$TMP/s.mha"
expect 0 "min/max      -3 216" -- $PIPIT info "$TMP/s.mha"

# resample: a direction is checked whenever given
expect 1 "direction" -- $PIPIT filter resample --direction "nan 0 0 1" "$DATA/fixed.mhd" "$TMP/r.mha"
expect 1 "set size too" -- $PIPIT filter resample --direction "0 1 -1 0" "$DATA/fixed.mhd" "$TMP/r.mha"
expect 1 "orthonormal" -- $PIPIT filter resample --size 8,8 --direction "1e308 0 0 1" "$DATA/fixed.mhd" "$TMP/r.mha"
expect 1 "orthonormal" -- $PIPIT filter resample --size 8,8 --direction "1 0.5 0 1" "$DATA/fixed.mhd" "$TMP/r.mha"
expect 0 "" -- $PIPIT filter resample --size 8,8 --direction "0 1 -1 0" "$DATA/fixed.mhd" "$TMP/r.mha"
expect 0 "direction    0 1 -1 0" -- $PIPIT info "$TMP/r.mha"

# untrusted input: a header may not name a file outside its folder
printf 'NDims = 2\nDimSize = 4 1\nElementType = MET_UCHAR\nElementDataFile = /etc/passwd\n' >"$TMP/up.mhd"
expect 0 "size         4 1" -- $PIPIT info "$TMP/up.mhd"
expect 1 "absolute path is refused for untrusted input" -- $PIPIT --untrusted info "$TMP/up.mhd"
expect 1 "untrusted" -- $PIPIT --untrusted convert "$TMP/up.mhd" "$TMP/up.mha"
[ -e "$TMP/up.mha" ] && { echo "FAIL: up.mha written"; fails=$((fails + 1)); }
expect 0 "--untrusted" -- $PIPIT --help

# control bytes from a header never reach the terminal raw
printf 'NDims = 2\nDimSize = 4 1\nElementType = MET_UCHAR\nElementDataFile = \033]0;x\007\033[2J.raw\n' >"$TMP/esc.mhd"
expect 1 '\\x1b\]0;x\\x07' -- $PIPIT info "$TMP/esc.mhd"
if [ "$(tr -d '\000-\011\013-\037\177' <"$TMP/err" | wc -c)" != "$(wc -c <"$TMP/err")" ]; then
    echo "FAIL: a control byte reached stderr"; fails=$((fails + 1))
fi

[ "$fails" = 0 ] && echo "tools/test_pipit.sh: all passed"
exit $((fails > 0))
