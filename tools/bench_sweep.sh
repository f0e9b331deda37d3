#!/bin/sh
# make bench, sweep part (called by tools/bench.sh): throughput of a sweep of
# the flagship model, models/transformation.mdl (10 regions x 7 sectors, 441
# variables), on the Ruhr baseline scenario (2023-2060, its solver settings),
# varying five labour-market assumptions as scenarios/sweep-ruhr.cfg does,
# on 1 and 2 worker threads and on 2 MPI ranks, and the parallel efficiency
#   rate(2 workers) / (2 * rate(1 worker)).
# The rate is runs per second while the runs go on (from the sweep's summary
# line: loading the model and writing the final file are not counted). The
# three set-ups take turns, TRIALS times, and each keeps its best rate, so
# that other load on the machine disturbs the comparison as little as
# possible. The CPU time per run (user + system of the whole command, over
# the runs) shows what the parallel set-ups cost beyond the runs themselves,
# whatever the load. Peak memory is the largest resident set of the command
# (GNU time's %M: for MPI, of mpirun or its largest rank).
#   sh tools/bench_sweep.sh [BUILD]     (SWEEP_RUNS, TRIALS change the size)
set -u
B=${1:-build}
RUNS=${SWEEP_RUNS:-600}
TRIALS=${TRIALS:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/flagship.cfg" <<CFG
extends = ["$PWD/scenarios/ruhr-baseline.cfg"];
sweep = {
  design  = "lhs";
  samples = $RUNS;
  seed    = 1;
  params  = ( { var = "separation rate"; min = 0.05; max = 0.08; },
              { var = "long term matching efficiency[Ruhr]"; min = 0.10; max = 0.30; },
              { var = "normal vacancy rate"; min = 0.04; max = 0.05; },
              { var = "wage adjustment time"; min = 1.0; max = 4.0; },
              { var = "working life"; min = 42.0; max = 48.0; } );
  metrics = ( { name = "sv_employment_2040"; var = "sv employment[Ruhr]"; at = 2040.0; },
              { name = "cumulative_co2"; var = "co2 emissions[Ruhr]"; reduce = "integral"; } );
  store   = ["sv employment[Ruhr]"];
};
CFG

MPI=""
if command -v mpirun >/dev/null 2>&1 && [ -x "$B/wandel-mpi" ]; then
    MPI="mpirun --allow-run-as-root --oversubscribe -np 2 $B/wandel-mpi"
fi

# one COMMAND...: prints "rate cpu_ms_per_run peak_MB"
one() {
    rm -f "$T/out.h5"
    /usr/bin/time -f "cpu %U %S %M" "$@" >"$T/log" 2>&1
    rate=$(sed -n 's/.* \([0-9.]*\) runs\/s on .*/\1/p' "$T/log")
    cpu=$(sed -n 's/^cpu \([0-9.]*\) \([0-9.]*\) \([0-9]*\)$/\1 \2 \3/p' "$T/log")
    [ -n "$rate" ] || { echo "bench_sweep: no rate from: $*" >&2; sed 's/^/    /' "$T/log" >&2; echo "0 0 0"; return; }
    echo "$rate $cpu" | awk -v n="$RUNS" '{ printf "%s %.4f %.1f\n", $1, 1000 * ($2 + $3) / n, $4 / 1024 }'
}

command -v /usr/bin/time >/dev/null 2>&1 || { echo "bench_sweep: /usr/bin/time missing (Debian package time; make deps installs it)"; exit 1; }
best1=0 best2=0 bestm=0 cpu1=999 cpu2=999 cpum=999 mem1=0 mem2=0 memm=0
i=0
while [ $i -lt "$TRIALS" ]; do
    set -- $(one "$B/wandel" sweep "$T/flagship.cfg" -o "$T/out.h5" -j 1)
    best1=$(awk -v a="$best1" -v r="$1" 'BEGIN { print (r > a ? r : a) }')
    cpu1=$(awk -v a="$cpu1" -v r="$2" 'BEGIN { print (r < a ? r : a) }')
    mem1=$3
    set -- $(one "$B/wandel" sweep "$T/flagship.cfg" -o "$T/out.h5" -j 2)
    best2=$(awk -v a="$best2" -v r="$1" 'BEGIN { print (r > a ? r : a) }')
    cpu2=$(awk -v a="$cpu2" -v r="$2" 'BEGIN { print (r < a ? r : a) }')
    mem2=$3
    if [ -n "$MPI" ]; then
        set -- $(one $MPI sweep "$T/flagship.cfg" -o "$T/out.h5")
        bestm=$(awk -v a="$bestm" -v r="$1" 'BEGIN { print (r > a ? r : a) }')
        cpum=$(awk -v a="$cpum" -v r="$2" 'BEGIN { print (r < a ? r : a) }')
        memm=$3
    fi
    i=$((i + 1))
done

echo
echo "sweep throughput: models/transformation.mdl (Ruhr baseline), lhs, $RUNS runs, best of $TRIALS, $(nproc) CPUs (load average $(cut -d' ' -f1-3 /proc/loadavg))"
printf "%-18s %12s %12s %14s %10s %10s\n" "workers" "runs/s" "efficiency" "CPU ms/run" "peak MB" "vs -j 1"
printf "%-18s %12.1f %12.2f %14.3f %10.1f %10.2f\n" "threads -j 1" "$best1" 1 "$cpu1" "$mem1" 1
printf "%-18s %12.1f %12.2f %14.3f %10.1f %10.2f\n" "threads -j 2" "$best2" "$(awk -v a="$best1" -v b="$best2" 'BEGIN { print b / (2 * a) }')" "$cpu2" \
    "$mem2" "$(awk -v a="$mem1" -v b="$mem2" 'BEGIN { print (a > 0 ? b / a : 0) }')"
if [ -n "$MPI" ]; then
    printf "%-18s %12.1f %12.2f %14.3f %10.1f %10.2f\n" "MPI 2 ranks" "$bestm" "$(awk -v a="$best1" -v b="$bestm" 'BEGIN { print b / (2 * a) }')" "$cpum" \
        "$memm" "$(awk -v a="$mem1" -v b="$memm" 'BEGIN { print (a > 0 ? b / a : 0) }')"
else
    echo "MPI: mpirun or $B/wandel-mpi missing (make mpi); skipped"
fi
echo "efficiency = runs/s / (2 * runs/s of -j 1); MPI: rank 0 coordinates and runs one worker, rank 1 runs one."
echo "CPU ms/run: user + system time of the whole command per run (MPI: start-up of the ranks included)."
echo "peak MB: largest resident set of the command (MPI: of mpirun or its largest rank); vs -j 1: its ratio to -j 1."
