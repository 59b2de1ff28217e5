//! Property tests of the report reader: whatever arrives in the mailbox, it
//! returns findings or says the message is malformed, and never panics.

use proptest::prelude::*;

use super::report;

fn fixtures() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounces");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    files.sort();
    files
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_damaged_report_is_read_or_called_malformed(
        which in 0usize..18,
        at in any::<prop::sample::Index>(),
        cut in 0usize..200,
        insert in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let fixtures = fixtures();
        let original = &fixtures[which % fixtures.len()];
        let at = at.index(original.len());
        let end = (at + cut).min(original.len());
        let mut bytes = original[..at].to_vec();
        bytes.extend_from_slice(&insert);
        bytes.extend_from_slice(&original[end..]);
        if let Ok(findings) = report::read(&bytes) {
            prop_assert!(!findings.is_empty());
        }
    }

    #[test]
    fn any_bytes_as_a_report_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = report::read(&bytes);
    }
}
