//! Tool profiles: `tools/ID.toml` holds what stays true of a tool from issue to
//! issue (name, link, category, pricing, tagline, logo), so that an issue's
//! `[[tool]]` names it with `tool = "ID"` and writes only what this issue adds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::Located;
use super::fields;
use super::parse::{one_line, web_link};
use crate::diagnostic::table_reader::TableReader;
use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::project::layout::TOOLS_DIR;
use crate::store::fs::FsError;

/// Image types a logo file may be: what every browser shows in an `<img>`.
const LOGO_TYPES: [&str; 6] = ["svg", "png", "jpg", "jpeg", "webp", "gif"];

/// What a tool is, wherever it appears.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolProfile {
    /// The file stem: lowercase letters, digits and `-`, also the tool page's name.
    pub id: String,
    pub name: String,
    pub link: Option<String>,
    pub category: Option<String>,
    pub pricing: Option<String>,
    pub tagline: Option<String>,
    pub logo: Option<ToolLogo>,
    /// The file as read, so that what was built from it can tell when it changed.
    pub source: String,
}

/// A tool's logo: an image on the web, or a file beside the profiles that the
/// site copies into `public/logos/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolLogo {
    Web(String),
    File(String),
}

impl ToolLogo {
    /// The address of the logo on a page `root` away from the site's root.
    pub fn src(&self, root: &str) -> String {
        match self {
            ToolLogo::Web(url) => url.clone(),
            ToolLogo::File(name) => format!("{root}logos/{name}"),
        }
    }
}

/// Every profile in `tools/`, those that could not be read with their problems,
/// and the other files there (logos).
#[derive(Debug, Clone, Default)]
pub struct ToolProfiles {
    profiles: BTreeMap<String, ToolProfile>,
    invalid: BTreeMap<String, FileDiagnostics>,
    files: BTreeSet<String>,
}

/// What an id names.
pub enum Lookup<'a> {
    Found(&'a ToolProfile),
    /// The file exists but has errors.
    Invalid,
    Unknown,
}

/// Whether `id` can name a profile: it becomes a file name and a page address.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl ToolProfiles {
    /// Reads `tools/`: each `ID.toml` is a profile; a profile with problems is
    /// kept aside with them, so that only the issues naming it fail.
    pub fn load(dir: &Path) -> Result<ToolProfiles, FsError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ToolProfiles::default());
            }
            Err(e) => return Err(FsError::new("cannot list", dir, e)),
        };
        let mut sources = Vec::new();
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| FsError::new("cannot list", dir, e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') || !entry.path().is_file() {
                continue;
            }
            if name.ends_with(".toml") {
                sources.push((
                    name.clone(),
                    crate::store::fs::read_to_string(&entry.path())?,
                ));
            }
            files.push(name);
        }
        Ok(ToolProfiles::parse(sources, files))
    }

    /// Profiles from `(file name, source)` pairs; `files` are the names of every
    /// file beside them, for logos.
    pub fn parse(
        sources: impl IntoIterator<Item = (String, String)>,
        files: impl IntoIterator<Item = String>,
    ) -> ToolProfiles {
        let mut profiles = ToolProfiles {
            files: files.into_iter().collect(),
            ..ToolProfiles::default()
        };
        for (file_name, source) in sources {
            let id = file_name.trim_end_matches(".toml").to_string();
            match ToolProfile::parse(&id, &source, &profiles.files) {
                Ok(profile) => {
                    profiles.profiles.insert(id, profile);
                }
                Err(report) => {
                    profiles.invalid.insert(id, report);
                }
            }
        }
        profiles
    }

    pub fn lookup(&self, id: &str) -> Lookup<'_> {
        match self.profiles.get(id) {
            Some(profile) => Lookup::Found(profile),
            None if self.invalid.contains_key(id) => Lookup::Invalid,
            None => Lookup::Unknown,
        }
    }

    pub fn get(&self, id: &str) -> Option<&ToolProfile> {
        self.profiles.get(id)
    }

    /// Every id, readable or not, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        let mut ids: Vec<&str> = self
            .profiles
            .keys()
            .chain(self.invalid.keys())
            .map(String::as_str)
            .collect();
        ids.sort_unstable();
        ids.into_iter()
    }

    /// The profiles that could be read.
    pub fn iter(&self) -> impl Iterator<Item = &ToolProfile> {
        self.profiles.values()
    }

    /// The problems of every profile that could not be read.
    pub fn invalid(&self) -> impl Iterator<Item = &FileDiagnostics> {
        self.invalid.values()
    }

    /// The names of the files in `tools/`.
    pub fn files(&self) -> &BTreeSet<String> {
        &self.files
    }

    /// The profile whose name is `name`, ignoring case.
    pub fn named(&self, name: &str) -> Option<&ToolProfile> {
        self.profiles
            .values()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
    }
}

impl ToolProfile {
    /// Parses one profile; `files` are the files in `tools/`, where a logo file
    /// must be.
    pub fn parse(
        id: &str,
        source: &str,
        files: &BTreeSet<String>,
    ) -> Result<ToolProfile, FileDiagnostics> {
        let path = format!("{TOOLS_DIR}/{id}.toml");
        let mut report = FileDiagnostics::new(&path, source);
        if !valid_id(id) {
            report.push(
                Diagnostic::error(format!("`{id}` cannot be a profile id")).help(format!(
                    "name the file with lowercase letters, digits and `-`, e.g. {TOOLS_DIR}/{}.toml: the id is what issues write as tool = \"…\" and the address of the tool's page",
                    crate::author::issue::slugify(id)
                )),
            );
        }
        let (read, found) = crate::diagnostic::syntax::read(
            &path,
            source,
            "see README.md for the tool profile format",
            |table, diagnostics| {
                let mut reader = TableReader::new(
                    table,
                    0..0,
                    "the tool profile",
                    &fields::PROFILE,
                    diagnostics,
                );
                let name = reader.required::<String>("name");
                // In a profile every field but the name may be left to the issues.
                let fields = SharedFields::read(&mut reader, &|_| true, "");
                reader.finish();
                let name = name.and_then(|n| one_line(n, "name", true, diagnostics));
                let fields = fields.check(files, diagnostics);
                name.zip(fields)
            },
        );
        report.diagnostics.extend(found.diagnostics);
        match read {
            Some((name, fields)) if report.error_count() == 0 => Ok(ToolProfile {
                id: id.to_string(),
                name,
                link: fields.link,
                category: fields.category,
                pricing: fields.pricing,
                tagline: fields.tagline,
                logo: fields.logo,
                source: source.to_string(),
            }),
            _ => Err(report),
        }
    }
}

/// The fields a profile gives and an issue's `[[tool]]` may override, as read.
pub(super) struct SharedFields {
    link: Option<Located<String>>,
    category: Option<Located<String>>,
    pricing: Option<Located<String>>,
    tagline: Option<Located<String>>,
    logo: Option<Located<String>>,
}

/// The same fields, checked, and the name.
#[derive(Debug, Clone, Default)]
pub(super) struct Shared {
    pub name: Option<String>,
    pub link: Option<String>,
    pub category: Option<String>,
    pub pricing: Option<String>,
    pub tagline: Option<String>,
    pub logo: Option<ToolLogo>,
}

impl Shared {
    /// What a profile gives.
    pub(super) fn of(profile: &ToolProfile) -> Shared {
        Shared {
            name: Some(profile.name.clone()),
            link: profile.link.clone(),
            category: profile.category.clone(),
            pricing: profile.pricing.clone(),
            tagline: profile.tagline.clone(),
            logo: profile.logo.clone(),
        }
    }

    /// Whether the field `key` has a value.
    pub(super) fn gives(&self, key: &str) -> bool {
        match key {
            "name" => self.name.is_some(),
            "link" => self.link.is_some(),
            "category" => self.category.is_some(),
            "pricing" => self.pricing.is_some(),
            "tagline" => self.tagline.is_some(),
            "logo" => self.logo.is_some(),
            _ => false,
        }
    }

    /// Each field of `self`, or else of `base`.
    pub(super) fn over(self, base: Shared) -> Shared {
        Shared {
            name: self.name.or(base.name),
            link: self.link.or(base.link),
            category: self.category.or(base.category),
            pricing: self.pricing.or(base.pricing),
            tagline: self.tagline.or(base.tagline),
            logo: self.logo.or(base.logo),
        }
    }
}

const LOGO_HELP: &str = "a file in tools/ (.svg, .png, .jpg, .webp or .gif), e.g. logo = \"axolotl.svg\", or an https:// address of an image";

impl SharedFields {
    /// Reads the fields: those for which `optional` says so may be absent (in
    /// an issue, the fields its profile gives), the others are required; `hint`
    /// ends the help of a missing one.
    pub(super) fn read(
        reader: &mut TableReader<'_, '_, '_>,
        optional: &dyn Fn(&str) -> bool,
        hint: &str,
    ) -> Self {
        let mut field =
            |key: &'static str| reader.required_unless::<String>(key, optional(key), hint);
        let category = field("category");
        let tagline = field("tagline");
        let pricing = field("pricing");
        let link = field("link");
        let logo = reader.optional::<String>("logo");
        SharedFields {
            link,
            category,
            pricing,
            tagline,
            logo,
        }
    }

    /// Each field checked; `None` when one is wrong (and reported).
    pub(super) fn check(
        self,
        files: &BTreeSet<String>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Shared> {
        let mut ok = true;
        let mut text = |field: Option<Located<String>>, key: &str| {
            let value = field.map(|field| one_line(field, key, true, diagnostics));
            ok &= value.as_ref().is_none_or(Option::is_some);
            value.flatten()
        };
        let category = text(self.category, "category");
        let tagline = text(self.tagline, "tagline");
        let pricing = text(self.pricing, "pricing");
        let link = self.link.map(|link| web_link(link, diagnostics));
        let logo = self.logo.map(|logo| logo_value(logo, files, diagnostics));
        let ok = ok
            && link.as_ref().is_none_or(Option::is_some)
            && logo.as_ref().is_none_or(Option::is_some);
        ok.then(|| Shared {
            name: None,
            link: link.flatten(),
            category,
            pricing,
            tagline,
            logo: logo.flatten(),
        })
    }
}

/// A logo: an https address, or the name of a file of an image type in `tools/`.
fn logo_value(
    field: Located<String>,
    files: &BTreeSet<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ToolLogo> {
    let value = field.value.trim();
    if value.contains("://") {
        let web = url::Url::parse(value).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
            && crate::diagnostic::text::control_char_offset(value).is_none();
        if web {
            return Some(ToolLogo::Web(value.to_string()));
        }
        diagnostics.push(
            Diagnostic::error(format!("`{value}` is not an https:// address"))
                .at(field.span)
                .label("pages served over https show only https images")
                .help(format!("expected {LOGO_HELP}")),
        );
        return None;
    }
    let extension = value
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let plain_name = !value.is_empty()
        && !value.starts_with('.')
        && !value.contains(['/', '\\'])
        && crate::diagnostic::text::control_char_offset(value).is_none();
    let problem = if !plain_name {
        Some((
            "a logo is named by its file name in tools/, without folders",
            "not a file name in tools/",
        ))
    } else if !LOGO_TYPES.contains(&extension.as_str()) {
        Some((
            "this is not an image type every browser shows",
            "not .svg, .png, .jpg, .webp or .gif",
        ))
    } else if !files.contains(value) {
        Some((
            "there is no such file in tools/",
            "not found beside the profiles",
        ))
    } else {
        None
    };
    match problem {
        None => Some(ToolLogo::File(value.to_string())),
        Some((message, label)) => {
            diagnostics.push(
                Diagnostic::error(format!("logo `{value}`: {message}"))
                    .at(field.span)
                    .label(label)
                    .help(format!("expected {LOGO_HELP}")),
            );
            None
        }
    }
}
