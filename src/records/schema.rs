//! The records contract as a JSON Schema (draft 2020-12), generated from the checked policy's
//! record types, shapes and enums, for editors and CI that validate records before bylaw reads
//! them.
//!
//! The schema says what [`validate`](super::validate) accepts, and no more: a field that is
//! absent or `null` is absent; unknown fields are allowed; a list may hold `null`, which is
//! skipped; dates and datetimes are checked by `pattern`, since `format` is only an annotation
//! unless a validator is asked to assert it. What it cannot say is in [`LIMITS`]: a key given
//! twice, bytes that are not UTF-8, and a whole number written with a fraction or an exponent.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{json, Value as Json};

use crate::check::{FieldDef, Policy, ShapeDef, Ty};

/// The JSON Schema dialect the schema is written in.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The `$defs` entry for one record of any declared type, chosen by its `type` field: what each
/// line of a JSON Lines file is validated against. Names with a hyphen cannot be a policy's
/// type or enum names, so they never collide with them.
pub const ANY_RECORD: &str = "any-record";
const DATE: &str = "date-string";
const DATETIME: &str = "datetime-string";

/// What bylaw refuses (rule set.3) that no JSON Schema can see, as the schema's description says.
pub const LIMITS: &str = "A JSON Schema cannot see three things bylaw refuses: a key given \
twice in one object, text that is not UTF-8, and a whole number written with a fraction or an \
exponent (`5.0`, `5e0`).";

/// `YYYY-MM-DD`, a date that exists: months of 30 and 31 days, and 29 February in leap years only
/// (divisible by 4, and by 400 for a century), as `time::parse_date` accepts.
const DATE_PATTERN: &str = concat!(
    "(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)",
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)",
);

/// The time and offset of a datetime after its date, as `time::parse_datetime` accepts: `T`, `t`
/// or a space; seconds 00–59 with any number of decimals; `Z`, `z` or an offset of ±00:00–±23:59.
const TIME_PATTERN: &str = concat!(
    "[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?",
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])",
);

/// A JSON value whose objects keep their keys in the order they were added: a schema reads best
/// in the policy's own order, and serde_json's map sorts its keys.
#[derive(Debug, Clone)]
pub enum Node {
    Value(Json),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
}

impl Node {
    fn object() -> Node {
        Node::Object(Vec::new())
    }

    /// Adds `key` (after the keys already there).
    fn with(mut self, key: &str, value: impl Into<Node>) -> Node {
        if let Node::Object(entries) = &mut self {
            entries.push((key.to_string(), value.into()));
        }
        self
    }

    /// The schema as pretty-printed JSON, ending with a line break.
    pub fn to_pretty(&self) -> String {
        // Serializing a tree of strings, numbers and objects to a `Vec` cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

impl From<Json> for Node {
    fn from(value: Json) -> Node {
        Node::Value(value)
    }
}

impl From<&str> for Node {
    fn from(value: &str) -> Node {
        Node::Value(Json::String(value.to_string()))
    }
}

impl From<String> for Node {
    fn from(value: String) -> Node {
        Node::Value(Json::String(value))
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Value(value) => value.serialize(serializer),
            Node::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

/// The schema's stable `$id`: the project's address, then `schemas/<policy name>/records.json`,
/// each part percent-encoded, so that a policy's name never makes it an invalid URI.
pub fn schema_id(policy: &Policy) -> String {
    let name = if policy.name.is_empty() {
        "unnamed"
    } else {
        policy.name.as_str()
    };
    let base = env!("CARGO_PKG_HOMEPAGE");
    match url::Url::parse(base) {
        Ok(mut url) if !url.cannot_be_a_base() => {
            if let Ok(mut segments) = url.path_segments_mut() {
                segments
                    .pop_if_empty()
                    .extend(["schemas", name, "records.json"]);
            }
            url.to_string()
        }
        // The homepage is a constant of this crate; a URN keeps the id valid should it change.
        _ => format!("urn:bylaw:schemas:{}", name.escape_default()),
    }
}

/// The JSON Schema of the record files the policy accepts.
pub fn schema(policy: &Policy) -> Node {
    let mut defs: Vec<(String, Node)> = Vec::new();
    defs.push((ANY_RECORD.into(), any_record(policy)));
    for shape in &policy.shapes {
        defs.push((shape.name.clone(), shape_schema(policy, shape)));
    }
    for (id, def) in policy.enums.iter().enumerate() {
        let mut node = Node::object()
            .with("title", def.name.as_str())
            .with(
                "description",
                format!("the enum `{}` of the policy{}", def.name, enum_legend(def)),
            )
            .with("type", "string")
            .with(
                "enum",
                Json::Array(def.variants.iter().map(|(v, _)| json!(v)).collect()),
            );
        if def.variants.iter().any(|(_, label)| label.is_some()) {
            // VS Code's own keyword: a description for each value in completions.
            let labels = def
                .variants
                .iter()
                .map(|(_, l)| json!(l.clone().unwrap_or_default()));
            node = node.with("enumDescriptions", Json::Array(labels.collect()));
        }
        defs.push((enum_key(policy, id), node));
    }
    defs.push((
        DATE.into(),
        Node::object()
            .with("title", "date")
            .with(
                "description",
                "a calendar date, `YYYY-MM-DD`; an impossible date such as `2011-02-30` is refused",
            )
            .with("type", "string")
            .with("format", "date")
            .with("pattern", format!("^{DATE_PATTERN}$")),
    ));
    defs.push((
        DATETIME.into(),
        Node::object()
            .with("title", "datetime")
            .with(
                "description",
                "RFC 3339 with an offset, e.g. `2011-07-11T09:00:00+08:00`; `Z` is UTC, \
                 and a datetime without an offset is refused",
            )
            .with("type", "string")
            .with("format", "date-time")
            .with("pattern", format!("^{DATE_PATTERN}{TIME_PATTERN}$")),
    ));

    let record = reference(ANY_RECORD);
    Node::object()
        .with("$schema", DIALECT)
        .with("$id", schema_id(policy))
        .with("title", title(policy))
        .with("description", description(policy))
        .with(
            "oneOf",
            Node::Array(vec![
                record.clone(),
                Node::object()
                    .with("description", "an array of records")
                    .with("type", "array")
                    .with("items", record),
            ]),
        )
        .with("$defs", Node::Object(defs))
}

fn title(policy: &Policy) -> String {
    match policy.fields.get("title") {
        Some(title) => format!("Records for {} ({title})", policy.name),
        None => format!("Records for {}", policy.name),
    }
}

fn description(policy: &Policy) -> String {
    let version = policy
        .fields
        .get("version")
        .map(|v| format!(", version {v}"))
        .unwrap_or_default();
    format!(
        "The records that the policy `{name}`{version} accepts, as bylaw {bylaw} reads them \
         (rule set.3, the records contract); generated by `bylaw schema`. A `.json` file holds one \
         record or an array of records, each chosen by its `type` field. A JSON Lines file \
         (`.jsonl`, `.ndjson`) holds one record per line, and blank lines are allowed: JSON Schema \
         cannot describe it as a file, so validate each line against `#/$defs/{ANY_RECORD}`. A \
         field that is absent or null is absent; fields the policy does not declare are allowed. \
         {LIMITS}",
        name = policy.name,
        bylaw = env!("CARGO_PKG_VERSION"),
    )
}

/// One record of any declared type, checked against the type its `type` field names.
fn any_record(policy: &Policy) -> Node {
    let names: Vec<&String> = policy.records.keys().collect();
    let mut choices = Vec::new();
    for (name, &id) in &policy.records {
        let Some(shape) = policy.shapes.get(id) else {
            continue;
        };
        choices.push(
            Node::object()
                .with(
                    "if",
                    json!({ "properties": { "type": { "const": name } }, "required": ["type"] }),
                )
                .with("then", reference(&shape.name)),
        );
    }
    Node::object()
        .with("title", "a record")
        .with(
            "description",
            "a record of any type the policy declares, checked against the type its `type` field \
             names",
        )
        .with("type", "object")
        .with("required", json!(["type"]))
        .with(
            "properties",
            Node::object().with(
                "type",
                Node::object()
                    .with("description", "the record's type")
                    .with("type", "string")
                    .with("enum", json!(names)),
            ),
        )
        .with("allOf", Node::Array(choices))
}

/// A record type or a shape: an object with the declared fields, and any others.
fn shape_schema(policy: &Policy, shape: &ShapeDef) -> Node {
    let mut required: Vec<&str> = Vec::new();
    if shape.is_record {
        required.push("type");
    }
    for field in &shape.fields {
        if field.required && !required.contains(&field.name.as_str()) {
            required.push(&field.name);
        }
    }
    let mut properties = Node::object();
    if shape.is_record && shape.field("type").is_none() {
        properties = properties.with("type", type_property(policy, shape, None));
    }
    for field in &shape.fields {
        let node = if shape.is_record && field.name == "type" {
            type_property(policy, shape, Some(field))
        } else {
            field_schema(policy, field)
        };
        properties = properties.with(&field.name, node);
    }
    let declared = if shape.is_record {
        format!(
            "a `{name}` record (`\"type\": \"{name}\"`)",
            name = shape.name
        )
    } else {
        format!("the shape `{}`: an object", shape.name)
    };
    let description = match &shape.doc {
        Some(doc) => format!("{doc}; {declared}"),
        None => declared,
    };
    let node = Node::object()
        .with("title", shape.name.as_str())
        .with("description", description)
        .with("type", "object")
        .with("required", json!(required))
        .with("properties", properties);
    // A closed type's objects have no other field (its `type` is among the properties).
    if shape.closed {
        node.with("additionalProperties", json!(false))
    } else {
        node
    }
}

/// A record's `type`: its own name, and the declared type too where it is not a plain string.
fn type_property(policy: &Policy, shape: &ShapeDef, field: Option<&FieldDef>) -> Node {
    let name = Node::object()
        .with("description", "the record's type")
        .with("const", shape.name.as_str());
    match field {
        Some(field) if field.ty != Ty::String => Node::object().with(
            "allOf",
            Node::Array(vec![value_schema(policy, &field.ty), name]),
        ),
        _ => name,
    }
}

/// A declared field: its type, `null` unless required, and not empty where `nonempty` says so.
fn field_schema(policy: &Policy, field: &FieldDef) -> Node {
    let mut node = value_schema(policy, &field.ty);
    if field.nonempty {
        node = match field.ty {
            Ty::String | Ty::Ref(_) => node.with("minLength", json!(1)),
            Ty::Array(_) => node.with("minItems", json!(1)),
            // Values bylaw does not check still refuse an empty string or list.
            Ty::Duration | Ty::Unknown | Ty::Set(_) => {
                node.with("minLength", json!(1)).with("minItems", json!(1))
            }
            // A date, an enum, a number, an object: never an empty string or list anyway.
            _ => node,
        };
    }
    // What the policy says the field means comes first; then what its declaration says.
    let mut notes: Vec<String> = field.doc.iter().cloned().collect();
    notes.push(phrase(policy, &field.ty));
    if field.required {
        notes.push("required".into());
    } else {
        notes.push("optional (null means absent)".into());
    }
    if field.nonempty {
        notes.push("not empty".into());
    }
    if field.event {
        notes.push("an event: its date bounds the period under audit when none is given".into());
    }
    let described = describe(node, notes.join("; "));
    let unchecked = matches!(field.ty, Ty::Duration | Ty::Set(_) | Ty::Unknown);
    if field.required && unchecked {
        // A value bylaw does not check is still required to be there, and not null.
        described.with("not", json!({ "type": "null" }))
    } else if field.required {
        described
    } else {
        nullable(described)
    }
}

/// Whether a schema accepts any value: nothing but annotations in it.
fn is_any(entries: &[(String, Node)]) -> bool {
    entries
        .iter()
        .all(|(k, _)| matches!(k.as_str(), "description" | "title"))
}

/// The schema of a value of type `ty`, which is never null (a list's elements may be).
fn value_schema(policy: &Policy, ty: &Ty) -> Node {
    match ty {
        Ty::Bool => Node::object().with("type", "boolean"),
        Ty::Int => Node::object()
            .with("type", "integer")
            .with("minimum", json!(i64::MIN))
            .with("maximum", json!(u64::MAX)),
        Ty::Number => Node::object().with("type", "number"),
        Ty::String => Node::object().with("type", "string"),
        Ty::Ref(_) => Node::object().with("type", "string"),
        Ty::Date => reference(DATE),
        Ty::DateTime => reference(DATETIME),
        Ty::Enum(e) => reference(&enum_key(policy, *e)),
        Ty::Shape(s) => match policy.shapes.get(*s) {
            Some(shape) => reference(&shape.name),
            None => Node::object(),
        },
        // bylaw skips a `null` in a list, as it skips an absent field.
        Ty::Array(inner) => Node::object()
            .with("type", "array")
            .with("items", nullable(value_schema(policy, inner))),
        // bylaw does not check these values in records.
        Ty::Duration | Ty::Set(_) | Ty::Unknown => Node::object(),
    }
}

/// `schema`, or `null`.
fn nullable(schema: Node) -> Node {
    let Node::Object(mut entries) = schema else {
        return schema;
    };
    if is_any(&entries) {
        return Node::Object(entries);
    }
    let simple = entries.iter().all(|(k, _)| k != "$ref" && k != "allOf");
    if simple {
        if let Some((_, Node::Value(Json::String(t)))) = entries.iter().find(|(k, _)| k == "type") {
            let both = json!([t, "null"]);
            for (k, v) in &mut entries {
                if k == "type" {
                    *v = Node::Value(both.clone());
                }
            }
            return Node::Object(entries);
        }
    }
    // The annotations stay outside, where an editor shows them.
    let (notes, rest): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|(k, _)| k == "description" || k == "title");
    Node::Object(notes).with(
        "anyOf",
        Node::Array(vec![
            Node::Object(rest),
            Node::Value(json!({ "type": "null" })),
        ]),
    )
}

/// `schema` with a description, before its other keywords.
fn describe(schema: Node, text: String) -> Node {
    match schema {
        Node::Object(entries) => {
            let mut all = vec![("description".to_string(), Node::from(text))];
            all.extend(entries);
            Node::Object(all)
        }
        other => other,
    }
}

fn reference(name: &str) -> Node {
    Node::object().with("$ref", format!("#/$defs/{}", pointer_token(name)))
}

/// A `$defs` key as a JSON pointer token (RFC 6901).
fn pointer_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// An enum's `$defs` key: its name, or `<name>-enum` where a record type or shape has that name.
fn enum_key(policy: &Policy, id: usize) -> String {
    let name = policy.enums.get(id).map_or("enum", |e| e.name.as_str());
    if policy.shapes.iter().any(|s| s.name == name) {
        format!("{name}-enum")
    } else {
        name.to_string()
    }
}

/// `: mayor (the mayor), vice_mayor (a vice mayor), …` for an enum whose values have labels.
fn enum_legend(def: &crate::check::EnumDef) -> String {
    if def.variants.iter().all(|(_, l)| l.is_none()) {
        return String::new();
    }
    let items: Vec<String> = def
        .variants
        .iter()
        .map(|(v, l)| match l {
            Some(l) => format!("`{v}` ({l})"),
            None => format!("`{v}`"),
        })
        .collect();
    format!(": {}", items.join(", "))
}

/// What a value of type `ty` is, in words.
fn phrase(policy: &Policy, ty: &Ty) -> String {
    match ty {
        Ty::Bool => "true or false".into(),
        Ty::Int => "a whole number".into(),
        Ty::Number => "a number".into(),
        Ty::String => "a string".into(),
        Ty::Date => "a date (YYYY-MM-DD)".into(),
        Ty::DateTime => "a datetime (RFC 3339 with an offset)".into(),
        Ty::Enum(_) | Ty::Shape(_) => {
            let name = policy.type_name(ty);
            format!("{} `{name}`", crate::wording::article(&name))
        }
        Ty::Array(inner) => format!("a list, each {}", phrase(policy, inner)),
        Ty::Ref(_) => format!(
            "a reference: the `id` (a string) of a `{}` record in the same record set",
            policy.type_name(ty).trim_start_matches("-> ")
        ),
        Ty::Duration | Ty::Set(_) | Ty::Unknown => {
            format!("a `{}`, which bylaw does not check", policy.type_name(ty))
        }
    }
}
