//! The keys of every file an editor writes, as data: what each holds, whether
//! it is required, its default and an example. The readers take their keys,
//! ranges and defaults from here, and README's reference and the JSON Schemas
//! are generated from here, so that the three cannot drift apart.

/// What a key holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Any text.
    Text,
    /// Text on one line (it may reach a header or a heading).
    Line,
    /// Text on one line that must say something: empty or blank is an error.
    FilledLine,
    /// Markdown text.
    Markdown,
    /// An `http://` or `https://` address.
    WebUrl,
    /// An `https://` address (or `http://` on this machine, for trying it out).
    SiteUrl,
    /// An email address, with or without a display name.
    Address,
    /// A whole number within bounds.
    Integer { min: u64, max: u64 },
    /// A number within bounds.
    Number { min: f64, max: f64 },
    /// A TOML datetime with a UTC offset, written without quotes.
    Datetime,
    /// One of a few words; `any_case` when "Ship" reads as "ship".
    Choice {
        options: &'static [&'static str],
        any_case: bool,
    },
    /// An opaque CSS colour.
    Colour,
    /// A path, relative to the project or absolute.
    Path,
    /// An IANA time zone name.
    TimeZone,
    /// A language tag such as `en` or `pt-BR`.
    Language,
    /// `outbox:DIR` or an SMTP URL.
    Transport,
    /// Lowercase letters, digits and `-`.
    Id,
    /// A domain name.
    Domain,
    /// A list of IP addresses or networks (`10.0.0.0/8`).
    Networks,
    /// `true` or `false`.
    Boolean,
    /// A sub-table, `[key]`.
    Table(&'static Table),
    /// An array of tables, `[[key]]`, with at least `min` and at most `max` entries.
    Tables {
        table: &'static Table,
        min: usize,
        max: Option<usize>,
    },
}

/// What applies when a key is absent.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    Required,
    /// Absent is fine and means nothing more than `doc` says.
    Optional,
    /// Absent reads as this TOML value.
    Default(&'static str),
    /// Absent means what this phrase says (a default that depends on other keys).
    Otherwise(&'static str),
}

/// One key of a table.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    pub kind: Kind,
    pub need: Need,
    /// A valid TOML value for the key (empty for tables).
    pub example: &'static str,
    /// What the key is for, as a phrase.
    pub doc: &'static str,
}

/// The keys of one table, in the order a file lists them.
#[derive(Debug)]
pub struct Table {
    /// How README and schemas name it: "verdict.toml", "[sending]", "[[tool]]".
    pub name: &'static str,
    pub doc: &'static str,
    pub fields: &'static [Field],
}

impl Table {
    /// The key's definition, if the table has it.
    pub fn field(&self, key: &str) -> Option<&'static Field> {
        // The tables are 'static; a lookup by key returns one of their entries.
        let fields: &'static [Field] = self.fields;
        fields.iter().find(|f| f.key == key)
    }

    /// Every key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|f| f.key)
    }
}

impl Field {
    const fn new(
        key: &'static str,
        kind: Kind,
        need: Need,
        example: &'static str,
        doc: &'static str,
    ) -> Field {
        Field {
            key,
            kind,
            need,
            example,
            doc,
        }
    }

    /// A required key.
    pub const fn required(
        key: &'static str,
        kind: Kind,
        example: &'static str,
        doc: &'static str,
    ) -> Field {
        Field::new(key, kind, Need::Required, example, doc)
    }

    /// A key that may be absent.
    pub const fn optional(
        key: &'static str,
        kind: Kind,
        example: &'static str,
        doc: &'static str,
    ) -> Field {
        Field::new(key, kind, Need::Optional, example, doc)
    }

    /// A key whose absence reads as `default` (a TOML value).
    pub const fn defaulted(
        key: &'static str,
        kind: Kind,
        default: &'static str,
        example: &'static str,
        doc: &'static str,
    ) -> Field {
        Field::new(key, kind, Need::Default(default), example, doc)
    }

    /// A key whose absence means what `otherwise` says.
    pub const fn otherwise(
        key: &'static str,
        kind: Kind,
        otherwise: &'static str,
        example: &'static str,
        doc: &'static str,
    ) -> Field {
        Field::new(key, kind, Need::Otherwise(otherwise), example, doc)
    }

    /// A sub-table, `[key]`.
    pub const fn table(key: &'static str, table: &'static Table, need: Need) -> Field {
        Field::new(key, Kind::Table(table), need, "", table.doc)
    }

    /// An array of tables, `[[key]]`.
    pub const fn tables(
        key: &'static str,
        table: &'static Table,
        min: usize,
        max: Option<usize>,
    ) -> Field {
        let need = if min > 0 {
            Need::Required
        } else {
            Need::Optional
        };
        Field::new(key, Kind::Tables { table, min, max }, need, "", table.doc)
    }

    pub fn is_required(&self) -> bool {
        matches!(self.need, Need::Required)
    }

    /// What the key expects, for a message: "a whole number from 1 to 1000:
    /// SMTP connections at once, e.g. `concurrency = 4`".
    pub fn expected(&self) -> String {
        match self.kind {
            Kind::Table(_) | Kind::Tables { .. } => {
                format!("{}: {}", self.kind.describe(), self.doc)
            }
            _ => format!(
                "{}: {}, e.g. {} = {}",
                self.kind.describe(),
                self.doc,
                self.key,
                self.example
            ),
        }
    }
}

impl Kind {
    /// The kind as README's type column and messages name it.
    pub fn describe(&self) -> String {
        match *self {
            Kind::Text => "a string".into(),
            Kind::Line => "a string on one line".into(),
            Kind::FilledLine => "a non-blank string on one line".into(),
            Kind::Markdown => {
                "Markdown (a string; \"\"\"triple quotes\"\"\" for several paragraphs)".into()
            }
            Kind::WebUrl => "an http:// or https:// URL".into(),
            Kind::SiteUrl => {
                "an https:// URL (http://localhost or 127.0.0.1 to try it on one machine)".into()
            }
            Kind::Address => "an email address, `Name <address@domain>` or `address@domain`".into(),
            Kind::Integer { min, max } if max == u64::MAX => {
                format!("a whole number, {min} or more")
            }
            Kind::Integer { min, max } => format!("a whole number from {min} to {max}"),
            Kind::Number { min, max } => format!("a number from {min} to {max}"),
            Kind::Datetime => "a TOML datetime with an offset, without quotes".into(),
            Kind::Choice { options, .. } => {
                let quoted: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
                match quoted.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} or {last}", rest.join(", "))
                    }
                    _ => quoted.join(""),
                }
            }
            Kind::Colour => {
                "an opaque CSS colour (\"#4f46e5\", \"rgb(79, 70, 229)\", \"indigo\")".into()
            }
            Kind::Path => "a path (relative to the project, or absolute)".into(),
            Kind::TimeZone => "an IANA time zone name, in any case".into(),
            Kind::Language => "a language tag".into(),
            Kind::Transport => "outbox:DIR or an SMTP URL".into(),
            Kind::Id => "an id: lowercase letters, digits and `-`".into(),
            Kind::Domain => "a domain name".into(),
            Kind::Networks => "a list of IP addresses or networks".into(),
            Kind::Boolean => "true or false".into(),
            Kind::Table(_) => "a table".into(),
            Kind::Tables { min, max, .. } => match (min, max) {
                (0, None) => "tables, any number".into(),
                (min, None) => format!("tables, at least {min}"),
                (min, Some(max)) => format!("tables, {min} to {max}"),
            },
        }
    }
}
