/* fuzz_smb.c - the SMB decoder (decoders/smb.c): kf_smb_decode on one PDU
 * (its NetBIOS session header already stripped, as the carrier hands it
 * over) and kf_smb_peek on its first 64 bytes and on all of it.  Beyond "no
 * crash": every span lies inside the input (a named pipe's data too), the
 * chain within KF_LIMIT_SMB_CHAIN, a cut chain is said, decoding is a pure
 * function of the bytes (the same with and without an event sink), peek
 * agrees with the decoded first header (its message and tree ids too), and
 * the names are NULL or NUL-terminated.  The SMB carrier's named pipes are
 * reached by fuzz_flow (a seed on 445 opens lsarpc and binds on it). */
#include "fuzz.h"

#include "smb.h"

static void check_name(const char *s)
{
	if (s)
		FUZZ_CHECK(strlen(s) < 128);
}

static void check_cmd(const struct kf_smb_pdu *p, const struct kf_smb_cmd *c, const uint8_t *data,
		      size_t size)
{
	FUZZ_CHECK(fuzz_span_inside(c->security, data, size));
	FUZZ_CHECK(fuzz_span_inside(c->account, data, size));
	FUZZ_CHECK(fuzz_span_inside(c->domain, data, size));
	FUZZ_CHECK(fuzz_span_inside(c->path, data, size));
	FUZZ_CHECK(fuzz_span_inside(c->data, data, size));
	(void)fuzz_touch(c->data);
	(void)fuzz_touch(c->security);
	(void)fuzz_touch(c->account);
	(void)fuzz_touch(c->domain);
	(void)fuzz_touch(c->path);
	FUZZ_CHECK(c->security_mode <= (KF_SMB_SIGNING_ENABLED | KF_SMB_SIGNING_REQUIRED));
	FUZZ_CHECK(c->session_flags <= 7u);
	if (c->ctl_code)
		FUZZ_CHECK(p->kind == KF_SMB_2 && c->command == KF_SMB2_IOCTL);
	if (c->pipe_op) /* a named pipe operation is one its command may be, read whole */
		FUZZ_CHECK(c->body_ok && c->pipe_op == kf_smb_pipe_op_of(p->kind, c->command));
	if (c->has_file_id || c->data.n)
		FUZZ_CHECK(kf_smb_pipe_op_of(p->kind, c->command) != KF_SMB_PIPE_NONE);
	if (c->error_body)
		FUZZ_CHECK(p->kind == KF_SMB_2 && c->response);
	if (c->has_status || c->dos_error)
		FUZZ_CHECK(c->response);
	if (p->kind == KF_SMB_2) {
		check_name(kf_smb2_command_name(c->command));
		check_name(kf_smb2_dialect_name(c->dialect));
	} else {
		FUZZ_CHECK(c->command <= 0xff);
		check_name(kf_smb1_command_name((uint8_t)c->command));
	}
	check_name(kf_ntstatus_name(c->status));
}

/* The two decodes agree field by field (the commands are zeroed before
 * they are filled, so past n_cmds nothing is compared). */
static void same(const struct kf_smb_pdu *a, const struct kf_smb_pdu *b)
{
	FUZZ_CHECK(a->kind == b->kind);
	FUZZ_CHECK(a->n_cmds == b->n_cmds);
	FUZZ_CHECK(a->chain_cut == b->chain_cut);
	FUZZ_CHECK(a->transform_session == b->transform_session);
	FUZZ_CHECK(a->why == b->why);
	FUZZ_CHECK(memcmp(a->cmds, b->cmds, a->n_cmds * sizeof a->cmds[0]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_span s = kf_span_make(data, size);
	struct kf_events ev = { 0 };
	static struct kf_smb_pdu p, again;

	bool ok = kf_smb_decode(s, &p, &ev);
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
	FUZZ_CHECK(p.n_cmds <= KF_LIMIT_SMB_CHAIN);
	for (unsigned i = 0; i < p.n_cmds; i++)
		check_cmd(&p, &p.cmds[i], data, size);
	if (!ok)
		FUZZ_CHECK(p.n_cmds == 0);
	if (ok && (p.kind == KF_SMB_1 || p.kind == KF_SMB_2))
		FUZZ_CHECK(p.n_cmds >= 1);
	if (p.n_cmds)
		FUZZ_CHECK(p.kind == KF_SMB_1 || p.kind == KF_SMB_2);
	if (p.kind != KF_SMB_ENCRYPTED)
		FUZZ_CHECK(p.transform_session == 0);
	if (p.chain_cut) {
		bool said = false;
		for (unsigned i = 0; i < ev.n; i++)
			said |= ev.ev[i] == KF_EV_SMB_CHAIN_LIMIT;
		FUZZ_CHECK(said && p.why);
	}
	if (ev.n)
		FUZZ_CHECK(p.why != NULL);
	check_name(p.why);

	FUZZ_CHECK(kf_smb_decode(s, &again, NULL) == ok);
	same(&p, &again);

	/* peek: what the carrier looks at before reading a PDU */
	struct kf_smb_peek pk;
	for (int whole = 0; whole < 2; whole++) {
		struct kf_span first = kf_span_make(data, whole || size < 64 ? size : 64);
		if (!kf_smb_peek(first, &pk))
			continue;
		FUZZ_CHECK(pk.kind != KF_SMB_NONE);
		FUZZ_CHECK(pk.kind == p.kind || (p.kind == KF_SMB_NONE && ok == false));
		if (ok && p.n_cmds && (pk.kind == KF_SMB_1 || pk.kind == KF_SMB_2)) {
			FUZZ_CHECK(pk.command == p.cmds[0].command);
			FUZZ_CHECK(pk.response == p.cmds[0].response);
			/* what a pipe is recognised by */
			FUZZ_CHECK(pk.msg_id == p.cmds[0].msg_id);
			FUZZ_CHECK(pk.tree_id == p.cmds[0].tree_id);
			if (p.n_cmds > 1 || p.chain_cut)
				FUZZ_CHECK(pk.chained);
		}
	}
	return 0;
}
