#!/bin/sh
# Sweeps from the command line: results that do not depend on -j, on MPI
# ranks or on shards; resume after SIGKILL; the Ishigami function's Sobol
# indices against their closed form; Morris effects of a linear function;
# LHS strata; the output layout as xarray sees it; errors with file and line.
# Run from the repository root by tests/run_tests.sh (WANDEL, PYTHON, BUILD).
set -u
. tests/lib.sh
WM=${WANDEL_MPI:-${BUILD:-build}/wandel-mpi}
CHECK="$PY tests/sweep_check.py"
check() { # check NAME sweep_check.py-arguments...
    name=$1; shift
    if $CHECK "$@" >"$T/chk" 2>&1; then ok "$name"; sed 's/^/    /' "$T/chk"; else bad "$name"; sed 's/^/    /' "$T/chk" | tail -8; fi
}

expect 0 "sweep --help" "$W" sweep --help
contains "$T/out" "usage: wandel sweep" "sweep usage"
expect 0 "merge --help" "$W" merge --help
expect 0 "sensitivity --help" "$W" sensitivity --help

# ---- one sweep on threads: -j 1 and -j 2 give the same file --------------------------------
expect 0 "sweep -j 1" "$W" sweep tests/sweeps/regions.cfg -o "$T/j1.h5" -j 1
contains "$T/err" "60 runs, 50 ok, 10 failed" "summary line counts ok and failed runs"
expect 0 "sweep -j 2" "$W" sweep tests/sweeps/regions.cfg -o "$T/j2.h5" -j 2 --quiet
[ -s "$T/err" ] && bad "--quiet printed: $(head -2 "$T/err")" || ok "--quiet prints nothing"
check "-j 1 and -j 2 give the same file" same "$T/j1.h5" "$T/j2.h5"
check "output layout, metrics and summaries" layout "$T/j2.h5"
check "LHS strata exact" lhs "$T/j2.h5" "Decline Rate[Ruhr]" 0.03 0.09
ls -a "$T" | grep -q -e '\.tmp\.' -e '\.journal' && bad "temporary or journal left behind" || ok "no temporary file or journal left"

# ---- shards and merge --------------------------------------------------------------------------
for i in 0 1 2; do
    expect 0 "shard $i/3" "$W" sweep tests/sweeps/regions.cfg -o "$T/s$i.h5" --shard "$i/3" -j 1 -q
done
expect 0 "merge 3 shards" "$W" merge "$T/merged.h5" "$T/s2.h5" "$T/s0.h5" "$T/s1.h5"
check "3 merged shards equal the whole sweep" same "$T/j1.h5" "$T/merged.h5"
expect 2 "merge refuses a missing shard" "$W" merge "$T/m2.h5" "$T/s0.h5" "$T/s2.h5"
contains "$T/err" "shard 1 of 3 is missing (runs 20 to 39)" "missing shard named with its runs"
expect 2 "merge refuses a repeated shard" "$W" merge "$T/m2.h5" "$T/s0.h5" "$T/s1.h5" "$T/s1.h5" "$T/s2.h5"
contains "$T/err" "is shard 1 of 3, and so is" "repeated shard named"
sed -e 's/seed    = 7;/seed    = 8;/' -e 's|"../models/regions.mdl"|"'"$PWD"'/tests/models/regions.mdl"|' \
    tests/sweeps/regions.cfg >"$T/other.cfg"
expect 0 "a shard of another sweep" "$W" sweep "$T/other.cfg" -o "$T/x1.h5" --shard 1/3 -q
expect 2 "merge refuses a foreign shard" "$W" merge "$T/m2.h5" "$T/s0.h5" "$T/x1.h5" "$T/s2.h5"
contains "$T/err" "belongs to another sweep" "foreign shard named"
expect 0 "a shard of 2" "$W" sweep tests/sweeps/regions.cfg -o "$T/h1.h5" --shard 1/2 -q
expect 2 "merge refuses shards of another split" "$W" merge "$T/m2.h5" "$T/s0.h5" "$T/h1.h5" "$T/s2.h5"
contains "$T/err" "is shard 1 of 2, but" "shard count mismatch named"
[ -e "$T/m2.h5" ] && bad "a refused merge wrote a file" || ok "a refused merge writes nothing"
expect 2 "sensitivity of a shard refused" "$W" sensitivity "$T/s0.h5"

# ---- MPI: 2 ranks give the same file -------------------------------------------------------------
if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpirun not found; skipping the MPI tests"
elif [ ! -x "$WM" ]; then
    echo "$WM not built (make mpi); skipping the MPI tests"
else
    # Open MPI keeps memory until exit: leak reports under ASan would be its
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    MPIRUN="mpirun --allow-run-as-root --oversubscribe -np 2"
    expect 0 "MPI sweep on 2 ranks" $MPIRUN "$WM" sweep tests/sweeps/regions.cfg -o "$T/mpi.h5"
    contains "$T/err" "60 runs, 50 ok, 10 failed" "MPI summary line"
    check "MPI with 2 ranks gives the same file as -j 1" same "$T/j1.h5" "$T/mpi.h5"
    expect 2 "MPI: a bad scenario stops every rank" $MPIRUN "$WM" sweep "$T/none.cfg" -o "$T/none.h5"
    [ "$(grep -c "cannot open scenario file" "$T/err")" = 1 ] && ok "reported once, by rank 0" \
        || bad "error reported $(grep -c "cannot open scenario file" "$T/err") times"
fi

# ---- resume after SIGKILL ---------------------------------------------------------------------------
expect 0 "uninterrupted chain sweep" "$W" sweep tests/sweeps/chain.cfg -o "$T/full.h5" -j 2 -q
"$W" sweep tests/sweeps/chain.cfg -o "$T/killed.h5" -j 2 -q 2>"$T/kerr" &
pid=$!
# wait until some runs are in the journal, then kill without warning
n=0
sz=0
while [ $n -lt 2000 ]; do
    sz=$(stat -c %s "$T/killed.h5.journal" 2>/dev/null || echo 0)
    [ "$sz" -gt 100000 ] && break
    sleep 0.01
    n=$((n + 1))
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if [ -e "$T/killed.h5" ]; then
    bad "the sweep finished before it could be killed (journal $sz bytes)"
else
    ok "sweep killed with SIGKILL after $sz journal bytes"
    [ -e "$T/killed.h5.journal" ] && ok "the journal survives the kill" || bad "no journal after the kill"
    expect 2 "without --resume an interrupted sweep is not overwritten" "$W" sweep tests/sweeps/chain.cfg -o "$T/killed.h5" -q
    contains "$T/err" "continue that sweep with --resume" "the message says how to resume"
    cp "$T/killed.h5.journal" "$T/alien.h5.journal"
    # a record cut short, as a kill in the middle of a write leaves it
    sz=$(stat -c %s "$T/killed.h5.journal")
    truncate -s $((sz - 5)) "$T/killed.h5.journal"
    expect 0 "--resume" "$W" sweep tests/sweeps/chain.cfg -o "$T/killed.h5" -j 2 --resume
    contains "$T/err" "from the journal" "resume reports the runs it kept"
    contains "$T/err" "a record cut short" "resume drops the torn record"
    check "resumed sweep equals the uninterrupted one" same "$T/full.h5" "$T/killed.h5"
    [ -e "$T/killed.h5.journal" ] && bad "journal left after completion" || ok "journal removed after completion"
    expect 0 "--resume of a finished sweep" "$W" sweep tests/sweeps/chain.cfg -o "$T/killed.h5" --resume
    contains "$T/err" "complete already" "a finished sweep is not run again"
fi
# SIGTERM (what Slurm sends at a time limit): the runs in progress finish,
# the journal is synced, exit status 1, and --resume completes the sweep
"$W" sweep tests/sweeps/chain.cfg -o "$T/term.h5" -j 2 -q 2>"$T/terr" &
pid=$!
n=0
while [ $n -lt 2000 ]; do
    sz=$(stat -c %s "$T/term.h5.journal" 2>/dev/null || echo 0)
    [ "$sz" -gt 100000 ] && break
    sleep 0.01
    n=$((n + 1))
done
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
if [ -e "$T/term.h5" ]; then
    bad "the sweep finished before SIGTERM"
else
    [ $rc = 1 ] && ok "SIGTERM stops the sweep with exit status 1" || bad "SIGTERM: exit $rc"
    contains "$T/terr" "continue with --resume" "the stop says how to continue"
    expect 0 "--resume after SIGTERM" "$W" sweep tests/sweeps/chain.cfg -o "$T/term.h5" -j 1 --resume -q
    check "resumed after SIGTERM equals the uninterrupted sweep" same "$T/full.h5" "$T/term.h5"
fi
printf 'WDSWJNL1 not a real journal' >"$T/foreign.h5.journal"
expect 2 "a damaged journal is refused" "$W" sweep tests/sweeps/regions.cfg -o "$T/foreign.h5" --resume -q
contains "$T/err" "not a wandel sweep journal" "damaged journal named"
if [ -e "$T/alien.h5.journal" ]; then
    expect 2 "a journal of another sweep is refused" "$W" sweep tests/sweeps/regions.cfg -o "$T/alien.h5" --resume -q
    contains "$T/err" "belongs to another sweep" "foreign journal named"
fi

# ---- sensitivity indices -------------------------------------------------------------------------------
# Ishigami (a = 7, b = 0.1, uniform on [-pi, pi]), closed form (Sobol and
# Levitan 1999): V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2,
# V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0, V13 = b^2 pi^8 (1/18 - 1/50).
expect 0 "Ishigami saltelli sweep, base sample 8192" "$W" sweep tests/sweeps/ishigami.cfg -o "$T/ishigami.h5" -j 2
contains "$T/err" "40960 runs, 40960 ok" "40960 runs"
expect 0 "wandel sensitivity" "$W" sensitivity "$T/ishigami.h5"
cp "$T/out" "$T/ishigami.txt"
contains "$T/ishigami.txt" "metric  param            S1       S1_conf            ST       ST_conf" "table header"
if awk '
    BEGIN { pi = atan2(0, -1); a = 7; b = 0.1
            V = a*a/8 + b*pi^4/5 + b*b*pi^8/18 + 0.5
            V1 = 0.5 * (1 + b*pi^4/5)^2; V2 = a*a/8; V13 = b*b*pi^8*(1/18 - 1/50)
            s1["X1"] = V1/V; s1["X2"] = V2/V; s1["X3"] = 0
            st["X1"] = (V1 + V13)/V; st["X2"] = V2/V; st["X3"] = V13/V; bad = 0; n = 0 }
    $1 == "y" && ($2 in s1) { n++
        d1 = $3 - s1[$2]; dt = $5 - st[$2]
        printf "    %s S1 %.4f (exact %.4f)  ST %.4f (exact %.4f)\n", $2, $3, s1[$2], $5, st[$2]
        if (d1 < -0.02 || d1 > 0.02 || dt < -0.02 || dt > 0.02) bad = 1 }
    END { exit (bad || n != 3) }' "$T/ishigami.txt" >"$T/cmp"; then
    ok "Ishigami indices within 0.02 of the closed form"; cat "$T/cmp"
else
    bad "Ishigami indices"; cat "$T/cmp" "$T/ishigami.txt"
fi
expect 0 "Morris sweep of a linear model" "$W" sweep tests/sweeps/linear_morris.cfg -o "$T/morris.h5" -q
check "Morris effects against the closed form" morris "$T/morris.h5"
expect 0 "sensitivity prints Morris effects" "$W" sensitivity "$T/morris.h5"
contains "$T/out" "mu_star" "Morris table"
# 21 parameters: a Saltelli design needs 42 Sobol dimensions, beyond GSL's
# 40: Joe and Kuo's direction numbers take over
{
    echo 'model = "'"$PWD"'/models/bench/chain50.mdl";'
    echo 'sweep = { design = "saltelli"; samples = 8; seed = 2; params = ('
    for i in $(seq 1 21); do
        echo "  { var = \"Residence Time $i\"; min = 0.5; max = 2.0; }$([ $i -lt 21 ] && echo ,)"
    done
    echo '); metrics = ( { name = "s50"; var = "Stage 50"; } ); };'
} >"$T/wide.cfg"
expect 0 "saltelli with 21 parameters (42 Sobol dimensions)" "$W" sweep "$T/wide.cfg" -o "$T/wide.h5" -j 2 -q
expect 0 "its indices" "$W" sensitivity "$T/wide.h5"
[ "$(grep -c '^s50 ' "$T/out")" = 21 ] && ok "21 rows of indices" || bad "rows: $(grep -c '^s50 ' "$T/out")"
expect 2 "sensitivity of an lhs sweep refused" "$W" sensitivity "$T/j1.h5"
contains "$T/err" "the sweep's design is lhs" "the reason names the design"
expect 2 "sensitivity of a non-sweep file" "$W" sensitivity tests/models/teacup.mdl

# ---- errors: exit 2 with file and line ---------------------------------------------------------------
mkdir -p "$T/e"
cp tests/models/regions.mdl "$T/e/"
cat >"$T/e/bad.cfg" <<'CFG'
model = "regions.mdl";
sweep = {
  design  = "lhs";
  samples = 10;
  params  = ( { var = "Decline Rate[Ruhr]"; min = 0.05; max = 0.01; },
              { var = "Emission Factr"; min = 1.0; max = 2.0; },
              { var = "Jobs[Ruhr]"; min = 1.0; max = 2.0; },
              { var = "TIME STEP"; min = 0.1; max = 0.2; },
              { var = "Capacity"; dist = "normal"; min = 1.0; max = 2.0; } );
  metrics = ( { name = "status"; var = "Total Jobs"; },
              { name = "j"; var = "Jobs"; },
              { name = "k"; var = "Total Jobs"; at = 99.0; } );
  stor    = ["Jobs"];
};
CFG
expect 2 "bad sweep group" "$W" sweep "$T/e/bad.cfg" -o "$T/e/o.h5"
contains "$T/err" "bad.cfg:5: error: sweep param 'Decline Rate[Ruhr]': min = 0.05 must be less than max = 0.01" "min > max"
contains "$T/err" "bad.cfg:9: error: sweep param 'Capacity': dist \"normal\" needs mean" "normal needs mean"
contains "$T/err" "bad.cfg:13: error: unknown setting 'sweep.stor' (did you mean 'sweep.store'?)" "misspelt setting"
sed -i -e 's/max = 0.01/max = 0.09/' -e 's/dist = "normal"; min/dist = "uniform"; min/' -e 's/stor  /store /' "$T/e/bad.cfg"
expect 2 "sweep group against the model" "$W" sweep "$T/e/bad.cfg" -o "$T/e/o.h5"
contains "$T/err" "bad.cfg:6: error: sweep param: unknown variable 'Emission Factr' (did you mean 'Emission Factor'" "unknown parameter with suggestion"
contains "$T/err" "bad.cfg:7: error: sweep param: 'Jobs[Ruhr]' is a stock" "a stock is refused"
sed -i -e 's/Emission Factr/Emission Factor/' -e '/Jobs\[Ruhr\]"; min/d' "$T/e/bad.cfg"
expect 2 "sweep names and metrics" "$W" sweep "$T/e/bad.cfg" -o "$T/e/o.h5"
contains "$T/err" "bad.cfg:7: error: sweep param 'TIME STEP' is a control variable" "control variable refused"
contains "$T/err" "error: sweep metric 'j': 'Jobs' has 2 elements; a metric needs one, e.g. 'Jobs[Ruhr]'" "array metric refused"
sed -i -e '/TIME STEP/d' -e '/name = "j"/d' "$T/e/bad.cfg"
expect 2 "metric outside the run, reserved name" "$W" sweep "$T/e/bad.cfg" -o "$T/e/o.h5"
contains "$T/err" "sweep metric 'k': at = 99 lies outside the run (0 to 10)" "at outside the run"
contains "$T/err" "sweep metric 'status': the output has a dataset of that name already" "reserved name refused"
expect 2 "-j 0" "$W" sweep tests/sweeps/regions.cfg -o "$T/x.h5" -j 0
expect 2 "bad --shard" "$W" sweep tests/sweeps/regions.cfg -o "$T/x.h5" --shard 3/3
contains "$T/err" "0 <= I < N" "--shard explains I/N"
expect 2 "no sweep group" "$W" sweep tests/scenarios/full.cfg -o "$T/x.h5"
expect 2 "no output file" "$W" sweep tests/sweeps/regions.cfg
contains "$T/err" "give the result file with -o OUT.h5" "missing -o explained"
expect 1 "output into a missing directory" "$W" sweep tests/sweeps/regions.cfg -o "$T/nodir/x.h5" -q
contains "$T/err" "nodir" "the message names the path"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
