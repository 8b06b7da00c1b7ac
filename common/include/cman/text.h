/*
 * text.h - text that comes from outside (signal answers, file contents,
 * messages quoting them) made safe to store in JSON and show in a terminal.
 */
#ifndef CMAN_TEXT_H
#define CMAN_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool cman_utf8_valid(const char *s, size_t len);

/*
 * A copy of the NUL-terminated s in which every byte that does not start a
 * well-formed UTF-8 sequence is replaced by U+FFFD.  Caller frees; NULL on
 * ENOMEM.
 */
char *cman_utf8_clean(const char *s);

#endif
