//! The email's HTML in a real browser: accessible in light and dark mode (axe-core),
//! no overflow from 320 px up, side by side at 600 px and stacked on a phone, and
//! laid out cleanly with three tools.

use crate::browser::{Look, file_url, open};
use crate::harness::{DEMO_ISSUE, TestProject};

/// Writes the issue's HTML with `verdict preview` and returns its file:// address.
fn preview(project: &TestProject, issue: &str) -> String {
    let out = project.preview(issue, &["--name", "Ada"]);
    file_url(&out.join(format!("{issue}.html")))
}

#[test]
fn the_demo_email_passes_wcag_aa_in_light_and_dark_mode() {
    let project = TestProject::demo();
    let url = preview(&project, DEMO_ISSUE);
    for look in [
        Look::at(600).axe(),
        Look::at(600).axe().dark(),
        Look::at(375).axe().dark(),
    ] {
        let page = open(&url, &look);
        assert_eq!(page.violations(), Vec::<String>::new(), "{look:?}");
        assert_eq!(page.console_errors(), Vec::<String>::new());
    }
}

#[test]
fn the_email_fits_every_width_and_stacks_only_on_a_phone() {
    let project = TestProject::demo();
    let url = preview(&project, DEMO_ISSUE);
    let display = "return getComputedStyle(document.querySelector('td.stack')).display";
    for (width, stacked) in [(320, true), (375, true), (600, false), (1024, false)] {
        let page = open(&url, &Look::at(width).eval(display));
        assert!(!page.overflows(), "{width} px: {:?}", page.report);
        let display = page.eval(0).as_str().unwrap();
        assert_eq!(
            display == "block",
            stacked,
            "{width} px: cards are {display}"
        );
    }
}

#[test]
fn dark_mode_darkens_the_vote_bar_track_and_the_scorecard_dividers() {
    let project = TestProject::demo();
    let url = preview(&project, DEMO_ISSUE);
    let page = open(
        &url,
        &Look::at(600)
            .dark()
            .eval("return getComputedStyle(document.querySelector('.track')).backgroundColor")
            .eval("return getComputedStyle(document.querySelector('.divider')).borderTopColor"),
    );
    // templates/theme.toml: dark bar_track and border are both #273046.
    assert_eq!(page.eval(0), "rgb(39, 48, 70)");
    assert_eq!(page.eval(1), "rgb(39, 48, 70)");
}

#[test]
fn three_tools_keep_their_labels_apart_and_their_split_on_one_line() {
    let project = TestProject::demo();
    let demo = project.read(&format!("issues/{DEMO_ISSUE}.toml"));
    // A third tool of its own (the same tool twice is refused), like Axolotl.
    project.write(
        "tools/third-tool.toml",
        &project
            .read("tools/axolotl.toml")
            .replace("name = \"Axolotl\"", "name = \"Third Tool\""),
    );
    let third = demo
        .split("[[tool]]")
        .nth(1)
        .unwrap()
        .replace("tool = \"axolotl\"", "tool = \"third-tool\"");
    project.write(
        "issues/2026-12-03-three.toml",
        &format!("{demo}\n[[tool]]{third}"),
    );
    let url = preview(&project, "2026-12-03-three");
    let gap = "const cells = [...document.querySelectorAll('td[width=\"50%\"] p.muted')].slice(0, 2);\
               return cells[1].getBoundingClientRect().left - cells[0].getBoundingClientRect().right";
    let split_rects = "return [...document.querySelectorAll('span.muted')]\
                       .filter(e => e.textContent.includes('ship /')).map(e => e.getClientRects().length)";
    let page = open(&url, &Look::at(600).eval(gap).eval(split_rects));
    assert!(
        page.eval(0).as_f64().unwrap() >= 4.0,
        "labels touch: {:?}",
        page.eval(0)
    );
    for rects in page.eval(1).as_array().unwrap() {
        assert_eq!(
            rects.as_i64(),
            Some(1),
            "the split wraps: {:?}",
            page.eval(1)
        );
    }
    assert!(!page.overflows());
}
