//! The command line as people meet it beyond parsing: `verdict completions`
//! (shell completions that also offer the project's issue ids), `verdict man`
//! (manual pages with EXAMPLES, ENVIRONMENT and EXIT STATUS) and the examples,
//! routes, environment and exit codes that `--help` shows. All of them come
//! from the one command-line definition and the tables below.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::Command;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::EnvCompleter;

use crate::error::{Error, Result, exit};

/// Print the shell code that completes verdict's commands, options and issue
/// ids: load it from your shell's startup file (it calls verdict as you type).
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

/// Print the manual page, or write one per command into a folder.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write verdict.1 and verdict-COMMAND.1 here instead of printing verdict.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Examples of each command, shown at the end of its `--help` and in the
/// EXAMPLES section of its manual page (a test runs every one through the parser).
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "init",
        &[
            (
                "verdict init weekly-verdicts --name \"Weekly AI Tool Verdicts\"",
                "a new project in weekly-verdicts/",
            ),
            (
                "verdict init --schemas",
                "rewrite schemas/ after upgrading verdict",
            ),
        ],
    ),
    (
        "new",
        &[
            (
                "verdict new Axolotl \"Mistral Medium 3\"",
                "the next issue, a week after the latest",
            ),
            (
                "verdict new Axolotl Mistral --date 2026-12-03",
                "an issue for that day",
            ),
        ],
    ),
    (
        "check",
        &[
            ("verdict check", "every file of the project"),
            (
                "verdict check 2026-11-26",
                "one issue (and the configuration and lists)",
            ),
        ],
    ),
    (
        "preview",
        &[
            (
                "verdict preview 2026-11-26",
                "HTML, text and .eml into preview/",
            ),
            (
                "verdict preview 2026-11-26 --serve",
                "in a browser, reloaded on every save",
            ),
            (
                "verdict preview 2026-11-26 --to ada@example.com --name Ada",
                "as one reader gets it",
            ),
        ],
    ),
    (
        "send",
        &[
            ("verdict send --dry-run", "what would go out, to how many"),
            (
                "verdict send --quiet",
                "from cron: every due issue, silent when none is",
            ),
            (
                "verdict send 2026-11-26 --to editor@example.com",
                "a test copy, not recorded",
            ),
            ("verdict send 2026-11-26 --now", "a scheduled issue, now"),
            (
                "verdict send --retry-failed",
                "again to those refused permanently before",
            ),
        ],
    ),
    (
        "serve",
        &[(
            "verdict serve --listen 127.0.0.1:8080",
            "behind your TLS reverse proxy",
        )],
    ),
    (
        "status",
        &[
            ("verdict status", "every issue and its counts"),
            (
                "verdict status 2026-11-26 --failed",
                "who was not delivered, and why",
            ),
        ],
    ),
    (
        "subscribers",
        &[
            (
                "verdict subscribers add reader@example.com --name Ada",
                "one reader",
            ),
            (
                "verdict subscribers import export.csv",
                "another tool's export, opt-outs kept",
            ),
        ],
    ),
    (
        "archive",
        &[
            ("verdict archive", "the site into public/"),
            ("verdict archive --out /var/www/verdicts", "somewhere else"),
        ],
    ),
    (
        "votes",
        &[("verdict votes 2026-11-26", "one issue's tallies")],
    ),
    (
        "bounces",
        &[(
            "verdict bounces import ~/Maildir/.Bounces --dry-run",
            "what the reports would change",
        )],
    ),
    (
        "rotate-secret",
        &[(
            "verdict rotate-secret",
            "a new secret; old links keep working",
        )],
    ),
    (
        "completions",
        &[(
            "source <(verdict completions bash)",
            "in ~/.bashrc: completions that follow upgrades",
        )],
    ),
    (
        "man",
        &[(
            "verdict man --out /usr/local/share/man/man1",
            "a page per command",
        )],
    ),
];

/// The environment verdict reads.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        crate::send::transport::TRANSPORT_ENV,
        "where mail goes, over verdict.toml's transport and [[relay]] tables: outbox:DIR or an SMTP URL; --transport overrides it",
    ),
    (
        crate::send::transport::PASSWORD_ENV,
        "the SMTP password (else the file smtp_password_file names); never read from verdict.toml, never printed",
    ),
    (
        crate::store::tokens::SECRET_ENV,
        "the secret that signs unsubscribe, vote and confirmation links (else state/secret, made on first use)",
    ),
    (
        crate::store::tokens::OLD_SECRETS_ENV,
        "earlier secrets, comma-separated, still accepted for links already sent",
    ),
    (
        crate::NOW_ENV,
        "the time taken as now (RFC 3339), to rehearse a run on another day",
    ),
    (
        "VERDICT_LOG",
        "debug prints debug lines on stderr, like --verbose",
    ),
    (
        "COMPLETE",
        "set by the completion scripts while they ask verdict for completions",
    ),
];

/// The exit codes, as `--help`, the manual page and README list them.
pub const EXIT_STATUS: &[(i32, &str)] = &[
    (
        exit::OK,
        "everything asked for was done (also: nothing was due, or every relay's daily cap is spent)",
    ),
    (
        exit::FAILURE,
        "the tool could not run: an unreadable file, an unusable or unreachable relay, a refused login; fix it, the next run resumes",
    ),
    (
        exit::INVALID_INPUT,
        "invalid input: an issue, the configuration, a list or a command line is wrong; nothing was sent or changed for it",
    ),
    (
        exit::DELIVERY_FAILURES,
        "delivery failures: the run finished but some recipients failed or were deferred; `verdict status ISSUE --failed` lists them, and the next run retries the deferred",
    ),
    (
        exit::LOCKED,
        "another `verdict send` holds the project's lock; nothing was sent by this run",
    ),
    (
        exit::STALLED,
        "stalled: no reader got an outcome for `stall_secs` (every relay sick or silent); the rest is left to the next run",
    ),
    (
        exit::INTERRUPTED,
        "stopped by SIGINT after finishing the messages in flight; run again to continue",
    ),
    (
        exit::TERMINATED,
        "stopped by SIGTERM after finishing the messages in flight; run again to continue",
    ),
];

fn examples_text(examples: &[(&str, &str)]) -> String {
    let width = examples.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    let mut text = String::from("Examples:");
    for (command, what) in examples {
        text.push_str(&format!("\n  {command:<width$}  # {what}"));
    }
    text
}

fn table_text(title: &str, rows: impl Iterator<Item = (String, String)>) -> String {
    let rows: Vec<(String, String)> = rows.collect();
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut text = format!("{title}:");
    for (key, what) in rows {
        text.push_str(&format!("\n  {key:<width$}  {what}"));
    }
    text
}

fn routes_text() -> String {
    table_text(
        "Routes",
        crate::project::routes::FIXED
            .iter()
            .map(|r| (format!("{} {}", r.methods, r.path), r.what.to_string()))
            .chain(std::iter::once((
                "GET, POST <unsubscribe_url's path>".to_string(),
                "one-click unsubscribe: GET shows a page, POST (RFC 8058) unsubscribes".to_string(),
            )))
            .chain(std::iter::once((
                "GET /…".to_string(),
                "the site `verdict archive` wrote into public/".to_string(),
            ))),
    )
}

/// The derived command line with what `--help` adds: examples, the routes of
/// `serve`, the environment and exit codes, and issue-id completion.
pub(crate) fn decorate(command: Command) -> Command {
    let environment = table_text(
        "Environment",
        ENVIRONMENT
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let exit_status = table_text(
        "Exit status",
        EXIT_STATUS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let mut command = command.after_long_help(format!("{environment}\n\n{exit_status}"));
    for (name, examples) in EXAMPLES {
        let mut text = examples_text(examples);
        if *name == "serve" {
            text = format!("{}\n\n{text}", routes_text());
        }
        if command.find_subcommand(name).is_some() {
            command = command.mut_subcommand(name, |sub| sub.after_help(text));
        }
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        command = command.mut_subcommand(&name, |sub| {
            let ids: Vec<String> = sub
                .get_positionals()
                .filter(|a| matches!(a.get_id().as_str(), "issue" | "issues"))
                .map(|a| a.get_id().to_string())
                .collect();
            ids.into_iter().fold(sub, |sub, id| {
                sub.mut_arg(id, |arg| arg.add(ArgValueCompleter::new(issue_ids)))
            })
        });
    }
    command
}

/// The issue ids of the project being completed for (`--project` on the line
/// being completed, else the current folder) that start with what was typed.
fn issue_ids(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    // The completion scripts call `verdict -- WORDS…`: the line being completed.
    let args: Vec<String> = std::env::args().skip_while(|a| a != "--").collect();
    let project = args
        .iter()
        .enumerate()
        .find_map(|(i, arg)| match arg.strip_prefix("--project") {
            Some("") => args.get(i + 1).cloned(),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        })
        .unwrap_or_else(|| ".".to_string());
    let layout = crate::project::layout::Layout::new(project);
    let Ok(entries) = std::fs::read_dir(layout.issues_dir()) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".toml").map(str::to_string))
        .filter(|id| id.starts_with(typed.as_ref()))
        .collect();
    ids.sort();
    ids.into_iter().map(CompletionCandidate::new).collect()
}

pub(crate) fn completions(args: CompletionsArgs) -> Result<()> {
    use clap_complete::env::{Bash, Elvish, Fish, Powershell, Zsh};
    let shell: &dyn EnvCompleter = match args.shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::PowerShell => &Powershell,
        _ => {
            return Err(Error::usage(
                "that shell is not supported: use bash, zsh, fish, elvish or powershell",
            ));
        }
    };
    let mut script = Vec::new();
    shell
        .write_registration("COMPLETE", "verdict", "verdict", "verdict", &mut script)
        .map_err(Error::failed)?;
    crate::log::say_bytes(&script);
    Ok(())
}

/// A roff section: a title, then each row as a tagged paragraph.
fn roff_section(title: &str, rows: &[(String, String)]) -> String {
    let mut roff = roff::Roff::new();
    roff.control("SH", [title]);
    for (tag, text) in rows {
        roff.control("TP", []);
        roff.text([roff::bold(tag.as_str())]);
        roff.text([roff::roman(text.as_str())]);
    }
    // Rendered with apostrophes handled; the preamble that defines them is
    // already at the top of the page.
    let text = roff.render();
    text.lines()
        .filter(|line| !line.starts_with(".ie \\n(.g .ds Aq") && !line.starts_with(".el .ds Aq"))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// One manual page: clap's sections, the examples in place of its "EXTRA", and
/// ENVIRONMENT and EXIT STATUS before VERSION.
fn manual_page(page: Command, title: &str, examples: Option<&[(&str, &str)]>) -> Result<Vec<u8>> {
    let mut roff = Vec::new();
    // The examples have their own section below; clap would print them as EXTRA.
    let page = page.after_help(None::<&str>).after_long_help(None::<&str>);
    clap_mangen::Man::new(page)
        .title(title)
        .render(&mut roff)
        .map_err(Error::failed)?;
    let mut page = String::from_utf8_lossy(&roff).into_owned();
    let mut extra = String::new();
    if let Some(examples) = examples {
        let rows: Vec<(String, String)> = examples
            .iter()
            .map(|(command, what)| (command.to_string(), what.to_string()))
            .collect();
        extra.push_str(&roff_section("EXAMPLES", &rows));
    }
    let environment: Vec<(String, String)> = ENVIRONMENT
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    extra.push_str(&roff_section("ENVIRONMENT", &environment));
    let exit_status: Vec<(String, String)> = EXIT_STATUS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    extra.push_str(&roff_section("EXIT STATUS", &exit_status));
    match page.find(".SH VERSION") {
        Some(at) => page.insert_str(at, &extra),
        None => page.push_str(&extra),
    }
    Ok(page.into_bytes())
}

/// Writes the manual pages of `command`, the whole command line (given by the
/// caller, so that this module needs nothing of `cli`).
pub(crate) fn man(args: ManArgs, command: clap::Command) -> Result<()> {
    let examples_of = |name: &str| {
        EXAMPLES
            .iter()
            .find(|(command, _)| *command == name)
            .map(|(_, examples)| *examples)
    };
    let Some(dir) = args.out else {
        let all: Vec<(&str, &str)> = EXAMPLES
            .iter()
            .flat_map(|(_, e)| e.iter().copied())
            .collect();
        crate::log::say_bytes(&manual_page(command, "verdict", Some(&all))?);
        return Ok(());
    };
    let all: Vec<(&str, &str)> = EXAMPLES
        .iter()
        .flat_map(|(_, e)| e.iter().copied())
        .collect();
    let mut pages = vec![("verdict".to_string(), command.clone(), all)];
    for sub in command.get_subcommands() {
        let name = format!("verdict-{}", sub.get_name());
        pages.push((
            name,
            sub.clone().bin_name(format!("verdict {}", sub.get_name())),
            examples_of(sub.get_name())
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
        ));
    }
    for (name, page, examples) in pages {
        let examples = (!examples.is_empty()).then_some(examples.as_slice());
        let path = dir.join(format!("{name}.1"));
        crate::store::fs::write_atomic(&path, &manual_page(page, &name, examples)?)?;
        crate::say!("{}", path.display());
    }
    Ok(())
}
