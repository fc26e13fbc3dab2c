//! Shared vocabulary: the one diagnostic type that every stage reports with.
//!
//! Policy errors, bad inputs and findings all become a [`Diagnostic`]: a severity, a stable code, a
//! one-line message, labelled spans in one source file, and help. The CLI renders it with miette and
//! the language server converts the same value, so a problem is described once.

use std::fmt;
use std::sync::Arc;

use crate::source::{SourceFile, Span};

/// How binding a diagnostic is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Error,
    Warning,
    Advice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "advice",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A labelled place in the diagnostic's source.
#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub text: Option<String>,
    pub primary: bool,
}

impl Label {
    /// The first primary label's span, or the first label's.
    pub fn primary_span(labels: &[Label]) -> Option<Span> {
        labels
            .iter()
            .find(|l| l.primary)
            .or(labels.first())
            .map(|l| l.span)
    }

    pub fn primary(span: Span, text: impl Into<String>) -> Label {
        Label {
            span,
            text: Some(text.into()),
            primary: true,
        }
    }

    pub fn secondary(span: Span, text: impl Into<String>) -> Label {
        Label {
            span,
            text: Some(text.into()),
            primary: false,
        }
    }
}

/// One problem, ready to render.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    pub source: Option<Arc<SourceFile>>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// Further diagnostics shown beneath this one (for example the other place of a duplicate).
    pub related: Vec<Diagnostic>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            code: code.into(),
            message: message.into(),
            source: None,
            labels: Vec::new(),
            help: None,
            related: Vec::new(),
        }
    }

    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, message)
    }

    pub fn in_file(mut self, source: Arc<SourceFile>) -> Diagnostic {
        self.source = Some(source);
        self
    }

    pub fn with_label(mut self, label: Label) -> Diagnostic {
        self.labels.push(label);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The first primary label's span, if any.
    pub fn primary_span(&self) -> Option<Span> {
        Label::primary_span(&self.labels)
    }

    /// Moves its text (and its related diagnostics' texts) `by` lines down their file.
    pub fn shift_lines(&mut self, by: isize) {
        if let Some(source) = &mut self.source {
            *source = source.shifted(by);
        }
        self.related.iter_mut().for_each(|r| r.shift_lines(by));
    }

    /// 1-based line and column of the primary label.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        let source = self.source.as_ref()?;
        Some(source.line_column(self.primary_span()?.start))
    }
}

impl From<Severity> for miette::Severity {
    fn from(severity: Severity) -> miette::Severity {
        match severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Advice => miette::Severity::Advice,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity.into())
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_deref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() || self.source.is_none() {
            return None;
        }
        Some(Box::new(self.labels.iter().map(|l| {
            if l.primary {
                miette::LabeledSpan::new_primary_with_span(l.text.clone(), l.span)
            } else {
                miette::LabeledSpan::new_with_span(l.text.clone(), l.span)
            }
        })))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}
