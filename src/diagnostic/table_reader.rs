//! Field-by-field reading of a parsed TOML table, so that one pass reports every
//! unknown, missing or mistyped field with its location instead of stopping at the
//! first, as a derived `Deserialize` would.

use std::ops::Range;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::diagnostic::{Diagnostic, suggest};
use crate::project::fields::{Field, Kind, Need, Table};

/// A value read from the file, with the byte range it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// Reads the fields of one table, recording which keys were asked for so that
/// [`TableReader::finish`] can report the rest as unknown. What each key expects,
/// its range and its default come from the table's [`Table`] definition.
pub(crate) struct TableReader<'t, 'd, 'i> {
    table: &'t DeTable<'i>,
    /// Where a missing field is reported: the table's header.
    span: Range<usize>,
    /// What the table is, for messages: "the issue", "tool 2", "review 3 of Axolotl".
    what: String,
    spec: &'static Table,
    known: Vec<&'static str>,
    /// Required keys not found, with what they expect; reported by `finish`
    /// unless a misspelt key accounts for them.
    missing: Vec<(&'static Field, String)>,
    diagnostics: &'d mut Vec<Diagnostic>,
}

/// Stands in for a key the table's definition lacks (a bug that the tests of
/// every definition catch): it reads, but explains nothing.
static UNDEFINED: Field = Field::optional("", Kind::Text, "\"…\"", "see README.md");

impl<'t, 'd, 'i> TableReader<'t, 'd, 'i> {
    pub(crate) fn new(
        table: &'t DeTable<'i>,
        span: Range<usize>,
        what: impl Into<String>,
        spec: &'static Table,
        diagnostics: &'d mut Vec<Diagnostic>,
    ) -> Self {
        TableReader {
            table,
            span,
            what: what.into(),
            spec,
            known: Vec::new(),
            missing: Vec::new(),
            diagnostics,
        }
    }

    /// Records a problem found while reading this table.
    pub(crate) fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn field(&self, key: &str) -> &'static Field {
        self.spec.field(key).unwrap_or(&UNDEFINED)
    }

    /// A field that must be present.
    pub(crate) fn required<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
    ) -> Option<Located<T>> {
        self.required_unless(key, false, "")
    }

    /// A field that must be present unless `given` (something else, such as a
    /// tool profile, gives it); `note` is added to the advice when it is missing.
    pub(crate) fn required_unless<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
        given: bool,
        note: &str,
    ) -> Option<Located<T>> {
        let found = self.optional(key);
        if found.is_none() && !given && !self.table.contains_key(key) {
            self.missing.push((self.field(key), note.to_string()));
        }
        found
    }

    /// A field whose absence reads as its definition's default (at an empty span).
    pub(crate) fn defaulted<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
    ) -> Option<Located<T>> {
        if self.table.contains_key(key) {
            return self.optional(key);
        }
        self.known.push(key);
        let Need::Default(text) = self.field(key).need else {
            return None;
        };
        // A definition's default is a TOML value; the tests read every one.
        let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {text}"))
            .ok()?
            .remove("v")?;
        T::deserialize(value)
            .ok()
            .map(|value| Located { value, span: 0..0 })
    }

    /// A field that may be absent; present with the wrong type, out of its
    /// definition's range, or blank where it must say something, is an error.
    pub(crate) fn optional<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
    ) -> Option<Located<T>> {
        let value = self.raw(key)?;
        let span = value.span();
        let field = self.field(key);
        if let Some(problem) = out_of_range(field, value) {
            self.diagnostics.push(
                Diagnostic::error(format!("`{key}` {problem} is out of range"))
                    .at(span)
                    .label(format!("not {}", field.kind.describe()))
                    .help(format!("expected {}", field.expected())),
            );
            return None;
        }
        if blank(field, value) {
            self.diagnostics.push(
                Diagnostic::error(format!("`{key}` is empty"))
                    .at(span)
                    .label("nothing to show here")
                    .help(format!("expected {}", field.expected())),
            );
            return None;
        }
        match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(parsed) => Some(Located {
                value: parsed,
                span,
            }),
            Err(error) => {
                let found = value.get_ref().type_str();
                // serde names Rust types; editors know TOML's.
                let reason = error
                    .message()
                    .trim_end()
                    .replace("expected f64", "expected a number")
                    .replace("expected u64", "expected a whole number")
                    .replace("expected u32", "expected a whole number");
                self.diagnostics.push(
                    Diagnostic::error(format!("`{key}` has the wrong type or value: {reason}"))
                        .at(span)
                        .label(format!("this is {}", article(found)))
                        .help(format!("expected {}", field.expected())),
                );
                None
            }
        }
    }

    /// An array of tables (`[[key]]`), each with its header span. The caller
    /// says what an absent or short array means.
    pub(crate) fn tables(
        &mut self,
        key: &'static str,
    ) -> Option<Vec<(Range<usize>, &'t DeTable<'i>)>> {
        let expected = self.field(key).expected();
        let value = self.raw(key)?;
        let mut tables = Vec::new();
        let items = match value.get_ref().as_array() {
            Some(items) => items,
            None => {
                self.wrong_shape(key, value, "an array of tables", &expected);
                return None;
            }
        };
        for item in items.iter() {
            match item.get_ref().as_table() {
                Some(table) => tables.push((item.span(), table)),
                None => self.diagnostics.push(
                    Diagnostic::error(format!("each entry of `{key}` must be a table"))
                        .at(item.span())
                        .help(format!("expected {expected}")),
                ),
            }
        }
        Some(tables)
    }

    /// An array of tables (`[[key]]`) or one table (`[key]`, as files of
    /// earlier versions have it), each with its span.
    pub(crate) fn tables_or_table(
        &mut self,
        key: &'static str,
    ) -> Option<Vec<(Range<usize>, &'t DeTable<'i>)>> {
        let value = self.table.get(key)?;
        match value.get_ref().as_table() {
            Some(table) => {
                self.known.push(key);
                Some(vec![(value.span(), table)])
            }
            None => self.tables(key),
        }
    }

    /// A sub-table (`[key]`), with its span; a required one missing is reported.
    pub(crate) fn table(&mut self, key: &'static str) -> Option<(Range<usize>, &'t DeTable<'i>)> {
        let expected = self.field(key).expected();
        let found = self.raw(key);
        if found.is_none() && self.field(key).is_required() {
            self.missing.push((self.field(key), String::new()));
        }
        let value = found?;
        match value.get_ref().as_table() {
            Some(table) => Some((value.span(), table)),
            None => {
                self.wrong_shape(key, value, "a table", &expected);
                None
            }
        }
    }

    fn wrong_shape(
        &mut self,
        key: &str,
        value: &Spanned<DeValue<'i>>,
        shape: &str,
        expected: &str,
    ) {
        self.diagnostics.push(
            Diagnostic::error(format!("`{key}` must be {shape}"))
                .at(value.span())
                .label(format!("this is {}", article(value.get_ref().type_str())))
                .help(format!("expected {expected}")),
        );
    }

    /// The raw value of a key, marking the key as known.
    fn raw(&mut self, key: &'static str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.known.push(key);
        self.table.get(key)
    }

    /// Reports every key that no reader asked for, with the nearest known name,
    /// and every required key still missing. A misspelt required key is reported
    /// once, as the misspelling.
    pub(crate) fn finish(mut self) {
        for (key, _) in self.table.iter() {
            let name: &str = key.get_ref();
            if self.known.contains(&name) {
                continue;
            }
            let near = suggest(name, self.known.iter().copied());
            let diagnostic = Diagnostic::error(format!("unknown field `{name}` in {}", self.what))
                .at(key.span())
                .label(match near {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "not a field of this table".to_string(),
                })
                .help(format!("valid fields here: {}", self.known.join(", ")));
            self.diagnostics.push(diagnostic);
            self.missing
                .retain(|(missing, _)| Some(missing.key) != near);
        }
        for (field, note) in &self.missing {
            let key = field.key;
            let help = match field.kind {
                Kind::Table(_) => format!("add a [{key}] table: {}{note}", field.doc),
                Kind::Tables { .. } => format!("add [[{key}]] tables: {}{note}", field.doc),
                _ => format!("add `{key} = {}`: {}{note}", field.example, field.doc),
            };
            self.diagnostics.push(
                Diagnostic::error(format!("{} is missing `{key}`", self.what))
                    .at(self.span.clone())
                    .label(format!("`{key}` is required here"))
                    .help(help),
            );
        }
    }
}

/// The value as written when a number lies outside its definition's bounds.
fn out_of_range(field: &Field, value: &Spanned<DeValue<'_>>) -> Option<String> {
    let deserializer = || ValueDeserializer::from(value.clone());
    match field.kind {
        Kind::Integer { min, max } => {
            let number = i128::deserialize(deserializer()).ok()?;
            (!(i128::from(min)..=i128::from(max)).contains(&number)).then(|| number.to_string())
        }
        Kind::Number { min, max } => {
            let number = f64::deserialize(deserializer()).ok()?;
            (!(min..=max).contains(&number)).then(|| number.to_string())
        }
        _ => None,
    }
}

/// Whether a key that must say something holds only whitespace.
fn blank(field: &Field, value: &Spanned<DeValue<'_>>) -> bool {
    matches!(field.kind, Kind::FilledLine)
        && matches!(value.get_ref(), DeValue::String(text) if text.trim().is_empty())
}

fn article(type_name: &str) -> String {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {type_name}"),
        _ => format!("a {type_name}"),
    }
}
