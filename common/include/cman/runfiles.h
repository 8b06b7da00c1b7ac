/*
 * runfiles.h - run directories that appear whole or not at all, one writer
 * at a time, and a manifest that binds every file to one run.
 *
 * Writing (README "Run directory"): a writer takes the directory's lock (a
 * sibling file "<parent>/.<base>.lock" held with flock(2), holding the
 * writer's pid), writes the whole run into a fresh sibling folder
 * "<parent>/.<base>.run-tmp-XXXXXX", and swaps it in as a whole
 * (renameat2 RENAME_EXCHANGE, or rename the old one aside and the new one in)
 * before removing the old run.  SIGINT, SIGTERM and SIGHUP remove the
 * staging folder and the lock file before the process dies of the signal;
 * SIGXFSZ is ignored so a write past `ulimit -f` fails with EFBIG and is
 * cleaned up like any write error.  After SIGKILL the old run stays whole;
 * the next writer of the same directory removes the leftover staging folder.
 *
 * Reading: manifest.json holds the run id and, for every other file of the
 * run but summary.json (which carries the run id itself), its size and
 * FNV-1a 64 hash.  cman_manifest_check() refuses a directory whose files do
 * not match.
 */
#ifndef CMAN_RUNFILES_H
#define CMAN_RUNFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"

#define CMAN_FNV1A64_INIT 0xcbf29ce484222325ULL
#define CMAN_RUN_ID_LEN 16           /* hex digits of a run id */

/* FNV-1a 64 of n bytes, continuing from h (start with CMAN_FNV1A64_INIT). */
uint64_t cman_fnv1a64(uint64_t h, const void *p, size_t n);

/* FNV-1a 64 and size of a file's bytes.  A missing or unreadable file (or
 * a link: it is never followed) is CMAN_EIO naming the path. */
int cman_fnv1a64_file(const char *path, uint64_t *hash, uint64_t *bytes,
		      struct cman_error *err);

/* A run directory being written (embedded; zero it, or let cman_run_lock()
 * set it up). */
struct cman_run_out {
	char dir[4096];       /* the run directory, as given (no trailing '/') */
	char lock[4096];      /* its lock file */
	char stage[4096];     /* the staging folder while one exists, else "" */
	int lock_fd;          /* -1 when not locked */
};

/*
 * Create dir's parent folders, then take dir's lock.  Fails with CMAN_EINVAL
 * "DIR: another run (pid N) is writing this run directory ..." when another
 * process holds it, and with CMAN_EINVAL when dir exists but is a link, not
 * a folder, or a non-empty folder holding neither summary.json nor
 * manifest.json (a rerun replaces the whole folder: it must be a run).
 * Leftover staging folders of killed writers are removed.  Installs the
 * signal handlers described above.  Release with cman_run_release().
 */
int cman_run_lock(struct cman_run_out *ro, const char *dir, struct cman_error *err);

/*
 * Make the staging folder (path in ro->stage).  link_existing: start it
 * with hard links to the regular files of the current run directory (for
 * rewriting some files of a run, as `report` does).
 */
int cman_run_stage(struct cman_run_out *ro, bool link_existing, struct cman_error *err);

/* Swap the staging folder in as the run directory and remove the old run.
 * Signals are held off during the swap.  On failure the old run is kept
 * (or put back) and the staging folder is left for cman_run_release(). */
int cman_run_commit(struct cman_run_out *ro, struct cman_error *err);

/* Remove the staging folder if any, drop the lock and remove its file,
 * restore the signal handlers (safe twice, and on a zeroed struct). */
void cman_run_release(struct cman_run_out *ro);

/*
 * Write dir/manifest.json (atomically) for run_id: every regular file of
 * dir but summary.json, manifest.json and names starting with '.', with
 * its size and FNV-1a 64.
 */
int cman_manifest_write(const char *dir, const char *run_id, struct cman_error *err);

/*
 * Re-hash the files names (NULL-terminated) of dir into its manifest.json
 * (an absent file drops its entry), keeping the run id and the other
 * entries.  No manifest.json: CMAN_EINVAL.
 */
int cman_manifest_update(const char *dir, const char *const *names, struct cman_error *err);

/*
 * Check the run directory open as dirfd (path dir for messages) against its
 * manifest.json: each listed file exists as a regular file of the listed
 * size and hash (daily.csv and report.html, made from the others, may be
 * missing), and no unlisted *.csv, *.jsonl, *.html, *.yaml or *.json
 * file but summary.json is present.  The manifest's run id goes into
 * run_id (CMAN_RUN_ID_LEN + 1 bytes).  No manifest.json: *present false and
 * 0 (a run directory written before manifests existed).  A mismatch is
 * CMAN_EINVAL "DIR/FILE: ... does not belong to run ID ...".
 */
int cman_manifest_check(int dirfd, const char *dir, char *run_id, bool *present,
			struct cman_error *err);

#endif
