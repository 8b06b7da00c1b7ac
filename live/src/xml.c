/*
 * xml.c - reading AWS's XML answers with libxml2 (see xml.h).
 */
#include "cman/live/xml.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

int cman_xml_parse(const char *body, size_t len, const char *what,
		   xmlDocPtr *out, struct cman_error *err)
{
	xmlParserCtxtPtr ctx;
	xmlDocPtr doc;

	*out = NULL;
	if (len > INT_MAX)
		return cman_error_set(err, CMAN_ETRANSIENT, "%s: XML answer too large", what);
	ctx = xmlNewParserCtxt();
	if (!ctx)
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", what);
	doc = xmlCtxtReadMemory(ctx, body, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING);
	if (!doc || !ctx->wellFormed || !xmlDocGetRootElement(doc)) {
		const xmlError *e = xmlCtxtGetLastError(ctx);
		int line = e ? e->line : 0;
		char reason[160] = "no root element";

		if (e && e->message) {
			size_t k;

			snprintf(reason, sizeof(reason), "%s", e->message);
			k = strlen(reason);
			while (k > 0 && (reason[k - 1] == '\n' || reason[k - 1] == ' '))
				reason[--k] = '\0';
		}
		if (doc)
			xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctx);
		return cman_error_set(err, CMAN_ETRANSIENT,
				      "%s: malformed XML answer (line %d: %s)", what, line, reason);
	}
	xmlFreeParserCtxt(ctx);
	*out = doc;
	return 0;
}

int cman_aws_query_xml(struct cman_aws_client *c, const char *svc,
		       const struct cman_aws_params *p, unsigned flags, xmlDocPtr *out,
		       struct cman_aws_fault *fault, struct cman_error *err)
{
	char *body;
	size_t len;
	int rc;

	*out = NULL;
	rc = cman_aws_query(c, svc, p, flags, &body, &len, fault, err);
	if (rc)
		return rc;
	rc = cman_xml_parse(body, len, p->action[0] ? p->action : svc, out, err);
	free(body);
	return rc;
}

int cman_aws_query_pages(struct cman_aws_client *c, const char *svc,
			 struct cman_aws_params *p, unsigned flags, const char *token_path,
			 const char *what, long max_pages, cman_aws_page_cb page, void *ctx,
			 struct cman_error *err)
{
	char token[CMAN_AWS_TOKEN_MAX] = "", prev[CMAN_AWS_TOKEN_MAX];
	const char *name = strrchr(token_path, '/');
	size_t base = p->len;
	long pages = 0;
	int rc;

	name = name ? name + 1 : token_path;
	do {
		xmlDocPtr doc;

		if (token[0] && !p->failed) {
			/* the request as given, then this page's token */
			p->len = base;
			p->buf[base] = '\0';
			cman_aws_params_add(p, "NextToken", token);
		}
		if ((rc = cman_aws_query_xml(c, svc, p, flags, &doc, NULL, err)) != 0)
			break;
		rc = page(ctx, doc, err);
		snprintf(prev, sizeof(prev), "%s", token);
		if (!rc && cman_xml_path_text(xmlDocGetRootElement(doc), token_path, token,
					      sizeof(token)) >= sizeof(token))
			rc = cman_error_set(err, CMAN_ETRANSIENT, "%s: %s too long", what, name);
		xmlFreeDoc(doc);
		if (!rc && token[0] && (!strcmp(token, prev) || (max_pages && ++pages > max_pages)))
			rc = cman_error_set(err, CMAN_ETRANSIENT, "%s: the pages do not end (%s "
					    "\"%.40s\" came back)", what, name, token);
	} while (!rc && token[0]);
	if (!p->failed && p->buf) {
		p->len = base;
		p->buf[base] = '\0';
	}
	return rc;
}

static int named(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr cman_xml_child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	if (!parent)
		return NULL;
	for (n = parent->children; n; n = n->next)
		if (named(n, name))
			return n;
	return NULL;
}

xmlNodePtr cman_xml_next(xmlNodePtr node, const char *name)
{
	xmlNodePtr n;

	if (!node)
		return NULL;
	for (n = node->next; n; n = n->next)
		if (named(n, name))
			return n;
	return NULL;
}

xmlNodePtr cman_xml_path(xmlNodePtr parent, const char *path)
{
	char step[128];
	const char *p = path;

	while (parent && *p) {
		const char *slash = strchr(p, '/');
		size_t k = slash ? (size_t)(slash - p) : strlen(p);

		if (k >= sizeof(step))
			return NULL;
		memcpy(step, p, k);
		step[k] = '\0';
		parent = cman_xml_child(parent, step);
		p += k;
		if (*p == '/')
			p++;
	}
	return parent;
}

xmlNodePtr cman_xml_find(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n, hit;

	if (!parent)
		return NULL;
	for (n = parent->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (named(n, name))
			return n;
		hit = cman_xml_find(n, name);
		if (hit)
			return hit;
	}
	return NULL;
}

size_t cman_xml_text(xmlNodePtr node, char *out, size_t n)
{
	xmlChar *s;
	size_t len;

	if (n)
		out[0] = '\0';
	if (!node)
		return 0;
	s = xmlNodeGetContent(node);
	if (!s)
		return 0;
	len = strlen((const char *)s);
	if (n) {
		size_t k = len < n - 1 ? len : n - 1;

		memcpy(out, s, k);
		out[k] = '\0';
	}
	xmlFree(s);
	return len;
}

size_t cman_xml_path_text(xmlNodePtr parent, const char *path, char *out, size_t n)
{
	return cman_xml_text(cman_xml_path(parent, path), out, n);
}

int cman_xml_path_double(xmlNodePtr parent, const char *path, double *out,
			 struct cman_error *err)
{
	char buf[64], *end;
	xmlNodePtr n = cman_xml_path(parent, path);
	double v;

	if (!n)
		return cman_error_set(err, CMAN_EINVAL, "the answer has no %s", path);
	if (cman_xml_text(n, buf, sizeof(buf)) >= sizeof(buf) || !buf[0])
		return cman_error_set(err, CMAN_EINVAL, "%s: expected a number", path);
	errno = 0;
	v = strtod(buf, &end);
	if (*end || errno || !isfinite(v))
		return cman_error_set(err, CMAN_EINVAL, "%s: expected a number, got \"%s\"",
				      path, buf);
	*out = v;
	return 0;
}

int cman_xml_path_int64(xmlNodePtr parent, const char *path, int64_t *out,
			struct cman_error *err)
{
	char buf[64], *end;
	xmlNodePtr n = cman_xml_path(parent, path);
	long long v;

	if (!n)
		return cman_error_set(err, CMAN_EINVAL, "the answer has no %s", path);
	if (cman_xml_text(n, buf, sizeof(buf)) >= sizeof(buf) || !buf[0])
		return cman_error_set(err, CMAN_EINVAL, "%s: expected an integer", path);
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (*end || errno)
		return cman_error_set(err, CMAN_EINVAL, "%s: expected an integer, got \"%s\"",
				      path, buf);
	*out = (int64_t)v;
	return 0;
}
