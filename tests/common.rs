//! Helpers shared by the integration tests: run an audit the way the CLI does and render it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use bylaw::audit::{self, Options, Outcome};
use bylaw::check::Policy;
use bylaw::report;

pub fn default_policy() -> Policy {
    match bylaw::check::load(&bylaw::policy_files::default_policy(), &[]) {
        Ok(p) => p,
        Err(errors) => panic!("the default policy does not load: {errors:#?}"),
    }
}

/// A path relative to the crate root, with `/` separators, as snapshots show it.
pub fn relative(path: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

pub fn audit(policy: &Policy, path: &Path) -> Outcome {
    let options = Options {
        paths: vec![relative(path)],
        ..Options::default()
    };
    audit::run(policy, &options, audit::Stdin::empty)
}

pub fn human(policy: &Policy, outcome: &Outcome) -> String {
    report::human::render(policy, outcome, &report::human::Renderer::new(false))
}

pub fn json(policy: &Policy, outcome: &Outcome) -> String {
    report::json::document(policy, outcome)
}

/// A small deterministic generator, so a failure can be replayed from its seed.
pub struct Lcg(pub u64);

impl Lcg {
    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}
