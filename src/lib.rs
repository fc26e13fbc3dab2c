//! bylaw: policy-as-code for the work rules of a city government.
//!
//! The pipeline, left to right: [`discover`] finds record files; [`source`] holds texts and spans
//! (a whole file, or one record's text as a fragment of its file); [`records`] reads a source as a
//! stream of records and locates a JSON pointer in a record's text; [`time`] is the dates and
//! datetimes records are written in, shared by every stage; [`types`] the value types of the
//! language and [`builtins`] the registry of builtin functions, both below `check` and `eval`;
//! [`syntax`] parses policy files with pest into the [`ast`]; [`check`] resolves names and types
//! against the record types the policy declares and compiles each rule; [`eval`] judges a record
//! against a compiled rule, and (its record-set stage, [`eval::set`]) the record set from the facts
//! gathered as it was read; [`finding`] is what evaluation finds, typed, below the stages that read
//! it; [`audit`] drives a whole record set (files in parallel, then the record-set stage) into one
//! outcome; [`report`] turns findings into human and machine output; [`cli`] ties it to the command
//! line. [`diagnostic`] is the one problem type every stage reports with. [`examples`] holds each
//! rule's passing and failing example, which `explain` shows and `verify` checks. [`wording`] holds
//! the shared rules of message prose (a/an, a number's noun, weekday names). [`lsp`] is the other
//! front end: the language server that checks records as they are typed.

pub mod ast;
pub mod audit;
pub mod builtins;
pub mod calendar;
pub mod check;
pub mod cli;
pub mod counter;
pub mod diagnostic;
pub mod discover;
pub mod eval;
pub mod examples;
pub mod finding;
pub mod json;
pub mod lsp;
pub mod policy_files;
pub mod records;
pub mod report;
pub mod source;
pub mod syntax;
pub mod text;
pub mod time;
pub mod types;
pub mod wording;
