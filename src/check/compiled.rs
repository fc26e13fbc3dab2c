//! The bundled policy compiled ahead of time: the checked [`Policy`] as bytes
//! (`policies/lianyungang.compiled`, embedded in the binary), read in a fraction of the time that
//! parsing and checking its 165 KB of text takes — most of a short run's time before.
//!
//! The bytes are used only when made from the very files and code this binary was built from:
//! they start with the hash build.rs takes of the policy's files and of every module that parses
//! and compiles a policy. Otherwise (the policy or the compiler edited since), the policy is
//! parsed as any other, and `tests/compiled_policy.rs` fails until the bytes are made again.

use std::sync::Arc;

use super::Policy;
use crate::source::{by_name, SourceFile};

/// What the bytes start with, before the hash and the policy.
const MAGIC: &[u8] = b"bylaw compiled policy\n";

/// `policy` as the compiled policy's bytes: the magic, the hash of what it was compiled from,
/// then the policy in postcard.
pub fn to_bytes(policy: &Policy) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend(crate::policy_files::COMPILED_FROM.to_le_bytes());
    postcard::to_extend(policy, bytes).expect("a policy is written to memory whole")
}

/// The bundled policy, from its compiled form, when that was made from what this binary was
/// built from; its spans point into `files`, the bundled policy's files.
pub fn bundled(files: &[Arc<SourceFile>]) -> Option<Policy> {
    read(crate::policy_files::COMPILED, files)
}

/// The policy in `bytes`, or `None` when they are not a compiled policy made from what this binary
/// was built from (or name a file that is not among `files`).
pub fn read(bytes: &[u8], files: &[Arc<SourceFile>]) -> Option<Policy> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (hash, body) = rest.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*hash) != crate::policy_files::COMPILED_FROM {
        return None;
    }
    let mut policy: Policy = by_name::with_files(files, || postcard::from_bytes(body)).ok()?;
    policy.files = files.to_vec();
    Some(policy)
}
