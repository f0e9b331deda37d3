#!/bin/sh
# Submits a sweep as a Slurm job array of SHARDS shards and a merge job that
# starts when every shard has finished:
#
#   sh tools/slurm/submit-array.sh SCENARIO.cfg OUT.h5 SHARDS
#
# The shards go to OUT.h5.shards/shard-0.h5 ... shard-(SHARDS-1).h5.
set -eu
SCENARIO=${1:?usage: submit-array.sh SCENARIO.cfg OUT.h5 SHARDS}
OUT=${2:?usage: submit-array.sh SCENARIO.cfg OUT.h5 SHARDS}
SHARDS=${3:?usage: submit-array.sh SCENARIO.cfg OUT.h5 SHARDS}
HERE=$(dirname "$0")
DIR="$OUT.shards"
ARRAY=$(sbatch --parsable --array=0-$((SHARDS - 1)) "$HERE/sweep-array.sbatch" "$SCENARIO" "$DIR" "$SHARDS")
sbatch --dependency=afterok:"$ARRAY" "$HERE/merge.sbatch" "$OUT" "$DIR"
echo "array job $ARRAY: $SHARDS shards into $DIR; merge into $OUT when all have finished"
