/*
 * html.h - the report.html page of a run, and the page frame (style,
 * hover script) shared with compare.html.
 */
#ifndef CMAN_REPORTS_HTML_H
#define CMAN_REPORTS_HTML_H

#include <stdio.h>

#include "rundir.h"

/* <!DOCTYPE html> ... <body><main>, with the page's style. */
void cman_html_head(FILE *fp, const char *title);

/* </main>, the hover script with the charts' data (data_len bytes of
 * "ID":{...}, entries written by the svg.h functions), </body></html>. */
void cman_html_tail(FILE *fp, const char *data, size_t data_len);

/* The whole report.html of a loaded run.  Returns 0 or CMAN_ENOMEM. */
int cman_html_report(FILE *fp, const struct cman_rundir *rd);

/* Palette for series without a colour of their own (k taken modulo 10). */
const char *cman_html_color(size_t k);

/*
 * Fault injection for the tests: when set, called before each part of
 * cman_report_prepare() is made (k = 0..11, on either of its threads); a
 * non-zero return fails the part with that code.  NULL in the programs.
 */
extern int (*cman_report_prep_fault)(int k);

#endif
