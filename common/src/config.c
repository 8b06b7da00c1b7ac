/*
 * config.c - YAML documents (libyaml's document API) turned into a tree of
 * cman_node that remember their file and 1-based line:column, plus typed
 * accessors and "--set KEY=VALUE" overrides.
 *
 * File names are shared by all nodes of a document through a small
 * reference-counted string, so subtrees can be moved between documents
 * (--set) or freed on their own.
 */
#include "cman/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cman/time.h"

#define MAX_DEPTH 256          /* nesting (also stops recursive aliases) */
#define MAX_NODES 200000       /* nodes per document after alias copying */

/* ---- shared file names ------------------------------------------------ */

struct fname {
	size_t refs;
	char s[];
};

static const char *fname_new(const char *s)
{
	size_t len = strlen(s);
	struct fname *f = malloc(sizeof(*f) + len + 1);

	if (!f)
		return NULL;
	f->refs = 1;
	memcpy(f->s, s, len + 1);
	return f->s;
}

static struct fname *fname_of(const char *s)
{
	return (struct fname *)(void *)(s - offsetof(struct fname, s));
}

static const char *fname_ref(const char *s)
{
	fname_of(s)->refs++;
	return s;
}

static void fname_unref(const char *s)
{
	struct fname *f;

	if (!s)
		return;
	f = fname_of(s);
	if (--f->refs == 0)
		free(f);
}

/* ---- nodes ------------------------------------------------------------- */

static struct cman_node *node_new(enum cman_node_type type, const char *file,
				  int line, int col)
{
	struct cman_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->file = fname_ref(file);
	n->line = line;
	n->col = col;
	return n;
}

static struct cman_node *scalar_new(const char *text, size_t len,
				    const char *file, int line, int col)
{
	struct cman_node *n = node_new(CMAN_NODE_SCALAR, file, line, col);

	if (!n)
		return NULL;
	n->scalar = malloc(len + 1);
	if (!n->scalar) {
		cman_node_free(n);
		return NULL;
	}
	memcpy(n->scalar, text, len);
	n->scalar[len] = '\0';
	return n;
}

void cman_node_free(struct cman_node *node)
{
	size_t i;

	if (!node)
		return;
	for (i = 0; i < node->n; i++) {
		if (node->keys)
			cman_node_free(node->keys[i]);
		if (node->items)
			cman_node_free(node->items[i]);
	}
	free(node->keys);
	free(node->items);
	free(node->scalar);
	fname_unref(node->file);
	free(node);
}

/* Add a pair (map: key and value) or an item (seq: key NULL). */
static int node_append(struct cman_node *n, struct cman_node *key,
		       struct cman_node *value)
{
	struct cman_node **items, **keys;
	size_t cap = n->n ? 2 * n->n : 1;

	/* capacities are the powers of two: grow when n reaches one */
	if (n->n & (n->n - 1))
		goto store;
	items = realloc(n->items, cap * sizeof(*items));
	if (!items)
		return CMAN_ENOMEM;
	n->items = items;
	if (n->type == CMAN_NODE_MAP) {
		keys = realloc(n->keys, cap * sizeof(*keys));
		if (!keys)
			return CMAN_ENOMEM;
		n->keys = keys;
	}
store:
	if (n->type == CMAN_NODE_MAP)
		n->keys[n->n] = key;
	n->items[n->n++] = value;
	return 0;
}

struct cman_node *cman_node_copy(const struct cman_node *src)
{
	struct cman_node *n, *k = NULL, *v = NULL;
	size_t i;

	if (!src)
		return NULL;
	if (src->type == CMAN_NODE_SCALAR) {
		n = scalar_new(src->scalar, strlen(src->scalar), src->file,
			       src->line, src->col);
		if (n) {
			n->quoted = src->quoted;
			n->null = src->null;
		}
		return n;
	}
	n = node_new(src->type, src->file, src->line, src->col);
	if (!n)
		return NULL;
	for (i = 0; i < src->n; i++) {
		k = v = NULL;
		if (src->type == CMAN_NODE_MAP && !(k = cman_node_copy(src->keys[i])))
			goto fail;
		if (!(v = cman_node_copy(src->items[i])))
			goto fail;
		if (node_append(n, k, v) != 0)
			goto fail;
	}
	return n;
fail:
	cman_node_free(k);
	cman_node_free(v);
	cman_node_free(n);
	return NULL;
}

/* A node at at's position, or in file "" without one (at NULL). */
static struct cman_node *node_at(enum cman_node_type type, const char *text,
				 const struct cman_node *at)
{
	const char *f = at ? at->file : fname_new("");
	struct cman_node *n;

	if (!f)
		return NULL;
	if (type == CMAN_NODE_SCALAR)
		n = scalar_new(text, strlen(text), f, at ? at->line : 0, at ? at->col : 0);
	else
		n = node_new(type, f, at ? at->line : 0, at ? at->col : 0);
	if (!at)
		fname_unref(f);
	return n;
}

struct cman_node *cman_node_new(enum cman_node_type type, const struct cman_node *at)
{
	return node_at(type, "", at);
}

struct cman_node *cman_node_new_scalar(const char *text, const struct cman_node *at)
{
	return node_at(CMAN_NODE_SCALAR, text, at);
}

int cman_node_map_set(struct cman_node *map, const char *key, struct cman_node *value)
{
	struct cman_node *k;
	size_t i;

	if (!value)
		return CMAN_ENOMEM;
	if (!map || map->type != CMAN_NODE_MAP) {
		cman_node_free(value);
		return CMAN_EINVAL;
	}
	for (i = 0; i < map->n; i++) {
		if (!strcmp(map->keys[i]->scalar, key)) {
			cman_node_free(map->items[i]);
			map->items[i] = value;
			return 0;
		}
	}
	if (!(k = cman_node_new_scalar(key, value)) || node_append(map, k, value) != 0) {
		cman_node_free(k);
		cman_node_free(value);
		return CMAN_ENOMEM;
	}
	return 0;
}

int cman_node_seq_append(struct cman_node *seq, struct cman_node *value)
{
	if (!value)
		return CMAN_ENOMEM;
	if (!seq || seq->type != CMAN_NODE_SEQ) {
		cman_node_free(value);
		return CMAN_EINVAL;
	}
	if (node_append(seq, NULL, value) != 0) {
		cman_node_free(value);
		return CMAN_ENOMEM;
	}
	return 0;
}

static void strip_positions(struct cman_node *n)
{
	size_t i;

	n->line = n->col = 0;
	for (i = 0; i < n->n; i++) {
		if (n->keys)
			strip_positions(n->keys[i]);
		strip_positions(n->items[i]);
	}
}

struct cman_node *cman_node_get(const struct cman_node *map, const char *key)
{
	size_t i;

	if (!map || map->type != CMAN_NODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i]->scalar, key))
			return map->items[i];
	return NULL;
}

static int find_key(const struct cman_node *map, const char *key)
{
	size_t i;

	for (i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i]->scalar, key))
			return (int)i;
	return -1;
}

/* ---- loading ----------------------------------------------------------- */

/*
 * The document is built from libyaml's event stream (not its document API),
 * so that nesting depth and node counts are checked while parsing: a deeply
 * nested input stops at MAX_DEPTH instead of being built whole first (which
 * costs time quadratic in the depth inside libyaml).  Anchors are kept with
 * their node; an alias is a copy, counted against MAX_NODES and MAX_DEPTH
 * before it is made.  Duplicate keys are found when a mapping ends, by
 * sorting its keys (n log n, not n^2).
 */

struct frame {
	struct cman_node *n;
	struct cman_node *key;     /* MAP: a key waiting for its value */
	char *anchor;              /* the collection's anchor, or NULL */
};

struct anchor {
	char *name;
	const struct cman_node *node;
	size_t size;               /* nodes in the subtree */
	int height;                /* levels in the subtree (a scalar: 1) */
};

struct loader {
	const char *file;
	struct cman_error *err;
	size_t nodes;
	struct frame *stack;
	size_t depth, stack_cap;
	struct anchor *anchors;
	size_t n_anchors, anchors_cap;
	struct cman_node *root;
};

static bool is_null_text(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int too_big(struct loader *ld, int line, int col)
{
	return cman_error_at(ld->err, ld->file, line, col,
			     "document nested too deeply or aliases expand too much, expected at most %d levels and %d nodes",
			     MAX_DEPTH, MAX_NODES);
}

static int subtree_height(const struct cman_node *n)
{
	int h = 0;

	for (size_t i = 0; i < n->n; i++) {
		int k = subtree_height(n->items[i]);

		if (k > h)
			h = k;
	}
	return h + 1;
}

static size_t subtree_size(const struct cman_node *n)
{
	size_t s = 1;

	for (size_t i = 0; i < n->n; i++)
		s += (n->keys ? 1 : 0) + subtree_size(n->items[i]);
	return s;
}

static int add_anchor(struct loader *ld, const char *name, const struct cman_node *n)
{
	struct anchor *a;

	if (ld->n_anchors == ld->anchors_cap) {
		size_t cap = ld->anchors_cap ? 2 * ld->anchors_cap : 8;

		if (!(a = realloc(ld->anchors, cap * sizeof(*a))))
			return CMAN_ENOMEM;
		ld->anchors = a;
		ld->anchors_cap = cap;
	}
	a = &ld->anchors[ld->n_anchors];
	if (!(a->name = strdup(name)))
		return CMAN_ENOMEM;
	a->node = n;
	a->size = subtree_size(n);
	a->height = subtree_height(n);
	ld->n_anchors++;
	return 0;
}

/* Document order of two nodes: negative, 0 or positive. */
static int pos_cmp(const struct cman_node *x, const struct cman_node *y)
{
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

static int key_cmp(const void *a, const void *b)
{
	const struct cman_node *const *x = a, *const *y = b;
	int c = strcmp((*x)->scalar, (*y)->scalar);

	return c ? c : pos_cmp(*x, *y);
}

/* A duplicate key of a finished mapping: the earliest second occurrence. */
static int check_duplicates(struct loader *ld, const struct cman_node *map)
{
	const struct cman_node **sorted, *first = NULL, *second = NULL;
	size_t i, j;
	int rc = 0;

	if (map->n < 2)
		return 0;
	if (map->n <= 8) {
		for (j = 1; j < map->n && !second; j++)
			for (i = 0; i < j; i++)
				if (!strcmp(map->keys[i]->scalar, map->keys[j]->scalar)) {
					first = map->keys[i];
					second = map->keys[j];
					break;
				}
	} else {
		if (!(sorted = malloc(map->n * sizeof(*sorted))))
			return CMAN_ENOMEM;
		memcpy(sorted, map->keys, map->n * sizeof(*sorted));
		qsort(sorted, map->n, sizeof(*sorted), key_cmp);
		for (i = 0; i < map->n; i = j) {
			for (j = i + 1; j < map->n && !strcmp(sorted[i]->scalar, sorted[j]->scalar); j++)
				;
			if (j - i > 1 && (!second || pos_cmp(sorted[i + 1], second) < 0)) {
				first = sorted[i];
				second = sorted[i + 1];
			}
		}
		free(sorted);
	}
	if (second)
		rc = cman_node_error(second, ld->err,
				     "duplicate key '%s' (first at line %d, column %d), expected each key once",
				     second->scalar, first->line, first->col);
	return rc;
}

/* Hand a finished node to its parent (or make it the root); takes n. */
static int attach(struct loader *ld, struct cman_node *n)
{
	struct frame *f;
	int rc;

	if (!ld->depth) {
		ld->root = n;
		return 0;
	}
	f = &ld->stack[ld->depth - 1];
	if (f->n->type == CMAN_NODE_SEQ) {
		rc = node_append(f->n, NULL, n);
	} else if (!f->key) {
		if (n->type != CMAN_NODE_SCALAR) {
			rc = cman_node_error(n, ld->err, "a mapping key must be a scalar, got a %s",
					     n->type == CMAN_NODE_MAP ? "mapping" : "sequence");
			cman_node_free(n);
			return rc;
		}
		f->key = n;
		return 0;
	} else {
		rc = node_append(f->n, f->key, n);
		if (!rc)
			f->key = NULL;
	}
	if (rc)
		cman_node_free(n);
	return rc;
}

static int on_event(struct loader *ld, const yaml_event_t *ev, int *docs)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	const char *anchor = NULL;
	struct cman_node *n = NULL;
	struct frame *f;
	int rc;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return cman_error_at(ld->err, ld->file, line, col,
					     "a second YAML document, expected exactly one");
		return 0;
	case YAML_SCALAR_EVENT:
		if (++ld->nodes > MAX_NODES || ld->depth > MAX_DEPTH)
			return too_big(ld, line, col);
		n = scalar_new((const char *)ev->data.scalar.value, ev->data.scalar.length,
			       ld->file, line, col);
		if (!n)
			return CMAN_ENOMEM;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
			    ev->data.scalar.style != YAML_ANY_SCALAR_STYLE;
		n->null = !n->quoted && is_null_text(n->scalar);
		anchor = (const char *)ev->data.scalar.anchor;
		if (anchor && (rc = add_anchor(ld, anchor, n)) != 0) {
			cman_node_free(n);
			return rc;
		}
		return attach(ld, n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++ld->nodes > MAX_NODES || ld->depth > MAX_DEPTH)
			return too_big(ld, line, col);
		if (ld->depth == ld->stack_cap) {
			size_t cap = ld->stack_cap ? 2 * ld->stack_cap : 16;

			if (!(f = realloc(ld->stack, cap * sizeof(*f))))
				return CMAN_ENOMEM;
			ld->stack = f;
			ld->stack_cap = cap;
		}
		anchor = (const char *)(ev->type == YAML_SEQUENCE_START_EVENT
					? ev->data.sequence_start.anchor
					: ev->data.mapping_start.anchor);
		f = &ld->stack[ld->depth];
		memset(f, 0, sizeof(*f));
		f->n = node_new(ev->type == YAML_SEQUENCE_START_EVENT ? CMAN_NODE_SEQ : CMAN_NODE_MAP,
				ld->file, line, col);
		if (!f->n || (anchor && !(f->anchor = strdup(anchor)))) {
			cman_node_free(f->n);
			return CMAN_ENOMEM;
		}
		ld->depth++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		f = &ld->stack[--ld->depth];
		n = f->n;
		rc = n->type == CMAN_NODE_MAP ? check_duplicates(ld, n) : 0;
		if (!rc && f->anchor)
			rc = add_anchor(ld, f->anchor, n);
		cman_node_free(f->key);
		free(f->anchor);
		if (rc) {
			cman_node_free(n);
			return rc;
		}
		return attach(ld, n);
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		const struct anchor *a = NULL;

		for (size_t i = ld->n_anchors; i-- > 0;)
			if (!strcmp(ld->anchors[i].name, name)) {
				a = &ld->anchors[i];
				break;
			}
		/* an alias inside its own anchor's node would expand forever */
		for (size_t i = 0; !a && i < ld->depth; i++)
			if (ld->stack[i].anchor && !strcmp(ld->stack[i].anchor, name))
				return too_big(ld, ld->stack[i].n->line, ld->stack[i].n->col);
		if (!a)
			return cman_error_at(ld->err, ld->file, line, col,
					     "found undefined alias '%s', expected the name of an earlier anchor",
					     name);
		if (a->size > MAX_NODES - ld->nodes || ld->depth + (size_t)a->height > MAX_DEPTH + 1)
			return too_big(ld, line, col);
		ld->nodes += a->size;
		if (!(n = cman_node_copy(a->node)))
			return CMAN_ENOMEM;
		return attach(ld, n);
	}
	default:
		return 0;
	}
}

static int parser_error(const yaml_parser_t *p, const char *name,
			struct cman_error *err)
{
	const char *problem = p->problem ? p->problem : "YAML error";

	if (p->error == YAML_MEMORY_ERROR)
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", name);
	if (p->error == YAML_READER_ERROR)
		return cman_error_at(err, name, 0, 0, "%s at byte %zu, expected UTF-8 text",
				     problem, p->problem_offset);
	if (p->context &&
	    (p->context_mark.line != p->problem_mark.line ||
	     p->context_mark.column != p->problem_mark.column))
		return cman_error_at(err, name, (int)p->problem_mark.line + 1,
				     (int)p->problem_mark.column + 1,
				     "%s (%s at line %d, column %d)", problem,
				     p->context, (int)p->context_mark.line + 1,
				     (int)p->context_mark.column + 1);
	if (p->context)
		return cman_error_at(err, name, (int)p->problem_mark.line + 1,
				     (int)p->problem_mark.column + 1, "%s (%s)",
				     problem, p->context);
	return cman_error_at(err, name, (int)p->problem_mark.line + 1,
			     (int)p->problem_mark.column + 1, "%s", problem);
}

/*
 * Parse text as one YAML document.  No document at all gives an empty map,
 * or a null scalar when empty_is_null.
 */
static int load(const char *name, const char *text, size_t len,
		bool empty_is_null, struct cman_node **out,
		struct cman_error *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	bool have_parser = false, done = false;
	struct loader ld = { .err = err };
	int rc = 0, docs = 0;

	*out = NULL;
	if (!(ld.file = fname_new(name))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	have_parser = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&parser, name, err);
			goto out;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&ld, &ev, &docs);
		yaml_event_delete(&ev);
		if (rc) {
			if (rc == CMAN_ENOMEM)
				cman_error_set(err, rc, "%s: out of memory", name);
			goto out;
		}
	}
	if (!ld.root) {
		ld.root = empty_is_null ? scalar_new("", 0, ld.file, 1, 1)
					: node_new(CMAN_NODE_MAP, ld.file, 1, 1);
		if (!ld.root) {
			rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", name);
			goto out;
		}
		ld.root->null = empty_is_null;
	}
	*out = ld.root;
	ld.root = NULL;
out:
	while (ld.depth) {
		struct frame *f = &ld.stack[--ld.depth];

		cman_node_free(f->key);
		cman_node_free(f->n);
		free(f->anchor);
	}
	free(ld.stack);
	for (size_t i = 0; i < ld.n_anchors; i++)
		free(ld.anchors[i].name);
	free(ld.anchors);
	cman_node_free(ld.root);
	if (have_parser)
		yaml_parser_delete(&parser);
	fname_unref(ld.file);
	return rc;
}

int cman_yaml_load_string(const char *name, const char *text,
			  struct cman_node **out, struct cman_error *err)
{
	return load(name, text, strlen(text), false, out, err);
}

int cman_yaml_load_file(const char *path, struct cman_node **out,
			struct cman_error *err)
{
	FILE *f = NULL;
	char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, got;
	int rc = 0;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			if (!(nbuf = realloc(buf, cap))) {
				rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = nbuf;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: cannot read: %s", path,
				    strerror(errno));
		goto out;
	}
	buf[len] = '\0';
	rc = load(path, buf, len, false, out, err);
out:
	if (f)
		fclose(f);
	free(buf);
	return rc;
}

/* ---- --set ------------------------------------------------------------- */

int cman_node_set_path(struct cman_node *root, const char *assignment,
		       struct cman_error *err)
{
	const char *eq = strchr(assignment, '=');
	char *keypath = NULL, *name = NULL, *comp;
	struct cman_node *value = NULL, *cur, *child, *k = NULL;
	int rc = 0, idx;

	if (!eq || eq == assignment)
		return cman_error_set(err, CMAN_EINVAL,
				      "--set %s: expected KEY=VALUE", assignment);
	keypath = strndup(assignment, (size_t)(eq - assignment));
	if (!keypath || asprintf(&name, "--set %s", keypath) < 0) {
		name = NULL;
		rc = cman_error_set(err, CMAN_ENOMEM, "--set: out of memory");
		goto out;
	}
	if (keypath[0] == '.' || keypath[strlen(keypath) - 1] == '.' ||
	    strstr(keypath, "..")) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s: empty key in the path, expected KEY.KEY...=VALUE",
				    name);
		goto out;
	}
	if (!root || root->type != CMAN_NODE_MAP) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s: the document is not a mapping, expected one",
				    name);
		goto out;
	}
	if ((rc = load(name, eq + 1, strlen(eq + 1), true, &value, err)) != 0)
		goto out;
	strip_positions(value);

	/* components: KEY, then any number of [INDEX] (a list item) */
	cur = root;
	comp = keypath;
	for (;;) {
		char *br, *end = comp + strcspn(comp, ".");
		bool last = *end == '\0';
		size_t klen;

		br = memchr(comp, '[', (size_t)(end - comp));
		klen = br ? (size_t)(br - comp) : (size_t)(end - comp);
		if (klen == 0) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "%s: empty key in the path, expected KEY.KEY[INDEX]...=VALUE",
					    name);
			goto out;
		}
		/* the key: step into it (or set it when it ends the path) */
		{
			char save = comp[klen];

			comp[klen] = '\0';
			idx = cur->type == CMAN_NODE_MAP ? find_key(cur, comp) : -1;
			if (last && !br) {
				if (idx >= 0) {
					cman_node_free(cur->items[idx]);
					cur->items[idx] = value;
				} else {
					if (!(k = scalar_new(comp, klen, value->file, 0, 0)))
						goto nomem;
					if (node_append(cur, k, value) != 0)
						goto nomem;
					k = NULL;
				}
				value = NULL;
				break;
			}
			child = idx >= 0 ? cur->items[idx] : NULL;
			if (br) {
				/* an index follows: the key must hold a list */
				if (!child || child->type != CMAN_NODE_SEQ) {
					rc = cman_error_set(err, CMAN_EINVAL,
							    "%s: '%.*s' is %s, expected a list to index",
							    name, (int)(comp + klen - keypath), keypath,
							    !child ? "absent"
							    : child->type == CMAN_NODE_MAP ? "a mapping"
							    : "a scalar");
					comp[klen] = save;
					goto out;
				}
				cur = child;
			} else if (child && child->type == CMAN_NODE_MAP) {
				cur = child;
			} else if (child && !(child->type == CMAN_NODE_SCALAR && child->null)) {
				rc = cman_error_set(err, CMAN_EINVAL,
						    "%s: '%.*s' is a %s, expected a mapping to set a key in",
						    name, (int)(comp + klen - keypath), keypath,
						    child->type == CMAN_NODE_SEQ ? "sequence (index it as "
						    "KEY[N])" : "scalar");
				comp[klen] = save;
				goto out;
			} else {
				struct cman_node *m = node_new(CMAN_NODE_MAP, value->file, 0, 0);

				if (!m)
					goto nomem;
				if (child) {
					cman_node_free(child);
					cur->items[idx] = m;
				} else {
					if (!(k = scalar_new(comp, klen, value->file, 0, 0)) ||
					    node_append(cur, k, m) != 0) {
						cman_node_free(m);
						goto nomem;
					}
					k = NULL;
				}
				cur = m;
			}
			comp[klen] = save;
		}
		/* the indexes: [N][M]... */
		while (br && br < end) {
			char *close = memchr(br, ']', (size_t)(end - br)), *num_end;
			unsigned long long ix;

			errno = 0;
			ix = close && br[1] >= '0' && br[1] <= '9' ? strtoull(br + 1, &num_end, 10) : 0;
			if (!close || br[1] < '0' || br[1] > '9' || errno || num_end != close ||
			    (close + 1 < end && close[1] != '[')) {
				rc = cman_error_set(err, CMAN_EINVAL,
						    "%s: bad index in '%.*s', expected KEY[N] with N "
						    "a whole number", name, (int)(end - comp), comp);
				goto out;
			}
			if (cur->type != CMAN_NODE_SEQ || ix >= cur->n) {
				rc = cman_error_set(err, CMAN_EINVAL,
						    "%s: '%.*s' %s, expected an index from 0 to %zu",
						    name, (int)(close + 1 - keypath), keypath,
						    cur->type != CMAN_NODE_SEQ ? "indexes something that is not a list"
						    : "is past the end of the list",
						    cur->n ? cur->n - 1 : 0);
				if (cur->type == CMAN_NODE_SEQ && cur->n == 0)
					rc = cman_error_set(err, CMAN_EINVAL,
							    "%s: '%.*s': the list is empty, nothing to "
							    "index", name, (int)(close + 1 - keypath), keypath);
				goto out;
			}
			br = close + 1;
			if (br >= end && last) {
				cman_node_free(cur->items[ix]);
				cur->items[ix] = value;
				value = NULL;
				goto out;
			}
			child = cur->items[ix];
			if (br < end) {
				if (child->type != CMAN_NODE_SEQ) {
					rc = cman_error_set(err, CMAN_EINVAL,
							    "%s: '%.*s' is not a list, expected a list to index",
							    name, (int)(br - keypath), keypath);
					goto out;
				}
			} else if (child->type != CMAN_NODE_MAP) {
				if (!(child->type == CMAN_NODE_SCALAR && child->null)) {
					rc = cman_error_set(err, CMAN_EINVAL,
							    "%s: '%.*s' is a %s, expected a mapping to set a key in",
							    name, (int)(br - keypath), keypath,
							    child->type == CMAN_NODE_SEQ ? "list" : "scalar");
					goto out;
				}
				if (!(child = node_new(CMAN_NODE_MAP, value->file, 0, 0)))
					goto nomem;
				cman_node_free(cur->items[ix]);
				cur->items[ix] = child;
			}
			cur = child;
		}
		comp = end + 1;
	}
	goto out;
nomem:
	rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", name);
out:
	cman_node_free(k);
	cman_node_free(value);
	free(keypath);
	free(name);
	return rc;
}

/* ---- checks and typed reads ------------------------------------------- */

int cman_node_error(const struct cman_node *n, struct cman_error *err,
		    const char *fmt, ...)
{
	char body[CMAN_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (!n)
		return cman_error_set(err, CMAN_EINVAL, "%s", body);
	return cman_error_at(err, n->file, n->line, n->col, "%s", body);
}

int cman_node_check_keys(const struct cman_node *map, const char *path,
			 const char *const *allowed, struct cman_error *err)
{
	char list[CMAN_ERRMSG_MAX / 2];
	size_t i, j, used = 0;
	bool ok;
	int w;

	if (!map || map->type != CMAN_NODE_MAP)
		return cman_node_error(map, err, "%s must be a mapping",
				       path && *path ? path : "the document");
	for (i = 0; i < map->n; i++) {
		ok = false;
		for (j = 0; allowed[j]; j++)
			if (!strcmp(map->keys[i]->scalar, allowed[j]))
				ok = true;
		if (ok)
			continue;
		list[0] = '\0';
		for (j = 0; allowed[j]; j++) {
			w = snprintf(list + used, sizeof(list) - used, "%s%s",
				     j ? ", " : "", allowed[j]);
			if (w < 0 || (size_t)w >= sizeof(list) - used)
				break;
			used += (size_t)w;
		}
		if (path && *path)
			return cman_node_error(map->keys[i], err,
					       "unknown key '%s' in %s (expected one of: %s)",
					       map->keys[i]->scalar, path, list);
		return cman_node_error(map->keys[i], err,
				       "unknown key '%s' (expected one of: %s)",
				       map->keys[i]->scalar, list);
	}
	return 0;
}

static int type_error(const struct cman_node *n, const char *path,
		      const char *what, bool quoted_note, struct cman_error *err)
{
	if (!n)
		return cman_error_set(err, CMAN_EINVAL, "%s: expected %s, got nothing",
				      path, what);
	if (n->type != CMAN_NODE_SCALAR)
		return cman_node_error(n, err, "%s: expected %s, got a %s", path,
				       what, n->type == CMAN_NODE_MAP ? "mapping" : "sequence");
	if (!*n->scalar && !n->quoted)
		return cman_node_error(n, err, "%s: expected %s, got an empty value",
				       path, what);
	return cman_node_error(n, err, "%s: expected %s, got '%.200s'%s", path,
			       what, n->scalar,
			       quoted_note && n->quoted ? " (quoted, so a string)" : "");
}

static bool plain_scalar(const struct cman_node *n)
{
	return n && n->type == CMAN_NODE_SCALAR && !n->quoted && !n->null;
}

int cman_node_double(const struct cman_node *n, const char *path, double *out,
		     struct cman_error *err)
{
	const char *s, *p;
	char *end;
	double v;

	if (!plain_scalar(n))
		goto bad;
	s = n->scalar;
	p = (*s == '+' || *s == '-') ? s + 1 : s;
	if (!strcasecmp(p, "inf") || !strcasecmp(p, ".inf") ||
	    !strcasecmp(p, "infinity")) {
		*out = *s == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (!*p || strpbrk(p, "xXnNiI \t") || !(*p == '.' || (*p >= '0' && *p <= '9')))
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || (errno == ERANGE && isinf(v)) || isnan(v))
		goto bad;
	*out = v;
	return 0;
bad:
	return type_error(n, path, "a number", true, err);
}

int cman_node_int64(const struct cman_node *n, const char *path, int64_t *out,
		    struct cman_error *err)
{
	const char *s, *p;
	char *end;
	long long v;

	if (!plain_scalar(n))
		goto bad;
	s = n->scalar;
	p = (*s == '+' || *s == '-') ? s + 1 : s;
	if (!*p)
		goto bad;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end)
		goto bad;
	*out = v;
	return 0;
bad:
	return type_error(n, path, "an integer", true, err);
}

int cman_node_bool(const struct cman_node *n, const char *path, bool *out,
		   struct cman_error *err)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	if (!plain_scalar(n))
		goto bad;
	for (i = 0; i < 3; i++) {
		if (!strcasecmp(n->scalar, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(n->scalar, no[i])) {
			*out = false;
			return 0;
		}
	}
bad:
	return type_error(n, path, "true or false", true, err);
}

int cman_node_string(const struct cman_node *n, const char *path,
		     const char **out, struct cman_error *err)
{
	if (!n || n->type != CMAN_NODE_SCALAR || n->null || !*n->scalar)
		return type_error(n, path, "a non-empty string", false, err);
	*out = n->scalar;
	return 0;
}

int cman_node_time(const struct cman_node *n, const char *path, int64_t *out,
		   struct cman_error *err)
{
	if (!n || n->type != CMAN_NODE_SCALAR || n->null ||
	    cman_time_parse(n->scalar, out) != 0)
		return type_error(n, path,
				  "an ISO-8601 timestamp (2017-12-01T08:00:00Z) or integer epoch seconds,"
				  " from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z",
				  false, err);
	return 0;
}

const struct cman_node *cman_node_section(const struct cman_node *map,
					  const char *key)
{
	const struct cman_node *n = cman_node_get(map, key);

	if (n && n->type == CMAN_NODE_SCALAR && n->null)
		return NULL;
	return n;
}

void cman_key_path(char *buf, size_t n, const char *path, const char *key)
{
	if (path && *path)
		snprintf(buf, n, "%s.%s", path, key);
	else
		snprintf(buf, n, "%s", key);
}

int cman_node_opt_double(const struct cman_node *map, const char *path,
			 const char *key, double *out, double lo, bool lo_open,
			 double hi, const char *range, struct cman_error *err)
{
	const struct cman_node *n = cman_node_get(map, key);
	char kp[256];
	double v;
	int rc;

	if (!n)
		return 0;
	cman_key_path(kp, sizeof(kp), path, key);
	if ((rc = cman_node_double(n, kp, &v, err)) != 0)
		return rc;
	if (v < lo || (lo_open && v == lo) || v > hi)
		return cman_node_error(n, err, "%s: %s is out of range, expected %s",
				       kp, n->scalar, range);
	*out = v;
	return 0;
}

int cman_node_opt_int64(const struct cman_node *map, const char *path,
			const char *key, int64_t *out, int64_t lo,
			const char *range, struct cman_error *err)
{
	const struct cman_node *n = cman_node_get(map, key);
	char kp[256];
	int64_t v;
	int rc;

	if (!n)
		return 0;
	cman_key_path(kp, sizeof(kp), path, key);
	if ((rc = cman_node_int64(n, kp, &v, err)) != 0)
		return rc;
	if (v < lo)
		return cman_node_error(n, err, "%s: %s is out of range, expected %s",
				       kp, n->scalar, range);
	*out = v;
	return 0;
}

int cman_node_opt_bool(const struct cman_node *map, const char *path,
		       const char *key, bool *out, struct cman_error *err)
{
	const struct cman_node *n = cman_node_get(map, key);
	char kp[256];

	if (!n)
		return 0;
	cman_key_path(kp, sizeof(kp), path, key);
	return cman_node_bool(n, kp, out, err);
}

/* ---- writing a tree back as YAML ------------------------------------------ */

/* A plain scalar that reads back as itself in block context. */
static bool plain_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':')
		return false;
	/* an indicator first is fine only as a sign ("-5", "-x") */
	if (strchr("?:,[]{}#&*!|>'\"%@`", s[0]) || (s[0] == '-' && (!s[1] || s[1] == ' ')))
		return false;
	return strcspn(s, "\n\r\t") == n && !strstr(s, ": ") && !strstr(s, " #");
}

static void write_quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

static void write_scalar(FILE *fp, const struct cman_node *n)
{
	if (n->null)
		fputc('~', fp);
	else if (n->quoted || !plain_ok(n->scalar))
		write_quoted(fp, n->scalar);
	else
		fputs(n->scalar, fp);
}

/*
 * compact: a mapping or list inside a list starts on the "- " line
 * ("- a: 1" rather than "-" and "  a: 1" below it); skip_first: the first
 * line's indentation is already written (by that "- ").
 */
static void write_node(FILE *fp, const struct cman_node *n, int indent, bool compact,
		       bool skip_first)
{
	size_t i;

	for (i = 0; i < n->n; i++) {
		const struct cman_node *v = n->items[i];

		if (i || !skip_first)
			fprintf(fp, "%*s", indent, "");
		if (n->type == CMAN_NODE_MAP) {
			write_scalar(fp, n->keys[i]);
			fputc(':', fp);
		} else {
			fputc('-', fp);
		}
		if (v->type == CMAN_NODE_SCALAR) {
			fputc(' ', fp);
			write_scalar(fp, v);
			fputc('\n', fp);
		} else if (v->n == 0) {
			fputs(v->type == CMAN_NODE_MAP ? " {}\n" : " []\n", fp);
		} else if (compact && n->type == CMAN_NODE_SEQ) {
			fputc(' ', fp);
			write_node(fp, v, indent + 2, compact, true);
		} else {
			fputc('\n', fp);
			write_node(fp, v, indent + 2, compact, false);
		}
	}
}

static void write_yaml(FILE *fp, const struct cman_node *root, bool compact)
{
	if (root->type == CMAN_NODE_SCALAR) {
		write_scalar(fp, root);
		fputc('\n', fp);
	} else if (root->n == 0) {
		fputs(root->type == CMAN_NODE_MAP ? "{}\n" : "[]\n", fp);
	} else {
		write_node(fp, root, 0, compact, false);
	}
}

void cman_node_write_yaml(FILE *fp, const struct cman_node *root)
{
	write_yaml(fp, root, false);
}

void cman_node_write_yaml_compact(FILE *fp, const struct cman_node *root)
{
	write_yaml(fp, root, true);
}
