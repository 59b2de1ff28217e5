//! Property tests of the parsers that read what people and machines write:
//! whatever the input, they return a value or located problems, never panic;
//! and what verdict writes reads back the same.

use proptest::prelude::*;
use verdict::author::issue::Issue;
use verdict::project::layout::Layout;
use verdict::send::ledger::{self, Outcome, Record};
use verdict::store::lists::{self, Subscriber};

use crate::harness::{DEMO_ISSUE, demo_roster, demo_tools, repo_root};

/// Parses an issue file against the demo's panel and tool profiles.
/// The problems, rendered, when it does not parse.
fn parse(path: &str, source: &str) -> Result<verdict::author::issue::ParsedIssue, String> {
    let (roster, tools) = (demo_roster(), demo_tools());
    Issue::parse(
        path,
        source,
        verdict::author::issue::Catalog {
            roster: &roster,
            tools: &tools,
        },
    )
    .map_err(|report| {
        assert!(report.error_count() > 0);
        report.render(false)
    })
}

fn demo_source() -> String {
    std::fs::read_to_string(repo_root().join(format!("issues/{DEMO_ISSUE}.toml"))).unwrap()
}

/// The demo issue with one span of it replaced: near-valid files, where
/// mistakes are most interesting.
fn mutated_issue() -> impl Strategy<Value = String> {
    let source = demo_source();
    let len = source.len();
    (0..len, 0..64usize, ".{0,24}").prop_map(move |(at, cut, insert)| {
        let mut at = at;
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + cut).min(source.len());
        while !source.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}{insert}{}", &source[..at], &source[end..])
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn an_issue_file_parses_or_is_reported_with_places_inside_it(source in mutated_issue()) {
        let path = format!("issues/{DEMO_ISSUE}.toml");
        match parse(&path, &source) {
            Ok(parsed) => prop_assert!(!parsed.issue.tools.is_empty()),
            Err(text) => prop_assert!(text.contains(&path), "{}", text),
        }
    }

    #[test]
    fn any_text_as_an_issue_file_never_panics(source in "\\PC{0,400}") {
        let _ = parse(&format!("issues/{DEMO_ISSUE}.toml"), &source);
    }

    #[test]
    fn ledger_records_read_back_as_written_and_garbage_never_panics(
        emails in proptest::collection::vec("[a-z0-9.]{1,12}@[a-z]{1,8}\\.example", 1..20),
        reply in "\\PC{0,60}",
        garbage in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger/issue.log");
        let mut writer = ledger::Writer::open(&path, None).unwrap();
        let written: Vec<Record> = emails
            .iter()
            .map(|email| Record::Outcome {
                email: email.clone(),
                outcome: Outcome::Delivered,
                reply: reply.clone(),
                attempts: 1,
                at: chrono::DateTime::from_timestamp(1_795_683_600, 0).unwrap(),
                message_id: format!("{email}.id@example.com"),
            })
            .collect();
        for record in &written {
            writer.append(record).unwrap();
        }
        writer.commit().unwrap();
        let mut read = Vec::new();
        ledger::read(&path, |record| read.push(record)).unwrap();
        prop_assert_eq!(&read, &written);
        // Whatever a crash or a person appends, reading never panics.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&garbage);
        std::fs::write(&path, &bytes).unwrap();
        let _ = ledger::read(&path, |_| {});
    }

    #[test]
    fn a_written_list_reads_back_the_same_and_any_csv_never_panics(
        rows in proptest::collection::vec(
            (
                "[a-z0-9]{1,8}(\\.[a-z0-9]{1,6})?(\\+[a-z0-9]{1,4})?@[a-z0-9]{1,8}\\.example",
                proptest::option::of("[^\\x00-\\x1f\\x7f-\\u{9f}]{0,30}"),
            ),
            0..30,
        ),
        garbage in "\\PC{0,300}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("subscribers.csv");
        let mut subscribers: Vec<Subscriber> = rows
            .into_iter()
            .map(|(email, name)| Subscriber {
                email,
                name: name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
                subscribed_at: None,
                consent: None,
            })
            .collect();
        subscribers.sort_by(|a, b| a.email.cmp(&b.email));
        subscribers.dedup_by(|a, b| a.email == b.email);
        lists::write_list(&path, &subscribers).unwrap();
        let read = lists::read_all(&path, "subscribers.csv").unwrap();
        prop_assert_eq!(read, subscribers);
        std::fs::write(&path, format!("email,name\n{garbage}")).unwrap();
        let _ = lists::read_all(&path, "subscribers.csv")
            .map_err(|e| e.to_string());
        let _ = lists::read_suppressions(&path, "suppressed.csv").map_err(|e| e.to_string());
    }
}

#[test]
fn the_demo_issue_itself_still_parses() {
    // The mutation strategy starts from a valid file.
    let layout = Layout::new(repo_root());
    let path = layout.issues_dir().join(format!("{DEMO_ISSUE}.toml"));
    assert!(parse(&layout.display(&path), &demo_source()).is_ok());
}
