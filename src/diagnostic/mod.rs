//! Located problems in an editor's files, rendered as `path:line:col` with the
//! source line and a caret. `table_reader` reads TOML so that every problem
//! is found in one pass; `text` checks what must fit on one line.

pub(crate) mod syntax;
pub(crate) mod table_reader;
pub(crate) mod text;

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// How bad a problem is: errors stop a command, warnings only inform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem at one place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What is wrong, as a sentence.
    pub message: String,
    /// Byte range in the file; `None` for a problem with the file as a whole.
    pub span: Option<Range<usize>>,
    /// A short note printed under the caret.
    pub label: Option<String>,
    /// What is expected instead.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A TOML parse or deserialisation error, keeping the location toml found.
    pub fn from_toml(error: &toml::de::Error) -> Self {
        let message = error.message().trim_end().to_string();
        let diagnostic = Diagnostic::error(message);
        match error.span() {
            Some(span) => diagnostic.at(span),
            None => diagnostic,
        }
    }
}

/// A file and every problem found in it.
#[derive(Debug, Clone)]
pub struct FileDiagnostics {
    /// The path as the user should see it (relative to the project).
    pub path: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileDiagnostics {
    pub fn new(path: impl Into<String>, source: impl Into<String>) -> Self {
        FileDiagnostics {
            path: path.into(),
            source: source.into(),
            diagnostics: Vec::new(),
        }
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// Renders every diagnostic, plain or with terminal colours.
    pub fn render(&self, styled: bool) -> String {
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut out = String::new();
        // Line starts, found once: each diagnostic shows only its own lines, so
        // reporting costs what the problems cost, not the size of the file.
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', self.source.as_bytes()).map(|i| i + 1))
            .collect();
        for diagnostic in &self.diagnostics {
            out.push_str(&renderer.render(&self.report(diagnostic, &line_starts)));
            out.push_str("\n\n");
        }
        out
    }

    fn report<'a>(&'a self, d: &'a Diagnostic, line_starts: &[usize]) -> Vec<Group<'a>> {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.primary_title(d.message.as_str());
        let mut groups = Vec::new();
        match &d.span {
            Some(span) => {
                let span = clamp_span(&self.source, span.clone());
                // The lines the span covers, and the number of the first.
                let first = line_starts
                    .partition_point(|&start| start <= span.start)
                    .max(1)
                    - 1;
                let last = line_starts
                    .partition_point(|&start| {
                        start <= span.end.max(span.start + 1).min(self.source.len())
                    })
                    .max(1)
                    - 1;
                let from = line_starts[first];
                let to = line_starts
                    .get(last + 1)
                    .copied()
                    .unwrap_or(self.source.len());
                let excerpt = &self.source[from..to];
                let mut annotation =
                    AnnotationKind::Primary.span(span.start - from..span.end - from);
                if let Some(label) = &d.label {
                    annotation = annotation.label(label.as_str());
                }
                groups.push(
                    title.element(
                        Snippet::source(excerpt)
                            .line_start(first + 1)
                            .path(self.path.as_str())
                            .annotation(annotation),
                    ),
                );
            }
            None => groups.push(title.element(annotate_snippets::Origin::path(self.path.as_str()))),
        }
        if let Some(help) = &d.help {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        groups
    }
}

impl fmt::Display for FileDiagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Why a file an editor writes could not be loaded: unreadable, or wrong with
/// located problems.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Read(#[from] crate::store::fs::FsError),
    #[error("{0}")]
    Invalid(Box<FileDiagnostics>),
}

/// Reads a file an editor writes. A file that is not UTF-8 text is a located
/// error at its first bad byte (line and column), not a failure to read.
pub(crate) fn read_source(path: &std::path::Path, shown: &str) -> Result<String, LoadError> {
    let bytes =
        std::fs::read(path).map_err(|e| crate::store::fs::FsError::new("cannot read", path, e))?;
    String::from_utf8(bytes).map_err(|error| {
        let at = error.utf8_error().valid_up_to();
        // The text up to the bad byte is kept as is, so places before it hold.
        let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        let mut report = FileDiagnostics::new(shown, text);
        report.push(
            Diagnostic::error("the file is not UTF-8 text")
                .at(at..end)
                .label("this byte is not UTF-8")
                .help("save the file as UTF-8 (editors call it \"UTF-8\" or \"Unicode\"); a word processor's file or another encoding will not do"),
        );
        LoadError::Invalid(Box::new(report))
    })
}

impl From<FileDiagnostics> for LoadError {
    fn from(report: FileDiagnostics) -> Self {
        LoadError::Invalid(Box::new(report))
    }
}

impl FileDiagnostics {
    /// The report as an error when it holds an error, else `value`.
    pub fn into_result<T>(self, value: T) -> Result<T, FileDiagnostics> {
        if self.error_count() > 0 {
            Err(self)
        } else {
            Ok(value)
        }
    }

    /// One located error in this file.
    pub fn with(mut self, diagnostic: Diagnostic) -> Self {
        self.push(diagnostic);
        self
    }
}

/// Keeps a span inside the text and on character boundaries, so that the
/// renderer never panics on a span from a stale or foreign source.
fn clamp_span(text: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
    start..end
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The place of `needle` inside the text at `span` (a string as written in the
/// file). A needle that is not there as written (it crosses a `\` line
/// continuation or an escape) is placed by the longest start of it that is;
/// failing that, the whole span.
pub(crate) fn narrow(source: &str, span: Range<usize>, needle: &str) -> Range<usize> {
    let Some(raw) = source.get(span.clone()) else {
        return span;
    };
    let prefixes = needle
        .char_indices()
        .map(|(at, c)| &needle[..at + c.len_utf8()])
        .rev();
    prefixes
        // One or two characters (a lone `[`) would point anywhere.
        .take_while(|prefix| prefix.len() == needle.len() || prefix.chars().count() > 2)
        .find_map(|prefix| raw.find(prefix).map(|at| (at, prefix.len())))
        .map_or(span.clone(), |(at, len)| {
            span.start + at..span.start + at + len
        })
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_needle_is_found_as_written_or_by_its_start_across_a_continuation() {
        let source = "intro = \"\"\"\nsee [a](https://ex.com/\\\n    path first\n\"\"\"\n";
        let span = 8..source.len() - 1;
        let at = |range: Range<usize>| &source[range];
        assert_eq!(
            at(narrow(source, span.clone(), "https://ex.com")),
            "https://ex.com"
        );
        // Decoded, the continuation is gone: the link is placed at its start.
        assert_eq!(
            at(narrow(
                source,
                span.clone(),
                "[a](https://ex.com/path first"
            )),
            "[a](https://ex.com/"
        );
        // A start too short to say where is no place: the whole string.
        assert_eq!(narrow(source, span.clone(), "[q"), span);
        assert_eq!(narrow(source, span.clone(), ""), span);
    }
}
