//! Micro-benchmarks of the per-issue and per-recipient work of a send: rendering
//! the issue once, building one personalised message from that rendering, and
//! recording one outcome in the ledger with group commit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use verdict::author::render;
use verdict::project::Project;
use verdict::project::layout::Layout;
use verdict::send::ledger::{self, Outcome, Record};
use verdict::send::message::Composer;
use verdict::send::message::dkim::{DkimKey, DkimSigner, PrivateKey};
use verdict::store::tokens::Keys;

const DEMO_ISSUE: &str = "2026-11-26-axolotl-vs-mistral-medium-3";

fn send_path(c: &mut Criterion) {
    let project = Project::load(&Layout::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let issue = project
        .load_issue(&project.find_issue(DEMO_ISSUE).unwrap())
        .unwrap()
        .issue;

    c.bench_function("render the issue once", |b| {
        b.iter(|| render::render(black_box(&issue), project.context()))
    });

    let rendered = render::render(&issue, project.context());
    let keys = Keys::new("benchmark-secret-0123456789", &[]).unwrap();
    let composer = Composer::new(&project.config, &issue, rendered, keys);
    let mut n = 0u64;
    c.bench_function("build one personalised message", |b| {
        b.iter(|| {
            n += 1;
            let email = format!("reader{n}@example.com");
            composer.compose(black_box(&email), Some("Reader")).unwrap()
        })
    });

    // Signed: the body hashed from pieces canonicalised once, then one
    // signature per key (the fixture keys of the DKIM tests).
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dkim");
    let key = |file: &str, selector: &str| DkimKey {
        domain: "example.com".into(),
        selector: selector.into(),
        key: PrivateKey::parse(&std::fs::read(fixtures.join(file)).unwrap()).unwrap(),
    };
    for (name, keys) in [
        ("rsa-sha256", vec![key("rsa.pem", "rsa")]),
        ("ed25519-sha256", vec![key("ed25519.key", "ed")]),
        (
            "rsa-sha256 and ed25519-sha256",
            vec![key("rsa.pem", "rsa"), key("ed25519.key", "ed")],
        ),
    ] {
        let link_keys = Keys::new("benchmark-secret-0123456789", &[]).unwrap();
        let rendered = render::render(&issue, project.context());
        let composer = Composer::new(&project.config, &issue, rendered, link_keys)
            .with_dkim(Some(Arc::new(DkimSigner::new(keys))));
        c.bench_function(&format!("build and sign one message, {name}"), |b| {
            b.iter(|| {
                n += 1;
                let email = format!("reader{n}@example.com");
                composer.compose(black_box(&email), Some("Reader")).unwrap()
            })
        });
    }

    // The sender commits whatever outcomes are waiting in one fsync; with 16
    // connections that is about 16 at a time.
    const BATCH: u64 = 16;
    let dir = tempfile::tempdir().unwrap();
    let mut writer = ledger::Writer::open(&dir.path().join("bench.log"), None).unwrap();
    c.bench_function("record one outcome (group commit of 16)", |b| {
        b.iter_custom(|iterations| {
            let start = Instant::now();
            for i in 0..iterations {
                writer
                    .append(&Record::Outcome {
                        email: format!("reader{i}@example.com"),
                        outcome: Outcome::Delivered,
                        reply: "250 2.0.0 Ok: queued as 1A2B3C".into(),
                        attempts: 1,
                        at: chrono::Utc::now(),
                        message_id: format!("{DEMO_ISSUE}.{i:024x}@example.com"),
                    })
                    .unwrap();
                if (i + 1) % BATCH == 0 {
                    writer.commit().unwrap();
                }
            }
            writer.commit().unwrap();
            start.elapsed()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = send_path
}
criterion_main!(benches);
