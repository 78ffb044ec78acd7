/* krb5_decrypt.h - opening the encrypted parts of Kerberos messages with
 * keys from keytabs, and with the session keys those parts reveal
 * (RFC 4120 §5.3-§5.8 key usages, RFC 3961 crypto via libkrb5, RFC 4121
 * §4.1.1 GSS checksum, MS-PAC via pac.h).
 *
 * A keyring holds long-term keys read from keytabs and the keys learnt on
 * the way: the session key of every ticket that was opened or delivered by
 * an opened reply, authenticator and AP-REP subkeys, the keys of forwarded
 * tickets inside a KRB-CRED.  Callers refer to keys by id (1-based); key
 * bytes never leave this module, and nothing here prints them.  Freeing the
 * keyring wipes them.
 *
 * kf_krb5_open() takes one whole message (as kf_krb5_decode() does) and
 * fills a struct kf_plain with what its encrypted parts say.  Messages must
 * be opened in capture order: a TGS-REP needs the keys its request revealed
 * (kf_plain.reply_keys), a ticket's authenticator the session key an earlier
 * reply delivered.  Like every decoder, nothing it reads is trusted: a part
 * that decrypts but does not decode is KF_OPEN_UNDECODABLE, never a crash.
 */
#ifndef KF_KRB5_DECRYPT_H
#define KF_KRB5_DECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"
#include "pac.h"

struct kf_keyring;

enum kf_open_status {
	KF_OPEN_NONE = 0,    /* not attempted (the part is absent) */
	KF_OPEN_OK,          /* decrypted and decoded */
	KF_OPEN_NO_KEY,      /* no key of that principal/etype (or no session key known) */
	KF_OPEN_WRONG_KEY,   /* keys of that principal and etype exist, all failed the integrity check */
	KF_OPEN_UNDECODABLE, /* decrypted, but the plaintext is not what it should be */
};

/* Where a key came from. */
enum kf_key_origin {
	KF_KEY_KEYTAB = 1,    /* a long-term key read from a keytab */
	KF_KEY_TICKET,        /* the session key inside a ticket we opened */
	KF_KEY_KDC_REP,       /* the session key of a ticket, from an AS-/TGS-REP's enc-part */
	KF_KEY_SUBKEY,        /* an authenticator's subkey */
	KF_KEY_AP_REP_SUBKEY, /* an AP-REP's subkey */
	KF_KEY_CRED,          /* a forwarded ticket's session key, from a KRB-CRED */
};

/* A key as reports name it: never its bytes. */
struct kf_key_info {
	enum kf_key_origin origin;
	char principal[KF_LIMIT_NAME]; /* keytab keys: "HTTP/web.lab.test@LAB.TEST" */
	char keytab[KF_LIMIT_NAME];    /* keytab keys: the file it came from */
	uint32_t kvno;                 /* keytab keys */
	int32_t etype;
	uint64_t frame; /* learnt keys: the frame whose message revealed it */
};

struct kf_keyring *kf_keyring_new(void);
void kf_keyring_free(struct kf_keyring *kr);
/* Add every key of a keytab (a path; "FILE:"/"WRFILE:" prefixes accepted).
 * Returns the number of keys added, or -1 with the reason in err (file
 * missing, not a keytab, more than KF_LIMIT_KEYTAB_KEYS keys in all). */
long kf_keyring_add_keytab(struct kf_keyring *kr, const char *path, char *err, size_t errlen);
size_t kf_keyring_keytab_keys(const struct kf_keyring *kr);
/* The keytabs added, in order: file name and keys read from it. */
unsigned kf_keyring_keytab_count(const struct kf_keyring *kr);
const char *kf_keyring_keytab(const struct kf_keyring *kr, unsigned i, uint32_t *keys);
bool kf_keyring_key_info(const struct kf_keyring *kr, uint32_t id, struct kf_key_info *out);
/* Keytab keys of a principal (case-insensitive "name@REALM"): their kvnos
 * and etypes, for diagnoses ("the keytab has kvno 1 only"). */
struct kf_keytab_view {
	uint8_t n;
	uint32_t kvno[KF_LIMIT_KEY_VIEW];
	int32_t etype[KF_LIMIT_KEY_VIEW];
};
void kf_keyring_principal_keys(const struct kf_keyring *kr, const char *principal,
			       struct kf_keytab_view *out);

/* A ticket's EncTicketPart (RFC 4120 §5.3). */
struct kf_plain_ticket {
	enum kf_open_status status;
	char server[KF_LIMIT_NAME]; /* "sname@realm" from the clear part, the key's principal */
	int32_t etype;              /* of the ticket's enc-part */
	uint32_t kvno;              /* 0 = absent */
	uint32_t key_id;            /* the key that opened it; 0 = none */
	bool other_principal;       /* opened only with another principal's key (duplicate SPN?) */
	uint8_t n_tried;            /* keys tried */
	uint32_t flags;             /* TicketFlags, wire bit order like kdc_options */
	char cname[KF_LIMIT_NAME], crealm[KF_LIMIT_NAME];
	int64_t authtime, starttime, endtime, renew_till; /* starttime/renew_till 0 = absent */
	char transited[KF_LIMIT_NAME];                    /* transited realms as encoded (empty: none) */
	int32_t session_etype;
	uint32_t session_key_id; /* set when the session key is known, even if the ticket was not opened */
	uint64_t hash;           /* identifies the ticket (its ciphertext) */
	bool has_pac;
	struct kf_pac pac;
};

/* A KRB-CRED's EncKrbCredPart (RFC 4120 §5.8): the forwarded tickets. */
struct kf_plain_cred_info {
	char sname[KF_LIMIT_NAME], srealm[KF_LIMIT_NAME];
	char pname[KF_LIMIT_NAME], prealm[KF_LIMIT_NAME];
	bool has_flags;
	uint32_t flags;
	int64_t endtime; /* 0 = absent */
	int32_t key_etype;
};

struct kf_plain_cred {
	enum kf_open_status status;
	int32_t etype; /* of its enc-part; 0 = sent unencrypted */
	uint32_t key_id;
	uint8_t n_tickets; /* tickets it carries (as counted in the clear) */
	uint8_t n_info;
	struct kf_plain_cred_info info[KF_LIMIT_CRED_TICKETS];
};

/* TicketFlags bits, counted from the most significant like kdc_options. */
#define KF_TKT_FLAG(bit) (0x80000000u >> (bit))
enum { KF_TKT_FORWARDABLE = 1, KF_TKT_FORWARDED = 2, KF_TKT_OK_AS_DELEGATE = 13 };

/* GSS checksum flags (RFC 4121 §4.1.1.1, RFC 2744 §5.19, RFC 4757; MIT
 * gssapi.h for deleg-policy, which MIT clients set with "delegate only to
 * ok-as-delegate services") */
enum {
	KF_GSS_DELEG = 1,
	KF_GSS_MUTUAL = 2,
	KF_GSS_REPLAY = 4,
	KF_GSS_SEQUENCE = 8,
	KF_GSS_CONF = 16,
	KF_GSS_INTEG = 32,
	KF_GSS_ANON = 64,
	KF_GSS_PROT_READY = 128,
	KF_GSS_TRANS = 256,
	KF_GSS_DCE_STYLE = 0x1000,
	KF_GSS_IDENTIFY = 0x2000,
	KF_GSS_EXTENDED_ERROR = 0x4000,
	KF_GSS_DELEG_POLICY = 0x8000,
};

/* An authenticator (RFC 4120 §5.5.1): AP-REQ's, or the TGS-REQ's. */
struct kf_plain_auth {
	enum kf_open_status status;
	uint32_t key_id;
	char cname[KF_LIMIT_NAME], crealm[KF_LIMIT_NAME];
	int64_t ctime;
	int32_t cusec;
	bool has_subkey;
	int32_t subkey_etype;
	uint32_t subkey_id;
	bool has_seq;
	uint32_t seq;
	bool has_cksum;
	int32_t cksum_type;
	bool gss;           /* the checksum is GSS's 0x8003 */
	uint32_t gss_flags; /* KF_GSS_* */
	bool has_deleg;     /* a KRB-CRED rides in the checksum */
	struct kf_plain_cred cred;
};

/* A KDC reply's EncKDCRepPart (RFC 4120 §5.4.2). */
struct kf_plain_rep {
	enum kf_open_status status;
	uint32_t key_id;
	uint32_t flags;
	char sname[KF_LIMIT_NAME], srealm[KF_LIMIT_NAME];
	int64_t authtime, starttime, endtime, renew_till, key_expiration;
	uint32_t nonce;
	int32_t session_etype;
};

/* An AP-REP's EncAPRepPart (RFC 4120 §5.5.2). */
struct kf_plain_ap_rep {
	enum kf_open_status status;
	uint32_t key_id;
	int64_t ctime;
	int32_t cusec;
	bool has_subkey;
	int32_t subkey_etype;
	bool has_seq;
	uint32_t seq;
};

struct kf_plain {
	struct kf_plain_ticket ticket; /* AP-REQ's, PA-TGS-REQ's, or the one a reply issues */
	struct kf_plain_auth auth;     /* AP-REQ, TGS-REQ */
	struct kf_plain_rep rep;       /* AS-REP, TGS-REP */
	struct kf_plain_ap_rep ap_rep; /* AP-REP */
	uint8_t n_addl;                /* TGS-REQ additional tickets (S4U2Proxy evidence) */
	struct kf_plain_ticket addl[KF_LIMIT_ADDL_TICKETS];
	uint32_t reply_keys[2]; /* keys the reply to this request is under (0 = none) */
	bool fast;              /* a TGS/AS exchange armoured with FAST (RFC 6113) */
};

/* Open what keys allow of one Kerberos message of the given type (enum
 * kf_krb_type).  req_keys: for a reply, the reply_keys of its request
 * (NULL/0 when unknown).  frame: where the message is, for learnt keys.
 * Returns false when nothing in it is encrypted or the message does not
 * decode; out is zeroed first. */
bool kf_krb5_open(struct kf_keyring *kr, struct kf_span msg, int type, const uint32_t req_keys[2],
		  uint64_t frame, struct kf_plain *out, struct kf_events *ev);

/* Names for reports. */
const char *kf_open_status_name(enum kf_open_status s); /* "decrypted", "no-key", ... */
const char *kf_key_origin_name(enum kf_key_origin o);   /* "keytab", "ticket", ... */
const char *kf_krb5_ticket_flag_name(unsigned bit);     /* bit 1 = "forwardable" */

/* Whether a keytab file can be read by users other than its owner (a
 * secret that should be mode 0600).  False when it cannot be checked. */
bool kf_keytab_others_can_read(const char *path);

#endif
