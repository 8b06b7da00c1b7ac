/*
 * lazy_libs.c - libcurl and libxml2 loaded by clusterman-sim when first used
 * (issue 12.3, fixed costs per process).
 *
 * clusterman-sim reaches the live library only through dynamodb:// stores,
 * yet linking libcurl and libxml2 made the dynamic loader map and relocate
 * 45 shared libraries (TLS, Kerberos, LDAP, ICU, ...) at every start: about
 * 30 ms of CPU, more than a whole 1-day run.  This file defines the few
 * functions of theirs the live code calls (the link map of clusterman-sim
 * lists them); each opens the library with dlopen on first use and calls
 * the real function.  clusterman-sim links with --as-needed: when all the
 * calls are defined here the libraries are not loaded at start.  A call
 * added to the live code and missing here still links (against the real
 * library, which is then loaded at start again: add it here to keep the
 * start fast; tools/bench shows it).
 *
 * Only clusterman-sim links this file; clusterman-live and the tests link
 * the libraries as usual.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/* The run-time names of the libraries CMake linked against. */
#ifndef CMAN_LIBCURL_SONAME
#define CMAN_LIBCURL_SONAME "libcurl.so.4"
#endif
#ifndef CMAN_LIBXML2_SONAME
#define CMAN_LIBXML2_SONAME "libxml2.so.2"
#endif

/* The symbol name in lib (opened on first use); exits with a message when
 * the library or the symbol is missing (the program was built with it: an
 * installation problem, nothing a caller could recover from). */
static void *sym(void **handle, const char *lib, const char *name)
{
	void *p;

	if (!*handle) {
		*handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
		if (!*handle) {
			fprintf(stderr, "clusterman-sim: cannot load %s: %s\n", lib, dlerror());
			exit(70);   /* EX_SOFTWARE */
		}
	}
	p = dlsym(*handle, name);
	if (!p) {
		fprintf(stderr, "clusterman-sim: %s has no %s: %s\n", lib, name, dlerror());
		exit(70);
	}
	return p;
}

static void *curl_lib, *xml_lib;

#define CURL_FN(ret, name, params, args)					\
	ret name params								\
	{									\
		static ret (*real) params;					\
		if (!real)							\
			*(void **)&real = sym(&curl_lib, CMAN_LIBCURL_SONAME, #name); \
		return real args;						\
	}
#define XML_FN(ret, name, params, args)					\
	ret name params								\
	{									\
		static ret (*real) params;					\
		if (!real)							\
			*(void **)&real = sym(&xml_lib, CMAN_LIBXML2_SONAME, #name); \
		return real args;						\
	}

/* ---- libcurl ---------------------------------------------------------------- */

CURL_FN(CURLcode, curl_global_init, (long flags), (flags))
CURL_FN(CURL *, curl_easy_init, (void), ())
CURL_FN(void, curl_easy_cleanup, (CURL *c), (c))
CURL_FN(void, curl_easy_reset, (CURL *c), (c))
CURL_FN(CURLcode, curl_easy_perform, (CURL *c), (c))
CURL_FN(const char *, curl_easy_strerror, (CURLcode code), (code))
CURL_FN(struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s), (l, s))
CURL_FN(void, curl_slist_free_all, (struct curl_slist *l), (l))

/* curl.h makes these two type-checking macros under GCC */
#undef curl_easy_setopt
#undef curl_easy_getinfo

/* The option's type is in its number, as libcurl itself reads the argument. */
CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	static CURLcode (*real)(CURL *, CURLoption, ...);
	va_list ap;
	CURLcode rc;

	if (!real)
		*(void **)&real = sym(&curl_lib, CMAN_LIBCURL_SONAME, "curl_easy_setopt");
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT) {
		long v = va_arg(ap, long);

		rc = real(c, opt, v);
	} else if (opt < CURLOPTTYPE_FUNCTIONPOINT) {
		void *v = va_arg(ap, void *);

		rc = real(c, opt, v);
	} else if (opt < CURLOPTTYPE_OFF_T) {
		void (*v)(void) = va_arg(ap, void (*)(void));

		rc = real(c, opt, v);
	} else if (opt < CURLOPTTYPE_BLOB) {
		curl_off_t v = va_arg(ap, curl_off_t);

		rc = real(c, opt, v);
	} else {
		void *v = va_arg(ap, void *);

		rc = real(c, opt, v);
	}
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* writes through one pointer. */
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	static CURLcode (*real)(CURL *, CURLINFO, ...);
	va_list ap;
	void *p;

	if (!real)
		*(void **)&real = sym(&curl_lib, CMAN_LIBCURL_SONAME, "curl_easy_getinfo");
	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return real(c, info, p);
}

/* ---- libxml2 ---------------------------------------------------------------- */

XML_FN(xmlParserCtxtPtr, xmlNewParserCtxt, (void), ())
XML_FN(void, xmlFreeParserCtxt, (xmlParserCtxtPtr ctx), (ctx))
XML_FN(xmlDocPtr, xmlCtxtReadMemory,
       (xmlParserCtxtPtr ctx, const char *buf, int size, const char *url,
	const char *enc, int options),
       (ctx, buf, size, url, enc, options))
XML_FN(xmlErrorPtr, xmlCtxtGetLastError, (void *ctx), (ctx))
XML_FN(xmlNodePtr, xmlDocGetRootElement, (const xmlDoc *doc), (doc))
XML_FN(void, xmlFreeDoc, (xmlDocPtr doc), (doc))
XML_FN(xmlChar *, xmlNodeGetContent, (const xmlNode *node), (node))

/* xmlFree is a variable holding libxml2's deallocator */
static void free_lazy(void *p)
{
	static xmlFreeFunc *real;

	if (!real)
		real = sym(&xml_lib, CMAN_LIBXML2_SONAME, "xmlFree");
	(*real)(p);
}

xmlFreeFunc xmlFree = free_lazy;
