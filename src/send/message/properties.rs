//! Property tests of the message skeleton: for any reader's name and address,
//! the filled skeleton is a message a MIME parser reads the reader, the subject
//! and both bodies back from.

use proptest::prelude::*;

use super::Composer;
use super::composer::tests::demo_rendering;
use crate::store::tokens::Keys;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_reader_reads_back_from_the_filled_skeleton(
        local in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,8})?",
        domain in "[a-z0-9]{1,10}\\.(example|invalid)",
        name in proptest::option::of("[^\\x00-\\x1f\\x7f-\\u{9f}\\u{2028}\\u{2029}]{1,40}"),
    ) {
        let (project, issue, rendered) = demo_rendering();
        let keys = Keys::new("property-test-secret-0123456789", &[]).unwrap();
        let composer = Composer::new(&project.config, &issue, rendered, keys);
        let email = format!("{local}@{domain}");
        let name = name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let message = composer.compose(&email, name).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&message.bytes).unwrap();
        let to = parsed.to().unwrap().first().unwrap();
        prop_assert_eq!(to.address(), Some(email.as_str()));
        if let Some(name) = name {
            prop_assert_eq!(to.name().map(str::trim), Some(name));
        }
        prop_assert_eq!(parsed.subject(), Some(issue.subject.as_str()));
        prop_assert!(parsed.body_text(0).is_some() && parsed.body_html(0).is_some());
    }
}
