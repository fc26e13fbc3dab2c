//! References across the record set.

use super::{Builtin, Out, Param};
use crate::types::Ty;

/// The family's entries.
pub static ALL: &[&Builtin] = &[&TYPE_OF];

/// `type_of(reference)`: the type of the record the reference names (`"document"`), whatever
/// type the reference expects; absent when it names no record of the set. Following a reference
/// (`decided_at.kind`) gives nothing when the record is of another type, so a rule that must tell
/// "names a record of the wrong type" from "names nothing" asks this.
static TYPE_OF: Builtin = Builtin {
    name: "type_of",
    summary: "the type of the record a reference names, whatever type the reference expects",
    example: "type_of(decided_at) == \"meeting\"",
    params: &[Param::Reference],
    result: Ty::String,
    typing: None,
    argument_help: Some(
        "`type_of` takes a reference: a field typed like `-> meeting`, such as `decided_at`",
    ),
    // A reference's target is known only once every record is read.
    needs_context: true,
    eval: |args, cx| {
        Ok(args
            .first()
            .and_then(|reference| reference.text())
            .and_then(|id| cx.record_type(id))
            .map_or(Out::Null, Out::Text))
    },
};
