#!/bin/sh
# make fuzz / make fuzz-smoke: runs each libFuzzer target for a set time
# with a seed corpus from the conformance suite, the bad-input corpus and
# the project's models and scenarios, and reports executions, coverage and
# any crash (saved under build-fuzz/artifacts/ as a reproducer).
# FUZZ_TARGETS="fuzz_expr fuzz_scenario" limits the run to some targets.
set -u
SECONDS_PER_TARGET=${1:-600}
B=build-fuzz
SUITE=${WANDEL_SD_TEST_MODELS:-../shared/sd-test-models}
mkdir -p "$B/artifacts"
status=0
for t in ${FUZZ_TARGETS:-fuzz_mdl fuzz_expr fuzz_scenario}; do
    c="$B/corpus/$t"
    mkdir -p "$c"
    case $t in
        fuzz_mdl)
            for f in tests/bad/*.mdl models/*.mdl models/*/*.mdl tests/models/*.mdl; do [ -f "$f" ] && cp "$f" "$c/"; done
            if [ -d "$SUITE" ]; then
                find "$SUITE" -name '*.mdl' -size -200k | while read -r f; do cp "$f" "$c/$(echo "$f" | tr '/ ' '__')"; done
            else
                echo "conformance suite not found at $SUITE; skipping its seeds"
            fi
            dict="-dict=tests/fuzz/mdl.dict" ;;
        fuzz_expr)
            cp tests/fuzz/expr_seeds/* "$c/"
            dict="-dict=tests/fuzz/mdl.dict" ;;
        fuzz_scenario)
            find tests/bad tests/scenarios scenarios -name '*.cfg' | while read -r f; do cp "$f" "$c/$(echo "$f" | tr '/ ' '__')"; done
            dict="" ;;
    esac
    log="$B/$t.log"
    echo "fuzzing $t for ${SECONDS_PER_TARGET}s (corpus $(ls "$c" | wc -l) files)"
    LSAN_OPTIONS=suppressions=tests/lsan.supp TMPDIR=$(mktemp -d) "$B/$t" "$c" $dict -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2560 \
        -max_len=65536 -artifact_prefix="$B/artifacts/$t-" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    if [ $rc -ne 0 ]; then
        echo "  $t: CRASH (exit $rc) after ${execs:-?} executions; see $log and $B/artifacts/"
        grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5 | sed 's/^/    /'
        status=1
    else
        echo "  $t: no crash in ${execs:-?} executions, coverage ${cov:-?} edges, ${ft:-?} features"
    fi
done
exit $status
