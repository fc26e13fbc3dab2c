//! Stage 2: policy text → AST. Parsing with pest, then lowering to typed, spanned nodes.

pub mod depth;
mod error;
pub mod format;
mod grammar;
mod lower;
mod precedence;

use std::sync::Arc;

use pest::Parser;

pub use error::rule_name;
pub use grammar::{PolicyParser, Rule};

use crate::ast::PolicyFile;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// Parses one policy file, returning every syntax or literal error found.
pub fn parse(source: &Arc<SourceFile>) -> Result<PolicyFile, Vec<Diagnostic>> {
    // Before pest, whose recursion follows the nesting: too deep a policy would overflow the stack.
    if let Some(too_deep) = depth::check_nesting(source) {
        return Err(vec![too_deep]);
    }
    let mut pairs = PolicyParser::parse(Rule::policy_file, &source.text)
        .map_err(|e| vec![error::syntax_error(source, e)])?;
    match pairs.next() {
        Some(file) => lower::lower_file(source, file),
        None => Ok(PolicyFile {
            source: source.clone(),
            items: Vec::new(),
        }),
    }
}

/// Parses a lone expression (a hole in a message); the whole text must be one expression.
pub fn parse_expr(text: &str) -> Result<crate::ast::Expr, String> {
    let source = SourceFile::new("<message>", text);
    if let Some(too_deep) = depth::check_nesting(&source) {
        return Err(too_deep.message);
    }
    let mut pairs = PolicyParser::parse(Rule::expr, &source.text).map_err(|e| {
        let d = error::syntax_error(&source, e);
        d.message
    })?;
    let pair = pairs
        .next()
        .ok_or_else(|| "expected an expression".to_string())?;
    if pair.as_span().end() != text.trim_end().len() {
        return Err("unexpected text after the expression".into());
    }
    lower::lower_expr(&source, pair).map_err(|errors| {
        errors
            .first()
            .map(|d| d.message.clone())
            .unwrap_or_default()
    })
}
