//! A real browser for the tests: Debian's Chromium driven over WebDriver by
//! tests/browser.py (selenium), with axe-core's accessibility rules run inside it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::repo_root;
use crate::smtp::python;

/// What loading a page in Chromium showed.
#[derive(Debug)]
pub(crate) struct Page {
    pub report: Value,
}

impl Page {
    /// Problems axe-core found (WCAG 2.1 A and AA), one line each.
    pub(crate) fn violations(&self) -> Vec<String> {
        self.report["axe"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|v| format!("{} ({}): {}", v["id"], v["impact"], v["nodes"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn console_errors(&self) -> Vec<String> {
        self.report["console_errors"]
            .as_array()
            .map(|all| all.iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }

    /// Whether the page is wider than the window (a horizontal scroll bar).
    pub(crate) fn overflows(&self) -> bool {
        self.report["scroll_width"].as_i64() > self.report["client_width"].as_i64()
    }

    /// The value of the `n`th `--eval` script.
    pub(crate) fn eval(&self, n: usize) -> &Value {
        &self.report["eval"][n]
    }

    pub(crate) fn url(&self) -> &str {
        self.report["url"].as_str().unwrap_or_default()
    }

    /// The pages of [`Look::then`], in order, seen in the same browser.
    pub(crate) fn visits(&self) -> Vec<Page> {
        self.report["visits"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|report| Page {
                        report: report.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// How to look at a page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Look {
    pub width: u32,
    pub dark: bool,
    pub axe: bool,
    pub eval: Vec<String>,
    pub typing: Vec<(String, String)>,
    pub submit: Option<String>,
    pub screenshot: Option<PathBuf>,
    /// More pages to load in the same browser, each with the button to press.
    pub visits: Vec<(String, Option<String>)>,
}

impl Look {
    pub(crate) fn at(width: u32) -> Look {
        Look {
            width,
            ..Look::default()
        }
    }

    pub(crate) fn dark(mut self) -> Look {
        self.dark = true;
        self
    }

    pub(crate) fn axe(mut self) -> Look {
        self.axe = true;
        self
    }

    pub(crate) fn eval(mut self, script: &str) -> Look {
        self.eval.push(script.to_string());
        self
    }

    pub(crate) fn type_into(mut self, selector: &str, text: &str) -> Look {
        self.typing.push((selector.into(), text.into()));
        self
    }

    pub(crate) fn submit(mut self, selector: &str) -> Look {
        self.submit = Some(selector.into());
        self
    }

    /// Then loads `url` in the same browser (much faster than another
    /// browser), presses `submit` there if given, and looks at it alike.
    pub(crate) fn then(mut self, url: &str, submit: Option<&str>) -> Look {
        self.visits.push((url.into(), submit.map(str::to_string)));
        self
    }

    pub(crate) fn screenshot(mut self, path: &Path) -> Look {
        self.screenshot = Some(path.to_path_buf());
        self
    }
}

/// axe-core's script, installed by scripts/test.sh.
fn axe_js() -> PathBuf {
    let modules = std::env::var("VERDICT_TEST_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target/test-node/node_modules"));
    modules.join("axe-core/axe.min.js")
}

/// Loads `url` (a file:// or http://127.0.0.1 address) in Chromium and reports.
pub(crate) fn open(url: &str, look: &Look) -> Page {
    let mut command = Command::new(python());
    command
        .arg(repo_root().join("tests/browser.py"))
        .arg(url)
        .args(["--width", &look.width.to_string(), "--max-seconds", "90"]);
    if look.dark {
        command.arg("--dark");
    }
    if look.axe {
        command.arg("--axe").arg(axe_js());
    }
    for script in &look.eval {
        command.args(["--eval", script]);
    }
    for (selector, text) in &look.typing {
        command.args(["--type", selector, text]);
    }
    if let Some(selector) = &look.submit {
        command.args(["--submit", selector]);
    }
    for (url, submit) in &look.visits {
        command
            .arg("--visit")
            .arg(url)
            .arg(submit.as_deref().unwrap_or("-"));
    }
    if let Some(path) = &look.screenshot {
        command.arg("--screenshot").arg(path);
    }
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run tests/browser.py: {e}; run the tests with scripts/test.sh")
    });
    assert!(
        output.status.success(),
        "Chromium could not load {url} (run the tests with scripts/test.sh):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Page {
        report: serde_json::from_slice(&output.stdout).expect("a JSON report"),
    }
}

/// A file:// address.
pub(crate) fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}
