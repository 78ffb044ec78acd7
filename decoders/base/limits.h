/* limits.h - every cap krbflow applies to untrusted input, in one place.
 * Hitting a cap records an event (events.def); it never truncates silently. */
#ifndef KF_LIMITS_H
#define KF_LIMITS_H

/* clang-format off */
/* Capture reading */
#define KF_LIMIT_SNAPLEN            262144u   /* largest packet we look at */
#define KF_LIMIT_LINKTYPES          16u       /* distinct link types per capture (BPF programs) */
#define KF_LIMIT_ENCAP_DEPTH        4u        /* tunnels inside tunnels */
#define KF_LIMIT_VLAN_TAGS          4u        /* stacked 802.1Q/802.1ad tags */
#define KF_LIMIT_MPLS_LABELS        8u        /* MPLS label stack entries walked */
#define KF_LIMIT_UNDECODED_KINDS    8u        /* undecoded ethertypes/protocols named in a warning */
#define KF_LIMIT_IPV6_EXT_HDRS      8u        /* extension headers walked */
#define KF_LIMIT_PCAPNG_BLOCK       (KF_LIMIT_SNAPLEN + 4096u) /* a pcapng block read: the largest
					     * packet with its block header and options */
#define KF_LIMIT_PCAPNG_IFACES      256u      /* interface descriptions of one pcapng section */
#define KF_LIMIT_ZSTD_WINDOW_LOG    27        /* a zstd frame's window, 2^27 bytes: zstd(1)'s own
					     * default limit (--long=28 or more is refused) */

/* Several files in one analysis (--continuous, --merge) */
#define KF_LIMIT_CAPTURE_FILES      1024u     /* files of one analysis (a rotated capture's pieces) */
#define KF_LIMIT_MERGE_FILES        64u       /* files merged by time (a bit each in the copy table) */
#define KF_LIMIT_MERGE_RECENT       (1u << 18) /* packets remembered to recognise a copy seen at
					     * another point (more within the window: warning) */
#define KF_LIMIT_MERGE_MAP          (1ull << 28) /* packets whose file and file frame a merge can
					     * name (one byte each; later messages name none) */

/* IP fragment reassembly */
#define KF_LIMIT_FRAG_DATAGRAMS     1024u     /* datagrams being reassembled at once */
#define KF_LIMIT_FRAGS_PER_DGRAM    64u       /* fragments kept for one datagram */
#define KF_LIMIT_FRAG_BYTES_TOTAL   (16u << 20) /* bytes held by all pending datagrams */
#define KF_LIMIT_FRAG_TIMEOUT_US    (30ull * 1000000ull) /* capture time */
#define KF_LIMIT_FRAG_RECENT        32u       /* reassembled datagrams remembered, to know their
					       * fragments when they come again */
#define KF_LIMIT_FRAG_RECENT_PIECES 8u        /* fragments remembered of each */

/* TCP */
#define KF_LIMIT_FLOWS              65536u    /* tracked TCP/UDP flows of interest */
#define KF_LIMIT_TCP_STREAMS        262144u   /* TCP pairs remembered for tcp.stream numbers */
#define KF_LIMIT_FLOW_IDLE_US       (600ull * 1000000ull) /* evict after idle (capture time) */
#define KF_LIMIT_REASM_BYTES        (1u << 20) /* buffered bytes per direction */
#define KF_LIMIT_REASM_SEGMENTS     256u      /* out-of-order segments held per direction */
#define KF_LIMIT_REASM_TOTAL        (64u << 20) /* out-of-order bytes held by all flows */
#define KF_LIMIT_REASM_WINDOW       (1ull << 30) /* a segment further ahead is not buffered */

/* Kerberos */
#define KF_LIMIT_KRB_RECORD         (1u << 20) /* largest TCP record (big PACs fit) */
#define KF_LIMIT_DER_DEPTH          32u
#define KF_LIMIT_PRINC_COMPONENTS   8u
#define KF_LIMIT_NAME               256u      /* bytes of one printed principal/realm */
#define KF_LIMIT_ETEXT              256u
#define KF_LIMIT_ETYPES             16u
#define KF_LIMIT_PADATA             16u
#define KF_LIMIT_ADDL_TICKETS       4u
#define KF_LIMIT_ADDRESSES          8u
#define KF_LIMIT_ETYPE_INFO         8u

/* Decryption with keytabs (--keytab) */
#define KF_LIMIT_KEYTABS            16u       /* --keytab files */
#define KF_LIMIT_KEYTAB_KEYS        16384u    /* keys read from all keytabs */
#define KF_LIMIT_LEARNT_KEYS        (1u << 20) /* session keys and subkeys learnt in one capture */
#define KF_LIMIT_KEY_TRIES          64u       /* keys tried on one encrypted part */
#define KF_LIMIT_KEY_VIEW           8u        /* keytab kvno/etype pairs shown for one principal */
#define KF_LIMIT_CRED_TICKETS       4u        /* forwarded tickets described from one KRB-CRED */
#define KF_LIMIT_DECRYPT_FAILURES   200u      /* parts that could not be opened, listed per capture */

/* HTTP, tokens, DNS, TLS */
#define KF_LIMIT_HTTP_HEADER_BLOCK  (256u << 10) /* a request/response header block */
#define KF_LIMIT_HTTP_HEADERS       128u      /* header lines kept per message */
#define KF_LIMIT_HTTP_CHUNK_LINE    4096u     /* a chunk-size line with its extensions */
#define KF_LIMIT_HTTP_PIPELINE      32u       /* requests awaiting a response on one connection */
#define KF_LIMIT_HTTP_CHALLENGES    16u       /* schemes in WWW-Authenticate headers */
#define KF_LIMIT_HTTP_URI           512u      /* bytes of a URI kept (the rest is cut, marked) */
#define KF_LIMIT_HTTP_HOST          128u      /* bytes of a Host header kept, with its NUL */
#define KF_LIMIT_HTTP_METHOD        24u       /* bytes of a method kept, with its NUL */
#define KF_LIMIT_HTTP_SCHEME        24u       /* bytes of an authentication scheme kept, with its NUL */
#define KF_LIMIT_TOKEN              (192u << 10) /* a decoded Authorization token */
#define KF_LIMIT_SPNEGO_MECHS       16u
#define KF_LIMIT_NTLM_AV_PAIRS      32u
#define KF_LIMIT_DNS_ANSWERS        16u
#define KF_LIMIT_DNS_NAME           256u      /* a printed domain name */
#define KF_LIMIT_DNS_POINTERS       32u       /* compression pointers followed in one name */
#define KF_LIMIT_KPASSWD_RESULT_TEXT 256u     /* bytes of a kpasswd result string kept, with its NUL */
#define KF_LIMIT_DNS_TCP_BUFFER     (128u << 10) /* DNS over TCP: a message (at most 64 KiB) and the start of the next */
#define KF_LIMIT_SMB_PDU            (128u << 10) /* an SMB PDU read whole (NEGOTIATE, SESSION_SETUP,
					     * TREE_CONNECT, compounds); larger ones are skipped */
#define KF_LIMIT_SMB_CHAIN          16u       /* commands read from one AndX chain or SMB2 compound */
#define KF_LIMIT_SMB_PATH           256u      /* bytes of a printed share path, with its NUL */
#define KF_LIMIT_LDAP_MESSAGE      (256u << 10) /* an LDAP message read whole (a bind with a big
					     * Kerberos token fits); larger ones are skipped */
#define KF_LIMIT_LDAP_TEXT         256u      /* bytes of a bind DN, mechanism or diagnostic kept */
#define KF_LIMIT_LDAP_BIND_STEPS    64u       /* saslBindInProgress answers in a row on one connection
					     * (real binds take 2 or 3); past it the connection is not read */
#define KF_LIMIT_SESSION_FRAMES     1024u     /* frames listed for one SMB/LDAP/SQL session */
#define KF_LIMIT_TDS_PACKETS        1024u     /* packets of one TDS login message (a real one takes a few) */
#define KF_LIMIT_TDS_MESSAGE       (64u << 10) /* a TDS login message read whole (PRELOGIN, LOGIN7,
					       * SSPI, the login's answer) */
#define KF_LIMIT_TDS_TEXT          256u      /* bytes of an ERROR message, user or server name kept */
#define KF_LIMIT_DCERPC_PDU        (64u << 10) /* a DCE/RPC PDU read whole (binds; requests skipped) */
#define KF_LIMIT_DCERPC_FRAGMENTS   256u      /* continuation fragments of one bind-type PDU followed */
#define KF_LIMIT_PROBE_BYTES        16u       /* bytes looked at to recognise a protocol */
#define KF_LIMIT_PROBE_SEGMENTS     4u        /* payload segments of an unknown stream probed before giving up */

/* PAC (MS-PAC) */
#define KF_LIMIT_PAC_BUFFERS        32u       /* PAC_INFO_BUFFERs walked (more: the PAC is incomplete) */
#define KF_LIMIT_PAC_SIDS           32u       /* group, extra and resource-group SIDs kept */
#define KF_LIMIT_PAC_TRANSITED      8u        /* S4U2proxy transited services kept */
#define KF_LIMIT_SID_TEXT           80u       /* bytes of one printed SID ("S-1-5-21-...") */

/* Rules */
#define KF_LIMIT_FINDINGS_PER_RULE  200u      /* findings one rule may add to a capture */
#define KF_LIMIT_EVIDENCE_FRAMES    64u       /* frames a finding lists (its text counts them all) */
#define KF_LIMIT_SUBJECT_ITEMS      32u       /* strings each member of a finding's subject lists */
#define KF_LIMIT_RULE_GROUPS        256u      /* clients/hosts a rule tells apart in one capture
					     * (more than KF_LIMIT_FINDINGS_PER_RULE anyway) */
#define KF_LIMIT_RECOVERY_SCAN     4096u      /* messages of a client looked at for a recovery after
					     * one failure (past them the failure stands) */
#define KF_LIMIT_CNAME_HOPS         8u        /* CNAMEs followed from a Host name (cname-spn) */

/* Whole run */
#define KF_LIMIT_MESSAGES           250000u   /* authentication messages kept (~120 MiB at most) */
#define KF_LIMIT_TRANSPORT_EVENTS   20000u    /* unanswered requests / resets kept (more: transport-event-limit) */
#define KF_LIMIT_PENDING_REQUESTS   65536u    /* UDP requests awaiting a reply */
#define KF_LIMIT_KRB_PENDING        16u       /* requests awaiting a reply on one KDC flow
					     * (more: the oldest is no longer matched) */

/* Command line: batch audits, expected-findings files */
#define KF_LIMIT_AUDIT_FILES        1000000u  /* captures one audit lists (more: split it, --shard) */
#define KF_LIMIT_EXPECT_LINE        (64u << 10) /* a line of an --expect file (far above
					     * KF_LIMIT_EVIDENCE_FRAMES frames of 20 digits) */

/* clang-format on */

#endif
