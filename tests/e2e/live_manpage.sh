#!/usr/bin/env bash
# clusterman-live's man page: generated with the project's version, renders
# without a warning (man --warnings), and agrees with --help and README.md:
# every command of `clusterman-live --help` has a synopsis line and an entry
# in the man page and appears in the README as `clusterman-live COMMAND`;
# every option of the operator commands' --help (status, manage, disable,
# enable, info, check-config) is in the man page.
source "$(dirname "$0")/lib/common.bash"
: "${CMAN_LIVE:?}" "${CMAN_BUILD:?}"
man="$CMAN_BUILD/doc/clusterman-live.1"
check "man page generated" test -s "$man"
check "man page has the version" grep -q "^\.TH CLUSTERMAN-LIVE 1 .*\"clusterman $("$CMAN_LIVE" --version | cut -d' ' -f2)\"" "$man"
if command -v man > /dev/null; then
	MANWIDTH=80 man --warnings -l "$man" > "$WORK/man.txt" 2> "$WORK/man.err" || fail "man -l failed"
	check "man renders without warnings" test ! -s "$WORK/man.err"
	cat "$WORK/man.err" >&2
else
	echo "man is not installed: rendering not checked"
fi
"$CMAN_LIVE" --help > "$WORK/main.txt"
# the commands: the lines of the usage's "commands:" section
cmds=$(awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' "$WORK/main.txt")
check "the usage lists commands" test -n "$cmds"
for c in status manage disable enable info check-config; do
	check "the usage lists $c" grep -qx "$c" <<< "$cmds"
done
for c in $cmds; do
	"$CMAN_LIVE" "$c" --help > "$WORK/help-$c.txt" || fail "$c --help"
done
if python3 - "$CMAN_SRC/README.md" "$WORK" "$man" $cmds <<'PY'
import re, sys
readme, work, man, cmds = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3], sys.argv[4:]
mantext = open(man).read().replace("\\-", "-")
bad = []
own = {"status", "manage", "disable", "enable", "info", "check-config"}
for c in cmds:
    if not re.search(r"^\.B clusterman-live %s$" % re.escape(c), mantext, flags=re.M):
        bad.append("the man page's synopsis lacks %s" % c)
    if not re.search(r"^\.B %s$" % re.escape(c), mantext, flags=re.M):
        bad.append("the man page's COMMANDS lack %s" % c)
    if not re.search(r"clusterman-live (--config \S+ )?%s\b" % re.escape(c), readme):
        bad.append("README.md never shows 'clusterman-live %s'" % c)
    if c in own:
        helptext = open("%s/help-%s.txt" % (work, c)).read()
        for opt in sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", helptext))):
            if opt != "--help" and not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), mantext):
                bad.append("'clusterman-live %s --help' has %s, the man page does not" % (c, opt))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
then pass; else fail "the man page, --help and README.md disagree (above)"; fi
finish
