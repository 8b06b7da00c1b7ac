#include "cman/reports/csv.h"

#include <math.h>
#include <string.h>

void cman_csv_text(FILE *fp, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

char *cman_fmt_number(char *buf, double v)
{
	if (isnan(v))
		buf[0] = '\0';
	else if (v == 0)
		strcpy(buf, "0");
	else
		snprintf(buf, 32, "%.10g", v);
	return buf;
}

void cman_csv_number(FILE *fp, double v)
{
	char buf[32];

	fputs(cman_fmt_number(buf, v), fp);
}
