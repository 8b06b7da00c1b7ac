#!/usr/bin/env bash
# --help, README.md and the man page agree: every option the README gives a
# command is in that command's --help; every option of every --help is in
# the README and in the man page; every command is in the main usage; the
# man page's version is the program's.
source "$(dirname "$0")/lib/common.bash"

"$CMAN_SIM" --help > "$WORK/main.txt"
cmds="run import generate fit-prices report compare sweep promote backtest"
for c in $cmds; do
	"$CMAN_SIM" "$c" --help > "$WORK/help-$c.txt"
	check "main usage lists $c" grep -q "^  $c " "$WORK/main.txt"
done
man="$CMAN_BUILD/doc/clusterman-sim.1"
check "man page generated" test -s "$man"

python3 - "$CMAN_SRC/README.md" "$WORK" "$man" $cmds <<'PY'
import re, sys
readme, work, man, cmds = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3], sys.argv[4:]
mantext = open(man).read().replace("\\-", "-").replace("\\f", " ")
bad = []
# command lines in the README: inline code spans and lines of sh blocks
# (continued with backslashes) that start with clusterman-sim
spans = re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", readme, flags=re.S))
for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S):
    spans += block.replace("\\\n", " ").splitlines()
said = {c: set() for c in cmds}
for s in spans:
    m = re.match(r"\s*(?:build/)?clusterman-sim\s+([a-z-]+)\s+(.*)", s, flags=re.S)
    if m and m.group(1) in said:
        said[m.group(1)] |= set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", m.group(2)))
for c in cmds:
    helptext = open("%s/help-%s.txt" % (work, c)).read()
    for opt in sorted(said[c]):
        if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), helptext):
            bad.append("README gives '%s %s', its --help does not" % (c, opt))
    for opt in sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", helptext))):
        if opt not in ("--help",) and not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), readme):
            bad.append("'%s --help' has %s, README.md does not" % (c, opt))
        if opt not in ("--help",) and not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), mantext):
            bad.append("'%s --help' has %s, the man page does not" % (c, opt))
    if not re.search(r"^\.B clusterman-sim %s$" % re.escape(c), mantext, flags=re.M):
        bad.append("the man page's synopsis lacks %s" % c)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] && pass || fail "README, --help and the man page disagree (above)"
# clusterman-live: every option of its --help (and of each command's) is in
# the README, and every option the README gives a command is in its --help
: "${CMAN_LIVE:?}"
"$CMAN_LIVE" --help > "$WORK/live-main.txt"
lcmds="autoscale check-config info collect status manage disable enable"
for c in $lcmds; do
	"$CMAN_LIVE" "$c" --help > "$WORK/live-$c.txt"
	check "clusterman-live usage lists $c" grep -q "^  $c" "$WORK/live-main.txt"
done
python3 - "$CMAN_SRC/README.md" "$WORK" $lcmds <<'PY'
import re, sys
readme, work, cmds = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3:]
bad = []
spans = re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", readme, flags=re.S))
for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S):
    spans += block.replace("\\\n", " ").splitlines()
said = {c: set() for c in cmds}
for s in spans:
    m = re.match(r"\s*(?:build/)?clusterman-live\s+(?:--config\s+\S+\s+)?([a-z-]+)\s*(.*)", s, flags=re.S)
    if m and m.group(1) in said:
        said[m.group(1)] |= set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", m.group(2)))
main = open("%s/live-main.txt" % work).read()
for c in cmds:
    helptext = open("%s/live-%s.txt" % (work, c)).read() + main
    for opt in sorted(said[c]):
        if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), helptext):
            bad.append("README gives 'clusterman-live %s %s', its --help does not" % (c, opt))
    for opt in sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", helptext))):
        if opt != "--help" and not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), readme):
            bad.append("'clusterman-live %s --help' has %s, README.md does not" % (c, opt))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] && pass || fail "README and clusterman-live --help disagree (above)"
check "version in the man page" grep -q "\"clusterman $("$CMAN_SIM" --version | cut -d' ' -f2)\"" "$man"
check "--version in the main usage" grep -q -- "--version" "$WORK/main.txt"
finish
