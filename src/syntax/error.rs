//! Syntax errors: pest's error turned into a located diagnostic with human names for rules.

use std::sync::Arc;

use pest::error::{ErrorVariant, InputLocation};

use super::grammar::Rule;
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{SourceFile, Span};

/// A pest error on `source` as a diagnostic labelled at the place the parser stopped.
pub fn syntax_error(source: &Arc<SourceFile>, error: pest::error::Error<Rule>) -> Diagnostic {
    let span = match error.location {
        InputLocation::Pos(p) => Span::new(p, next_char_end(&source.text, p)),
        InputLocation::Span((s, e)) => Span::new(s, e),
    };
    let mut help = "see the README's section on writing rules for the policy language".to_string();
    let (message, label) = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().map(|r| rule_name(*r)).collect();
            names.sort_unstable();
            names.dedup();
            let expected = one_of(&names);
            let found = found_at(&source.text, span.start);
            if positives.contains(&Rule::bound_param) {
                // `expect ..message`: a clause's word is never read as a parameter's name.
                help = "a bound of `expect` is a whole number (`..3`) or the name of an `int` \
                        parameter (`..tender_threshold`), never a word that begins a clause \
                        (`message`, `by`, `sum`, …)"
                    .to_string();
            }
            (
                format!("expected {expected}, found {found}"),
                format!("expected {expected}"),
            )
        }
        ErrorVariant::CustomError { message } => (message.clone(), message.clone()),
    };
    Diagnostic::error("policy::syntax", message)
        .in_file(source.clone())
        .with_label(Label::primary(span, label))
        .with_help(help)
}

fn next_char_end(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + c.len_utf8())
}

fn found_at(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    match rest.split_whitespace().next() {
        None => "the end of the file".to_string(),
        Some(word) => {
            let word: String = word.chars().take(24).collect();
            format!("`{word}`")
        }
    }
}

fn one_of(names: &[&str]) -> String {
    match names {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Every grammar rule's name as a user would say it.
pub fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the file",
        Rule::WHITESPACE | Rule::COMMENT => "a space or comment",
        Rule::ident_start | Rule::ident_char | Rule::ident | Rule::field_name => "a name",
        Rule::keyword => "a keyword",
        Rule::raw_string | Rule::raw_content => "a `\"\"\"` text block",
        Rule::quoted_string | Rule::quoted_inner | Rule::string => "a string in double quotes",
        Rule::date => "a date such as `2011-07-13`",
        Rule::datetime => "a datetime such as `2011-07-11T09:00:00+08:00`",
        Rule::number => "a number",
        Rule::integer => "a whole number",
        Rule::duration | Rule::duration_unit => "a duration such as `3 days`",
        Rule::boolean => "`true` or `false`",
        Rule::literal => "a value",
        Rule::expr | Rule::primary => "an expression",
        Rule::infix => "an operator",
        Rule::op_or => "`or`",
        Rule::op_and => "`and`",
        Rule::op_eq => "`==`",
        Rule::op_ne => "`!=`",
        Rule::op_le => "`<=`",
        Rule::op_ge => "`>=`",
        Rule::op_lt => "`<`",
        Rule::op_gt => "`>`",
        Rule::op_not_in => "`not in`",
        Rule::op_in | Rule::kw_in => "`in`",
        Rule::op_add => "`+`",
        Rule::op_sub => "`-`",
        Rule::paren_conditional | Rule::conditional => "`(if … then … else …)`",
        Rule::kw_if => "`if`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::op_mul => "`*`",
        Rule::op_div => "`/`",
        Rule::prefix | Rule::op_not | Rule::kw_not => "`not`",
        Rule::op_neg => "`-`",
        Rule::postfix => "`is` or `exists`",
        Rule::op_exists => "`exists`",
        Rule::op_working => "`working days`",
        Rule::op_is | Rule::op_is_not | Rule::kw_is => "`is`",
        Rule::path => "a field path such as `chair.role`",
        Rule::call => "a function call such as `weekday(start)`",
        Rule::op_field => "`.` and a field name",
        Rule::quantifier | Rule::quantifier_head | Rule::quantifier_kind => "`all(…)`, `any(…)`, `none(…)`, `count(…)`, `first(…)`, `last(…)` or `those(…)`",
        Rule::set_literal | Rule::set_item => "a set such as `{plenary, executive}`",
        Rule::who_alts | Rule::who_term | Rule::who_atom | Rule::who_qualifier => {
            "a role or group such as `mayor`"
        }
        Rule::one_of => "`one of …`",
        Rule::same_as => "`same as …`",
        Rule::anyone => "`anyone`",
        Rule::in_charge_of => "`in charge of …`",
        Rule::among => "`among …`",
        Rule::guard => "`if …`",
        Rule::policy_decl => "a `policy` header",
        Rule::policy_field => "a header field such as `source \"…\"`",
        Rule::enum_decl => "an `enum` declaration",
        Rule::variant => "an enum value",
        Rule::group_decl => "a `group` declaration",
        Rule::param_decl => "a `param` declaration",
        Rule::define_decl => "a `define` declaration such as `define official on document = …`",
        Rule::record_decl => "a `record` declaration",
        Rule::shape_decl => "a `shape` declaration",
        Rule::field_decl => "a field declaration such as `start: datetime required`",
        Rule::field_flag => "`required`, `event` or `nonempty`",
        Rule::type_expr | Rule::array_type | Rule::ref_type | Rule::type_name => {
            "a type such as `date`, `[person]` or `-> meeting`"
        }
        Rule::calendar_decl => "a `calendar` declaration",
        Rule::calendar_entry | Rule::day_kind => "`holiday` or `workday`",
        Rule::calendar_builtin => "`builtin` (to import a built-in calendar)",
        Rule::chapter_decl => "a `chapter` declaration",
        Rule::article_decl => "an `article` such as `article 38 \"Executive meetings\" { … }`",
        Rule::article_item => "`text`, `gloss`, `not_checked` or a `rule`",
        Rule::article_text => "`text`",
        Rule::article_gloss => "`gloss`",
        Rule::not_checked => "`not_checked`",
        Rule::rule_decl => "a `rule`",
        Rule::block_open => "`{`",
        Rule::let_clause => "`let name = …`",
        Rule::rule_id => "a rule id such as `38.1`",
        Rule::severity => "`error` or `warning`",
        Rule::rule_doc => "`title`, `quote`, `cites`, `message` or `help`",
        Rule::rule_body | Rule::stray_clause | Rule::orphan_body => "a rule clause (`on`, `count`, `builtin`, `for each`, `let`, `require`, `per`, `expect`)",
        Rule::record_body => "`on`",
        Rule::count_body => "`count`",
        Rule::builtin_body => "`builtin`",
        Rule::title_clause => "`title`",
        Rule::quote_clause => "`quote` with the article's words and their gloss, such as `quote \"\"\"…\"\"\" \"\"\"…\"\"\"`",
        Rule::cites_clause => "`cites`",
        Rule::on_clause => "`on`",
        Rule::for_each_clause => "`for each`",
        Rule::require_clause => "`require`",
        Rule::when_part => "`when`",
        Rule::at_part => "`at`",
        Rule::as_part => "`as`",
        Rule::else_part => "`else`",
        Rule::chain => "`chain`",
        Rule::chain_then => "`then` before the chain's next step",
        Rule::chain_step => "a chain step such as `review by secretary_general`",
        Rule::count_clause => "`count`",
        Rule::per_clause => "`per`",
        Rule::period_unit => "`month`, `half_year`, `iso_week`, `quarter` or `year`",
        Rule::expect_clause => "`expect`",
        Rule::expect_from | Rule::expect_upto => "a range such as `1..2`, `1..` or `..3`",
        Rule::expect_bound => "a whole number or an `int` parameter",
        Rule::bound_param => "the name of an `int` parameter",
        Rule::clause_word => "a clause",
        Rule::by_clause | Rule::kw_by => "`by`",
        Rule::sum_clause | Rule::kw_sum => "`sum`",
        Rule::message_clause => "`message`",
        Rule::help_clause => "`help`",
        Rule::builtin_clause => "`builtin`",
        Rule::type_doc => "a description in double quotes",
        Rule::closed => "`closed`",
        Rule::plays => "`as person(…)`, `as step(…)` or `as waivable(…)`",
        Rule::plays_field => "a role and the field that plays it, such as `role: rank`",
        Rule::item => "a declaration",
        Rule::policy_file => "a policy",
    }
}
