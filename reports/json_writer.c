/* json_writer.c - JSON values as trees in a bump arena, written in jansson's
 * layout (RFC 8259 text; jansson's JSON_SORT_KEYS | JSON_ENSURE_ASCII with
 * JSON_INDENT(2) or JSON_COMPACT).  Our own writer rather than jansson's:
 * with jansson the report took most of the run time on a large capture, in
 * hash tables, per-string checks, one callback per token and a heap sort per
 * object.  tests/unit/check_report_json.c reads the output back with jansson
 * and checks that jansson writes the same bytes. */
#include "json_writer.h"

#include <errno.h>
#include <string.h>

#include "base/arena.h"

enum value_type { V_NULL, V_TRUE, V_FALSE, V_INT, V_STR, V_OBJECT, V_ARRAY };

struct kf_json_value {
	enum value_type type;
	struct kf_json_value *next; /* the next member or element of its container */
	const char *key;            /* as an object member */
	union {
		int64_t i;
		struct {
			const char *p;
			size_t n;
		} s;
		struct {
			struct kf_json_value *head, *tail;
			size_t n;
		} c;
	} u;
};

/* ---- the arena the trees live in -------------------------------------------
 * Building is a pointer bump; dropping an element's tree is one reset. */

#define BLOCK_SIZE 65536

struct kf_json_block {
	struct kf_json_block *next;
	size_t used, cap;
	max_align_t data[];
};

static void *arena_alloc(struct kf_json_writer *w, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	struct kf_json_block *b = w->arena;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
		struct kf_json_block *nb = kf_malloc(sizeof(*nb) + cap);
		if (!nb) {
			w->oom = true;
			return NULL;
		}
		nb->used = 0;
		nb->cap = cap;
		nb->next = b;
		w->arena = b = nb;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

/* Drop every tree built since the last reset; keep one block for the next. */
static void arena_reset(struct kf_json_writer *w)
{
	while (w->arena && w->arena->next) {
		struct kf_json_block *n = w->arena->next;
		kf_free(w->arena);
		w->arena = n;
	}
	if (w->arena)
		w->arena->used = 0;
}

/* ---- values ----------------------------------------------------------------- */

static struct kf_json_value *value_new(struct kf_json_writer *w, enum value_type t)
{
	struct kf_json_value *v = arena_alloc(w, sizeof(*v));
	if (!v)
		return NULL;
	memset(v, 0, sizeof *v);
	v->type = t;
	return v;
}

struct kf_json_value *kf_json_object(struct kf_json_writer *w) { return value_new(w, V_OBJECT); }
struct kf_json_value *kf_json_array(struct kf_json_writer *w) { return value_new(w, V_ARRAY); }
struct kf_json_value *kf_json_null(struct kf_json_writer *w) { return value_new(w, V_NULL); }
struct kf_json_value *kf_json_bool(struct kf_json_writer *w, bool b)
{
	return value_new(w, b ? V_TRUE : V_FALSE);
}

struct kf_json_value *kf_json_int(struct kf_json_writer *w, int64_t i)
{
	struct kf_json_value *v = value_new(w, V_INT);
	if (v)
		v->u.i = i;
	return v;
}

struct kf_json_value *kf_json_str_space(struct kf_json_writer *w, size_t n, char **p)
{
	struct kf_json_value *v = value_new(w, V_STR);
	char *s = v ? arena_alloc(w, n + 1) : NULL;
	if (!s)
		return NULL;
	s[n] = 0;
	v->u.s.p = s;
	v->u.s.n = n;
	*p = s;
	return v;
}

struct kf_json_value *kf_json_str(struct kf_json_writer *w, const char *s)
{
	if (!s) {
		w->oom = true;
		return NULL;
	}
	size_t n = strlen(s);
	char *p;
	struct kf_json_value *v = kf_json_str_space(w, n, &p);
	if (v)
		memcpy(p, s, n);
	return v;
}

static void append(struct kf_json_value *c, struct kf_json_value *v)
{
	if (c->u.c.tail)
		c->u.c.tail->next = v;
	else
		c->u.c.head = v;
	c->u.c.tail = v;
	c->u.c.n++;
}

void kf_json_set(struct kf_json_writer *w, struct kf_json_value *o, const char *key, struct kf_json_value *v)
{
	if (!o || !v) {
		w->oom = true;
		return;
	}
	v->key = key;
	append(o, v);
}

void kf_json_push(struct kf_json_writer *w, struct kf_json_value *a, struct kf_json_value *v)
{
	if (!a || !v) {
		w->oom = true;
		return;
	}
	append(a, v);
}

/* ---- output buffering ---------------------------------------------------------- */

static void flush_out(struct kf_json_writer *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
		w->failed = true;
	w->len = 0;
}

static void put_slow(struct kf_json_writer *w, const char *p, size_t n)
{
	flush_out(w);
	if (n > sizeof w->buf) {
		if (fwrite(p, 1, n, w->out) != n)
			w->failed = true;
		return;
	}
	memcpy(w->buf, p, n);
	w->len = n;
}

static inline void put(struct kf_json_writer *w, const char *p, size_t n)
{
	if (w->len + n > sizeof w->buf) {
		put_slow(w, p, n);
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void put_c(struct kf_json_writer *w, char c)
{
	if (w->len == sizeof w->buf)
		flush_out(w);
	w->buf[w->len++] = c;
}

/* A line break and the indentation of depth (nothing when compact). */
static void newline(struct kf_json_writer *w, unsigned depth)
{
	static const char brk[] = "\n                                ";
	if (w->compact)
		return;
	unsigned n = 1 + 2 * depth;
	if (n <= sizeof brk - 1) {
		put(w, brk, n);
		return;
	}
	put(w, brk, sizeof brk - 1);
	for (n -= sizeof brk - 1; n; n--)
		put_c(w, ' ');
}

/* ---- strings and numbers ------------------------------------------------------- */

/* The next UTF-8 code point of s (the decoders made strings valid UTF-8);
 * -1 on a malformed sequence. */
static long utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	unsigned c = s[0];
	size_t k = c < 0x80             ? 1
		   : (c & 0xe0) == 0xc0 ? 2
		   : (c & 0xf0) == 0xe0 ? 3
		   : (c & 0xf8) == 0xf0 ? 4
					: 0;
	if (!k || k > n)
		return -1;
	long cp = k == 1 ? (long)c : (long)(c & (0x7f >> k));
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*len = k;
	return cp;
}

/* Bytes a string cannot carry as they are: control characters, '"', '\\'
 * and, under JSON_ENSURE_ASCII, every byte of a non-ASCII character. */
#define ESCAPE_16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const bool escaped[256] = {
	ESCAPE_16, ESCAPE_16, ['"'] = 1, ['\\'] = 1, [0x80] = ESCAPE_16, ESCAPE_16,
	ESCAPE_16, ESCAPE_16, ESCAPE_16, ESCAPE_16,  ESCAPE_16,          ESCAPE_16,
};

/* Whether none of the eight bytes at p needs an escape (SWAR: a byte below
 * 0x20, equal to '"' or '\\', or with its top bit set). */
static inline bool word_clean(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t x, q, b;
	memcpy(&x, p, 8);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	uint64_t hit = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x;
	return !(hit & highs);
}

static void put_string(struct kf_json_writer *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	put_c(w, '"');
	size_t run = 0; /* bytes that need no escape, not yet written */
	for (size_t i = 0; i < n;) {
		if (n - i >= 8 && word_clean(s + i)) { /* eight plain bytes at a time */
			i += 8;
			run += 8;
			continue;
		}
		unsigned char c = s[i];
		if (!escaped[c]) {
			i++;
			run++;
			continue;
		}
		put(w, str + i - run, run);
		run = 0;
		size_t k = 1;
		long cp = c < 0x80 ? (long)c : utf8_next(s + i, n - i, &k);
		char seq[24];
		const char *esc = seq;
		size_t elen = 2;
		switch (cp) {
		case '\\': esc = "\\\\"; break;
		case '"': esc = "\\\""; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (cp < 0) {
				w->failed = true;
				return;
			}
			if (cp < 0x10000) {
				snprintf(seq, sizeof seq, "\\u%04X", (unsigned)cp);
				elen = 6;
			} else { /* a UTF-16 surrogate pair */
				cp -= 0x10000;
				snprintf(seq, sizeof seq, "\\u%04X\\u%04X", (unsigned)(0xd800 | (cp >> 10)),
					 (unsigned)(0xdc00 | (cp & 0x3ff)));
				elen = 12;
			}
		}
		put(w, esc, elen);
		i += k;
	}
	put(w, str + n - run, run);
	put_c(w, '"');
}

/* Decimal digits of v, as "%lld" would write them. */
static void put_int(struct kf_json_writer *w, int64_t v)
{
	char b[24], *p = b + sizeof b;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	put(w, p, (size_t)(b + sizeof b - p));
}

/* ---- objects and arrays -------------------------------------------------------- */

static void put_value(struct kf_json_writer *w, const struct kf_json_value *v, unsigned depth);

static void put_object(struct kf_json_writer *w, const struct kf_json_value *o, unsigned depth)
{
	size_t n = o->u.c.n;
	if (!n) {
		put(w, "{}", 2);
		return;
	}
	const struct kf_json_value *small[32], **m = n <= 32 ? small : kf_malloc(n * sizeof(*m));
	if (!m) {
		w->oom = true;
		w->failed = true;
		return;
	}
	size_t k = 0;
	for (const struct kf_json_value *x = o->u.c.head; x && k < n; x = x->next) {
		size_t j = k++;
		for (; j > 0 && strcmp(m[j - 1]->key, x->key) > 0; j--) /* insertion sort: few keys */
			m[j] = m[j - 1];
		m[j] = x;
	}
	put_c(w, '{');
	for (size_t i = 0; i < k; i++) {
		newline(w, depth + 1);
		put_c(w, '"'); /* keys are literals: nothing to escape */
		put(w, m[i]->key, strlen(m[i]->key));
		put(w, w->compact ? "\":" : "\": ", w->compact ? 2 : 3);
		put_value(w, m[i], depth + 1);
		if (i + 1 < k)
			put_c(w, ',');
	}
	newline(w, depth);
	put_c(w, '}');
	if (m != small)
		kf_free(m);
}

static void put_value(struct kf_json_writer *w, const struct kf_json_value *v, unsigned depth)
{
	switch (v->type) {
	case V_OBJECT: put_object(w, v, depth); break;
	case V_ARRAY:
		put_c(w, '[');
		for (const struct kf_json_value *x = v->u.c.head; x; x = x->next) {
			newline(w, depth + 1);
			put_value(w, x, depth + 1);
			if (x->next)
				put_c(w, ',');
		}
		if (v->u.c.n)
			newline(w, depth);
		put_c(w, ']');
		break;
	case V_STR: put_string(w, v->u.s.p, v->u.s.n); break;
	case V_INT: put_int(w, v->u.i); break;
	case V_TRUE: put(w, "true", 4); break;
	case V_FALSE: put(w, "false", 5); break;
	case V_NULL: put(w, "null", 4); break;
	}
}

/* ---- the document ---------------------------------------------------------------
 * Members at depth 1, elements of an array member at depth 2.  A failure
 * stops the document where it happened: the member or element that failed
 * is cut, later ones are left out, the brackets still close. */

/* Write v at depth, unless memory ran out building it; drop the trees. */
static void put_dropping(struct kf_json_writer *w, const struct kf_json_value *v, unsigned depth)
{
	if (v && !w->oom)
		put_value(w, v, depth);
	else
		w->failed = true;
	arena_reset(w);
}

void kf_json_open(struct kf_json_writer *w, FILE *out, bool compact)
{
	w->out = out;
	w->compact = compact;
	w->oom = w->failed = w->in_array = false;
	w->members = w->elements = 0;
	w->arena = NULL;
	w->len = 0;
	put_c(w, '{');
}

bool kf_json_failed(const struct kf_json_writer *w) { return w->failed; }

/* ,"key": (indented: a newline and two spaces before, a space after) */
static void put_key(struct kf_json_writer *w, const char *key)
{
	if (w->members++)
		put_c(w, ',');
	newline(w, 1);
	put_c(w, '"');
	put(w, key, strlen(key));
	put(w, w->compact ? "\":" : "\": ", w->compact ? 2 : 3);
}

void kf_json_member(struct kf_json_writer *w, const char *key, struct kf_json_value *v)
{
	if (w->failed) {
		arena_reset(w);
		return;
	}
	put_key(w, key);
	put_dropping(w, v, 1);
}

void kf_json_array_open(struct kf_json_writer *w, const char *key)
{
	if (w->failed)
		return;
	put_key(w, key);
	put_c(w, '[');
	w->in_array = true;
	w->elements = 0;
}

void kf_json_element(struct kf_json_writer *w, struct kf_json_value *v)
{
	if (!w->in_array || w->failed) {
		arena_reset(w);
		return;
	}
	if (w->elements++)
		put_c(w, ',');
	newline(w, 2);
	put_dropping(w, v, 2);
}

void kf_json_array_close(struct kf_json_writer *w)
{
	if (!w->in_array)
		return;
	if (w->elements)
		newline(w, 1);
	put_c(w, ']');
	w->in_array = false;
}

int kf_json_close(struct kf_json_writer *w)
{
	newline(w, 0);
	put_c(w, '}');
	put_c(w, '\n');
	flush_out(w);
	arena_reset(w);
	kf_free(w->arena);
	w->arena = NULL;
	if (!w->failed)
		return 0;
	if (w->oom)
		errno = ENOMEM; /* for the caller's message; a failed write leaves fwrite's errno */
	return -1;
}
