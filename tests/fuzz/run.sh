#!/usr/bin/env bash
# One short libFuzzer run of a target over its seed corpus (CTest's fuzz.*).
# Usage: run.sh TARGET SEED_CORPUS SECONDS ARTIFACT_DIR
# New inputs go to a temporary folder (the checked-in seeds are not
# touched); a crashing input is kept in ARTIFACT_DIR.  Exit 77 (skipped)
# when the target was not built.
set -euo pipefail
target=$1 corpus=$2 secs=${3:-3} artifacts=${4:-.}
[ -x "$target" ] || { echo "fuzz target $target not built"; exit 77; }
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/cman-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
exec "$target" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -error_exitcode=1 \
	-artifact_prefix="$artifacts/$(basename "$target")-" "$work" "$corpus"
