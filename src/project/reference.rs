//! What editors are told about their files, generated from the readers' own
//! field definitions ([`crate::project::fields`]): README's reference tables
//! and a JSON Schema per file, which TOML editors (Taplo, Even Better TOML)
//! use to complete keys and flag mistakes as one types.

use serde_json::{Map, Value, json};

use crate::project::fields::{Field, Kind, Need, Table};

/// One kind of file an editor writes.
#[derive(Debug)]
pub struct FileKind {
    /// Where it lives in a project, as README names it.
    pub path: &'static str,
    /// Its schema's file name in `schemas/`.
    pub schema: &'static str,
    pub root: &'static Table,
}

/// Every file an editor writes, in the order README describes them.
pub const FILES: &[FileKind] = &[
    FileKind {
        path: "verdict.toml",
        schema: "verdict.schema.json",
        root: &crate::project::config::fields::ROOT,
    },
    FileKind {
        path: "templates/theme.toml",
        schema: "theme.schema.json",
        root: &crate::project::templates::THEME,
    },
    FileKind {
        path: "templates/panel.toml",
        schema: "panel.schema.json",
        root: &crate::project::templates::PANEL,
    },
    FileKind {
        path: "templates/emails.toml",
        schema: "emails.schema.json",
        root: &crate::project::templates::EMAILS,
    },
    FileKind {
        path: "tools/ID.toml",
        schema: "tool.schema.json",
        root: &crate::author::issue::fields::PROFILE,
    },
    FileKind {
        path: "issues/YYYY-MM-DD-slug.toml",
        schema: "issue.schema.json",
        root: &crate::author::issue::fields::ROOT,
    },
];

/// The folder of a project that holds the schemas.
pub const SCHEMA_DIR: &str = "schemas";

impl FileKind {
    /// The file kind of a path relative to the project, if an editor writes it.
    pub fn of(relative: &str) -> Option<&'static FileKind> {
        if relative.starts_with("issues/") {
            return FILES.last();
        }
        if relative.starts_with("tools/") && relative.ends_with(".toml") {
            return FILES.iter().find(|f| f.path == "tools/ID.toml");
        }
        FILES.iter().find(|f| f.path == relative)
    }

    /// The first line of such a file: where Taplo finds its schema, relative
    /// to the file.
    pub fn schema_line(&self) -> String {
        let depth = self.path.matches('/').count();
        format!(
            "#:schema {}{SCHEMA_DIR}/{}",
            "../".repeat(depth),
            self.schema
        )
    }

    /// The JSON Schema (draft-07, which Taplo reads) of this file.
    pub fn json_schema(&self) -> Value {
        let mut schema = object_schema(self.root);
        if let Value::Object(map) = &mut schema {
            map.insert(
                "$schema".into(),
                json!("http://json-schema.org/draft-07/schema#"),
            );
            map.insert(
                "title".into(),
                json!(format!(
                    "{} (verdict {})",
                    self.path,
                    env!("CARGO_PKG_VERSION")
                )),
            );
        }
        schema
    }

    /// The schema as written into `schemas/`.
    pub fn json_schema_text(&self) -> String {
        // A serde_json::Value always serialises.
        let mut text = serde_json::to_string_pretty(&self.json_schema()).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Every table of a file, depth first, each once.
fn tables(root: &'static Table) -> Vec<&'static Table> {
    let mut found: Vec<&'static Table> = Vec::new();
    let mut stack = vec![root];
    while let Some(table) = stack.pop() {
        if found.iter().any(|t| std::ptr::eq(*t, table)) {
            continue;
        }
        found.push(table);
        for field in table.fields.iter().rev() {
            match field.kind {
                Kind::Table(sub) | Kind::Tables { table: sub, .. } => stack.push(sub),
                _ => {}
            }
        }
    }
    found
}

/// README's reference: one table of keys per table of each file.
pub fn readme_reference() -> String {
    let mut out = String::new();
    for file in FILES {
        out.push_str(&format!("### `{}`\n\n{}\n", file.path, file.root.doc));
        for table in tables(file.root) {
            if !std::ptr::eq(table, file.root) {
                out.push_str(&format!("\n`{}`: {}.\n", table.name, table.doc));
            }
            out.push_str(
                "\n| key | type | default | example | what |\n| --- | --- | --- | --- | --- |\n",
            );
            for field in table.fields {
                out.push_str(&readme_row(field));
            }
        }
        out.push('\n');
    }
    out
}

fn readme_row(field: &Field) -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let (key, example) = match field.kind {
        Kind::Table(table) => (
            format!("`[{}]`", field.key),
            format!("see `{}`", table.name),
        ),
        Kind::Tables { table, .. } => (
            format!("`[[{}]]`", field.key),
            format!("see `{}`", table.name),
        ),
        _ => (
            format!("`{}`", field.key),
            format!("`{}`", cell(field.example)),
        ),
    };
    let default = match field.need {
        Need::Required => "required".to_string(),
        Need::Optional => "none".to_string(),
        Need::Default(value) => format!("`{}`", cell(value)),
        Need::Otherwise(text) => cell(text),
    };
    format!(
        "| {key} | {} | {default} | {example} | {} |\n",
        cell(&field.kind.describe()),
        cell(field.doc)
    )
}

/// A TOML value as JSON, for defaults and examples; a datetime becomes its text.
fn toml_to_json(text: &str) -> Option<Value> {
    let value = toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()?
        .remove("v")?;
    Some(match value {
        toml::Value::Datetime(datetime) => json!(datetime.to_string()),
        other => serde_json::to_value(other).ok()?,
    })
}

fn object_schema(table: &'static Table) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in table.fields {
        properties.insert(field.key.into(), field_schema(field));
        if field.is_required() {
            required.push(json!(field.key));
        }
    }
    json!({
        "type": "object",
        "description": table.doc,
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn field_schema(field: &Field) -> Value {
    let mut schema = match kind_schema(field.kind) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut description = field.doc.to_string();
    if let Need::Otherwise(text) = field.need {
        description.push_str(&format!(" (when absent: {text})"));
    }
    schema.insert("description".into(), json!(description));
    if let Need::Default(value) = field.need
        && let Some(value) = toml_to_json(value)
    {
        schema.insert("default".into(), value);
    }
    if let Some(example) = toml_to_json(field.example) {
        schema.insert("examples".into(), json!([example]));
    }
    Value::Object(schema)
}

fn kind_schema(kind: Kind) -> Value {
    let text = |pattern: Option<&str>| match pattern {
        Some(pattern) => json!({ "type": "string", "pattern": pattern }),
        None => json!({ "type": "string" }),
    };
    match kind {
        Kind::Text
        | Kind::Markdown
        | Kind::Address
        | Kind::Colour
        | Kind::Path
        | Kind::TimeZone => text(None),
        Kind::Line => text(Some("^[^\\r\\n]*$")),
        Kind::FilledLine => text(Some("^[^\\r\\n]*[^\\s][^\\r\\n]*$")),
        Kind::WebUrl => text(Some("^https?://")),
        Kind::SiteUrl => text(Some(
            "^(https://|http://(localhost|127\\.[0-9.]+|\\[::1\\])(:[0-9]+)?(/|$))",
        )),
        Kind::Language => text(Some("^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")),
        Kind::Transport => text(Some("^(outbox:|smtps?://)")),
        Kind::Id => text(Some("^[a-z0-9-]+$")),
        Kind::Domain => text(Some("^[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*$")),
        Kind::Networks => json!({ "type": "array", "items": { "type": "string" } }),
        Kind::Boolean => json!({ "type": "boolean" }),
        Kind::Integer { min, max } if max == u64::MAX => {
            json!({ "type": "integer", "minimum": min })
        }
        Kind::Integer { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::Number { min, max } => json!({ "type": "number", "minimum": min, "maximum": max }),
        Kind::Datetime => json!({ "type": "string", "format": "date-time" }),
        Kind::Choice {
            options,
            any_case: false,
        } => json!({ "type": "string", "enum": options }),
        Kind::Choice {
            options,
            any_case: true,
        } => {
            // Completion offers the words as written; any case is accepted.
            let any_case: Vec<String> = options
                .iter()
                .map(|word| {
                    word.chars()
                        .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
                        .collect()
                })
                .collect();
            json!({ "anyOf": [
                { "type": "string", "enum": options },
                { "type": "string", "pattern": format!("^\\s*({})\\s*$", any_case.join("|")) },
            ] })
        }
        Kind::Table(table) => object_schema(table),
        Kind::Tables { table, min, max } => {
            let mut schema =
                json!({ "type": "array", "items": object_schema(table), "minItems": min });
            if let (Some(max), Value::Object(map)) = (max, &mut schema) {
                map.insert("maxItems".into(), json!(max));
            }
            schema
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::FileDiagnostics;

    /// A document with every key of `table` set to its example (each array of
    /// tables holding as many entries as it needs), plus `unknown = 1` in
    /// every table.
    fn example(table: &'static Table) -> toml::Table {
        let mut document = toml::Table::new();
        for field in table.fields {
            let value = match field.kind {
                Kind::Table(sub) => toml::Value::Table(example(sub)),
                Kind::Tables {
                    table: sub, min, ..
                } => toml::Value::Array(
                    (0..min.max(1))
                        .map(|_| toml::Value::Table(example(sub)))
                        .collect(),
                ),
                _ => toml::from_str::<toml::Table>(&format!("v = {}", field.example))
                    .unwrap_or_else(|e| panic!("{}: example {}: {e}", field.key, field.example))
                    .remove("v")
                    .unwrap(),
            };
            document.insert(field.key.into(), value);
        }
        document.insert("unknown".into(), toml::Value::Integer(1));
        document
    }

    fn read(file: &FileKind, source: &str) -> FileDiagnostics {
        use crate::project::templates::{Emails, Roster, Theme};
        let roster = || {
            let panel = toml::to_string(&example(&crate::project::templates::PANEL))
                .unwrap()
                .replace("unknown = 1\n", "");
            Roster::parse("templates/panel.toml", &panel).unwrap()
        };
        match file.path {
            "verdict.toml" => crate::project::config::Config::parse(file.path, source).unwrap_err(),
            "templates/theme.toml" => Theme::parse(file.path, source).unwrap_err(),
            "templates/panel.toml" => Roster::parse(file.path, source).unwrap_err(),
            "templates/emails.toml" => Emails::parse(file.path, source).unwrap_err(),
            "tools/ID.toml" => crate::author::issue::ToolProfile::parse(
                "example",
                source,
                &std::collections::BTreeSet::new(),
            )
            .unwrap_err(),
            _ => {
                let roster = roster();
                // The profiles the example `tool = "axolotl"` names, and a
                // second tool for the second [[tool]], which may not be the first again.
                let dir = tempfile::tempdir().unwrap();
                std::fs::write(dir.path().join("axolotl.toml"), "name = \"Axolotl\"\n").unwrap();
                std::fs::write(dir.path().join("mistral.toml"), "name = \"Mistral\"\n").unwrap();
                let tools = crate::author::issue::ToolProfiles::load(dir.path()).unwrap();
                let mut tables: Vec<String> =
                    source.split("[[tool]]").map(str::to_string).collect();
                if let Some(second) = tables.get_mut(2) {
                    *second = second
                        .replace("axolotl", "mistral")
                        .replace("Axolotl", "Mistral");
                }
                crate::author::issue::Issue::parse(
                    "issues/2026-11-26-example.toml",
                    &tables.join("[[tool]]"),
                    crate::author::issue::Catalog {
                        roster: &roster,
                        tools: &tools,
                    },
                )
                .unwrap_err()
            }
        }
    }

    #[test]
    fn every_definition_is_what_its_reader_reads() {
        for file in FILES {
            let source = toml::to_string(&example(file.root)).unwrap();
            let report = read(file, &source);
            let rendered = report.render(false);
            // Every example is valid, and every key is read: the only errors are
            // the unknown keys, one per table, each listing exactly the defined keys.
            for diagnostic in &report.diagnostics {
                assert!(
                    diagnostic.message.starts_with("unknown field `unknown`"),
                    "{}: {rendered}",
                    file.path
                );
            }
            let mut listed: Vec<String> = report
                .diagnostics
                .iter()
                .map(|d| d.help.clone().unwrap_or_default())
                .collect();
            let mut defined: Vec<String> = tables(file.root)
                .iter()
                .map(|t| {
                    format!(
                        "valid fields here: {}",
                        t.keys().collect::<Vec<_>>().join(", ")
                    )
                })
                .collect();
            listed.sort();
            listed.dedup();
            defined.sort();
            defined.dedup();
            assert_eq!(listed, defined, "{}: {rendered}", file.path);
        }
    }

    #[test]
    fn every_default_is_a_value_of_its_kind() {
        for file in FILES {
            for table in tables(file.root) {
                for field in table.fields {
                    if let Need::Default(value) = field.need {
                        assert!(toml_to_json(value).is_some(), "{}: {value}", field.key);
                    }
                }
            }
        }
    }

    #[test]
    fn the_schema_line_points_from_the_file_to_its_schema() {
        assert_eq!(
            FILES[0].schema_line(),
            "#:schema schemas/verdict.schema.json"
        );
        assert_eq!(
            FileKind::of("issues/2026-11-26-x.toml")
                .unwrap()
                .schema_line(),
            "#:schema ../schemas/issue.schema.json"
        );
        let schema = FileKind::of("templates/theme.toml").unwrap().json_schema();
        assert_eq!(
            schema["properties"]["colors"]["required"]
                .as_array()
                .unwrap()
                .len(),
            9
        );
        assert_eq!(schema["additionalProperties"], json!(false));
    }
}
