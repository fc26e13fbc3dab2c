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

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::Finding;

/// The scheme's name, hashed in first: a later scheme gets another name (and SARIF another key),
/// so fingerprints of two schemes never match by accident.
pub const SCHEME: &str = "bylaw/v1";

/// Gives every finding its fingerprint; `findings` must already be in the report's order, which
/// the ordinals follow.
pub fn assign(policy: &str, findings: &mut [Finding]) {
    let mut seen: HashMap<([Option<&str>; 4], Option<&str>), usize> = HashMap::new();
    let mut prints = Vec::with_capacity(findings.len());
    for f in findings.iter() {
        let key = [
            Some(f.rule.as_str()),
            f.record.as_deref(),
            f.pointer.as_deref(),
            f.period.as_deref(),
        ];
        let group = f.group.as_deref();
        let ordinal = seen.entry((key, group)).or_default();
        prints.push(match group {
            // A group's value joins the key only where there is one, so that every fingerprint
            // of a rule without `by` stays what it was.
            Some(group) => grouped_fingerprint(policy, key, group, *ordinal),
            None => fingerprint(policy, key, *ordinal),
        });
        *ordinal += 1;
    }
    for (f, print) in findings.iter_mut().zip(prints) {
        f.fingerprint = print;
    }
}

/// SHA-256, on purpose: its output is fixed by a standard, so a fingerprint written today matches
/// one computed by any later build. (std's `DefaultHasher` may change between Rust releases,
/// which would turn every known finding into a new one.) The parts are written as one JSON array,
/// so no choice of ids can make two different keys hash the same text. The first 16 bytes in hex
/// are plenty to tell apart the findings of any report, and short enough to read.
fn fingerprint(policy: &str, key: [Option<&str>; 4], ordinal: usize) -> String {
    let parts = serde_json::json!([SCHEME, policy, key, ordinal]);
    let digest = Sha256::digest(parts.to_string().as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The fingerprint of a finding of one group: its value hashed after the key's other parts.
fn grouped_fingerprint(
    policy: &str,
    key: [Option<&str>; 4],
    group: &str,
    ordinal: usize,
) -> String {
    let parts = serde_json::json!([SCHEME, policy, key, {"group": group}, ordinal]);
    let digest = Sha256::digest(parts.to_string().as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
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
    }
}
