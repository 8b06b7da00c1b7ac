#!/usr/bin/env bash
# clusterman-sim sweep under mpirun: 2 ranks on one machine give the same
# sweep.csv bytes as -j 1 and -j 2; rank 0 alone writes the results; a
# sweep resumed under mpirun skips what the journal holds.  Only in an MPI
# build (cmake -DCMAN_MPI=ON; tools/test makes one in build-mpi).
source "$(dirname "$0")/lib/common.bash"
if [ "${CMAN_MPI:-0}" != 1 ] && [ "${CMAN_MPI:-0}" != ON ]; then
	skip "not an MPI build (configure with -DCMAN_MPI=ON)"
fi
if ! command -v mpirun > /dev/null; then
	echo "FAIL: an MPI build but no mpirun" >&2
	exit 1
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN=(mpirun --oversubscribe -n 2)
W="$DATA/worked_example.yaml"
Q="$CMAN_SRC/scenarios/quickstart.yaml"
GRID=(--grid simulation.discount=0.5,0.75,1 --grid simulation.billing=per-second,per-hour --replicas 3)

"$CMAN_SIM" sweep "$Q" "${GRID[@]}" -j 1 -q -o "$WORK/j1"
"$CMAN_SIM" sweep "$Q" "${GRID[@]}" -j 2 -q -o "$WORK/j2"
"${MPIRUN[@]}" "$CMAN_SIM" sweep "$Q" "${GRID[@]}" -o "$WORK/mpi" > "$WORK/out" 2> "$WORK/err"
check "mpirun -n 2: 18 runs" grep -q "6 points x 3 replicas, 18 runs now and 0 from the journal" "$WORK/out"
check "mpirun -n 2: one summary line (rank 0)" test "$(grep -c '^sweep ' "$WORK/out")" -eq 1
check "mpirun -n 2: same sweep.csv as -j 1" cmp "$WORK/j1/sweep.csv" "$WORK/mpi/sweep.csv"
check "-j 1 and -j 2: same sweep.csv" cmp "$WORK/j1/sweep.csv" "$WORK/j2/sweep.csv"
check "mpirun -n 2: same sweep.html" cmp "$WORK/j1/sweep.html" "$WORK/mpi/sweep.html"
check "mpirun -n 2: every run journaled once" test "$(wc -l < "$WORK/mpi/sweep.journal.jsonl")" -eq 19
"${MPIRUN[@]}" "$CMAN_SIM" sweep "$Q" "${GRID[@]}" -j 2 -q -o "$WORK/mpij2"
check "mpirun -n 2 with -j 2 per rank: same sweep.csv" cmp "$WORK/j1/sweep.csv" "$WORK/mpij2/sweep.csv"

# resume under mpirun: a smaller sweep first, then the whole grid
"$CMAN_SIM" sweep "$Q" --grid simulation.discount=0.5,1 --grid simulation.billing=per-second,per-hour \
	--replicas 3 -j 2 -q -o "$WORK/res"
"${MPIRUN[@]}" "$CMAN_SIM" sweep "$Q" "${GRID[@]}" -o "$WORK/res" > "$WORK/out"
check "mpirun resume: only the new runs" grep -q "6 runs now and 12 from the journal" "$WORK/out"
check "mpirun resume: same sweep.csv" cmp "$WORK/j1/sweep.csv" "$WORK/res/sweep.csv"

# bad input under mpirun: exit 2 and one message
status=0
"${MPIRUN[@]}" "$CMAN_SIM" sweep "$W" --grid simulation.discount=abc -o "$WORK/bad" > /dev/null 2> "$WORK/err" || status=$?
check "mpirun bad input: exit 2" test "$status" -eq 2
check "mpirun bad input: one message from rank 0" test "$(grep -c -- '--grid simulation.discount' "$WORK/err")" -eq 1
finish
