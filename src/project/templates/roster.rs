//! `templates/panel.toml`: the review panel, whose ids issue files name.

use toml::Spanned;
use toml::de::DeTable;

use crate::diagnostic::table_reader::TableReader;
use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::project::fields::{Field, Kind, Table};

/// The top level of `templates/panel.toml`.
pub static PANEL: Table = Table {
    name: "templates/panel.toml",
    doc: "The review panel, in the order the scorecard lists it.",
    fields: &[Field::tables("panelist", &PANELIST, 1, None)],
};

/// `[[panelist]]`.
pub(super) static PANELIST: Table = Table {
    name: "[[panelist]]",
    doc: "one per member of the panel",
    fields: &[
        Field::required(
            "id",
            Kind::Id,
            "\"skeptic\"",
            "how issue files name the panelist (`reviewer = \"skeptic\"`)",
        ),
        Field::required(
            "name",
            Kind::FilledLine,
            "\"The Skeptic\"",
            "the name the scorecard shows",
        ),
        Field::required(
            "role",
            Kind::FilledLine,
            "\"Benchmarks and claims\"",
            "what the panelist looks at, shown under the name",
        ),
    ],
};

/// One panelist of the roster.
#[derive(Debug, Clone)]
pub struct Panelist {
    /// The id used in issue files (`reviewer = "skeptic"`).
    pub id: Spanned<String>,
    pub name: String,
    pub role: String,
}

/// The review panel, in the order the scorecard lists it.
#[derive(Debug, Clone)]
pub struct Roster {
    pub panelists: Vec<Panelist>,
}

impl Roster {
    pub fn get(&self, id: &str) -> Option<&Panelist> {
        self.panelists.iter().find(|p| p.id.get_ref() == id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.panelists.iter().map(|p| p.id.get_ref().as_str())
    }

    pub fn parse(path: &str, source: &str) -> Result<Roster, FileDiagnostics> {
        let (roster, report) = crate::diagnostic::syntax::read(
            path,
            source,
            "README.md describes every key of templates/panel.toml",
            read_roster,
        );
        roster.ok_or(report)
    }
}

fn read_roster(table: &DeTable<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<Roster> {
    let mut reader = TableReader::new(table, 0..0, "templates/panel.toml", &PANEL, diagnostics);
    let tables = reader.tables("panelist");
    reader.finish();
    let tables = tables.unwrap_or_default();
    if tables.is_empty() {
        diagnostics.push(
            Diagnostic::error("the panel has nobody on it")
                .at(0..0)
                .help("add a [[panelist]] table with an id, a name and a role for each member of the panel"),
        );
        return None;
    }
    let mut panelists: Vec<Panelist> = Vec::new();
    let mut complete = true;
    for (i, (span, table)) in tables.iter().enumerate() {
        let what = format!("panelist {}", i + 1);
        let mut reader = TableReader::new(table, span.clone(), what, &PANELIST, diagnostics);
        let id = reader.required::<String>("id");
        let name = reader.required::<String>("name");
        let role = reader.required::<String>("role");
        reader.finish();
        let (Some(id), Some(name), Some(role)) = (id, name, role) else {
            complete = false;
            continue;
        };
        let valid = !id.value.is_empty()
            && id
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            diagnostics.push(
                Diagnostic::error(format!("panelist id `{}` is not a simple id", id.value))
                    .at(id.span.clone())
                    .help("use lowercase letters, digits and `-`, e.g. `skeptic`"),
            );
        }
        if panelists.iter().any(|p| *p.id.get_ref() == id.value) {
            diagnostics.push(
                Diagnostic::error(format!("panelist id `{}` is used twice", id.value))
                    .at(id.span.clone())
                    .help("every panelist needs an id of their own"),
            );
        }
        for text in [&name, &role] {
            if let Err(d) = crate::diagnostic::text::header_safe(&text.value, text.span.clone()) {
                diagnostics.push(d.help("write it on one line"));
            }
        }
        panelists.push(Panelist {
            id: Spanned::new(id.span, id.value),
            name: name.value,
            role: role.value,
        });
    }
    complete.then_some(Roster { panelists })
}
