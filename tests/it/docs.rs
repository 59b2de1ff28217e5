//! What editors and operators read agrees with what verdict does: README's
//! reference tables with the readers' definitions, the schemas with the files,
//! README with `--help` and the manual pages.

use verdict::project::reference::{FILES, readme_reference};

use crate::harness::repo_root;

/// Where README's generated reference starts and ends.
const BEGIN: &str = "<!-- reference: generated from the readers' definitions; `VERDICT_BLESS=1 cargo test docs` rewrites it -->\n";
const END: &str = "<!-- end of reference -->";

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).unwrap()
}

#[test]
fn readme_reference_tables_are_the_readers_definitions() {
    let readme = readme();
    let start = readme.find(BEGIN).expect("README has the reference") + BEGIN.len();
    let end = start + readme[start..].find(END).expect("the reference ends");
    let expected = readme_reference();
    if std::env::var_os("VERDICT_BLESS").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(repo_root().join("README.md"), updated).unwrap();
        return;
    }
    assert!(
        readme[start..end] == expected,
        "README's reference differs from the definitions; run VERDICT_BLESS=1 cargo test docs\n--- README\n{}\n--- definitions\n{expected}",
        &readme[start..end]
    );
}

#[test]
fn the_demo_projects_schemas_are_the_generated_ones() {
    for file in FILES {
        let path = repo_root().join("schemas").join(file.schema);
        let written =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            written == file.json_schema_text(),
            "{} is stale: run `verdict init --schemas`",
            path.display()
        );
    }
}

/// Splits a command line as a shell would, for the simple quoting examples use.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Every command path (`send`, `subscribers add`) with its long options.
fn commands() -> Vec<(String, Vec<String>)> {
    fn walk(command: &clap::Command, path: &str, out: &mut Vec<(String, Vec<String>)>) {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let path = format!("{path} {}", sub.get_name()).trim().to_string();
            let options = sub
                .get_arguments()
                .filter_map(|a| a.get_long())
                .filter(|l| !matches!(*l, "help" | "version" | "project" | "verbose"))
                .map(|l| format!("--{l}"))
                .collect();
            out.push((path.clone(), options));
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&verdict::cli::command(), "", &mut out);
    out
}

/// The `verdict …` command lines README shows: in code blocks and inline code.
fn readme_command_lines(readme: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_block = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            for (at, _) in line.match_indices("verdict ") {
                let rest = &line[at..];
                lines.push(
                    rest.split(['#', '&', ';', '|', '>', '\''])
                        .next()
                        .unwrap()
                        .to_string(),
                );
            }
        } else {
            for (i, span) in line.split('`').enumerate() {
                if i % 2 == 1 && span.starts_with("verdict ") {
                    lines.push(span.to_string());
                }
            }
        }
    }
    lines
}

#[test]
fn readme_names_every_command_and_option_and_only_real_ones() {
    let readme = readme();
    let commands = commands();
    let globals = ["--project", "--verbose", "--help", "--version"];
    for option in &globals[..2] {
        assert!(readme.contains(option), "README never mentions {option}");
    }
    for (path, options) in &commands {
        assert!(
            readme.contains(&format!("verdict {path}")),
            "README never shows `verdict {path}`"
        );
        for option in options {
            assert!(
                readme.contains(option.as_str()),
                "README never mentions {option} of `verdict {path}`"
            );
        }
    }
    // Each option README puts on a verdict command line belongs to that command.
    for line in readme_command_lines(&readme) {
        let words = words(&line);
        let deepest = commands
            .iter()
            .filter(|(path, _)| {
                let path: Vec<&str> = path.split(' ').collect();
                let named: Vec<&str> = words[1..]
                    .iter()
                    .filter(|w| !w.starts_with('-'))
                    .map(String::as_str)
                    .take(path.len())
                    .collect();
                named == path
            })
            .max_by_key(|(path, _)| path.len());
        let Some((path, options)) = deepest else {
            continue;
        };
        for word in words.iter().filter(|w| w.starts_with("--")) {
            let option = word.split('=').next().unwrap();
            assert!(
                options.iter().any(|o| o == option) || globals.contains(&option),
                "README's `{line}`: `verdict {path}` has no {option}"
            );
        }
    }
}

#[test]
fn every_example_in_the_help_parses() {
    for (command, examples) in verdict::cli::EXAMPLES {
        for (line, _) in *examples {
            let line = line
                .trim_start_matches("source <(")
                .trim_end_matches(')')
                .to_string();
            let words = words(&line);
            assert_eq!(words[1], *command, "{line}");
            if let Err(error) = verdict::cli::command().try_get_matches_from(&words) {
                panic!("`{line}` does not parse: {error}");
            }
        }
    }
}

/// The rows of README's table under `heading`: (first cell, second cell).
fn table_under(readme: &str, heading: &str) -> Vec<(String, String)> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading}"));
    readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            (cells[0].trim_matches('`').to_string(), cells[1].to_string())
        })
        .collect()
}

#[test]
fn readme_help_and_manual_pages_list_the_same_environment_and_exit_codes() {
    let readme = readme();
    let environment: Vec<(String, String)> = verdict::cli::ENVIRONMENT
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(table_under(&readme, "## Environment"), environment);
    let exit: Vec<(String, String)> = verdict::cli::EXIT_STATUS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(table_under(&readme, "## Exit codes"), exit);
    // The codes are the ones the binary uses.
    assert_eq!(
        verdict::cli::EXIT_STATUS
            .iter()
            .map(|(code, _)| *code)
            .collect::<Vec<_>>(),
        [
            verdict::exit::OK,
            verdict::exit::FAILURE,
            verdict::exit::INVALID_INPUT,
            verdict::exit::DELIVERY_FAILURES,
            verdict::exit::LOCKED,
            verdict::exit::STALLED,
            verdict::exit::INTERRUPTED,
            verdict::exit::TERMINATED
        ]
    );
}

#[test]
fn serve_help_and_readme_list_every_route() {
    let help = crate::harness::TestProject::demo().run(&["serve", "--help"]);
    help.success();
    let readme = readme();
    for route in verdict::project::routes::FIXED {
        help.stdout_has(&format!("{} {}", route.methods, route.path));
        assert!(
            readme.contains(&format!("`{}`", route.path)),
            "README never names {}",
            route.path
        );
    }
    help.stdout_has("<unsubscribe_url's path>");
}

#[test]
fn readmes_layout_of_the_code_names_every_folder_and_every_module_says_its_job() {
    let readme = readme();
    let layout = &readme[readme.find("## Layout of the code").unwrap()..];
    let mut folders = vec![repo_root().join("src")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_str().unwrap();
                assert!(
                    layout.contains(&format!("{name}/`")),
                    "README's layout of the code does not name src/…/{name}/"
                );
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with("//! "),
                    "{} does not open with a line on its job",
                    path.display()
                );
            }
        }
    }
}
