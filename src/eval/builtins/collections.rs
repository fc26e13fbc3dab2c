//! Functions over lists.

use serde_json::Value as Json;

use crate::eval::value::{Traced, Val};

pub fn count<'a>(args: &[Traced<'a>]) -> Val<'a> {
    match args.first().map(|a| &a.val) {
        Some(Val::Node(Json::Array(items))) => Val::Int(items.len() as i64),
        Some(Val::Null) | None => Val::Int(0),
        _ => Val::Null,
    }
}
