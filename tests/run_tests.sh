#!/bin/sh
# Runs every test binary given as an argument and the script tests in
# tests/*.test.sh; prints one line per test program and ends with
# "N passed, M failed". Exit status is non-zero when anything failed.
# VALGRIND=1 runs the binaries under valgrind memcheck (errors and leaks fail).
# Native code built by the tests goes to a cache of the build, not the user's.
WANDEL_CACHE="${WANDEL_CACHE:-$(pwd)/${BUILD:-build}/cache}"
export WANDEL_CACHE
pass=0
fail=0
failed=""
for t in "$@"; do
    name=$(basename "$t")
    log="${BUILD:-build}/tests/$name.log"
    if [ -n "$VALGRIND" ]; then
        valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
            "$t" >"$log" 2>&1
    else
        "$t" >"$log" 2>&1
    fi
    rc=$?
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        echo "PASS $name"
    else
        fail=$((fail + 1))
        failed="$failed $name"
        echo "FAIL $name (exit $rc)"
        sed 's/^/    /' "$log" | tail -40
    fi
    grep -h "skipping" "$log" 2>/dev/null | sed 's/^/    /'
done
if [ -n "$VALGRIND" ]; then
    WANDEL_WRAP="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
    export WANDEL_WRAP
fi
for s in tests/*.test.sh; do
    [ -e "$s" ] || continue
    name=$(basename "$s")
    log="${BUILD:-build}/tests/$name.log"
    mkdir -p "${BUILD:-build}/tests"
    if sh "$s" >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "PASS $name"
    else
        fail=$((fail + 1))
        failed="$failed $name"
        echo "FAIL $name"
        sed 's/^/    /' "$log" | tail -40
    fi
    grep -h "skipping" "$log" 2>/dev/null | sed 's/^/    /'
done
[ $fail -gt 0 ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
