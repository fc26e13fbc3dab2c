//! References across the record set.

use crate::eval::expr::Env;
use crate::eval::value::Val;

/// `type_of(reference)`: the type of the record the reference names (`"document"`), whatever
/// type the reference expects; absent when it names no record of the set. Following a reference
/// (`decided_at.kind`) gives nothing when the record is of another type, so a rule that must tell
/// "names a record of the wrong type" from "names nothing" asks this.
pub fn type_of<'a>(env: &Env<'a>, values: &[crate::eval::value::Traced<'a>]) -> Val<'a> {
    values
        .first()
        .and_then(|reference| reference.val.as_str())
        .and_then(|id| {
            let kept = env.world.records.get(id).map(|(shape, _)| *shape);
            // A record refused as bad input still has its type, when that is a known one.
            kept.or_else(|| env.world.refused.get(id).copied().flatten())
        })
        .and_then(|shape| env.policy.shapes.get(shape))
        .map_or(Val::Null, |shape| Val::Str(&shape.name))
}
