//! `bylaw verify`: checks the policy's own examples, as `conftest verify` runs a policy's tests.
//! Every rule needs a `fail.json` that breaks it and nothing else, and a `pass.json` that gives
//! no finding at all.

use super::PolicyArgs;
use crate::examples;

pub fn run(args: &PolicyArgs) -> u8 {
    let renderer = args.renderer();
    let Some(policy) = args.load_reporting(&renderer) else {
        return 2;
    };
    let Some(examples) = args.examples_reporting(&renderer) else {
        return 2;
    };
    let verdicts = examples::verify(&policy, &examples);
    let mut failed = 0;
    for verdict in &verdicts {
        if verdict.problems.is_empty() {
            let shown = verdict.shown.as_deref().unwrap_or("");
            println!("ok      {:<6} {shown}", verdict.rule);
            continue;
        }
        failed += 1;
        for (file, problem) in &verdict.problems {
            println!("FAILED  {:<6} {file}: {problem}", verdict.rule);
        }
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    println!(
        "\n{} rule{} verified, {failed} with problems",
        verdicts.len() - failed,
        plural(verdicts.len() - failed)
    );
    u8::from(failed > 0)
}
