#!/bin/sh
# make bench: builds tools/bench.c against the library and runs it.
set -e
B=${1:-build}
CFLAGS="-std=c11 -O2 -g -Iinclude -Isrc $(pkg-config --cflags gsl libconfig hdf5-serial freexl libzip libxml-2.0)"
LIBS="$(pkg-config --libs gsl libconfig hdf5-serial freexl libzip libxml-2.0) -lhdf5_hl -ldl -lpthread -lm"
mkdir -p "$B/tools"
${CC:-gcc} $CFLAGS -o "$B/tools/bench" tools/bench.c "$B/libwandel.a" $LIBS
"$B/tools/bench" "${BENCH_SECONDS:-1.5}" $BENCH_CASES
sh tools/bench_sweep.sh "$B"
# A comparison: the shipped matrix on one and two threads; and the memory of
# one flagship run (make run's scenario) against the smallest model's, the
# process's fixed cost.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo
for j in 1 2; do
    s=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$T/mem" "$B/wandel" compare scenarios/comparison.cfg -o "$T/c.h5" -q -j $j
    e=$(date +%s.%N)
    echo "compare scenarios/comparison.cfg -j $j: $(awk "BEGIN { printf \"%.2f\", $e - $s }") s, peak $(awk '{ printf "%.1f", $1 / 1024 }' "$T/mem") MB ($("$B/wandel" compare scenarios/comparison.cfg --plan | grep -o '[0-9]* cells, [0-9]* distinct runs, [0-9]* programs'))"
done
/usr/bin/time -f "%M" -o "$T/m0" "$B/wandel" run tests/models/teacup.mdl -o "$T/t.h5"
/usr/bin/time -f "%M" -o "$T/m1" "$B/wandel" run scenarios/ruhr-baseline.cfg -o "$T/r.h5" -q
echo "peak memory of one run: teacup $(awk '{ printf "%.1f", $1 / 1024 }' "$T/m0") MB, flagship (ruhr-baseline, 463 variables, HDF5) $(awk '{ printf "%.1f", $1 / 1024 }' "$T/m1") MB, ratio $(awk -v a="$(cat "$T/m0")" -v b="$(cat "$T/m1")" 'BEGIN { printf "%.2f", b / a }')"
