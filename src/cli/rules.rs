//! `bylaw rules`: every rule with its severity and article.

use super::PolicyArgs;

pub fn run(args: &PolicyArgs) -> u8 {
    let renderer = args.renderer();
    let policy = match args.load() {
        Ok(p) => p,
        Err(errors) => return super::policy_failed(&renderer, &errors),
    };
    print!("{}", list(&policy));
    0
}

/// One line per rule: id, severity, article, title.
pub fn list(policy: &crate::check::Policy) -> String {
    let mut out = String::new();
    for rule in &policy.rules {
        let article = match rule.article {
            Some(a) if !rule.id.starts_with("set.") => format!("art. {a}"),
            _ => "record set".to_string(),
        };
        out.push_str(&format!(
            "{:<7} {:<8} {:<11} {}\n",
            rule.id,
            rule.severity.as_str(),
            article,
            rule.title
        ));
    }
    out
}
