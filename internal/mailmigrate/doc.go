// Package mailmigrate moves the mail of Mail-in-a-Box to the cluster's
// Mailu (infra migrate mail), in two steps.
//
// Accounts: the users and aliases of Mail-in-a-Box's admin API become the
// platform stack's data file (mail_users, mail_aliases keyed by local
// part of the root domain), merged with what the file already holds so
// that nothing an operator added is dropped. Every address of the box is
// either written or skipped with a reason, and the counts must add up.
//
// Copy: every folder of each mailbox, over IMAP (TLS, verified), from the
// box's Dovecot to Mailu's. Folders are paired by special use (Sent,
// Drafts, Trash, Junk, Archive) and else by path, the hierarchy separator
// translated and names carried in modified UTF-7. Each message goes with
// APPEND, its flags and INTERNALDATE kept, in batches: one MULTIAPPEND
// per batch (else pipelined APPENDs with LITERAL+), the next batch
// fetched meanwhile; a message is journaled once the target confirmed
// it. The source is only read (EXAMINE, BODY.PEEK).
//
// A message is on the target when the journal (state directory, one
// JSON-lines file per account, keyed by source folder, UIDVALIDITY and
// UID) says where it went and the target still holds it, or, without
// the journal, when the target folder holds a message with the same
// Message-ID, INTERNALDATE and size, one target message per source
// message. So a run cut short resumes, a second run copies nothing, and
// a lost journal duplicates nothing. The journal also remembers the flags
// last carried over: a later run (the delta after the MX switch) applies
// the source's flag changes since and keeps the user's on the target.
//
// After each folder the target is read again: a source message not found
// there fails the run and names the folder.
package mailmigrate
