//! Messages with `{expression}` holes: Syntax parsed them, each hole is checked here in the rule's
//! scope, where its spans already point into the policy file.

use super::Resolver;
use crate::ast;
use crate::check::ir::{Template, TemplatePart};

impl Resolver<'_> {
    /// A message parsed by Syntax, each hole checked in the rule's scope.
    pub fn template(&mut self, template: &ast::Template) -> Template {
        let parts = template
            .parts
            .iter()
            .map(|part| match part {
                ast::TemplatePart::Text(text) => TemplatePart::Text(text.clone()),
                ast::TemplatePart::Hole(e) => TemplatePart::Hole(self.expr(e)),
            })
            .collect();
        Template { parts }
    }
}
