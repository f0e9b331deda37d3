# tests/lib.sh: what the shell tests share. Sourced (`. tests/lib.sh`) from
# the repository root by tests that tests/run_tests.sh runs with WANDEL and
# PYTHON set. Sets:
#   PY     the Python interpreter
#   T      a scratch directory, removed on exit
#   W      the wandel binary; after wrap_wandel, a script that runs it under
#          WANDEL_WRAP (valgrind, from make valgrind)
#   fails  the count of failed checks, kept by ok/bad/expect/contains
PY=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
W=${WANDEL:-build/wandel}
fails=0

ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# wrap_wandel: from here on, every "$W" command runs under WANDEL_WRAP.
wrap_wandel() {
    bin="$(cd "$(dirname "$W")" && pwd)/$(basename "$W")"
    W="$T/wandel"
    printf '#!/bin/sh\nexec %s %s "$@"\n' "${WANDEL_WRAP:-}" "$bin" >"$W"
    chmod +x "$W"
}

# expect STATUS NAME command...: the command's exit status must be STATUS;
# its output is kept in $T/out and $T/err.
expect() {
    want=$1; name=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" = "$want" ]; then ok "$name"; else bad "$name (exit $got, expected $want)"; sed 's/^/    /' "$T/err" | head -8; fi
}

# contains FILE TEXT NAME: FILE must hold TEXT.
contains() {
    if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in $1"; sed 's/^/    /' "$1" | head -8; fi
}
