#!/usr/bin/env bash
# `cmake --install` into a temporary prefix: the program, its man page, the
# README and the example scenarios.  The installed binary, called by its bare
# name from PATH, runs the quickstart outside the source and build trees
# (the instance catalog is compiled in) and gives the golden outputs;
# every program answers --version with the project's version.
source "$(dirname "$0")/lib/common.bash"
: "${CMAN_BUILD:?}" "${CMAN_VERSION:?}"
P="$WORK/prefix"

cmake --install "$CMAN_BUILD" --prefix "$P" > "$WORK/install.log"
check "program installed" test -x "$P/bin/clusterman-sim"
check "clusterman-live installed" test -x "$P/bin/clusterman-live"
check "man page installed" test -s "$P/share/man/man1/clusterman-sim.1"
check "man page has the version" grep -q "^\.TH CLUSTERMAN-SIM 1 .*\"clusterman $CMAN_VERSION\"" "$P/share/man/man1/clusterman-sim.1"
check "clusterman-live man page installed" test -s "$P/share/man/man1/clusterman-live.1"
check "clusterman-live man page has the version" grep -q "^\.TH CLUSTERMAN-LIVE 1 .*\"clusterman $CMAN_VERSION\"" "$P/share/man/man1/clusterman-live.1"
check "README installed" test -s "$P/share/doc/clusterman/README.md"
check "example scenarios installed" test -s "$P/share/doc/clusterman/examples/scenarios/quickstart.yaml"
check "example data installed" test -s "$P/share/doc/clusterman/examples/scenarios/data/quickstart-metrics.json.gz"
check "benchmark program not installed" test ! -e "$P/bin/cman-bench-queue"

check "--version" test "$("$P/bin/clusterman-sim" --version)" = "clusterman-sim $CMAN_VERSION"
check "clusterman-live --version" test "$("$P/bin/clusterman-live" --version)" = "clusterman-live $CMAN_VERSION"
check "cman-bench-queue --version" test "$("$CMAN_BUILD/cman-bench-queue" --version)" = "cman-bench-queue $CMAN_VERSION"
grep -q "^project(clusterman VERSION $CMAN_VERSION " "$CMAN_SRC/CMakeLists.txt" && pass || fail "version is CMakeLists.txt's"

# the README's bare `clusterman-sim run`, from a copy of the examples
cp -r "$P/share/doc/clusterman/examples/scenarios" "$WORK/ex"
run_installed() {
	cd "$WORK/ex" && PATH="$P/bin:$PATH" clusterman-sim run quickstart.yaml -q -o "$WORK/ex/out/q"
}
# hide the source and build trees when this machine allows a private mount
# namespace (root): nothing there may be needed
if [ "$(id -u)" = 0 ] && unshare -m true 2> /dev/null; then
	export -f run_installed
	export P WORK
	unshare -m bash -c "mount -t tmpfs none '$CMAN_BUILD' && mount -t tmpfs none '$CMAN_SRC' && run_installed"
	echo "ran with the source and build trees hidden"
else
	(run_installed)
fi
for f in timeseries.csv instances.csv markets.csv; do
	check "installed run: $f matches golden" cmp "$WORK/ex/out/q/$f" "$CMAN_SRC/tests/golden/quickstart/$f"
done
finish
