/* json_writer.h - a JSON document written byte for byte as jansson writes it
 * (JSON_SORT_KEYS | JSON_ENSURE_ASCII, with JSON_INDENT(2) or JSON_COMPACT)
 * at a fraction of jansson's cost.
 *
 * The document is one object whose members are written in the order given
 * (a contract's order, not sorted).  Each member's value, or each element of
 * an array member, is built as a small tree of values in the writer's bump
 * arena, written into the writer's buffer with the keys of every object
 * sorted, and dropped: memory stays that of one element however long the
 * document.  Every bit of state is in struct kf_json_writer, so writers are
 * independent of one another.
 *
 * Failures are sticky.  A constructor that cannot allocate returns NULL and
 * marks the writer; kf_json_set and kf_json_push take such a NULL (and mark
 * the writer too, so a NULL from elsewhere is never silently dropped).  Once
 * the writer is marked, members and elements are no longer written and
 * kf_json_close returns -1. */
#ifndef KF_JSON_WRITER_H
#define KF_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct kf_json_value;
struct kf_json_block;

/* Visible so that a writer can live on the stack; callers SHALL NOT access
 * its fields. */
struct kf_json_writer {
	FILE *out;
	bool compact;
	bool oom;                    /* an allocation failed */
	bool failed;                 /* oom, a failed write or a string that is not UTF-8 */
	bool in_array;               /* an array member is open (kf_json_array_open) */
	size_t members, elements;    /* written so far: of the document, of the open array */
	struct kf_json_block *arena; /* the values not yet written */
	size_t len;                  /* bytes in buf */
	char buf[32768];
};

/* Start a document on out: indented (two spaces a level) or compact (one
 * line, for JSON Lines). */
void kf_json_open(struct kf_json_writer *w, FILE *out, bool compact);
/* End it (with a newline), flush and release the arena.  0, or -1 when
 * anything failed; errno is ENOMEM when memory ran out, else what fwrite left. */
int kf_json_close(struct kf_json_writer *w);
/* Whether the writer is marked failed (the rest would not be written). */
bool kf_json_failed(const struct kf_json_writer *w);

/* One member of the document: v is written and dropped with every value
 * built since the last write. */
void kf_json_member(struct kf_json_writer *w, const char *key, struct kf_json_value *v);
/* An array member written element by element: the same bytes as writing
 * the whole array as one member. */
void kf_json_array_open(struct kf_json_writer *w, const char *key);
void kf_json_element(struct kf_json_writer *w, struct kf_json_value *v);
void kf_json_array_close(struct kf_json_writer *w);

/* Values, in w's arena until the next member or element is written. */
struct kf_json_value *kf_json_object(struct kf_json_writer *w);
struct kf_json_value *kf_json_array(struct kf_json_writer *w);
struct kf_json_value *kf_json_null(struct kf_json_writer *w);
struct kf_json_value *kf_json_bool(struct kf_json_writer *w, bool b);
struct kf_json_value *kf_json_int(struct kf_json_writer *w, int64_t i);
/* A copy of the UTF-8 string s (often a stack buffer); a NULL s is a
 * failure, as it is for jansson. */
struct kf_json_value *kf_json_str(struct kf_json_writer *w, const char *s);
/* A string of n bytes that the caller writes at *p before the value is. */
struct kf_json_value *kf_json_str_space(struct kf_json_writer *w, size_t n, char **p);

/* Add member key (a string that outlives the write and needs no escape:
 * a literal) to object o; add element v to array a.  Order of kf_json_set
 * calls does not matter: keys are written sorted. */
void kf_json_set(struct kf_json_writer *w, struct kf_json_value *o, const char *key, struct kf_json_value *v);
void kf_json_push(struct kf_json_writer *w, struct kf_json_value *a, struct kf_json_value *v);

#endif
