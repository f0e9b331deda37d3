#!/bin/sh
# Crash safety of single runs: `wandel run -o FILE` killed with SIGKILL at
# random points leaves either no FILE or a whole, readable one (never a
# half-written file), and a later run cleans the dead writer's temporary.
set -u
case "${WANDEL_WRAP:-}" in *valgrind*) echo "SIGKILL timing under valgrind says nothing; skipping"; exit 0 ;; esac
. tests/lib.sh
# a run of about a second: the 50-stock chain with a small step
run_args="models/bench/chain50.mdl --step 0.0005 --saveper 0.05"
start=$(date +%s%N)
"$W" run $run_args -o "$T/ref.h5" || { echo "FAIL reference run"; exit 1; }
dur=$(( ($(date +%s%N) - start) / 1000000 ))
echo "one run takes ${dur} ms"
have_py=1
"$PY" -c "import h5py" 2>/dev/null || { have_py=0; echo "python3 cannot import h5py; skipping the readability check"; }
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    for fmt in h5 csv; do
        out="$T/out$i.$fmt"
        "$W" run $run_args -o "$out" >/dev/null 2>&1 &
        pid=$!
        # kill anywhere from the start to past the end of the write
        off=0; [ "$fmt" = csv ] && off=31
        ms=$(( (i * 97 + off) % (dur + 200) ))
        sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        if [ -e "$out" ]; then
            if [ "$fmt" = h5 ] && [ $have_py = 1 ]; then
                "$PY" -c "
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
assert f.attrs['complete'] == 1
assert f['time'].shape[0] == h5py.File(sys.argv[2], 'r')['time'].shape[0]
" "$out" "$T/ref.h5" || bad "$out is not whole (killed at ${ms} ms)"
            elif [ "$fmt" = csv ]; then
                [ "$(wc -l <"$out")" -eq 2002 ] || bad "$out has $(wc -l <"$out") lines (killed at ${ms} ms)"
            fi
            ok "killed at ${ms} ms: $fmt written whole"
        else
            ok "killed at ${ms} ms: no $fmt file"
        fi
    done
done
# temporaries of the killed writers are removed by the next write
"$W" run tests/models/teacup.mdl -o "$T/out1.h5" >/dev/null 2>&1
"$W" run tests/models/teacup.mdl -o "$T/out1.csv" >/dev/null 2>&1
if ls -a "$T" | grep -q '^\.out1\.\(h5\|csv\)\.tmp\.'; then
    bad "stale temporaries of out1 remain: $(ls -a "$T" | grep tmp)"
fi
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
