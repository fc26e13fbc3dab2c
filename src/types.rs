//! The value types of the policy language, shared vocabulary below `check`, `builtins` and `eval`:
//! the checker gives every expression one, the builtin registry states its signatures in them.

/// A record type or nested object type: an index into the checked policy's shapes.
pub type ShapeId = usize;
/// An enum: an index into the checked policy's enums.
pub type EnumId = usize;

/// A value type of the language.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Ty {
    Bool,
    Int,
    Number,
    String,
    Date,
    DateTime,
    Duration,
    Enum(EnumId),
    Shape(ShapeId),
    Array(Box<Ty>),
    /// The id of a record of the given type, resolved across the record set.
    Ref(ShapeId),
    /// A set literal or group before its element type is known.
    Set(Box<Ty>),
    /// The type of a value that is never present (an empty set).
    Unknown,
}

/// What a list's elements are, without cloning; `Unknown` for a value that is not a list.
static UNKNOWN: Ty = Ty::Unknown;

impl Ty {
    /// The type of a list's elements; `Unknown` for a type that is not a list.
    pub fn element(&self) -> &Ty {
        match self {
            Ty::Array(inner) => inner,
            _ => &UNKNOWN,
        }
    }
}
