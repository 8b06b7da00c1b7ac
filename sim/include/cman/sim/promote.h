/*
 * promote.h - the simulator's side of live mode (README "Promoting a run"
 * and "Back-testing live decisions"):
 *
 * - `clusterman-sim promote RUN_DIR --to CONFIG_DIR`: a run's pool_config
 *   written as a live pool file in Clusterman's shape, with discovery
 *   entries by tag instead of the simulated groups, the run it came from
 *   recorded, the diff against the file it replaces printed, written
 *   atomically;
 * - `clusterman-sim backtest DECISIONS.jsonl --metrics STORE --pool-file
 *   FILE -o DIR`: the window the decision records cover simulated with the
 *   pool file's configuration, and the drift of targets and costs.
 */
#ifndef CMAN_SIM_PROMOTE_H
#define CMAN_SIM_PROMOTE_H

/* The commands' mains: argv after the command name; exit status 0, 1 or 2
 * (messages on stderr, results on stdout). */
int cman_promote_main(int argc, char **argv);
int cman_backtest_main(int argc, char **argv);

#endif
