//! `bylaw schema`: the JSON Schema of the records the policy accepts, for editors and CI.

use std::path::PathBuf;

use clap::Args;

use super::PolicyArgs;

#[derive(Args)]
pub struct SchemaArgs {
    /// Write the schema to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
}

pub fn run(args: &SchemaArgs) -> u8 {
    let renderer = args.policy.renderer();
    let Some(policy) = args.policy.load_reporting(&renderer) else {
        return 2;
    };
    let text = crate::records::schema::schema(&policy).to_pretty();
    match &args.output {
        None => {
            if super::emit(&text) {
                0
            } else {
                2
            }
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("cannot write the schema to `{}`: {e}", path.display());
                2
            }
        },
    }
}
