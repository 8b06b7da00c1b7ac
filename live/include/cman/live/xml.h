/*
 * xml.h - reading AWS's XML answers with libxml2.
 *
 * Elements are matched by local name, whatever their namespace (EC2 and
 * Auto Scaling answer in their own namespaces; the error documents in none).
 * The parser never touches the network and refuses DTDs and entities.
 */
#ifndef CMAN_LIVE_XML_H
#define CMAN_LIVE_XML_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "cman/err.h"
#include "cman/live/aws.h"

/* Parse len bytes; on failure CMAN_ETRANSIENT with "<what>: malformed XML
 * answer (line L: reason)".  Caller frees *out with xmlFreeDoc(). */
int cman_xml_parse(const char *body, size_t len, const char *what,
		   xmlDocPtr *out, struct cman_error *err);

/* A Query API call (cman_aws_query()) whose answer is parsed here; the
 * answer is named by the call's action in messages.  Caller frees *out
 * with xmlFreeDoc().  p is not released. */
int cman_aws_query_xml(struct cman_aws_client *c, const char *svc,
		       const struct cman_aws_params *p, unsigned flags, xmlDocPtr *out,
		       struct cman_aws_fault *fault, struct cman_error *err);

/*
 * A paged Query API call (the NextToken protocol of EC2 and Auto Scaling):
 * sends p, then sends it again with "&NextToken=<token>" appended while the
 * answer holds a non-empty token at token_path (from the document's root:
 * "nextToken" for EC2, "<Action>Result/NextToken" for Auto Scaling).
 * page(ctx, doc, err) reads each answer (the document is freed after it);
 * a non-zero return stops the paging and is returned.  p (without a
 * NextToken) is the caller's: it is changed between pages and must still be
 * released by the caller.  CMAN_ETRANSIENT "<what>: <name> too long" for a
 * token of CMAN_AWS_TOKEN_MAX bytes or more, and "<what>: the pages do not
 * end (...)" when a token comes back equal to the one just sent or after
 * max_pages pages (0: no limit).  Errors of the call as cman_aws_query_xml().
 */
#define CMAN_AWS_TOKEN_MAX 2048
typedef int (*cman_aws_page_cb)(void *ctx, xmlDocPtr doc, struct cman_error *err);
int cman_aws_query_pages(struct cman_aws_client *c, const char *svc,
			 struct cman_aws_params *p, unsigned flags, const char *token_path,
			 const char *what, long max_pages, cman_aws_page_cb page, void *ctx,
			 struct cman_error *err);

/* First element child of parent named name, or NULL (parent may be NULL). */
xmlNodePtr cman_xml_child(xmlNodePtr parent, const char *name);
/* Next element sibling of node named name, or NULL. */
xmlNodePtr cman_xml_next(xmlNodePtr node, const char *name);
/* Follow "a/b/c" from parent by cman_xml_child(); NULL when a step fails. */
xmlNodePtr cman_xml_path(xmlNodePtr parent, const char *path);
/* First descendant (depth first, parent excluded) named name, or NULL. */
xmlNodePtr cman_xml_find(xmlNodePtr parent, const char *name);

/*
 * Copy the text of node (NULL gives "") into out, cut to n - 1 bytes.
 * Returns the full length of the text, so a result >= n says it was cut.
 */
size_t cman_xml_text(xmlNodePtr node, char *out, size_t n);
/* The text of parent's child at path, as cman_xml_text(). */
size_t cman_xml_path_text(xmlNodePtr parent, const char *path, char *out, size_t n);

/* Numbers and booleans of a child at path; CMAN_EINVAL (message names the
 * path) when absent or malformed. */
int cman_xml_path_double(xmlNodePtr parent, const char *path, double *out,
			 struct cman_error *err);
int cman_xml_path_int64(xmlNodePtr parent, const char *path, int64_t *out,
			struct cman_error *err);

#endif
