//! Tool profiles in `tools/`: resolved into the issue model, overridden per
//! issue, every mistake located, and `verdict new` filling what they know.

use verdict::author::issue::{Catalog, Issue, ToolLogo, ToolProfiles};

use crate::harness::{DEMO_ISSUE, TestProject, demo_roster, repo_root};

const PROFILE: &str = r#"
name = "Axolotl"
category = "Developer Tools"
tagline = "Open-source fine-tuning"
pricing = "Paid"
link = "https://axolotl.example.com"
logo = "axolotl.svg"
"#;

fn profiles() -> ToolProfiles {
    ToolProfiles::parse(
        [("axolotl.toml".to_string(), PROFILE.to_string())],
        ["axolotl.toml".to_string(), "axolotl.svg".to_string()],
    )
}

/// An issue of two tools whose first `[[tool]]` is `first`.
fn issue_with(first: &str) -> String {
    format!(
        r#"subject = "Axolotl vs Beta"
preheader = "Two tools."
intro = "A comparison."

[[tool]]
{first}
description = "Axolotl, again."

[[tool.review]]
reviewer = "builder"
verdict = "ship"
quote = "Solid."

[[tool]]
name = "Beta"
category = "Chat"
tagline = "Another thing"
pricing = "Free"
link = "https://beta.example.com"
description = "Beta."

[[tool.review]]
reviewer = "skeptic"
verdict = "skip"
quote = "Not yet."
"#
    )
}

fn parse(source: &str, tools: &ToolProfiles) -> Result<Issue, String> {
    let roster = demo_roster();
    let catalog = Catalog {
        roster: &roster,
        tools,
    };
    Issue::parse("issues/2026-12-03-profiles.toml", source, catalog)
        .map(|parsed| parsed.issue)
        .map_err(|report| report.render(false))
}

#[test]
fn a_tool_takes_every_field_from_its_profile() {
    let issue = parse(&issue_with("tool = \"axolotl\""), &profiles()).unwrap();
    let tool = &issue.tools[0];
    assert_eq!(tool.profile.as_deref(), Some("axolotl"));
    assert_eq!(tool.name, "Axolotl");
    assert_eq!(tool.category, "Developer Tools");
    assert_eq!(tool.tagline, "Open-source fine-tuning");
    assert_eq!(tool.pricing, "Paid");
    assert_eq!(tool.link, "https://axolotl.example.com");
    assert_eq!(tool.logo, Some(ToolLogo::File("axolotl.svg".into())));
    assert_eq!(tool.key(), "axolotl");
    // The tool written out in full has no profile; its key is its name's slug.
    assert_eq!(issue.tools[1].profile, None);
    assert_eq!(issue.tools[1].key(), "beta");
}

#[test]
fn what_the_issue_writes_overrides_the_profile_field_by_field() {
    let first = r#"tool = "axolotl"
name = "Axolotl Cloud"
version = "v0.16"
tagline = "15x faster MoE+LoRA fine-tuning"
pricing = "Freemium"
logo = "https://cdn.example.com/axolotl.png""#;
    let issue = parse(&issue_with(first), &profiles()).unwrap();
    let tool = &issue.tools[0];
    assert_eq!(tool.name, "Axolotl Cloud");
    assert_eq!(tool.version.as_deref(), Some("v0.16"));
    assert_eq!(tool.tagline, "15x faster MoE+LoRA fine-tuning");
    assert_eq!(tool.pricing, "Freemium");
    assert_eq!(
        tool.logo,
        Some(ToolLogo::Web("https://cdn.example.com/axolotl.png".into()))
    );
    // What the issue leaves out still comes from the profile.
    assert_eq!(tool.category, "Developer Tools");
    assert_eq!(tool.link, "https://axolotl.example.com");
    // Still the same tool across issues.
    assert_eq!(tool.key(), "axolotl");
}

#[test]
fn a_field_neither_the_profile_nor_the_issue_gives_is_missing_with_both_named() {
    let partial = ToolProfiles::parse(
        [(
            "axolotl.toml".to_string(),
            "name = \"Axolotl\"\nlink = \"https://axolotl.example.com\"\n".to_string(),
        )],
        [],
    );
    let report = parse(&issue_with("tool = \"axolotl\""), &partial).unwrap_err();
    for field in ["category", "tagline", "pricing"] {
        assert!(
            report.contains(&format!("error: tool 1 is missing `{field}`")),
            "{report}"
        );
    }
    assert!(
        report.contains("tools/axolotl.toml gives none, and may give it for every issue"),
        "{report}"
    );
    assert!(!report.contains("missing `link`"), "{report}");
    assert!(!report.contains("missing `name`"), "{report}");
}

#[test]
fn an_unknown_profile_is_located_with_the_nearest_id_and_its_fields_are_not_missing() {
    let report = parse(&issue_with("tool = \"axolotol\""), &profiles()).unwrap_err();
    assert!(
        report.contains("error: unknown tool profile `axolotol`"),
        "{report}"
    );
    assert!(
        report.contains("--> issues/2026-12-03-profiles.toml:6:8"),
        "{report}"
    );
    assert!(report.contains("did you mean `axolotl`?"), "{report}");
    assert!(!report.contains("is missing"), "{report}");
    assert_eq!(report.matches("error:").count(), 1, "{report}");
}

#[test]
fn a_profile_id_of_the_wrong_type_or_empty_is_one_error() {
    for (line, expected) in [
        ("tool = 42", "`tool` has the wrong type or value"),
        ("tool = \"\"", "an empty id names no profile"),
    ] {
        let report = parse(&issue_with(line), &profiles()).unwrap_err();
        assert!(report.contains(expected), "{report}");
        assert_eq!(report.matches("error:").count(), 1, "{report}");
    }
}

#[test]
fn a_profile_with_errors_fails_the_issue_that_names_it_at_the_name() {
    let broken = ToolProfiles::parse(
        [(
            "axolotl.toml".to_string(),
            "name = \"Axolotl\"\nlink = 3\n".to_string(),
        )],
        [],
    );
    assert_eq!(broken.invalid().count(), 1);
    let report = parse(&issue_with("tool = \"axolotl\""), &broken).unwrap_err();
    assert!(
        report.contains("error: the profile tools/axolotl.toml has errors"),
        "{report}"
    );
    assert!(!report.contains("did you mean"), "{report}");
}

#[test]
fn every_mistake_in_a_profile_is_located_at_once() {
    let dir = repo_root().join("tests/fixtures/bad-tools");
    let profiles = ToolProfiles::load(&dir).unwrap();
    let reports: Vec<String> = profiles.invalid().map(|r| r.render(false)).collect();
    assert_eq!(profiles.iter().count(), 0, "{reports:?}");
    insta::assert_snapshot!("bad_profiles", reports.join("====\n"));
    let all = reports.join("\n");
    // axolotl.toml: five mistakes; Mistral.toml: three.
    assert_eq!(all.matches("error:").count(), 8, "{all}");
}

#[test]
fn a_tool_written_out_in_full_is_told_of_its_profile() {
    let issue = issue_with(
        "name = \"axolotl\"\ncategory = \"Developer Tools\"\ntagline = \"t\"\npricing = \"Paid\"\nlink = \"https://axolotl.example.com\"",
    );
    let roster = demo_roster();
    let tools = profiles();
    let catalog = Catalog {
        roster: &roster,
        tools: &tools,
    };
    let parsed = Issue::parse("issues/2026-12-03-profiles.toml", &issue, catalog).unwrap();
    let warnings = parsed.warnings.render(false);
    assert!(
        warnings
            .contains("Axolotl has a profile, tools/axolotl.toml, that this tool does not name"),
        "{warnings}"
    );
    assert!(warnings.contains("write tool = \"axolotl\""), "{warnings}");
}

#[test]
fn check_reports_a_broken_profile_and_the_issue_naming_it() {
    let project = TestProject::demo();
    project.run(&["check"]).success();
    project.edit(
        "tools/axolotl.toml",
        "pricing = \"Paid\"",
        "pricing = \"Paid\"\nlogo = \"missing.svg\"",
    );
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("error: logo `missing.svg`: there is no such file in tools/");
    output.stderr_has("--> tools/axolotl.toml:");
    output.stderr_has("error: the profile tools/axolotl.toml has errors");
    output.stderr_has(&format!("--> issues/{DEMO_ISSUE}.toml:"));
    // With the file there, all is well, and the page shows the logo.
    project.write(
        "tools/missing.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"5\"/></svg>",
    );
    project.run(&["check"]).success();
}

#[test]
fn new_fills_the_issue_from_profiles_and_writes_out_the_others() {
    let project = TestProject::demo();
    let output = project.run(&[
        "new",
        "axolotl",
        "Mistral Medium 3",
        "Brand New Tool",
        "--date",
        "2026-12-03",
    ]);
    output.success();
    let path = "issues/2026-12-03-axolotl-vs-mistral-medium-3-vs-brand-new-tool.toml";
    output.stdout_has(path);
    let text = project.read(path);
    // A profile id, and a profile found by its name.
    assert!(text.contains("tool = \"axolotl\""), "{text}");
    assert!(text.contains("tool = \"mistral-medium-3\""), "{text}");
    assert!(text.contains("# category = \"Developer Tools\""), "{text}");
    assert!(text.contains("# pricing = \"Free\""), "{text}");
    // A tool without a profile gets every field to fill in.
    let third = text.split("[[tool]]").nth(3).unwrap();
    assert!(third.contains("name = \"Brand New Tool\""), "{third}");
    assert!(
        third.contains("\ncategory = \"TODO: a category such as Developer Tools\""),
        "{third}"
    );
    assert!(
        third.contains("\nlink = \"https://todo.invalid/\""),
        "{third}"
    );
    // Filled in, it checks clean and takes the profiles' fields.
    let filled = text
        .replace(
            "category = \"TODO: a category such as Developer Tools\"",
            "category = \"Chat\"",
        )
        .replace("\"TODO: a one-line pitch\"", "\"New\"")
        .replace("\"TODO: Free, Paid or Freemium\"", "\"Free\"")
        .replace(
            "\"TODO: the line inboxes show after the subject\"",
            "\"Three tools\"",
        )
        .replace("https://todo.invalid/", "https://new.example.com")
        .replace("TODO: why these tools, this week.", "Three tools.")
        .replace("TODO: which one to ship with, and when.", "Pick one.")
        .replace("TODO: what it is and why it matters.", "A tool.")
        .replace("TODO: the panelist's words.", "Fine.");
    project.write(path, &filled);
    let check = project.run(&["check", "2026-12-03"]);
    check.success();
    let preview = project.preview("2026-12-03", &[]);
    let html = std::fs::read_to_string(
        preview.join("2026-12-03-axolotl-vs-mistral-medium-3-vs-brand-new-tool.html"),
    )
    .unwrap();
    assert!(html.contains("https://github.com/axolotl-ai-cloud/axolotl"));
    assert!(html.contains("Apache 2.0 open-weight 72B model"));
}

#[test]
fn new_says_which_profile_a_misspelt_id_may_mean() {
    let project = TestProject::demo();
    let output = project.run(&[
        "new",
        "axolotol",
        "mistral-medium-3",
        "--date",
        "2026-12-03",
    ]);
    output.success();
    output.stdout_has("no profile `axolotol` in tools/ (did you mean `axolotl`?)");
}

#[test]
fn new_refuses_to_compare_a_tool_with_itself() {
    let project = TestProject::demo();
    for tools in [
        ["axolotl", "axolotl"],
        ["axolotl", "Axolotl"],
        ["Brand New", "brand new"],
    ] {
        let output = project.run(&["new", tools[0], tools[1], "--date", "2026-12-03"]);
        output.code(2);
        output.stderr_has("are the same tool");
        output.stderr_has("a comparison needs different tools");
    }
    let issues = std::fs::read_dir(project.path().join("issues"))
        .unwrap()
        .count();
    assert_eq!(issues, 1, "new wrote a file");
}
