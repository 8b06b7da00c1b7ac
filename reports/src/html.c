/*
 * html.c - report.html: one self-contained page per run (inline CSS, inline
 * SVG charts, heatmaps as embedded PNG images, a small optional script for
 * hover details).  No external reference of any kind, no wall-clock time.
 */
#include "html.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cman/fsutil.h"
#include "cman/runfiles.h"
#include "cman/thread.h"
#include "cman/reports/report.h"
#include "fmt.h"
#include "rollup.h"
#include "svg.h"

static const char *const palette[10] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};

const char *cman_html_color(size_t k)
{
	return palette[k % 10];
}

static const char page_style[] =
	"body{margin:0;background:#f5f6f8;color:#1d2733;"
	"font:14px/1.45 \"DejaVu Sans\",system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"Helvetica,Arial,sans-serif}\n"
	"main{max-width:1120px;margin:0 auto;padding:20px 24px 40px}\n"
	"h1{font-size:22px;margin:0 0 2px}\n"
	"h2{font-size:17px;margin:30px 0 10px;padding-bottom:4px;border-bottom:1px solid #d5dbe2}\n"
	"h3{font-size:14px;margin:18px 0 8px}\n"
	".sub{color:#5a6673;margin:0 0 14px}\n"
	"dl.scn{display:grid;grid-template-columns:max-content 1fr;gap:3px 18px;margin:0;"
	"background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:10px 14px}\n"
	"dl.scn dt{color:#5a6673}dl.scn dd{margin:0}\n"
	".kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px}\n"
	".kpi{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:9px 12px}\n"
	".kpi .l{color:#5a6673;font-size:12px}\n"
	".kpi .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}\n"
	".kpi .d{color:#5a6673;font-size:12px}\n"
	"figure.chart{margin:0 0 14px;background:#fff;border:1px solid #dde2e8;"
	"border-radius:6px;padding:8px 10px 6px}\n"
	"figcaption{font-weight:600;margin:0 0 2px}\n"
	"figcaption .unit,td .unit{font-weight:400;color:#5a6673}\n"
	"svg{display:block;width:100%;height:auto;overflow:visible}\n"
	"svg text{font-size:11px;fill:#4f5b67}\n"
	".yl text{text-anchor:end}.xl text{text-anchor:middle}\n"
	".xl text.a0{text-anchor:start}.xl text.a1{text-anchor:end}\n"
	".grid{stroke:#e6e9ed;stroke-width:1;fill:none}\n"
	".axis{stroke:#9aa5b1;stroke-width:1;fill:none}\n"
	"path.s{fill:none;stroke-width:1.6;stroke-linejoin:round}\n"
	"path.s.area{fill-opacity:.18;stroke-width:1.2}\n"
	"path.s.dashed{stroke-dasharray:5 4;stroke-width:1.3}\n"
	"path.s.ev{stroke-width:2.5}\n"
	".band{fill:#6baed6;fill-opacity:.5;stroke:none}\n"
	".median{fill:none;stroke:#08306b;stroke-width:1.5}\n"
	".frame{fill:none;stroke:#9aa5b1}\n"
	"image{image-rendering:crisp-edges;image-rendering:pixelated}\n"
	".cursor{stroke:#1d2733;stroke-width:1;visibility:hidden;pointer-events:none}\n"
	".legend{display:flex;flex-wrap:wrap;gap:3px 18px;font-size:12px;color:#38434f;"
	"margin:2px 0 2px 52px}\n"
	".legend i{display:inline-block;width:16px;height:3px;vertical-align:middle;"
	"margin-right:6px}\n"
	".legend i.area{height:10px;opacity:.55}\n"
	".legend i.dash{height:0;border-top:2px dashed;background:none}\n"
	".legend b.cbar{display:inline-block;width:110px;height:10px;vertical-align:middle;"
	"margin-right:6px;border:1px solid #c9d0d8}\n"
	"table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde2e8;"
	"font-size:13px;margin:0 0 14px}\n"
	"th,td{padding:5px 8px;border-bottom:1px solid #edf0f3;text-align:left;"
	"vertical-align:top}\n"
	"th{background:#eff2f5;font-weight:600}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"td.pos{color:#b03a2e}td.neg{color:#1e7b45}\n"
	"td.nw{white-space:nowrap}\n"
	".bar{display:inline-block;height:9px;background:#4c78a8;vertical-align:middle;"
	"margin-right:6px;border-radius:1px}\n"
	".warn{background:#fff8e1;border:1px solid #eccb7a;border-radius:6px;"
	"padding:8px 14px 8px 30px;margin:0}\n"
	".ok{color:#1e7b45;margin:0}\n"
	".note{color:#5a6673;font-size:12px;margin:4px 0 0}\n"
	"#tip{position:fixed;display:none;background:rgba(255,255,255,.97);"
	"border:1px solid #aab4bf;border-radius:4px;padding:6px 8px;font-size:12px;"
	"pointer-events:none;box-shadow:0 2px 6px rgba(0,0,0,.15);z-index:9;max-width:360px}\n"
	"#tip i{display:inline-block;width:10px;height:10px;margin-right:5px;"
	"vertical-align:middle}\n"
	"footer{color:#5a6673;font-size:12px;margin-top:30px;border-top:1px solid #d5dbe2;"
	"padding-top:8px}\n"
	"footer p{margin:4px 0}\n"
	"@media print{body{background:#fff}figure.chart,table{break-inside:avoid}}\n";

/* Hover details: reads the data the charts wrote; the page is complete
 * without it. */
static const char page_script[] =
	"(function(){\n"
	"var tip=document.createElement('div');tip.id='tip';document.body.appendChild(tip);\n"
	"function esc(s){return String(s).replace(/[&<>\"]/g,function(c){return{'&':'&amp;',"
	"'<':'&lt;','>':'&gt;','\"':'&quot;'}[c];});}\n"
	"function num(v,m){if(v===null||v===undefined)return 'n/a';var a=Math.abs(v),s;"
	"if(m){s=a>=1?a.toLocaleString('en-US',{minimumFractionDigits:2,"
	"maximumFractionDigits:2}):a>=0.01?a.toFixed(4):String(+a.toPrecision(3));"
	"return(v<0?'-$':'$')+s;}"
	"if(a>=1e6)s=(a/1e6).toFixed(2)+'M';else if(a>=1e4)s=(a/1e3).toFixed(1)+'k';"
	"else if(a>=100)s=a.toLocaleString('en-US',{maximumFractionDigits:1});"
	"else s=String(+a.toPrecision(4));return(v<0?'-':'')+s;}\n"
	"function ts(t){return new Date(t*1000).toISOString().slice(0,16).replace('T',' ');}\n"
	"function day(t){return new Date(t*1000).toISOString().slice(0,10);}\n"
	"function hide(svg){tip.style.display='none';var c=svg.querySelector('.cursor');"
	"if(c)c.style.visibility='hidden';}\n"
	"function show(e,h){tip.innerHTML=h;tip.style.display='block';"
	"var w=tip.offsetWidth,x=e.clientX+14,y=e.clientY+14;"
	"if(x+w>window.innerWidth-8)x=e.clientX-w-14;"
	"if(y+tip.offsetHeight>window.innerHeight-8)y=e.clientY-tip.offsetHeight-14;"
	"tip.style.left=x+'px';tip.style.top=y+'px';}\n"
	"function cur(svg,x){var c=svg.querySelector('.cursor');if(!c)return;"
	"c.setAttribute('x1',x);c.setAttribute('x2',x);c.style.visibility='visible';}\n"
	"Array.prototype.forEach.call(document.querySelectorAll('svg[data-chart]'),"
	"function(svg){\n"
	"var c=D[svg.getAttribute('data-chart')];if(!c)return;\n"
	"svg.addEventListener('mousemove',function(e){\n"
	"var r=svg.getBoundingClientRect(),k=svg.viewBox.baseVal.width/r.width,"
	"x=(e.clientX-r.left)*k,y=(e.clientY-r.top)*k,f=(x-c.px)/c.pw,h,i,"
	"u=c.u?' ('+esc(c.u)+')':'';\n"
	"if(f<0||f>=1){hide(svg);return;}\n"
	"if(c.k==='ts'){var t=c.x0+f*(c.x1-c.x0);\n"
	" if(c.t){i=0;while(i+1<c.c&&c.t[i+1]<=t)i++;}\n"
	" else{var j=Math.floor((t-c.t0)/c.dt);if(j<0||j>=c.n){hide(svg);return;}"
	"i=c.n<=c.c?j:Math.min(c.c-1,Math.floor((j+0.5)*c.c/c.n));}\n"
	" var lo=c.n<=c.c?i:Math.floor(i*c.n/c.c),hi=c.n<=c.c?i+1:Math.floor((i+1)*c.n/c.c);\n"
	" var t0=c.t?c.t[i]:c.t0+lo*c.dt;\n"
	" h='<b>'+ts(t0)+(hi-lo>1&&!c.t?' to '+ts(c.t0+hi*c.dt):'')+' UTC</b>'+u;\n"
	" c.s.forEach(function(s){var a=s.a[i],b=s.b?s.b[i]:a;"
	"h+='<br><i style=\"background:'+s.c+'\"></i>'+esc(s.n)+': '+num(a,c.m)+"
	"(b!==a?' to '+num(b,c.m):'');});\n"
	" cur(svg,c.px+((c.t?c.t[i]:c.t0+(lo+hi)/2*c.dt)-c.x0)/(c.x1-c.x0)*c.pw);}\n"
	"else{var d=Math.floor(f*c.nd);if(d>=c.nd){hide(svg);return;}\n"
	" h='<b>'+day(c.d0+d*86400)+'</b>';\n"
	" if(y>=c.hy&&y<c.hy+c.hh){var b=Math.floor((y-c.hy)/c.hh*c.nb),s0=b*86400/c.nb;"
	"h+=' '+ts(s0).slice(11)+' to '+ts(s0+86400/c.nb).slice(11).replace('00:00','24:00')+"
	"' UTC'+u+'<br>mean: '+num(c.v[d*c.nb+b],c.m);}\n"
	" else h+=u+'<br>median: '+num(c.q2[d],c.m)+'<br>25th to 75th percentile: '+"
	"num(c.q1[d],c.m)+' to '+num(c.q3[d],c.m);\n"
	" cur(svg,c.px+(d+0.5)/c.nd*c.pw);}\n"
	"show(e,h);});\n"
	"svg.addEventListener('mouseleave',function(){hide(svg);});});\n"
	"})();\n";

void cman_html_head(FILE *fp, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>", fp);
	cman_html_escape(fp, title);
	fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", page_style);
}

void cman_html_tail(FILE *fp, const char *data, size_t data_len)
{
	fputs("</main>\n<script>\nvar D={\n", fp);
	if (data_len)
		fwrite(data, 1, data_len, fp);
	fprintf(fp, "};\n%s</script>\n</body>\n</html>\n", page_script);
}

/* ---- pieces of the report --------------------------------------------- */

/* A headline card; its number is also in data-value as summary.json has it
 * (and the detail's in the detail's data-value when dkey is set). */
static void kpi(FILE *fp, const struct cman_rundir *rd, const char *key, double exact, const char *label, const char *value,
		const char *detail, const char *dkey, double dexact)
{
	char buf[CMAN_FMT_BUFSZ];

	fprintf(fp, "<div class=\"kpi\"><div class=\"l\">");
	cman_html_escape(fp, label);
	fprintf(fp, "</div><div class=\"v\" data-key=\"%s\" data-value=\"%s\">", key,
		cman_rundir_summary_text(rd, key, exact, buf, sizeof(buf)));
	cman_html_escape(fp, value);
	fputs("</div><div class=\"d\"", fp);
	if (dkey)
		fprintf(fp, " data-key=\"%s\" data-value=\"%s\"", dkey,
			cman_rundir_summary_text(rd, dkey, dexact, buf, sizeof(buf)));
	fputc('>', fp);
	cman_html_escape(fp, detail && detail[0] ? detail : "\xc2\xa0");
	fputs("</div></div>\n", fp);
}

static void scenario_block(FILE *fp, const struct cman_rundir *rd)
{
	char a[CMAN_FMT_BUFSZ], b[CMAN_FMT_BUFSZ], c[CMAN_FMT_BUFSZ];

	fputs("<dl class=\"scn\">\n<dt>Window</dt><dd>", fp);
	fprintf(fp, "%s to %s UTC (%s)</dd>\n", cman_fmt_datetime(a, rd->start),
		cman_fmt_datetime(b, rd->end), cman_fmt_duration(c, rd->end - rd->start));
	fputs("<dt>Pool</dt><dd>", fp);
	cman_html_escape(fp, rd->pool[0] ? rd->pool : "(unnamed)");
	if (rd->cluster[0]) {
		fputs(" in cluster ", fp);
		cman_html_escape(fp, rd->cluster);
	}
	if (rd->scheduler[0]) {
		fputs(" (", fp);
		cman_html_escape(fp, rd->scheduler);
		fputs(")", fp);
	}
	fputs("</dd>\n<dt>Policy</dt><dd>", fp);
	if (!strcmp(rd->mode, "autoscaler"))
		fprintf(fp, "autoscaler (%s runs)", cman_fmt_grouped(a, (double)rd->autoscaler_runs, 0));
	else if (!strcmp(rd->mode, "replay"))
		fputs("replay of the recorded capacity (no autoscaler)", fp);
	else
		cman_html_escape(fp, rd->mode);
	fputs("</dd>\n<dt>Billing</dt><dd>", fp);
	cman_html_escape(fp, rd->billing[0] ? rd->billing : "n/a");
	fprintf(fp, "; outbid spot instances' last partial period %s; spot prices &times; %s</dd>\n",
		rd->refund_outbid ? "free" : "charged", cman_fmt_si(a, rd->discount));
	fprintf(fp, "<dt>Seed</dt><dd>%lld</dd>\n", rd->seed);
	if (rd->scenario_hash && rd->scenario_hash[0]) {
		fputs("<dt>Scenario</dt><dd>hash <code>", fp);
		cman_html_escape(fp, rd->scenario_hash);
		fputs("</code> of the effective scenario (after --set), kept in the run "
		      "directory as scenario.yaml</dd>\n", fp);
	}
	if (rd->run_id && rd->run_id[0]) {
		fputs("<dt>Run id</dt><dd><code>", fp);
		cman_html_escape(fp, rd->run_id);
		fputs("</code> (manifest.json binds every file of the run to it)</dd>\n", fp);
	}
	if (rd->unchecked)
		fputs("<dt>Run id</dt><dd class=\"warn\">none: this run directory was written "
		      "before runs had ids, so its files could not be checked to belong to one "
		      "run</dd>\n", fp);
	fprintf(fp, "<dt>Resolution</dt><dd>%s steps (%s row%s in timeseries.csv); "
		"%s event%s processed</dd>\n</dl>\n", cman_fmt_duration(a, rd->step),
		cman_fmt_grouped(b, (double)rd->n, 0), rd->n == 1 ? "" : "s",
		cman_fmt_grouped(c, (double)rd->events, 0), rd->events == 1 ? "" : "s");
}

static void headline_resources(FILE *fp, const struct cman_rundir *rd);

static void headline(FILE *fp, const struct cman_rundir *rd)
{
	char v[CMAN_FMT_BUFSZ * 2], d[CMAN_FMT_BUFSZ * 3], a[CMAN_FMT_BUFSZ], b[CMAN_FMT_BUFSZ];
	double days = (double)(rd->end - rd->start) / 86400;

	fputs("<h2>Headline numbers</h2>\n<div class=\"kpis\">\n", fp);
	cman_fmt_money(v, rd->total_cost);
	snprintf(d, sizeof(d), "%s per day", cman_fmt_money(a, rd->total_cost / days));
	kpi(fp, rd, "total_cost", rd->total_cost, "Total cost", v, days >= 1 ? d : "", NULL, 0);
	cman_fmt_price(v, rd->cost_per_cpu_hour);
	snprintf(d, sizeof(d), "over %s running vCPU-hours", cman_fmt_si(a, rd->running_cpu_hours));
	kpi(fp, rd, "cost_per_cpu_hour", rd->cost_per_cpu_hour, "Cost per vCPU-hour", v,
	    isnan(rd->running_cpu_hours) ? "" : d, "running_cpu_hours", rd->running_cpu_hours);
	cman_fmt_money(v, rd->unused_cost);
	snprintf(d, sizeof(d), "%s of the total cost", cman_fmt_percent(a, rd->unused_share));
	kpi(fp, rd, "unused_cpus_cost", rd->unused_cost, "Unused-CPU cost", v, d,
	    "unused_cpus_cost_share", rd->unused_share);
	snprintf(v, sizeof(v), "%s vCPU-hours", cman_fmt_si(a, rd->oversub_cpu_hours));
	kpi(fp, rd, "oversubscribed_cpu_hours", rd->oversub_cpu_hours, "Oversubscribed", v,
	    "allocated beyond running vCPUs", NULL, 0);
	snprintf(v, sizeof(v), "%s vCPUs", cman_fmt_si(a, rd->mean_cpus));
	kpi(fp, rd, "mean_cpus", rd->mean_cpus, "Mean capacity", v, "joined vCPUs, time-weighted",
	    NULL, 0);
	snprintf(v, sizeof(v), "%s vCPUs", cman_fmt_si(a, rd->peak_cpus));
	kpi(fp, rd, "peak_cpus", rd->peak_cpus, "Peak capacity", v, "joined vCPUs", NULL, 0);
	snprintf(v, sizeof(v), "%s vCPUs", cman_fmt_si(a, rd->mean_allocated));
	snprintf(d, sizeof(d), "%s of the mean capacity",
		 cman_fmt_percent(b, rd->mean_cpus > 0 ? rd->mean_allocated / rd->mean_cpus : NAN));
	kpi(fp, rd, "mean_cpus_allocated", rd->mean_allocated, "Mean allocated", v, d, NULL, 0);
	cman_fmt_grouped(v, (double)rd->launched, 0);
	kpi(fp, rd, "instances_launched", (double)rd->launched, "Instances launched", v, "", NULL, 0);
	cman_fmt_grouped(v, (double)rd->terminated, 0);
	if (rd->running_at_end >= 0)
		snprintf(d, sizeof(d), "%s still running at the end",
			 cman_fmt_grouped(a, (double)rd->running_at_end, 0));
	else
		d[0] = '\0';
	kpi(fp, rd, "instances_terminated", (double)rd->terminated, "Instances terminated", v, d,
	    NULL, 0);
	cman_fmt_grouped(v, (double)rd->interrupted, 0);
	kpi(fp, rd, "instances_interrupted", (double)rd->interrupted, "Instances interrupted", v,
	    "spot instances outbid", NULL, 0);
	headline_resources(fp, rd);
	fputs("</div>\n", fp);
}

static void warnings(FILE *fp, const struct cman_rundir *rd)
{
	size_t i;

	fprintf(fp, "<h2>Warnings (%zu)</h2>\n", rd->n_warnings + rd->n_notes);
	if (!rd->n_warnings && !rd->n_notes) {
		fputs("<p class=\"ok\">None: every market had a recorded price, every series "
		      "covered the window, nothing starved, and the run's files agree with each "
		      "other.</p>\n", fp);
		return;
	}
	fputs("<ul class=\"warn\">\n", fp);
	for (i = 0; i < rd->n_warnings; i++) {
		fputs("<li>", fp);
		cman_html_escape(fp, rd->warnings[i]);
		fputs("</li>\n", fp);
	}
	for (i = 0; i < rd->n_notes; i++) {
		fputs("<li>report: ", fp);
		cman_html_escape(fp, rd->notes[i]);
		fputs("</li>\n", fp);
	}
	fputs("</ul>\n", fp);
}

/* A time of summary.json (an integer, or null: "&ndash;"). */
static const char *json_time(char *buf, const json_t *v)
{
	if (!json_is_integer(v))
		return "&ndash;";
	return cman_fmt_datetime(buf, (int64_t)json_integer_value(v));
}

/* Data coverage (summary.json "coverage", "starvation"; README "Data coverage"). */
static void coverage_section(FILE *fp, const struct cman_rundir *rd)
{
	const json_t *cov = json_object_get(rd->summary, "coverage");
	const json_t *st = json_object_get(rd->summary, "starvation");
	const json_t *series = json_object_get(cov, "series"), *v;
	char a[CMAN_FMT_BUFSZ], b[CMAN_FMT_BUFSZ], c[CMAN_FMT_BUFSZ];
	double warn = json_number_value(json_object_get(cov, "warn_fraction"));
	const char *label;
	size_t k;

	fputs("<h2>Data coverage</h2>\n", fp);
	if (!json_is_object(series)) {
		fputs("<p class=\"note\">Not recorded: this run's summary.json has no "
		      "coverage.</p>\n", fp);
		return;
	}
	fprintf(fp, "<p class=\"note\">How well each recorded series the run used covers the "
		"window.  A sample covers %s after its time (a spot price %s); later times are "
		"<em>stale</em> until the next sample, times before a series' first sample are "
		"<em>missing</em>.  A series with more than %s of the window not covered is a "
		"warning.</p>\n",
		cman_fmt_duration(a, (int64_t)json_integer_value(json_object_get(cov,
			"stale_after_seconds"))),
		cman_fmt_duration(b, (int64_t)json_integer_value(json_object_get(cov,
			"price_stale_after_seconds"))),
		cman_fmt_percent(c, warn));
	fputs("<table class=\"coverage\">\n<thead><tr><th>Series</th><th class=\"n\">Samples</th>"
	      "<th>First sample</th><th>Last sample</th><th class=\"n\">Covered</th>"
	      "<th class=\"n\">Stale</th><th class=\"n\">Missing</th>"
	      "<th>Longest gaps</th></tr></thead>\n<tbody>\n", fp);
	json_object_foreach((json_t *)series, label, v) {
		double covered = json_number_value(json_object_get(v, "covered_fraction"));
		const json_t *gaps = json_object_get(v, "gaps"), *g;
		size_t ng = json_array_size(gaps);

		fputs("<tr><td class=\"nw\">", fp);
		cman_html_escape(fp, label);
		if (json_is_true(json_object_get(v, "needed")))
			fputs(" <small>(needed)</small>", fp);
		fprintf(fp, "</td><td class=\"n\">%s</td>",
			cman_fmt_grouped(a, json_number_value(json_object_get(v, "samples")), 0));
		fprintf(fp, "<td class=\"nw\">%s</td><td class=\"nw\">%s</td>",
			json_time(a, json_object_get(v, "first_sample")),
			json_time(b, json_object_get(v, "last_sample")));
		fprintf(fp, "<td class=\"n%s\">%s</td>", 1 - covered > warn ? " pos" : "",
			cman_fmt_percent(a, covered));
		fprintf(fp, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td>",
			cman_fmt_percent(a, json_number_value(json_object_get(v, "stale_fraction"))),
			cman_fmt_percent(b, json_number_value(json_object_get(v,
				"missing_fraction"))));
		for (k = 0; k < ng && k < 3; k++) {
			g = json_array_get(gaps, k);
			fprintf(fp, "%s%s &ndash; %s (%s)", k ? "<br>" : "",
				json_time(a, json_object_get(g, "start")),
				json_time(b, json_object_get(g, "end")),
				cman_fmt_duration(c, (int64_t)json_integer_value(json_object_get(g,
					"seconds"))));
		}
		if (!ng)
			fputs("none", fp);
		else if (json_integer_value(json_object_get(v, "gaps_total")) > (json_int_t)k)
			fprintf(fp, "<br><small>%s gaps in all</small>",
				cman_fmt_grouped(a, (double)json_integer_value(json_object_get(v,
					"gaps_total")), 0));
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody>\n</table>\n", fp);
	if (!json_is_object(st))
		return;
	{
		const json_t *eps = json_object_get(st, "episodes"), *e;
		json_int_t total = json_integer_value(json_object_get(st, "episodes_total"));
		double sf = json_number_value(json_object_get(st, "shortfall_fraction"));

		fputs("<h3>Starvation</h3>\n", fp);
		fprintf(fp, "<p class=\"note\">Stretches of at least %s in which the fulfilled "
			"capacity stayed under %s of the target (shortfall), or the allocated "
			"vCPUs (memory, disk, GPUs) exceeded the running instances' "
			"(oversubscribed).</p>\n",
			cman_fmt_duration(a, (int64_t)json_integer_value(json_object_get(st,
				"after_seconds"))), cman_fmt_percent(b, 1 - sf));
		if (!json_array_size(eps)) {
			fputs("<p class=\"ok\">None.</p>\n", fp);
			return;
		}
		fputs("<table class=\"starvation\">\n<thead><tr><th>Kind</th><th>From</th>"
		      "<th>To</th><th class=\"n\">Duration</th><th class=\"n\">At worst</th>"
		      "</tr></thead>\n<tbody>\n", fp);
		for (k = 0; k < json_array_size(eps); k++) {
			const char *kind, *res;
			double w;

			e = json_array_get(eps, k);
			kind = json_string_value(json_object_get(e, "kind"));
			w = json_number_value(json_object_get(e, "worst"));
			res = json_string_value(json_object_get(e, "resource"));
			fputs("<tr><td>", fp);
			cman_html_escape(fp, kind ? kind : "");
			if (res && strcmp(res, "cpus")) {
				fputs(" (", fp);
				cman_html_escape(fp, res);
				fputs(")", fp);
			}
			fprintf(fp, "</td><td class=\"nw\">%s</td><td class=\"nw\">%s</td>",
				json_time(a, json_object_get(e, "start")),
				json_time(b, json_object_get(e, "end")));
			fprintf(fp, "<td class=\"n\">%s</td>",
				cman_fmt_duration(c, (int64_t)json_integer_value(json_object_get(e,
					"seconds"))));
			if (kind && !strcmp(kind, "shortfall"))
				fprintf(fp, "<td class=\"n\">%s of the target missing</td></tr>\n",
					cman_fmt_percent(a, w));
			else
				fprintf(fp, "<td class=\"n\">%s %s</td></tr>\n", cman_fmt_si(a, w),
					!res || !strcmp(res, "cpus") ? "vCPUs"
					: !strcmp(res, "gpus") ? "GPUs" : "MiB");
		}
		fputs("</tbody>\n</table>\n", fp);
		if (total > (json_int_t)json_array_size(eps))
			fprintf(fp, "<p class=\"note\">The first %zu of %s stretches.</p>\n",
				json_array_size(eps), cman_fmt_grouped(a, (double)total, 0));
	}
}

static bool any_value(const double *y, size_t n, size_t stride)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isnan(y[i * (stride ? stride : 1)]))
			return true;
	return false;
}

static void add_series(struct cman_timechart *c, const char *name, const char *color,
		       enum cman_style st, const double *y, size_t stride, double scale)
{
	struct cman_series *s;

	if (c->n_series >= CMAN_MAX_SERIES)
		return;
	s = &c->s[c->n_series++];
	s->name = name;
	s->color = color;
	s->style = st;
	s->y = y;
	s->stride = stride;
	s->scale = scale;
}

static void ts_chart(struct cman_timechart *c, const struct cman_rundir *rd, const char *id,
		     const char *title, const char *unit)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->title = title;
	c->unit = unit;
	c->t0 = rd->start;
	c->dt = rd->step;
	c->n = rd->n;
	c->x0 = rd->start;
	c->x1 = rd->end;
}

static int timeseries_section(FILE *fp, FILE *data, const struct cman_rundir *rd)
{
	struct cman_timechart c;
	double rate = 3600.0 / (double)rd->step;
	char note[256], a[CMAN_FMT_BUFSZ];
	int rc;

	fputs("<h2>Over time</h2>\n", fp);
	ts_chart(&c, rd, "ts-capacity", "Capacity, allocation and target", "vCPUs");
	add_series(&c, "capacity (joined vCPUs)", "#1f77b4", CMAN_LINE,
		   rd->col[CMAN_TS_CPUS], 1, 1);
	add_series(&c, "allocated vCPUs", "#2ca02c", CMAN_LINE, rd->col[CMAN_TS_ALLOCATED], 1, 1);
	if (any_value(rd->col[CMAN_TS_TARGET], rd->n, 1))
		add_series(&c, "target capacity (weighted units)", "#ff7f0e", CMAN_DASHED,
			   rd->col[CMAN_TS_TARGET], 1, 1);
	if (any_value(rd->col[CMAN_TS_FULFILLED], rd->n, 1))
		add_series(&c, "fulfilled capacity (weighted units)", "#9467bd", CMAN_DASHED,
			   rd->col[CMAN_TS_FULFILLED], 1, 1);
	c.height = 270;
	if (rd->n > CMAN_PLOT_COLS) {
		snprintf(note, sizeof(note), "%s samples drawn as the minimum and maximum of "
			 "each pixel column, so short peaks stay visible.",
			 cman_fmt_grouped(a, (double)rd->n, 0));
		c.note = note;
	}
	if ((rc = cman_svg_timechart(fp, data, &c)))
		return rc;

	ts_chart(&c, rd, "ts-cost", "Cost rate", "$/h");
	c.money = true;
	add_series(&c, "cost rate", "#d62728", CMAN_AREA, rd->col[CMAN_TS_COST], 1, rate);
	add_series(&c, "of which unused CPUs", "#ff9f1c", CMAN_AREA,
		   rd->col[CMAN_TS_UNUSED_COST], 1, rate);
	if ((rc = cman_svg_timechart(fp, data, &c)))
		return rc;

	ts_chart(&c, rd, "ts-unused", "Unused vCPUs", "vCPUs");
	add_series(&c, "unused vCPUs (running, not allocated; includes not yet joined)",
		   "#8c564b", CMAN_AREA, rd->col[CMAN_TS_UNUSED], 1, 1);
	c.height = 200;
	if ((rc = cman_svg_timechart(fp, data, &c)))
		return rc;

	ts_chart(&c, rd, "ts-oversub", "Oversubscription", "vCPUs");
	add_series(&c, "allocated beyond running vCPUs", "#e7298a", CMAN_AREA,
		   rd->col[CMAN_TS_OVERSUB], 1, 1);
	c.height = 200;
	if ((rc = cman_svg_timechart(fp, data, &c)))
		return rc;

	ts_chart(&c, rd, "ts-cpc", "Cost per vCPU-hour", "$ per vCPU-hour");
	c.money = true;
	add_series(&c, "cost rate / running vCPUs", "#17becf", CMAN_LINE,
		   rd->col[CMAN_TS_COST_PER_CPU], 1, 1);
	c.height = 200;
	return cman_svg_timechart(fp, data, &c);
}

static const struct {
	enum cman_ts_col col;
	const char *id, *title, *unit;
	bool money, rate;
} heatmaps[] = {
	{ CMAN_TS_CPUS, "hm-cpus", "Capacity (joined vCPUs)", "vCPUs", false, false },
	{ CMAN_TS_ALLOCATED, "hm-alloc", "Allocated vCPUs", "vCPUs", false, false },
	{ CMAN_TS_UNUSED, "hm-unused", "Unused vCPUs", "vCPUs", false, false },
	{ CMAN_TS_COST, "hm-cost", "Cost rate", "$/h", true, true },
	{ CMAN_TS_UNUSED_COST, "hm-ucost", "Unused-CPU cost rate", "$/h", true, true },
	{ CMAN_TS_COST_PER_CPU, "hm-cpc", "Cost per vCPU-hour", "$ per vCPU-hour", true, false },
	{ CMAN_TS_OVERSUB, "hm-oversub", "Oversubscribed vCPUs", "vCPUs", false, false },
	{ CMAN_TS_TARGET, "hm-target", "Target capacity", "weighted units", false, false },
	{ CMAN_TS_FULFILLED, "hm-fulfilled", "Fulfilled capacity", "weighted units", false,
	  false },
};
#define N_HEATMAPS (sizeof(heatmaps) / sizeof(heatmaps[0]))

/* ---- the parts made before the run's files are there (issue 12) ------- */

/*
 * The parts of the reports that need only the tables and the window: the
 * charts over time (of CPUs and of the other resources), the heatmaps and
 * daily.csv, each as its page text and its chart data.  They are the
 * reports' heavy part; the rest (from summary.json, the manifest's run id,
 * decisions.jsonl, the markets in the order of their costs) is put around
 * them once the run's files are written.
 */
enum { PART_TS, PART_RES, PART_HM0, PART_DAILY = PART_HM0 + N_HEATMAPS, N_PARTS };

struct part_text {
	char *text, *data;
	size_t text_len, data_len;
};

struct cman_report_prep {
	struct cman_report_tables t;
	struct cman_rundir rd;        /* the window and t's columns only */
	unsigned what;
	struct part_text part[N_PARTS];
	atomic_uint next;             /* parts handed out (make_parts) */
	double cost_sum;              /* cman_rundir_cost_sum of rd (PART_DAILY's) */
};

int (*cman_report_prep_fault)(int part);

/* Write part k of p, as the section functions would write it, to fp and data. */
static void put_part(FILE *fp, FILE *data, const struct cman_report_prep *p, int k)
{
	const struct part_text *x = &p->part[k];

	if (x->text_len)
		fwrite(x->text, 1, x->text_len, fp);
	if (data && x->data_len)
		fwrite(x->data, 1, x->data_len, data);
}

/* ---- every resource (issue 8.3) --------------------------------------- */

static const char *const res_names[CMAN_RD_NRES] = { "cpus", "mem", "disk", "gpus" };
static const char *const res_titles[CMAN_RD_NRES] = { "CPUs", "Memory", "Disk", "GPUs" };
static const char *const res_units[CMAN_RD_NRES] = { "vCPUs", "MiB", "MiB", "GPUs" };
static const char *const res_colors[CMAN_RD_NRES + 1] = {
	"#1f77b4", "#2ca02c", "#8c564b", "#9467bd", "#c7c7c7",
};

/* summary.json's resources.<r>, NULL when absent. */
static json_t *res_obj(const struct cman_rundir *rd, int r)
{
	return json_object_get(json_object_get((json_t *)rd->summary, "resources"),
			       res_names[r]);
}

/* summary.json's resources.<r>.<key>, NaN when absent or null. */
static double res_num(const struct cman_rundir *rd, int r, const char *key)
{
	json_t *v = json_object_get(res_obj(rd, r), key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Headline cards: the resource binding most of the time, the demand unmet. */
static void headline_resources(FILE *fp, const struct cman_rundir *rd)
{
	json_t *bs = json_object_get((json_t *)rd->summary, "binding_resource_share");
	json_t *sf = json_object_get((json_t *)rd->summary, "shortfall_share");
	char v[CMAN_FMT_BUFSZ * 2], d[CMAN_FMT_BUFSZ * 3], a[CMAN_FMT_BUFSZ];
	const char *best = NULL;
	double best_v = -1;
	int r;

	if (!json_is_object(bs) || !json_is_number(sf))
		return;
	for (r = 0; r <= CMAN_RD_NRES; r++) {
		const char *n = r < CMAN_RD_NRES ? res_names[r] : "none";
		json_t *x = json_object_get(bs, n);

		if (json_is_number(x) && json_number_value(x) > best_v) {
			best_v = json_number_value(x);
			best = n;
		}
	}
	if (best) {
		snprintf(v, sizeof(v), "%s", best);
		char key[64];

		snprintf(d, sizeof(d), "%s of the time", cman_fmt_percent(a, best_v));
		snprintf(key, sizeof(key), "binding_resource_share.%s", best);
		kpi(fp, rd, key, best_v, "Binding resource", v, d, NULL, 0);
	}
	cman_fmt_percent(v, json_number_value(sf));
	kpi(fp, rd, "shortfall_share", json_number_value(sf), "Demand unmet", v,
	    "largest share of any resource's allocation beyond capacity", NULL, 0);
}

/*
 * The table of every resource (from summary.json's "resources") and, for
 * each resource other than CPUs with data in timeseries.csv, its capacity,
 * allocation, oversubscription and unused cost over time; the binding
 * resource over time.  Left out for a run directory without these (made
 * before they existed).
 */
static int resources_charts(FILE *fp, FILE *data, const struct cman_rundir *rd);

static int resources_section(FILE *fp, FILE *data, const struct cman_rundir *rd,
			     const struct cman_report_prep *prep)
{
	char a[CMAN_FMT_BUFSZ];
	json_t *res = json_object_get((json_t *)rd->summary, "resources");
	int r;

	if (!json_is_object(res))
		return 0;
	fputs("<h2>Every resource</h2>\n<p class=\"note\">Each resource the autoscaler sees, "
	      "accounted like the CPUs: unused = running capacity minus allocated, its cost = "
	      "the cost rate times that unused share (each is a view of the same dollars, so "
	      "they do not add up); oversubscribed = allocated beyond running capacity.  The "
	      "binding resource is the one whose allocation is the largest share of its "
	      "capacity.  Memory and disk in MiB.  A resource without a recorded "
	      "<code>&lt;r&gt;_allocated</code> series has no data.</p>\n", fp);
	fputs("<table class=\"res\">\n<thead><tr><th>resource</th><th>mean capacity</th>"
	      "<th>mean allocated</th><th>unused cost</th><th>share of cost</th>"
	      "<th>oversubscribed</th><th>share of demand unmet</th><th>binding</th>"
	      "</tr></thead>\n<tbody>\n", fp);
	for (r = 0; r < CMAN_RD_NRES; r++) {
		fprintf(fp, "<tr><td>%s</td>", res_titles[r]);
		if (!json_is_true(json_object_get(res_obj(rd, r), "has_data"))) {
			fputs("<td colspan=\"7\">no data</td></tr>\n", fp);
			continue;
		}
		fprintf(fp, "<td class=\"n\">%s %s</td>",
			cman_fmt_si(a, res_num(rd, r, "mean_capacity")), res_units[r]);
		fprintf(fp, "<td class=\"n\">%s %s</td>",
			cman_fmt_si(a, res_num(rd, r, "mean_allocated")), res_units[r]);
		fprintf(fp, "<td class=\"n\" data-key=\"resources.%s.unused_cost\">%s</td>",
			res_names[r], cman_fmt_money(a, res_num(rd, r, "unused_cost")));
		fprintf(fp, "<td class=\"n\">%s</td>",
			cman_fmt_percent(a, res_num(rd, r, "unused_cost_share")));
		fprintf(fp, "<td class=\"n\" data-key=\"resources.%s.oversubscribed_hours\">"
			"%s %s-hours</td>", res_names[r],
			cman_fmt_si(a, res_num(rd, r, "oversubscribed_hours")), res_units[r]);
		fprintf(fp, "<td class=\"n\">%s</td>",
			cman_fmt_percent(a, res_num(rd, r, "oversubscribed_share")));
		fprintf(fp, "<td class=\"n\">%s of the time</td></tr>\n",
			cman_fmt_percent(a, res_num(rd, r, "binding_share")));
	}
	fputs("</tbody>\n</table>\n", fp);
	if (prep) {
		put_part(fp, data, prep, PART_RES);
		return 0;
	}
	return resources_charts(fp, data, rd);
}

/* The charts of resources_section: each resource other than CPUs with data
 * over time, then the binding resource over time. */
static int resources_charts(FILE *fp, FILE *data, const struct cman_rundir *rd)
{
	struct cman_timechart c;
	double rate = 3600.0 / (double)rd->step;
	char ids[64], title[128], lbl[4][128];
	int r, rc = 0;
	size_t i;

	for (r = 1; r < CMAN_RD_NRES; r++) {
		if (!rd->has_res[r])
			continue;
		snprintf(ids, sizeof(ids), "res-%s", res_names[r]);
		snprintf(title, sizeof(title), "%s: capacity, allocation, oversubscription",
			 res_titles[r]);
		ts_chart(&c, rd, ids, title, res_units[r]);
		snprintf(lbl[0], sizeof(lbl[0]), "capacity (joined, %s)", res_units[r]);
		snprintf(lbl[1], sizeof(lbl[1]), "allocated %s", res_units[r]);
		snprintf(lbl[2], sizeof(lbl[2]), "allocated beyond running capacity");
		add_series(&c, lbl[0], "#1f77b4", CMAN_LINE, rd->rcol[r][CMAN_RS_CAPACITY], 1, 1);
		add_series(&c, lbl[1], "#2ca02c", CMAN_LINE, rd->rcol[r][CMAN_RS_ALLOCATED], 1, 1);
		add_series(&c, lbl[2], "#e7298a", CMAN_AREA, rd->rcol[r][CMAN_RS_OVERSUB], 1, 1);
		c.height = 220;
		if ((rc = cman_svg_timechart(fp, data, &c)))
			return rc;
		snprintf(ids, sizeof(ids), "res-%s-cost", res_names[r]);
		snprintf(title, sizeof(title), "Cost rate and its unused-%s part", res_names[r]);
		ts_chart(&c, rd, ids, title, "$/h");
		c.money = true;
		snprintf(lbl[3], sizeof(lbl[3]), "of which unused %s", res_names[r]);
		add_series(&c, "cost rate", "#d62728", CMAN_AREA, rd->col[CMAN_TS_COST], 1, rate);
		add_series(&c, lbl[3], "#ff9f1c", CMAN_AREA, rd->rcol[r][CMAN_RS_UNUSED_COST], 1,
			   rate);
		c.height = 200;
		if ((rc = cman_svg_timechart(fp, data, &c)))
			return rc;
	}
	if (!rd->binding)
		return 0;
	/* each resource's series is 1 while it binds: read from rd->binding
	 * (an array of doubles per resource was 40 bytes a step, issue 12) */
	ts_chart(&c, rd, "res-binding", "Binding resource", "1 while binding");
	for (r = 0; r <= CMAN_RD_NRES; r++) {
		bool any = false;

		for (i = 0; i < rd->n && !any; i++)
			any = rd->binding[i] == r;
		if (any && c.n_series < CMAN_MAX_SERIES) {
			add_series(&c, r < CMAN_RD_NRES ? res_names[r] : "none (nothing allocated)",
				   res_colors[r], CMAN_AREA, NULL, 1, 1);
			c.s[c.n_series - 1].cat = rd->binding;
			c.s[c.n_series - 1].cat_value = (unsigned char)r;
		}
	}
	c.note = "The resource whose allocation is the largest share of its running capacity, "
		 "per step.";
	c.height = 160;
	return cman_svg_timechart(fp, data, &c);
}

/* Markets sorted by cost, most expensive first (ties by name). */
static int by_cost(const void *a, const void *b, void *arg)
{
	const struct cman_rundir *rd = arg;
	const struct cman_rd_market *x = &rd->markets[*(const size_t *)a];
	const struct cman_rd_market *y = &rd->markets[*(const size_t *)b];

	if (x->cost != y->cost)
		return x->cost > y->cost ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int markets_section(FILE *fp, FILE *data, const struct cman_rundir *rd)
{
	size_t *ord = NULL, i, k, m, shown;
	double max_cost = 0, rate = 3600.0 / (double)rd->mt_step;
	struct cman_timechart c;
	char **names = NULL;
	char a[CMAN_FMT_BUFSZ], b[CMAN_FMT_BUFSZ], note[256];
	bool all_cpus = true;
	int rc = 0;

	fputs("<h2>Markets</h2>\n", fp);
	if (!rd->has_markets) {
		fputs("<p class=\"note\">No markets.csv in the run directory.</p>\n", fp);
		return 0;
	}
	if (!rd->n_markets) {
		fputs("<p class=\"note\">No instance ran in this window.</p>\n", fp);
		return 0;
	}
	ord = malloc(rd->n_markets * sizeof(*ord));
	names = calloc(rd->n_markets, sizeof(*names));
	if (!ord || !names) {
		rc = CMAN_ENOMEM;
		goto out;
	}
	for (m = 0; m < rd->n_markets; m++) {
		ord[m] = m;
		if (rd->markets[m].cost > max_cost)
			max_cost = rd->markets[m].cost;
		if (isnan(rd->markets[m].cpus))
			all_cpus = false;
	}
	qsort_r(ord, rd->n_markets, sizeof(*ord), by_cost, (void *)rd);

	fputs("<table class=\"markets\">\n<thead><tr><th>Market</th><th class=\"n\">Cost</th>"
	      "<th>Share of the total</th><th class=\"n\">Launched</th>"
	      "<th class=\"n\">Mean instances</th><th class=\"n\">Peak instances</th>"
	      "<th class=\"n\">Mean vCPUs</th><th class=\"n\">Mean spot price</th>"
	      "<th class=\"n\">Spot price range</th></tr></thead>\n<tbody>\n", fp);
	for (i = 0; i < rd->n_markets; i++) {
		const struct cman_rd_market *mk = &rd->markets[ord[i]];
		double isum = 0, ipeak = NAN, psum = 0, pmin = NAN, pmax = NAN;
		size_t ni = 0, np = 0;

		for (k = 0; k < rd->n_mt; k++) {
			double in = rd->m_inst[k * rd->n_markets + ord[i]];
			double pr = rd->m_price[k * rd->n_markets + ord[i]];

			if (!isnan(in)) {
				isum += in;
				ni++;
				if (isnan(ipeak) || in > ipeak)
					ipeak = in;
			}
			if (!isnan(pr)) {
				psum += pr;
				np++;
				pmin = isnan(pmin) || pr < pmin ? pr : pmin;
				pmax = isnan(pmax) || pr > pmax ? pr : pmax;
			}
		}
		fputs("<tr><td class=\"nw\">", fp);
		cman_html_escape(fp, mk->name);
		fprintf(fp, "</td><td class=\"n\" data-value=\"%s\">", cman_fmt_exact(a, mk->cost));
		fprintf(fp, "%s</td>", cman_fmt_money(a, mk->cost));
		fprintf(fp, "<td class=\"nw\"><span class=\"bar\" style=\"width:%.0fpx\"></span>%s</td>",
			max_cost > 0 ? 1 + 119 * mk->cost / max_cost : 1,
			cman_fmt_percent(a, rd->total_cost > 0 ? mk->cost / rd->total_cost : NAN));
		fprintf(fp, "<td class=\"n\">%s</td>", mk->launched >= 0
			? cman_fmt_grouped(a, (double)mk->launched, 0) : "n/a");
		fprintf(fp, "<td class=\"n\">%s</td><td class=\"n\">%s</td>",
			ni ? cman_fmt_grouped(a, isum / (double)ni, 1) : "n/a",
			cman_fmt_grouped(b, ipeak, 0));
		fprintf(fp, "<td class=\"n\">%s</td>",
			ni && !isnan(mk->cpus) ? cman_fmt_si(a, isum / (double)ni * mk->cpus) : "n/a");
		fprintf(fp, "<td class=\"n\">%s</td>", np ? cman_fmt_price(a, psum / (double)np)
			: "none recorded");
		if (np)
			fprintf(fp, "<td class=\"n\">%s to %s</td></tr>\n", cman_fmt_price(a, pmin),
				cman_fmt_price(b, pmax));
		else
			fputs("<td class=\"n\">n/a</td></tr>\n", fp);
	}
	fputs("</tbody>\n</table>\n", fp);

	shown = rd->n_markets < 10 ? rd->n_markets : 10;
	note[0] = '\0';
	if (shown < rd->n_markets)
		snprintf(note, sizeof(note), "The %zu most expensive of %zu markets.", shown,
			 rd->n_markets);
	for (i = 0; i < shown; i++) {
		const struct cman_rd_market *mk = &rd->markets[ord[i]];

		if (all_cpus || !isnan(mk->cpus))
			names[i] = strdup(mk->name);
		else if (asprintf(&names[i], "%s (instances)", mk->name) < 0)
			names[i] = NULL;
		if (!names[i]) {
			rc = CMAN_ENOMEM;
			goto out;
		}
	}
	memset(&c, 0, sizeof(c));
	c.t0 = rd->mt_start;
	c.dt = rd->mt_step;
	c.n = rd->n_mt;
	c.x0 = rd->start;
	c.x1 = rd->end;
	c.note = note;
	c.id = "mk-capacity";
	c.title = "Capacity per market";
	c.unit = all_cpus ? "vCPUs" : "vCPUs, or instances where the type is unknown";
	for (i = 0; i < shown; i++) {
		const struct cman_rd_market *mk = &rd->markets[ord[i]];

		add_series(&c, names[i], palette[i], CMAN_LINE, rd->m_inst + ord[i],
			   rd->n_markets, isnan(mk->cpus) ? 1 : mk->cpus);
	}
	if ((rc = cman_svg_timechart(fp, data, &c)))
		goto out;
	c.n_series = 0;
	c.id = "mk-cost";
	c.title = "Cost rate per market";
	c.unit = "$/h";
	c.money = true;
	for (i = 0; i < shown; i++)
		add_series(&c, names[i], palette[i], CMAN_LINE, rd->m_cost + ord[i],
			   rd->n_markets, rate);
	if ((rc = cman_svg_timechart(fp, data, &c)))
		goto out;
	c.n_series = 0;
	c.id = "mk-price";
	c.title = "Spot price per market";
	c.unit = "$ per instance-hour";
	for (i = 0; i < shown; i++)
		if (any_value(rd->m_price + ord[i], rd->n_mt, rd->n_markets))
			add_series(&c, names[i], palette[i], CMAN_LINE, rd->m_price + ord[i],
				   rd->n_markets, 1);
	if (c.n_series)
		rc = cman_svg_timechart(fp, data, &c);
out:
	if (names)
		for (i = 0; i < rd->n_markets; i++)
			free(names[i]);
	free(names);
	free(ord);
	return rc;
}

/* Heatmap i of heatmaps[] (nothing when its series has no value). */
static int heatmap_one(FILE *fp, FILE *data, const struct cman_rundir *rd, size_t i)
{
	size_t n_bins = rd->step <= 3600 ? 24 : (size_t)(86400 / rd->step);
	struct cman_profile p;
	struct cman_heatmap h;
	int rc;

	if (!n_bins)
		n_bins = 1;
	if (!any_value(rd->col[heatmaps[i].col], rd->n, 1))
		return 0;
	rc = cman_profile_build(rd->col[heatmaps[i].col], rd->n, rd->start, rd->step,
				heatmaps[i].rate ? 3600.0 / (double)rd->step : 1, n_bins, &p);
	if (!rc) {
		memset(&h, 0, sizeof(h));
		h.id = heatmaps[i].id;
		h.title = heatmaps[i].title;
		h.unit = heatmaps[i].unit;
		h.money = heatmaps[i].money;
		h.day0 = p.day0;
		h.n_days = p.n_days;
		h.n_bins = p.n_bins;
		h.cell = p.cell;
		h.q25 = p.q25;
		h.q50 = p.q50;
		h.q75 = p.q75;
		rc = cman_svg_heatmap(fp, data, &h);
	}
	cman_profile_release(&p);
	return rc;
}

static int heatmaps_section(FILE *fp, FILE *data, const struct cman_rundir *rd,
			    const struct cman_report_prep *prep)
{
	size_t i;
	int rc = 0;

	if (rd->end - rd->start < 86400) {
		char a[CMAN_FMT_BUFSZ];

		fprintf(fp, "<h2>Daily patterns</h2>\n<p class=\"note\">Left out: time-of-day "
			"patterns need a window of at least one day, and this run covers %s.</p>\n",
			cman_fmt_duration(a, rd->end - rd->start));
		return 0;
	}
	fputs("<h2>Daily patterns</h2>\n<p class=\"note\">Each heatmap shows a series by time "
	      "of day (down, UTC) and date (across): the colour is the series' mean over that "
	      "part of the day.  Under it, each day's median and inter-quartile range of the "
	      "samples.</p>\n", fp);
	for (i = 0; i < N_HEATMAPS && !rc; i++) {
		if (prep)
			put_part(fp, data, prep, PART_HM0 + (int)i);
		else
			rc = heatmap_one(fp, data, rd, i);
	}
	return rc;
}

static int decisions_section(FILE *fp, FILE *data, const struct cman_rundir *rd)
{
	size_t n = rd->n_decisions, i, up = 0, down = 0, term = 0, listed = 0;
	int64_t *tx = NULL;
	double *nw = NULL, *nt = NULL;
	struct cman_timechart c;
	char a[CMAN_FMT_BUFSZ], b[CMAN_FMT_BUFSZ];
	int rc = 0;

	fputs("<h2>Autoscaler decisions</h2>\n", fp);
	for (i = 0; i < n; i++) {
		const struct cman_report_decision *d = &rd->dec[i];

		if (d->new_target > d->current_target)
			up++;
		else if (d->new_target < d->current_target)
			down++;
		term += d->n_terminated;
	}
	{
		char c1[CMAN_FMT_BUFSZ], c2[CMAN_FMT_BUFSZ], c3[CMAN_FMT_BUFSZ], c4[CMAN_FMT_BUFSZ];
		char c5[CMAN_FMT_BUFSZ];

		fprintf(fp, "<p>%s run%s recorded in decisions.jsonl: %s raised the target, %s "
			"lowered it, %s kept it; %s instance%s chosen for termination.</p>\n",
			cman_fmt_grouped(c1, (double)n, 0), n == 1 ? "" : "s",
			cman_fmt_grouped(c2, (double)up, 0), cman_fmt_grouped(c3, (double)down, 0),
			cman_fmt_grouped(c4, (double)(n - up - down), 0),
			cman_fmt_grouped(c5, (double)term, 0), term == 1 ? "" : "s");
	}
	if (!n)
		return 0;
	tx = malloc(n * sizeof(*tx));
	nw = malloc(n * sizeof(*nw));
	nt = malloc(n * sizeof(*nt));
	if (!tx || !nw || !nt) {
		rc = CMAN_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		tx[i] = rd->dec[i].time;
		nw[i] = rd->dec[i].new_target;
		nt[i] = (double)rd->dec[i].n_terminated;
	}
	memset(&c, 0, sizeof(c));
	c.id = "dec-target";
	c.title = "Target capacity decided per autoscaler run";
	c.unit = "weighted units";
	c.tx = tx;
	c.n = n;
	c.x0 = rd->start;
	c.x1 = rd->end;
	add_series(&c, "target capacity after each run", "#ff7f0e", CMAN_LINE, nw, 1, 1);
	if ((rc = cman_svg_timechart(fp, data, &c)))
		goto out;
	if (term) {
		c.n_series = 0;
		c.id = "dec-term";
		c.title = "Instances chosen for termination per run";
		c.unit = "instances";
		c.height = 180;
		add_series(&c, "instances chosen by a run", "#d62728", CMAN_EVENTS, nt, 1, 1);
		if ((rc = cman_svg_timechart(fp, data, &c)))
			goto out;
	}
	fputs("<h3>Runs that changed the target or terminated instances</h3>\n"
	      "<table class=\"decisions\">\n<thead><tr><th>Time (UTC)</th><th>Signal</th>"
	      "<th class=\"n\">Request (cpus, mem, disk, gpus)</th><th class=\"n\">Target</th>"
	      "<th>Groups</th><th class=\"n\">Terminated</th><th>Reason</th></tr></thead>\n"
	      "<tbody>\n", fp);
	for (i = 0; i < n; i++) {
		const struct cman_report_decision *d = &rd->dec[i];
		int r;

		if (d->new_target == d->current_target && !d->n_terminated)
			continue;
		if (++listed > 200)
			continue;
		fprintf(fp, "<tr><td>%s</td><td>", cman_fmt_datetime(a, d->time));
		cman_html_escape(fp, d->signal);
		fputs("</td><td class=\"n\">", fp);
		for (r = 0; r < 4; r++)
			fprintf(fp, "%s%s", r ? ", " : "",
				isnan(d->request[r]) ? "&ndash;" : cman_fmt_si(a, d->request[r]));
		fprintf(fp, "</td><td class=\"n\">%s &rarr; %s</td><td>",
			cman_fmt_si(a, d->current_target), cman_fmt_si(b, d->new_target));
		cman_html_escape(fp, d->group_targets);
		fprintf(fp, "</td><td class=\"n\">%zu</td><td>", d->n_terminated);
		cman_html_escape(fp, d->reason);
		fputs("</td></tr>\n", fp);
	}
	if (!listed)
		fputs("<tr><td colspan=\"7\">None: every run kept the target.</td></tr>\n", fp);
	fputs("</tbody>\n</table>\n", fp);
	if (listed > 200)
		fprintf(fp, "<p class=\"note\">The first 200 of %s such runs; decisions.jsonl "
			"has them all.</p>\n", cman_fmt_grouped(a, (double)listed, 0));
out:
	free(tx);
	free(nw);
	free(nt);
	return rc;
}

static double jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/*
 * Which on-demand price table priced the run, and the spot instances
 * against the same instance-hours on demand (summary.json's
 * on_demand_prices and spot_vs_on_demand; absent in older runs).
 */
static void on_demand_section(FILE *fp, const struct cman_rundir *rd)
{
	json_t *p = json_object_get(rd->summary, "on_demand_prices");
	json_t *c = json_object_get(rd->summary, "spot_vs_on_demand");
	json_t *t = json_object_get(p, "table"), *mk = json_object_get(p, "markets"), *per, *v;
	char a[CMAN_FMT_BUFSZ], b[CMAN_FMT_BUFSZ], d[CMAN_FMT_BUFSZ], e[CMAN_FMT_BUFSZ];
	const char *name;
	size_t i;

	if (!json_is_object(p) || !json_is_object(c))
		return;
	fputs("<h2>Spot against on-demand</h2>\n<p>On-demand prices: the <b>", fp);
	cman_html_escape(fp, json_is_string(t) ? json_string_value(t) : "(none)");
	fputs("</b> price table (", fp);
	t = json_object_get(p, "chosen_by");
	cman_html_escape(fp, json_is_string(t) ? json_string_value(t) : "");
	fprintf(fp, ")%s.</p>\n", jnum(p, "scenario_prices") > 0
		? "; the scenario's prices.on_demand prices some markets" : "");
	fputs("<table>\n<thead><tr><th>Market</th><th>On-demand $/h</th><th>Price from</th>"
	      "</tr></thead>\n<tbody>\n", fp);
	json_object_foreach(mk, name, v) {
		json_t *src = json_object_get(v, "source");

		fputs("<tr><td>", fp);
		cman_html_escape(fp, name);
		fprintf(fp, "</td><td class=\"n\">%s</td><td>",
			cman_fmt_price(a, jnum(v, "usd_per_hour")));
		cman_html_escape(fp, json_is_string(src) ? json_string_value(src) : "");
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody>\n</table>\n", fp);
	fprintf(fp, "<p>The spot instances cost <b>%s</b>; the same instance-hours on demand "
		"would have cost <b>%s</b>: spot saved <b>%s</b> (%s).</p>\n",
		cman_fmt_money(a, jnum(c, "spot_cost")), cman_fmt_money(b, jnum(c, "on_demand_cost")),
		cman_fmt_money(d, jnum(c, "savings")),
		cman_fmt_percent(e, jnum(c, "savings_share")));
	fprintf(fp, "<p>Hours in which the running spot instances' spot price came to more "
		"than their on-demand price: <b>%s</b>, costing %s more than on demand.</p>\n",
		cman_fmt_grouped(a, jnum(c, "hours_spot_above_on_demand"), 0),
		cman_fmt_money(b, jnum(c, "extra_cost_above_on_demand")));
	per = json_object_get(c, "periods");
	if (json_array_size(per)) {
		fputs("<table>\n<thead><tr><th>From</th><th>To</th><th>Extra cost</th></tr>"
		      "</thead>\n<tbody>\n", fp);
		json_array_foreach(per, i, v) {
			fprintf(fp, "<tr><td>%s</td>",
				cman_fmt_datetime(a, (int64_t)jnum(v, "start")));
			fprintf(fp, "<td>%s</td><td class=\"n\">%s</td></tr>\n",
				cman_fmt_datetime(b, (int64_t)jnum(v, "end")),
				cman_fmt_money(d, jnum(v, "extra_cost")));
		}
		fputs("</tbody>\n</table>\n", fp);
		if (jnum(c, "periods_above_on_demand") > (double)json_array_size(per))
			fprintf(fp, "<p class=\"note\">The first %zu periods; summary.json counts "
				"them all.</p>\n", json_array_size(per));
	}
}

static void footer(FILE *fp, const struct cman_rundir *rd)
{
	fputs("<footer>\n<p>All times are UTC.  Costs are in US dollars; a cost rate is "
	      "dollars per hour.  Capacity is the vCPUs of joined instances; unused vCPUs are "
	      "running vCPUs (joined or not) minus allocated ones, not below 0; the unused-CPU "
	      "cost is the cost rate times that unused share.  Oversubscription is allocated "
	      "vCPUs beyond the running ones.</p>\n<p>Made by clusterman-sim from the run "
	      "directory's summary.json, timeseries.csv", fp);
	if (rd->has_markets)
		fputs(", markets.csv, instances.csv", fp);
	if (rd->has_decisions)
		fputs(", decisions.jsonl", fp);
	fputs("; the daily roll-up is in daily.csv.  Hover over a chart for its values "
	      "(needs JavaScript; everything else does not).</p>\n</footer>\n", fp);
}

static int html_report(FILE *fp, const struct cman_rundir *rd,
		       const struct cman_report_prep *prep)
{
	char *data = NULL, title[512], a[CMAN_FMT_BUFSZ], b[CMAN_FMT_BUFSZ];
	size_t data_len = 0;
	FILE *dfp = open_memstream(&data, &data_len);
	int rc = 0;

	if (!dfp)
		return CMAN_ENOMEM;
	snprintf(title, sizeof(title), "%s: cost report", rd->name);
	cman_html_head(fp, title);
	fputs("<h1>", fp);
	cman_html_escape(fp, rd->name);
	fputs("</h1>\n<p class=\"sub\">What the pool cost from ", fp);
	fprintf(fp, "%s to %s UTC: a clusterman-sim run.</p>\n", cman_fmt_datetime(a, rd->start),
		cman_fmt_datetime(b, rd->end));
	scenario_block(fp, rd);
	headline(fp, rd);
	warnings(fp, rd);
	coverage_section(fp, rd);
	on_demand_section(fp, rd);
	if (prep)
		put_part(fp, dfp, prep, PART_TS);
	else
		rc = timeseries_section(fp, dfp, rd);
	if (!rc)
		rc = resources_section(fp, dfp, rd, prep);
	if (!rc)
		rc = markets_section(fp, dfp, rd);
	if (!rc)
		rc = heatmaps_section(fp, dfp, rd, prep);
	if (!rc && rd->has_decisions)
		rc = decisions_section(fp, dfp, rd);
	if (!rc)
		footer(fp, rd);
	if (fclose(dfp) != 0 && !rc)
		rc = CMAN_ENOMEM;
	if (!rc)
		cman_html_tail(fp, data, data_len);
	free(data);
	return rc;
}

int cman_html_report(FILE *fp, const struct cman_rundir *rd)
{
	return html_report(fp, rd, NULL);
}

int cman_report_write(const char *run_dir, unsigned what, struct cman_error *err)
{
	return cman_report_write_to(run_dir, run_dir, what, err);
}

static int write_reports(struct cman_rundir *rd, const char *run_dir, unsigned what,
			 const struct cman_report_prep *prep, struct cman_error *err);

int cman_report_write_to(const char *src_dir, const char *run_dir, unsigned what,
			 struct cman_error *err)
{
	struct cman_rundir rd;
	int rc = cman_rundir_load(&rd, src_dir, err);

	if (!rc)
		rc = write_reports(&rd, run_dir, what, NULL, err);
	cman_rundir_release(&rd);
	return rc;
}

int cman_report_write_tables(const char *run_dir, struct cman_report_tables *t,
			     unsigned what, struct cman_error *err)
{
	struct cman_rundir rd;
	int rc = cman_rundir_load_tables(&rd, run_dir, t, err);

	if (!rc)
		rc = write_reports(&rd, run_dir, what, NULL, err);
	cman_rundir_release(&rd);
	return rc;
}

/* Make part k of p into its memory streams. */
static int make_part(struct cman_report_prep *p, int k)
{
	struct part_text *x = &p->part[k];
	FILE *fp = open_memstream(&x->text, &x->text_len);
	FILE *data = open_memstream(&x->data, &x->data_len);
	int rc = 0;

	if (!fp || !data) {
		rc = CMAN_ENOMEM;
		goto out;
	}
	if (cman_report_prep_fault && (rc = cman_report_prep_fault(k)))
		goto out;
	if (k == PART_DAILY) {
		struct cman_day *days = NULL;
		size_t nd = 0;

		/* for cman_report_write_prepared's check of the costs */
		p->cost_sum = cman_rundir_cost_sum(&p->rd);
		if (!(p->what & CMAN_REPORT_CSV))
			goto out;
		if (cman_rollup_days(&p->rd, &days, &nd)) {
			rc = CMAN_ENOMEM;
			goto out;
		}
		cman_rollup_csv(fp, days, nd);
		free(days);
	} else if (!(p->what & CMAN_REPORT_HTML)) {
		goto out;
	} else if (k == PART_TS) {
		rc = timeseries_section(fp, data, &p->rd);
	} else if (k == PART_RES) {
		rc = resources_charts(fp, data, &p->rd);
	} else if (p->rd.end - p->rd.start >= 86400) {
		rc = heatmap_one(fp, data, &p->rd, (size_t)(k - PART_HM0));
	}
out:
	if (fp && fclose(fp) && !rc)
		rc = CMAN_ENOMEM;
	if (data && fclose(data) && !rc)
		rc = CMAN_ENOMEM;
	return rc;
}

/* Take parts from p until none is left, the largest first so that the
 * last is small and the other thread does not wait long for it: the charts
 * over time (a year's: 5 ms), the other resources' (as large with memory
 * and disk data), the heatmaps (2-3 ms each), daily.csv.  A failure stops
 * the handing out; the other thread finishes the part it has. */
static int make_parts(struct cman_report_prep *p)
{
	unsigned k;
	int rc = 0;

	while (!rc && (k = atomic_fetch_add(&p->next, 1u)) < N_PARTS)
		rc = make_part(p, (int)k);   /* PART_TS, PART_RES, the heatmaps, PART_DAILY */
	if (rc)
		atomic_store(&p->next, (unsigned)N_PARTS);
	return rc;
}

static void *parts_thread(void *arg)
{
	return (void *)(intptr_t)make_parts(arg);
}

int cman_report_prepare(struct cman_report_prep **out, struct cman_report_tables *t,
			int64_t start, int64_t end, int64_t step, unsigned what, bool split,
			struct cman_error *err)
{
	struct cman_report_prep *p = calloc(1, sizeof(*p));
	pthread_t th;
	bool joined = true;
	int rc = 0;

	*out = NULL;
	if (!p) {
		cman_report_tables_release(t);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	p->t = *t;
	memset(t, 0, sizeof(*t));
	p->what = what;
	p->rd.start = start;
	p->rd.end = end;
	p->rd.step = step;
	p->rd.dfd = -1;
	/* the timeseries as loading the files would see them (p->t keeps them) */
	rc = cman_rundir_view_tables(&p->rd, &p->t, err);
	if (rc)
		goto out;
	atomic_init(&p->next, 0u);
	/* a second thread only where the parts are large (a thread costs about
	 * as much as a week's parts) */
	if (split && cman_thread_start(&th, 0, parts_thread, p) == 0)
		joined = false;
	rc = make_parts(p);
	if (!joined) {
		void *trc;

		pthread_join(th, &trc);
		if (!rc)
			rc = (int)(intptr_t)trc;
	}
	if (rc)
		cman_error_set(err, rc, "%s", rc == CMAN_ENOMEM ? "out of memory"
			       : "the reports could not be made");
out:
	if (rc) {
		cman_report_prep_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void cman_report_prep_free(struct cman_report_prep *p)
{
	int k;

	if (!p)
		return;
	cman_report_tables_release(&p->t);
	for (k = 0; k < N_PARTS; k++) {
		free(p->part[k].text);
		free(p->part[k].data);
	}
	free(p);
}

int cman_report_write_prepared(const char *run_dir, struct cman_report_prep *p,
			       struct cman_error *err)
{
	struct cman_rundir rd;
	int rc = cman_rundir_load_tables_summed(&rd, run_dir, &p->t, p->cost_sum, err);

	if (!rc && (rd.start != p->rd.start || rd.end != p->rd.end || rd.step != p->rd.step))
		rc = cman_error_set(err, CMAN_EINTERNAL, "the run's reports were made for "
				    "another window than summary.json's");
	if (!rc)
		rc = write_reports(&rd, run_dir, p->what, p, err);
	cman_rundir_release(&rd);
	cman_report_prep_free(p);
	return rc;
}

static int write_reports(struct cman_rundir *rd, const char *run_dir, unsigned what,
			 const struct cman_report_prep *prep, struct cman_error *err)
{
	static const char *const reports[] = { "daily.csv", "report.html", NULL };
	struct cman_atomic_file f;
	char path[4096];
	int rc = 0;

	if (what & CMAN_REPORT_CSV) {
		if (cman_path_join(path, sizeof(path), run_dir, "daily.csv")) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: path too long", run_dir);
			goto out;
		}
		if (prep) {
			rc = cman_atomic_open(&f, path, err);
			if (rc)
				goto out;
			put_part(f.fp, NULL, prep, PART_DAILY);
			rc = cman_atomic_commit(&f, err);
			cman_atomic_abort(&f);
		} else {
			rc = cman_rollup_write_csv(rd, path, err);
		}
		if (rc)
			goto out;
	}
	if (what & CMAN_REPORT_HTML) {
		if (cman_path_join(path, sizeof(path), run_dir, "report.html")) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: path too long", run_dir);
			goto out;
		}
		rc = cman_atomic_open(&f, path, err);
		if (rc)
			goto out;
		rc = html_report(f.fp, rd, prep);
		if (rc)
			cman_error_set(err, rc, "out of memory");
		else
			rc = cman_atomic_commit(&f, err);
		cman_atomic_abort(&f);
		if (rc)
			goto out;
	}
	/* the reports belong to the run too */
	if (what && rd->manifest_run_id[0])
		rc = cman_manifest_update(run_dir, reports, err);
out:
	return rc;
}
