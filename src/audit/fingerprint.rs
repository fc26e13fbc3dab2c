//! Fingerprints: a name for each finding that stays the same from one run to the next, so a CI
//! job can tell a new finding from one it already knew (a baseline, SARIF's
//! `partialFingerprints`).
//!
//! The name is made of what the finding is about, never of where it is printed: the policy's
//! name, the rule, the record's id and the JSON pointer into the record (for a finding about a
//! period, the period, and the group of a rule that counts `by` one), plus an ordinal among findings that share all of these, in the report's
//! order (a duplicate id found twice; several findings of one rule on one value). The file's name,
//! line and column are left out on purpose: re-indenting a file, inserting or reordering records
//! or renaming the file moves them, and the finding is still the same finding.

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::Finding;

/// What names a finding, with the group of a rule that counts `by` one.
fn key(f: &Finding) -> ([Option<&str>; 4], Option<&str>) {
    let key = [
        Some(f.rule.as_str()),
        f.record.as_deref(),
        f.pointer.as_deref(),
        f.period.as_deref(),
    ];
    (key, f.group.as_deref())
}

/// The scheme's name, hashed in first: a later scheme gets another name (and SARIF another key),
/// so fingerprints of two schemes never match by accident.
pub const SCHEME: &str = "bylaw/v1";

/// Gives every finding its fingerprint; `findings` must already be in the report's order, which
/// the ordinals follow.
pub fn assign(policy: &str, findings: &mut [Box<Finding>]) {
    // The ordinals in the report's order, one after another; the hashes on every core.
    let mut seen: foldhash::HashMap<([Option<&str>; 4], Option<&str>), usize> =
        foldhash::HashMap::default();
    let ordinals: Vec<usize> = (findings.iter())
        .map(|f| {
            let ordinal = seen.entry(key(f)).or_default();
            *ordinal += 1;
            *ordinal - 1
        })
        .collect();
    drop(seen);
    (findings.par_iter_mut().zip(ordinals)).for_each(|(f, ordinal)| {
        f.fingerprint = match key(f) {
            // A group's value joins the key only where there is one, so that every fingerprint
            // of a rule without `by` stays what it was.
            (key, Some(group)) => grouped_fingerprint(policy, key, group, ordinal),
            (key, None) => fingerprint(policy, key, ordinal),
        }
        .into_boxed_str();
    });
}

/// SHA-256, on purpose: its output is fixed by a standard, so a fingerprint written today matches
/// one computed by any later build. (std's `DefaultHasher` may change between Rust releases,
/// which would turn every known finding into a new one.) The parts are written as one JSON array,
/// so no choice of ids can make two different keys hash the same text. The first 16 bytes in hex
/// are plenty to tell apart the findings of any report, and short enough to read.
fn fingerprint(policy: &str, key: [Option<&str>; 4], ordinal: usize) -> String {
    // A tuple is written as the array of its parts: `["bylaw/v1","…",["38.1","A","/chair",null],0]`.
    hashed(&(SCHEME, policy, key, ordinal))
}

/// The fingerprint of a finding of one group: its value hashed after the key's other parts.
fn grouped_fingerprint(
    policy: &str,
    key: [Option<&str>; 4],
    group: &str,
    ordinal: usize,
) -> String {
    /// Written `{"group":"…"}`.
    #[derive(serde::Serialize)]
    struct Group<'g> {
        group: &'g str,
    }
    hashed(&(SCHEME, policy, key, Group { group }, ordinal))
}

/// The first 16 bytes of the SHA-256 of `parts` written as JSON, in hex.
fn hashed(parts: &impl serde::Serialize) -> String {
    use std::fmt::Write;
    let text = serde_json::to_vec(parts).expect("strings and numbers are written as JSON");
    let digest = Sha256::digest(&text);
    let mut hex = String::with_capacity(32);
    for byte in &digest[..16] {
        write!(hex, "{byte:02x}").expect("a String takes what is written");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_hashes_the_same_and_ids_cannot_run_into_each_other() {
        let a = fingerprint("p", [Some("38.1"), Some("A"), Some("/chair"), None], 0);
        assert_eq!(a.len(), 32);
        assert_eq!(
            a,
            fingerprint("p", [Some("38.1"), Some("A"), Some("/chair"), None], 0)
        );
        for other in [
            fingerprint("p", [Some("38.1"), Some("A"), Some("/chair"), None], 1),
            fingerprint("q", [Some("38.1"), Some("A"), Some("/chair"), None], 0),
            fingerprint("p", [Some("38.1"), Some("A/chair"), None, None], 0),
            fingerprint("p", [Some("38.1"), None, Some("A/chair"), None], 0),
        ] {
            assert_ne!(a, other);
        }
    }

    #[test]
    fn two_groups_of_one_period_are_two_findings() {
        let key = [Some("9.1"), None, None, Some("2024-10")];
        let a = grouped_fingerprint("p", key, "S-1", 0);
        assert_ne!(a, grouped_fingerprint("p", key, "S-2", 0));
        assert_ne!(a, fingerprint("p", key, 0));
        assert_eq!(a, grouped_fingerprint("p", key, "S-1", 0));
    }

    #[test]
    fn a_fingerprint_does_not_change_between_builds() {
        // SHA-256 of `["bylaw/v1","p",["38.1","A","/chair",null],0]`, written down once: a
        // change here turns every finding of every baseline into a new one.
        assert_eq!(
            fingerprint("p", [Some("38.1"), Some("A"), Some("/chair"), None], 0),
            "1390981fc1a0c452c9e018d1e5327b57"
        );
        // `["bylaw/v1","p",["38.1","A","/chair",null],{"group":"S-7"},0]`.
        assert_eq!(
            grouped_fingerprint(
                "p",
                [Some("38.1"), Some("A"), Some("/chair"), None],
                "S-7",
                0
            ),
            "f0f2b889a5a648bfa941c571d75cdb1f"
        );
    }
}
