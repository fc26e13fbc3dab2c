//! Functions over lists.

use crate::eval::chain::in_chain_order;
use crate::eval::value::{Traced, Val};

pub fn count<'a>(args: &[Traced<'a>]) -> Val<'a> {
    match args.first().map(|a| &a.val) {
        Some(Val::Null) | None => Val::Int(0),
        Some(list) => list
            .elements()
            .map_or(Val::Null, |items| Val::Int(items.len() as i64)),
    }
}

/// `ordered(steps)`: the list in chain order — by `at`, equal times in array order, undated last —
/// so `first(…)` and `last(…)` over it mean earliest and latest as `rules.md` reads them.
pub fn ordered<'a>(args: &[Traced<'a>]) -> Val<'a> {
    match args.first().and_then(|a| a.val.elements()) {
        Some(items) => Val::Items(in_chain_order(items)),
        None => Val::Null,
    }
}
