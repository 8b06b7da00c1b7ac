/*
 * config.h - YAML documents as a tree of nodes that remember where they
 * came from, and typed accessors whose errors name file:line:column and the
 * key path.  Used for scenario files and pool configurations.
 */
#ifndef CMAN_CONFIG_H
#define CMAN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cman/err.h"

enum cman_node_type {
	CMAN_NODE_SCALAR,
	CMAN_NODE_MAP,
	CMAN_NODE_SEQ,
};

/*
 * Nodes are made only by this module (loading, --set, copying): file names
 * are shared, reference-counted strings, so a node may be moved or freed
 * on its own.  Nodes made by cman_node_set_path() carry file "--set KEY"
 * and line = col = 0, so messages about them read "--set KEY: ...".
 */
struct cman_node {
	enum cman_node_type type;
	const char *file;          /* source name for messages; owned by the tree */
	int line, col;             /* 1-based position of the node; 0: none */
	char *scalar;              /* SCALAR: the text ("" for an empty value) */
	bool quoted;               /* SCALAR: written quoted (always a string) */
	bool null;                 /* SCALAR: ~, null or empty */
	size_t n;                  /* MAP: pairs; SEQ: items */
	struct cman_node **keys;   /* MAP: key scalars, in document order */
	struct cman_node **items;  /* MAP: values; SEQ: items */
};

/*
 * Parse a YAML file (one document; anchors and aliases are resolved by
 * copying).  Syntax errors come back as CMAN_EINVAL "FILE:LINE:COL: ...",
 * as do a second document, a duplicate key in a mapping (the message names
 * the second occurrence) and a non-scalar mapping key.  A file without any
 * document (empty, or only comments) gives an empty MAP node at 1:1.
 * Plain scalars ~, null, Null, NULL and the empty plain scalar are null;
 * quoted, literal and folded scalars set quoted.  An unreadable file is
 * CMAN_EIO.  Caller frees with cman_node_free().
 */
int cman_yaml_load_file(const char *path, struct cman_node **out,
			struct cman_error *err);

/* Same for text held in memory; name is used in messages. */
int cman_yaml_load_string(const char *name, const char *text,
			  struct cman_node **out, struct cman_error *err);

/* Free a node and everything under it (NULL is fine). */
void cman_node_free(struct cman_node *node);

/* Deep copy of a node (positions kept).  Caller frees; NULL on ENOMEM. */
struct cman_node *cman_node_copy(const struct cman_node *node);

/*
 * A new empty MAP or SEQ node, or a SCALAR holding text, at the position
 * (file, line, column) of at (at NULL: file "", no position).  Caller frees;
 * NULL on ENOMEM.
 */
struct cman_node *cman_node_new(enum cman_node_type type, const struct cman_node *at);
struct cman_node *cman_node_new_scalar(const char *text, const struct cman_node *at);

/*
 * Set key in a MAP node to value, taking ownership of value (also on
 * failure, when it is freed): an existing key's old value is freed and
 * replaced in place, else the pair is appended (its key at value's
 * position).  CMAN_EINVAL when map is not a map, CMAN_ENOMEM.
 */
int cman_node_map_set(struct cman_node *map, const char *key, struct cman_node *value);

/* Append value to a SEQ node, taking ownership (freed on failure). */
int cman_node_seq_append(struct cman_node *seq, struct cman_node *value);

/* Value of key in a MAP node (NULL when absent or node is not a map). */
struct cman_node *cman_node_get(const struct cman_node *map, const char *key);

/*
 * Apply a "--set a.b.c=VALUE" override: VALUE is parsed as YAML (so "0.8",
 * "[a, b]" and "{x: 1}" work; an empty VALUE is null; syntax errors read
 * "--set a.b.c:1:COL: ...") and replaces (freeing the old value) or adds the
 * node at the dotted path, creating maps on the way (a null on the way is
 * replaced by a map).  A key may be followed by indexes into lists:
 * "resource_groups[0].spot_fleet.SpotPrice" or "a[1][0]"; an index must
 * name an existing item (CMAN_EINVAL "... is past the end of the list,
 * expected an index from 0 to N" otherwise, or "... expected a list to
 * index" when the key does not hold a list).  A missing '=' or an empty path is CMAN_EINVAL
 * "--set ARG: expected KEY=VALUE"; an empty path component, a root that is
 * not a map, or a path through a scalar or sequence is CMAN_EINVAL naming
 * the override.
 */
int cman_node_set_path(struct cman_node *root, const char *assignment,
		       struct cman_error *err);

/*
 * Write a tree as block-style YAML that loads back to the same tree
 * (document order kept; null as ~; quoted scalars, and plain ones that
 * would not read back as plain, double-quoted).  Positions and comments
 * are not kept.  Errors show up as ferror(fp).
 */
void cman_node_write_yaml(FILE *fp, const struct cman_node *root);

/* The same with list items that are mappings or lists begun on the "- "
 * line ("- sfr:" then "    tag: x"), as people write YAML by hand. */
void cman_node_write_yaml_compact(FILE *fp, const struct cman_node *root);

/*
 * Fail with "FILE:LINE:COL: unknown key 'k' in <path> (expected one of:
 * a, b, c)" if map has a key not in the NULL-terminated allowed list, or
 * "... <path> must be a mapping" if it is not a map.
 */
int cman_node_check_keys(const struct cman_node *map, const char *path,
			 const char *const *allowed, struct cman_error *err);

/*
 * Typed reads.  path is the dotted key path used in messages.  They fail with
 * CMAN_EINVAL "FILE:LINE:COL: <path>: expected <what>, got '<text>'".
 * A quoted scalar is a string: double, int64 and bool reject it.
 * double: strtod syntax matching the whole text (no hex), or inf/.inf with
 * an optional sign (any case); NaN and overflow are rejected.
 * int64: optional sign and decimal digits only ("10.0" is rejected).
 * bool: true/false/yes/no/on/off in any case.
 * time: cman_time_parse of the text (quoted or not).
 */
int cman_node_double(const struct cman_node *n, const char *path, double *out,
		     struct cman_error *err);        /* also "inf", ".inf" */
int cman_node_int64(const struct cman_node *n, const char *path, int64_t *out,
		    struct cman_error *err);
int cman_node_bool(const struct cman_node *n, const char *path, bool *out,
		   struct cman_error *err);
int cman_node_string(const struct cman_node *n, const char *path,
		     const char **out, struct cman_error *err); /* non-empty scalar */
int cman_node_time(const struct cman_node *n, const char *path, int64_t *out,
		   struct cman_error *err);          /* via cman_time_parse */

/*
 * Error at a node's position (returns CMAN_EINVAL): "FILE:LINE:COL: msg",
 * or "FILE: msg" for a node without a position (made by --set).
 */
int cman_node_error(const struct cman_node *n, struct cman_error *err,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A mapping-valued key that is absent or written with an empty value
 * ("simulation:") counts as absent: NULL.  Otherwise the value node. */
const struct cman_node *cman_node_section(const struct cman_node *map,
					  const char *key);

/* "path.key" (or "key" when path is empty) into buf of n bytes. */
void cman_key_path(char *buf, size_t n, const char *path, const char *key);

/*
 * Optional keys of a mapping: when map has key, read it into *out (else
 * leave *out, the default, alone).  path is the map's key path for
 * messages ("simulation").  Numbers must lie in [lo, hi] (lo excluded when
 * lo_open); integers must be >= lo; range says what was expected
 * ("a number > 0").  Errors as the typed reads, or "FILE:LINE:COL:
 * <path>.<key>: V is out of range, expected <range>".
 */
int cman_node_opt_double(const struct cman_node *map, const char *path,
			 const char *key, double *out, double lo, bool lo_open,
			 double hi, const char *range, struct cman_error *err);
int cman_node_opt_int64(const struct cman_node *map, const char *path,
			const char *key, int64_t *out, int64_t lo,
			const char *range, struct cman_error *err);
int cman_node_opt_bool(const struct cman_node *map, const char *path,
		       const char *key, bool *out, struct cman_error *err);

#endif
