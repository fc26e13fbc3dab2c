//! Stage 2: policy text → AST. Parsing with pest, then lowering to typed, spanned nodes.

pub mod depth;
mod error;
pub mod format;
mod grammar;
mod lower;
mod precedence;
mod recovery;
mod template;

use std::sync::Arc;

use pest::Parser;

pub use error::rule_name;
pub use grammar::{PolicyParser, Rule};

use crate::ast::PolicyFile;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// How many syntax errors one file reports before the rest is left unread.
const MAX_SYNTAX_ERRORS: usize = 50;

/// Parses one policy file, returning every syntax or literal error found.
pub fn parse(source: &Arc<SourceFile>) -> Result<PolicyFile, Vec<Diagnostic>> {
    // Before pest, whose recursion follows the nesting: too deep a policy would overflow the stack.
    if let Some(too_deep) = depth::check_nesting(source) {
        return Err(vec![too_deep]);
    }
    let mut pairs = match PolicyParser::parse(Rule::policy_file, &source.text) {
        Ok(pairs) => pairs,
        Err(first) => return Err(every_syntax_error(source, first)),
    };
    match pairs.next() {
        Some(file) => lower::lower_file(source, file),
        None => Ok(PolicyFile {
            source: source.clone(),
            items: Vec::new(),
            problems: Vec::new(),
        }),
    }
}

/// Every syntax error of a file, not only the first: the declaration where pest stopped is blanked
/// out (up to the next line that begins a declaration), keeping every other byte where it was so
/// that positions stay true, and the file is parsed again.
fn every_syntax_error(
    source: &Arc<SourceFile>,
    first: pest::error::Error<Rule>,
) -> Vec<Diagnostic> {
    let mut text = source.text.clone();
    let mut error = first;
    let mut errors = Vec::new();
    let mut last_at = None;
    loop {
        let at = match error.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
        // The same place again: the declaration before it was not the cause, this one is.
        let again = last_at == Some(at);
        if !again {
            errors.push(error::syntax_error(source, error));
        }
        last_at = Some(at);
        let (start, end) = recovery::broken_item(&text, at, again);
        if errors.len() == MAX_SYNTAX_ERRORS || end <= start {
            break;
        }
        text = recovery::blank(&text, start, end);
        match PolicyParser::parse(Rule::policy_file, &text) {
            Ok(_) => break,
            Err(next) => error = next,
        }
    }
    errors
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
