#!/usr/bin/env bash
# Reports end to end: `run` writes report.html and daily.csv; the numbers in
# the page are summary.json's; daily.csv sums to the total; the page fetches
# nothing from anywhere; `report` rewrites the same bytes.
source "$(dirname "$0")/lib/common.bash"

# kpi_check RUN_DIR: every headline number of report.html (data-key,
# data-value) equals summary.json's, and the displayed total cost is the
# summary's rounded to cents with thousands separators.
kpi_check() {
	python3 - "$1" <<'PY'
import json, re, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
html = open(d + "/report.html", encoding="utf-8").read()
pairs = re.findall(r'data-key="([a-z_]+)" data-value="([^"]*)"', html)
seen = set()
for key, val in pairs:
    want = s.get(key, 0 if key == "instances_interrupted" else None)
    if want is None:
        sys.exit("report shows %s, which summary.json lacks" % key)
    if abs(float(val) - float(want)) > 1e-9 * max(1, abs(float(want))):
        sys.exit("%s: report %s, summary %s" % (key, val, want))
    seen.add(key)
need = {"total_cost", "cost_per_cpu_hour", "unused_cpus_cost", "unused_cpus_cost_share",
        "oversubscribed_cpu_hours", "mean_cpus", "peak_cpus", "instances_launched",
        "instances_terminated", "instances_interrupted"}
if need - seen:
    sys.exit("report lacks %s" % sorted(need - seen))
money = "${:,.2f}".format(s["total_cost"])
if not re.search(r'data-key="total_cost" data-value="[^"]*">' + re.escape(money) + "<", html):
    sys.exit("total cost not shown as %s" % money)
for m, c in s.get("cost_by_market", {}).items():
    esc = m.replace("<", "&lt;").replace(">", "&gt;")
    if esc + "</td>" not in html or "${:,.2f}".format(c) not in html:
        sys.exit("market %s with cost %s missing" % (m, c))
PY
}

# no_external FILE: nothing that a browser would fetch
no_external() {
	! grep -Eqi 'https?://|src=|<link|url\(|@import|//[a-z0-9.-]+\.[a-z]{2,}/' "$1"
}

for case in worked quickstart; do
	if [ "$case" = worked ]; then scen="$DATA/worked_example.yaml"; else scen="$CMAN_SRC/scenarios/quickstart.yaml"; fi
	d="$WORK/$case"
	"$CMAN_SIM" run "$scen" -q -o "$d"
	check "$case: run wrote report.html" test -s "$d/report.html"
	check "$case: run wrote daily.csv" test -s "$d/daily.csv"
	check "$case: headline numbers equal summary.json" kpi_check "$d"
	total=$(json_get "$d/summary.json" total_cost)
	# the total exactly as summary.json prints it
	total_txt=$(sed -n 's/^  "total_cost": \(.*\),$/\1/p' "$d/summary.json")
	check "$case: total cost text found in summary.json" test -n "$total_txt"
	check "$case: summary's total cost in the page" grep -qF "data-key=\"total_cost\" data-value=\"$total_txt\">" "$d/report.html"
	check "$case: daily.csv sums to total_cost" near "$(csv_sum "$d/daily.csv" cost)" "$total" 1e-9
	check "$case: daily.csv unused cost sums" near "$(csv_sum "$d/daily.csv" unused_cpus_cost)" "$(json_get "$d/summary.json" unused_cpus_cost)" 1e-9
	check "$case: daily.csv header" test "$(head -1 "$d/daily.csv")" = "date,seconds,cost,unused_cpus_cost,unused_cpus_cost_share,mean_cpus,peak_cpus,mean_cpus_allocated,mean_unused_cpus,running_cpu_hours,cost_per_cpu_hour,oversubscribed_cpu_hours"
	check "$case: no external references" no_external "$d/report.html"
	check "$case: a doctype and inline SVG" grep -q '<svg viewBox' "$d/report.html"
	cp "$d/report.html" "$WORK/$case.first.html"
	cp "$d/daily.csv" "$WORK/$case.first.csv"
	"$CMAN_SIM" report "$d"
	check "$case: report rewrites identical html" cmp "$d/report.html" "$WORK/$case.first.html"
	check "$case: report rewrites identical csv" cmp "$d/daily.csv" "$WORK/$case.first.csv"
done

# `run` builds its reports from memory, `report` from the files (issue
# 12.1): the same bytes for an autoscaler run (groups, decisions, markets
# of a fleet and an ASG), a run with memory data (the other resources'
# columns and the binding resource) and one with values that round
for case in autoscaler:$CMAN_SRC/scenarios/autoscaler.yaml memory:$DATA/memory_bound.yaml \
	    rounding:$DATA/rounding.yaml od2016:$DATA/od2016.yaml; do
	name=${case%%:*}
	d="$WORK/mem-$name"
	"$CMAN_SIM" run "${case#*:}" -q -o "$d"
	cp "$d/report.html" "$WORK/mem-$name.html"
	cp "$d/daily.csv" "$WORK/mem-$name.csv"
	"$CMAN_SIM" report "$d"
	check "$name: report from the files = report from memory (html)" cmp "$d/report.html" "$WORK/mem-$name.html"
	check "$name: report from the files = report from memory (csv)" cmp "$d/daily.csv" "$WORK/mem-$name.csv"
done

# the quickstart: 7 days in daily.csv, 3 markets in the page
check "quickstart: 7 days" test "$(($(wc -l < "$WORK/quickstart/daily.csv") - 1))" -eq 7
check "quickstart: heatmaps" test "$(grep -c 'data:image/png;base64,' "$WORK/quickstart/report.html")" -ge 7
check "quickstart: page under 1 MB" test "$(stat -c %s "$WORK/quickstart/report.html")" -lt 1000000

# a run of a day or less: no heatmaps, said so
check "worked example: daily patterns left out" grep -q 'need a window of at least one day' "$WORK/worked/report.html"
check "worked example: \$3.50" grep -q '>\$3.50<' "$WORK/worked/report.html"

# --html / --csv write only what is asked
rm "$WORK/worked/report.html" "$WORK/worked/daily.csv"
"$CMAN_SIM" report "$WORK/worked" --csv
check "--csv: daily.csv only" test -s "$WORK/worked/daily.csv" -a ! -e "$WORK/worked/report.html"
"$CMAN_SIM" report "$WORK/worked" --html
check "--html: report.html" test -s "$WORK/worked/report.html"

# output.reports: [] writes no reports
"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/none" --set 'output.reports=[]'
check "output.reports []: no report" test ! -e "$WORK/none/report.html" -a ! -e "$WORK/none/daily.csv"
"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/csvonly" --set 'output.reports=[csv]'
check "output.reports [csv]: daily.csv only" test -s "$WORK/csvonly/daily.csv" -a ! -e "$WORK/csvonly/report.html"

# decisions.jsonl, when present, is drawn and listed
cp -r "$WORK/worked" "$WORK/dec"
cat > "$WORK/dec/decisions.jsonl" <<'JSONL'
{"time": 1512086400, "signal": "most_recent", "request": {"cpus": 1, "mem": null, "disk": null, "gpus": null}, "current_target": 2, "new_target": 2, "group_targets": {"g1": 2}, "terminated": [], "reason": "within margin"}
{"time": 1512087000, "signal": "most_recent", "request": {"cpus": 3, "mem": null, "disk": null, "gpus": null}, "current_target": 2, "new_target": 4, "group_targets": {"g1": 4}, "terminated": [], "reason": "scale up <fast>"}
{"time": 1512087600, "signal": "most_recent", "request": {"cpus": 0.5, "mem": null, "disk": null, "gpus": null}, "current_target": 4, "new_target": 1, "group_targets": {"g1": 1}, "terminated": ["i-00000000"], "reason": "scale down"}
JSONL
# a decisions.jsonl added to a run is not part of it: refused (issue 9.3)
rc=0; "$CMAN_SIM" report "$WORK/dec" 2> "$WORK/dec.err" || rc=$?
check "an added decisions.jsonl: refused" test "$rc" -eq 2
check "an added decisions.jsonl: named" grep -q 'dec/decisions.jsonl: not part of run' "$WORK/dec.err"
# made by hand: a run directory without run id or manifest (as written
# before run ids) is read unchecked
rm "$WORK/dec/manifest.json"
python3 -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); del d["run_id"]; json.dump(d, open(p, "w"))' "$WORK/dec/summary.json"
"$CMAN_SIM" report "$WORK/dec"
check "unchecked run directory: said so" grep -q 'could not be checked to belong to one run' "$WORK/dec/report.html"
check "decisions: section" grep -q 'Autoscaler decisions' "$WORK/dec/report.html"
check "decisions: counts" grep -q '3 runs recorded in decisions.jsonl: 1 raised the target, 1 lowered it, 1 kept it; 1 instance chosen' "$WORK/dec/report.html"
check "decisions: reason escaped" grep -q 'scale up &lt;fast&gt;' "$WORK/dec/report.html"
check "decisions: chart" grep -q 'id="dec-target"' "$WORK/dec/report.html"
check "no decisions.jsonl: no section" bash -c "! grep -q 'Autoscaler decisions' '$WORK/worked/report.html'"
echo '{"time": 1512086400, "new_target": ' > "$WORK/dec/decisions.jsonl"
set +e
"$CMAN_SIM" report "$WORK/dec" 2> "$WORK/dec.err"
rc=$?
set -e
check "bad decisions.jsonl: exit 2" test "$rc" -eq 2
check "bad decisions.jsonl: file and line" grep -q 'decisions.jsonl:1:' "$WORK/dec.err"

# usage and input errors
set +e
"$CMAN_SIM" report 2> "$WORK/err1"; rc1=$?
"$CMAN_SIM" report "$WORK/nowhere" 2> "$WORK/err2"; rc2=$?
"$CMAN_SIM" report "$WORK/worked" --pdf 2> "$WORK/err3"; rc3=$?
set -e
check "report without RUN_DIR: exit 2" test "$rc1" -eq 2
check "report of a missing folder: exit 2" test "$rc2" -eq 2
check "missing folder: says so" grep -q 'summary.json: cannot read' "$WORK/err2"
check "unknown option: exit 2" test "$rc3" -eq 2
check "report --help" "$CMAN_SIM" report --help
finish
