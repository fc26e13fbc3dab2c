//! The pest derive for `grammar/policy.pest`, and nothing else.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
pub struct PolicyParser;
