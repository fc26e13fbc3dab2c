//! A small XML Schema (XSD 1.0) validator for the constructs `tests/schemas/junit-10.xsd` uses, so
//! the JUnit report is checked against the schema itself rather than against a copy of its rules.
//!
//! It reads the schema and refuses, with an error, every construct it does not implement (a
//! namespace, an annotation, a facet other than `pattern`, an inline type in a content model …):
//! a schema it cannot fully understand can never let a document pass. What it implements:
//!
//! - global `xs:element`s (with a `type` or an anonymous `xs:complexType`), named `xs:complexType`s
//!   and `xs:simpleType`s (a restriction of `xs:string` by `xs:pattern`s);
//! - complex types: `mixed`, one `xs:sequence` or `xs:choice` (nested freely, elements by `ref` or
//!   by `name` and `type`, `minOccurs` and `maxOccurs`), and `xs:attribute`s (`name`, `type`, `use`);
//! - `xs:string` content and attribute values.
//!
//! A content model becomes a regular expression over the children's names, which decides exactly
//! whether a sequence of children is allowed. Attributes are checked for being declared, present
//! when required, and of their simple type.

#![allow(dead_code)]

use std::collections::BTreeMap;

use quick_xml::events::{BytesStart, Event};
use regex::Regex;

const XS_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema";

/// An XML element read into memory: its name, attributes and text (entities resolved), and
/// children.
#[derive(Debug)]
pub struct Node {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// The element's own text, its children's left out.
    pub text: String,
}

impl Node {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a document into its root element; `Err` when it is not well-formed XML.
pub fn parse(document: &str) -> Result<Node, String> {
    let mut reader = quick_xml::Reader::from_str(document);
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("not well-formed XML: {e}"))?;
        match event {
            Event::Start(e) => stack.push(node(&e)?),
            Event::Empty(e) => {
                let n = node(&e)?;
                attach(&mut stack, &mut root, n)?;
            }
            Event::End(_) => {
                let n = stack.pop().ok_or("an end tag without a start")?;
                attach(&mut stack, &mut root, n)?;
            }
            Event::Text(t) => text(&mut stack, &t.into_inner())?,
            Event::CData(t) => text(&mut stack, &t.into_inner())?,
            Event::GeneralRef(r) => {
                let name = r.clone().into_inner();
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("unknown entity `&{name};`"))?
                        .to_string(),
                };
                text(&mut stack, &resolved)?;
            }
            Event::Eof => break,
            // The declaration, comments, processing instructions and a DOCTYPE carry no content.
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("an element is not closed".into());
    }
    root.ok_or_else(|| "no root element".into())
}

fn text(stack: &mut [Node], text: &str) -> Result<(), String> {
    match stack.last_mut() {
        Some(top) => top.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err("text outside the root element".into()),
    }
    Ok(())
}

fn node(start: &BytesStart<'_>) -> Result<Node, String> {
    let name = start.name().as_ref().to_string();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| format!("a bad attribute on `{name}`: {e}"))?;
        let key = attribute.key.as_ref().to_string();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("a bad attribute value on `{name}`: {e}"))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Node {
        name,
        attributes,
        children: Vec::new(),
        text: String::new(),
    })
}

fn attach(stack: &mut [Node], root: &mut Option<Node>, n: Node) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(n),
        None if root.is_none() => *root = Some(n),
        None => return Err("more than one root element".into()),
    }
    Ok(())
}

/// A simple type: `xs:string`, or a string restricted by patterns (any of which may match).
#[derive(Debug, Clone)]
enum Simple {
    String,
    Patterns(String, Vec<Regex>),
}

impl Simple {
    fn check(&self, value: &str) -> Result<(), String> {
        match self {
            Simple::String => Ok(()),
            Simple::Patterns(name, patterns) => {
                if patterns.iter().any(|p| p.is_match(value)) {
                    Ok(())
                } else {
                    Err(format!("`{value}` is not a valid `{name}`"))
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Attribute {
    ty: Simple,
    required: bool,
}

/// What an element may hold.
#[derive(Debug, Clone)]
enum Content {
    /// Text of a simple type; no attributes, no children.
    Simple(Simple),
    Complex(Complex),
}

#[derive(Debug, Clone)]
struct Complex {
    mixed: bool,
    attributes: BTreeMap<String, Attribute>,
    /// The content model as an anchored expression over `<name>` tokens.
    model: Regex,
    /// The declaration each child name refers to: a global element, or a local one's type.
    children: BTreeMap<String, Child>,
}

#[derive(Debug, Clone, PartialEq)]
enum Child {
    Global(String),
    /// A local element of type `xs:string` (the only local declaration this checker reads).
    LocalString,
}

#[derive(Debug, Clone)]
enum TypeRef {
    String,
    Named(String),
}

/// A schema read from an XSD document.
#[derive(Debug)]
pub struct Schema {
    elements: BTreeMap<String, Content>,
}

/// Refuses a schema element with attributes other than `allowed`.
fn only(node: &Node, allowed: &[&str]) -> Result<(), String> {
    for (name, _) in &node.attributes {
        if !allowed.contains(&name.as_str()) {
            return Err(format!(
                "unsupported XSD construct: attribute `{name}` on `{}`",
                node.name
            ));
        }
    }
    if !node.text.trim().is_empty() {
        return Err(format!(
            "unsupported XSD construct: text in `{}`",
            node.name
        ));
    }
    Ok(())
}

fn required<'a>(node: &'a Node, name: &str) -> Result<&'a str, String> {
    node.attribute(name)
        .ok_or_else(|| format!("`{}` has no `{name}`", node.name))
}

fn unsupported(node: &Node) -> String {
    format!("unsupported XSD construct: `{}`", node.name)
}

fn occurs(node: &Node) -> Result<(u32, Option<u32>), String> {
    let min = match node.attribute("minOccurs") {
        None => 1,
        Some(v) => v.parse().map_err(|_| format!("bad minOccurs `{v}`"))?,
    };
    let max = match node.attribute("maxOccurs") {
        None => Some(1),
        Some("unbounded") => None,
        Some(v) => Some(v.parse().map_err(|_| format!("bad maxOccurs `{v}`"))?),
    };
    if max.is_some_and(|m| m < min) {
        return Err(format!("maxOccurs below minOccurs on `{}`", node.name));
    }
    Ok((min, max))
}

fn repeat(expression: String, (min, max): (u32, Option<u32>)) -> String {
    match max {
        Some(max) => format!("(?:{expression}){{{min},{max}}}"),
        None => format!("(?:{expression}){{{min},}}"),
    }
}

/// An XSD pattern as an anchored Rust regular expression. XSD patterns are a dialect; the
/// constructs whose meaning differs (`^` and `$` are literals in XSD, `\i`, `\c`, `\p{Is…}`,
/// class subtraction `-[`) are refused rather than guessed.
fn pattern(value: &str) -> Result<Regex, String> {
    for construct in ["^", "$", "\\i", "\\I", "\\c", "\\C", "\\p", "\\P", "-["] {
        if value.contains(construct) {
            return Err(format!(
                "unsupported XSD construct: `{construct}` in the pattern `{value}`"
            ));
        }
    }
    Regex::new(&format!("^(?:{value})$")).map_err(|e| format!("bad pattern `{value}`: {e}"))
}

struct Reader<'a> {
    simple: BTreeMap<&'a str, &'a Node>,
    complex: BTreeMap<&'a str, &'a Node>,
    globals: BTreeMap<&'a str, &'a Node>,
}

impl<'a> Reader<'a> {
    fn type_ref(&self, name: &str) -> Result<TypeRef, String> {
        match name.strip_prefix("xs:") {
            Some("string") => Ok(TypeRef::String),
            Some(other) => Err(format!(
                "unsupported XSD construct: built-in type `xs:{other}`"
            )),
            None if self.simple.contains_key(name) || self.complex.contains_key(name) => {
                Ok(TypeRef::Named(name.to_string()))
            }
            None => Err(format!("no type named `{name}`")),
        }
    }

    fn simple_type(&self, name: &str) -> Result<Simple, String> {
        match self.type_ref(name)? {
            TypeRef::String => Ok(Simple::String),
            TypeRef::Named(n) => {
                let node = self
                    .simple
                    .get(n.as_str())
                    .ok_or_else(|| format!("`{n}` is not a simple type"))?;
                only(node, &["name"])?;
                let [restriction] = node.children.as_slice() else {
                    return Err(format!("simple type `{n}`: one `xs:restriction` expected"));
                };
                if restriction.name != "xs:restriction" {
                    return Err(unsupported(restriction));
                }
                only(restriction, &["base"])?;
                if required(restriction, "base")? != "xs:string" {
                    return Err(format!(
                        "unsupported XSD construct: a restriction of `{}`",
                        required(restriction, "base")?
                    ));
                }
                let mut patterns = Vec::new();
                for facet in &restriction.children {
                    if facet.name != "xs:pattern" {
                        return Err(unsupported(facet));
                    }
                    only(facet, &["value"])?;
                    patterns.push(pattern(required(facet, "value")?)?);
                }
                if patterns.is_empty() {
                    return Ok(Simple::String);
                }
                Ok(Simple::Patterns(n, patterns))
            }
        }
    }

    fn content(&self, ty: &TypeRef) -> Result<Content, String> {
        match ty {
            TypeRef::String => Ok(Content::Simple(Simple::String)),
            TypeRef::Named(n) => match self.complex.get(n.as_str()) {
                Some(node) => self.complex_type(node, true).map(Content::Complex),
                None => self.simple_type(n).map(Content::Simple),
            },
        }
    }

    fn complex_type(&self, node: &Node, named: bool) -> Result<Complex, String> {
        only(
            node,
            if named {
                &["name", "mixed"]
            } else {
                &["mixed"]
            },
        )?;
        let mixed = match node.attribute("mixed") {
            None | Some("false") => false,
            Some("true") => true,
            Some(v) => return Err(format!("bad `mixed` value `{v}`")),
        };
        let mut attributes = BTreeMap::new();
        let mut children = BTreeMap::new();
        let mut model = String::new();
        let mut particles = 0;
        for child in &node.children {
            match child.name.as_str() {
                "xs:sequence" | "xs:choice" if attributes.is_empty() => {
                    particles += 1;
                    model = self.particle(child, &mut children)?;
                }
                "xs:attribute" => {
                    only(child, &["name", "type", "use"])?;
                    let name = required(child, "name")?.to_string();
                    let ty = self.simple_type(required(child, "type")?)?;
                    let required = match child.attribute("use") {
                        None | Some("optional") => false,
                        Some("required") => true,
                        Some(v) => return Err(format!("bad `use` value `{v}`")),
                    };
                    if attributes
                        .insert(name.clone(), Attribute { ty, required })
                        .is_some()
                    {
                        return Err(format!("attribute `{name}` declared twice"));
                    }
                }
                _ => return Err(unsupported(child)),
            }
        }
        if particles > 1 {
            return Err("more than one content model in a complex type".into());
        }
        let model = Regex::new(&format!("^(?:{model})$")).map_err(|e| e.to_string())?;
        Ok(Complex {
            mixed,
            attributes,
            model,
            children,
        })
    }

    /// A sequence, choice or element particle as an expression over `<name>` tokens.
    fn particle(&self, node: &Node, names: &mut BTreeMap<String, Child>) -> Result<String, String> {
        match node.name.as_str() {
            "xs:sequence" | "xs:choice" => {
                only(node, &["minOccurs", "maxOccurs"])?;
                let parts = node
                    .children
                    .iter()
                    .map(|c| self.particle(c, names))
                    .collect::<Result<Vec<_>, _>>()?;
                let joined = if node.name == "xs:sequence" {
                    parts.concat()
                } else if parts.is_empty() {
                    // An empty choice matches nothing.
                    "[^\\s\\S]".to_string()
                } else {
                    parts.join("|")
                };
                Ok(repeat(joined, occurs(node)?))
            }
            "xs:element" => {
                let (name, child) = if let Some(global) = node.attribute("ref") {
                    only(node, &["ref", "minOccurs", "maxOccurs"])?;
                    if !self.globals.contains_key(global) {
                        return Err(format!("no global element `{global}`"));
                    }
                    (global.to_string(), Child::Global(global.to_string()))
                } else {
                    only(node, &["name", "type", "minOccurs", "maxOccurs"])?;
                    if let Some(inline) = node.children.first() {
                        return Err(unsupported(inline));
                    }
                    let ty = required(node, "type")?;
                    if ty != "xs:string" {
                        return Err(format!(
                            "unsupported XSD construct: a local element of type `{ty}`"
                        ));
                    }
                    (required(node, "name")?.to_string(), Child::LocalString)
                };
                // Two declarations of one name in a content model must agree (XSD's "element
                // declarations consistent"); this checker only accepts the same one.
                match names.get(&name) {
                    Some(known) if *known == child => {}
                    Some(_) => return Err(format!("`{name}` declared twice in a content model")),
                    None => {
                        names.insert(name.clone(), child);
                    }
                }
                Ok(repeat(regex::escape(&format!("<{name}>")), occurs(node)?))
            }
            _ => Err(unsupported(node)),
        }
    }
}

impl Schema {
    /// Reads an XSD; `Err` names the first construct it does not understand.
    pub fn parse(xsd: &str) -> Result<Schema, String> {
        let root = parse(xsd)?;
        if root.name != "xs:schema" {
            return Err(format!("the root is `{}`, not `xs:schema`", root.name));
        }
        only(&root, &["xmlns:xs"])?;
        if root.attribute("xmlns:xs") != Some(XS_NAMESPACE) {
            return Err(format!("`xs` must be bound to {XS_NAMESPACE}"));
        }
        let mut reader = Reader {
            simple: BTreeMap::new(),
            complex: BTreeMap::new(),
            globals: BTreeMap::new(),
        };
        for child in &root.children {
            let table = match child.name.as_str() {
                "xs:simpleType" => &mut reader.simple,
                "xs:complexType" => &mut reader.complex,
                "xs:element" => &mut reader.globals,
                _ => return Err(unsupported(child)),
            };
            let name = required(child, "name")?;
            if table.insert(name, child).is_some() {
                return Err(format!("`{name}` declared twice"));
            }
        }
        let mut elements = BTreeMap::new();
        for (&name, node) in &reader.globals {
            let content = if let Some(ty) = node.attribute("type") {
                only(node, &["name", "type"])?;
                if !node.children.is_empty() {
                    return Err(format!("element `{name}` has both a type and children"));
                }
                reader.content(&reader.type_ref(ty)?)?
            } else {
                only(node, &["name"])?;
                match node.children.as_slice() {
                    [ty] if ty.name == "xs:complexType" => {
                        Content::Complex(reader.complex_type(ty, false)?)
                    }
                    // No type is `xs:anyType`; anything else beside the type is not read.
                    _ => {
                        return Err(format!(
                            "unsupported XSD construct: the declaration of element `{name}`"
                        ))
                    }
                }
            };
            elements.insert(name.to_string(), content);
        }
        // Check the named types every element refers to, even those no global uses directly.
        for name in reader.complex.keys().chain(reader.simple.keys()) {
            reader.content(&TypeRef::Named(name.to_string()))?;
        }
        Ok(Schema { elements })
    }

    /// Every way `document` breaks the schema (empty when it is valid), each with the path of
    /// the element at fault.
    pub fn validate(&self, document: &str) -> Vec<String> {
        let root = match parse(document) {
            Ok(root) => root,
            Err(e) => return vec![e],
        };
        let mut errors = Vec::new();
        match self.elements.get(&root.name) {
            Some(content) => self.element(&root, content, &root.name, &mut errors),
            None => errors.push(format!(
                "`{}` is not a global element of the schema",
                root.name
            )),
        }
        errors
    }

    fn element(&self, node: &Node, content: &Content, path: &str, errors: &mut Vec<String>) {
        match content {
            Content::Simple(ty) => {
                if let Some((name, _)) = node.attributes.first() {
                    errors.push(format!("{path}: attribute `{name}` is not allowed"));
                }
                if !node.children.is_empty() {
                    errors.push(format!("{path}: holds elements, but its type is text"));
                }
                if let Err(e) = ty.check(&node.text) {
                    errors.push(format!("{path}: {e}"));
                }
            }
            Content::Complex(complex) => {
                for (name, value) in &node.attributes {
                    if name == "xmlns" || name.starts_with("xmlns:") {
                        continue;
                    }
                    match complex.attributes.get(name) {
                        None => errors.push(format!("{path}: attribute `{name}` is not allowed")),
                        Some(a) => {
                            if let Err(e) = a.ty.check(value) {
                                errors.push(format!("{path}: attribute `{name}`: {e}"));
                            }
                        }
                    }
                }
                for (name, a) in &complex.attributes {
                    if a.required && node.attribute(name).is_none() {
                        errors.push(format!("{path}: required attribute `{name}` is missing"));
                    }
                }
                if !node.text.trim().is_empty() && !complex.mixed {
                    errors.push(format!("{path}: text is not allowed here"));
                }
                let tokens: String = node
                    .children
                    .iter()
                    .map(|c| format!("<{}>", c.name))
                    .collect();
                if !complex.model.is_match(&tokens) {
                    errors.push(format!(
                        "{path}: children {tokens} do not match the content model"
                    ));
                }
                for (i, child) in node.children.iter().enumerate() {
                    let child_path = format!("{path}/{}[{i}]", child.name);
                    match complex.children.get(&child.name) {
                        // Not in the model: already reported by the content model.
                        None => {}
                        Some(Child::Global(g)) => match self.elements.get(g) {
                            Some(c) => self.element(child, c, &child_path, errors),
                            None => errors.push(format!("{child_path}: no declaration")),
                        },
                        Some(Child::LocalString) => self.element(
                            child,
                            &Content::Simple(Simple::String),
                            &child_path,
                            errors,
                        ),
                    }
                }
            }
        }
    }
}
