#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Kills (or interrupts) `pipit convert` at every rename, unlink, write,
# pwrite (TIFF)
# and fsync of a write over an existing target, one call at a time, with
# strace's fault injection, and checks what is left: the target must be
# the complete old image or the complete new one (for a header/data
# pair, SIGKILL may also leave no header: a clean "No such file"), and
# after a catchable signal no temporary file may remain. Prints the
# figures; exits 1 on any violation. Not part of `make check` (it needs
# strace and takes a minute): run it from the build folder,
#   sh ../tests/kill_writes.sh [SIGKILL SIGTERM SIGINT]
set -u
PIPIT=${PIPIT:-./tools/pipit}
DATA=${srcdir:-$(dirname "$0")/..}/tests/data/io
SIGNALS=${*:-SIGKILL SIGTERM SIGINT}
command -v strace >/dev/null || { echo "kill_writes.sh: no strace"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipit-kill-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
bad=0

# old: fixed.mhd as it is (i16); new: the same as f32 (another type, so a
# mixed pair reads as neither); PNG: u8 then u16.
fingerprint() {  # the size, type and min/max lines of `pipit info`
    $PIPIT info "$1" 2>&1 | grep -E "^(size|pixel type|min/max|pipit:)"
}

for ext in mha mhd nii hdr png tif; do
    case $ext in
    png) old_t=u8 new_t=u16 ;;
    *) old_t=i16 new_t=f32 ;;
    esac
    $PIPIT convert --type $old_t "$DATA/fixed.mhd" "$TMP/old.$ext" || exit 1
    $PIPIT convert --type $new_t "$DATA/fixed.mhd" "$TMP/new.$ext" || exit 1
    old=$(fingerprint "$TMP/old.$ext")
    new=$(fingerprint "$TMP/new.$ext")
    for sig in $SIGNALS; do
        for call in rename unlink write pwrite64 fsync; do
            n=1 seen_old=0 seen_new=0 seen_missing=0 left=0
            while :; do
                rm -rf "$TMP/w" && mkdir "$TMP/w"
                $PIPIT convert --type $old_t "$DATA/fixed.mhd" "$TMP/w/t.$ext"
                strace -f -o /dev/null \
                    -e trace=$call -e inject=$call:signal=$sig:when=$n \
                    $PIPIT convert --type $new_t "$DATA/fixed.mhd" \
                    "$TMP/w/t.$ext" >/dev/null 2>&1
                rc=$?
                got=$(fingerprint "$TMP/w/t.$ext")
                temps=$(ls -A "$TMP/w" | grep -c '\.pipit-')
                if [ $rc = 0 ]; then   # no call number n: done
                    [ "$got" = "$new" ] || { echo "FAIL $ext $sig $call: clean run: $got"; bad=1; }
                    break
                fi
                if [ "$got" = "$old" ]; then seen_old=$((seen_old + 1))
                elif [ "$got" = "$new" ]; then seen_new=$((seen_new + 1))
                elif echo "$got" | grep -q "No such file" &&
                     [ $sig = SIGKILL ] && { [ $ext = mhd ] || [ $ext = hdr ]; }; then
                    seen_missing=$((seen_missing + 1))
                else
                    echo "FAIL $ext $sig $call #$n: $got"; bad=1
                fi
                if [ $sig != SIGKILL ] && [ "$temps" != 0 ]; then
                    echo "FAIL $ext $sig $call #$n: temporary files left:"
                    ls -A "$TMP/w"; bad=1
                fi
                left=$((left + temps))
                n=$((n + 1))
            done
            echo "$ext $sig at $call: $((n - 1)) points: old $seen_old," \
                 "new $seen_new, no header $seen_missing, temporary files" \
                 "left $left"
        done
    done
done
exit $bad
