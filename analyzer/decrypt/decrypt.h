/* decrypt.h - the --keytab pass: open every Kerberos message's encrypted
 * parts in capture order, chaining the keys each one reveals, and keep what
 * they say on the messages (kf_message.dec) with an account of what could
 * not be opened and why (kf_result.decryption).
 *
 * Runs after the messages are final and before stories and rules, which
 * read kf_message.dec.  Needs the messages' bytes: the store keeps them
 * when kf_config.keys is set (messages.h keep_raw).
 */
#ifndef KF_DECRYPT_H
#define KF_DECRYPT_H

#include <stdbool.h>

#include "base/status.h"
#include "krb5_decrypt.h"
#include "result.h"

enum kf_status kf_decrypt_messages(struct kf_result *res, struct kf_keyring *kr) KF_WUR;

#endif
