//! `define name on record = value`: named conditions and values shared by the rules on a record
//! type. Each is checked once here, in declaration order (so a define may use the ones before it);
//! a rule that names it gets the expression expanded in its place (see `Resolver::path`).

use std::sync::Arc;

use super::declare::Declarations;
use super::model::DefineDef;
use super::resolve::Resolver;
use crate::ast::DefineDecl;
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{SourceFile, Span};

pub fn declare(decls: &mut Declarations<'_>, file: &Arc<SourceFile>, define: &DefineDecl) {
    let refuse = |span: Span, code: &str, message: String, label: &str, help: String| {
        Diagnostic::error(code, message)
            .in_file(file.clone())
            .with_label(Label::primary(span, label))
            .with_help(help)
    };
    let record = define.record.as_str();
    let Some(&shape) = decls.policy.records.get(record) else {
        let names: Vec<String> = decls.policy.records.keys().cloned().collect();
        decls.errors.push(refuse(
            define.record.span,
            "policy::unknown-type",
            format!("unknown record type `{record}`"),
            "no such record type",
            format!("record types: {}", names.join(", ")),
        ));
        return;
    };
    let name = define.name.as_str();
    let is_field = decls
        .policy
        .record_type(record)
        .and_then(|s| s.field(name))
        .is_some();
    if is_field || decls.policy.params.iter().any(|p| p.name == name) {
        decls.errors.push(refuse(
            define.name.span,
            "policy::duplicate",
            format!("`define {name}` hides a field or parameter of that name"),
            "name already in use",
            "choose another name".into(),
        ));
        return;
    }
    let key = format!("{name} on {record}");
    if !decls.declare("define", &key, file, define.name.span) {
        return;
    }
    // Checked now, in the record's scope, so its mistakes are reported once, here.
    let mut resolver = Resolver::new(&decls.policy, file.clone(), Some(shape));
    resolver.expr(&define.value);
    let mut errors = std::mem::take(&mut resolver.errors);
    decls.errors.append(&mut errors);
    decls.policy.defines.push(DefineDef {
        name: name.to_string(),
        shape,
        value: define.value.clone(),
    });
}
