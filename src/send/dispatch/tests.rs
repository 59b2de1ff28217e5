//! The engine on scripted transports and tokio's paused clock: retries, deferral,
//! stops, limits, pacing, bounces, caps and weights, in milliseconds.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use super::*;
use crate::project::layout::Layout;
use crate::send::ledger::{self, Outcome, Record};
use crate::send::message::{Composer, Outgoing};
use crate::send::transport::{Class, Failure, Stage, Transport};

/// The run stopped because every relay is down, for a reason saying `why`.
#[track_caller]
fn assert_relays_down(report: &Report, why: &str) {
    assert!(
        matches!(&report.stopped, Some(Stopped::RelaysDown(reason)) if reason.contains(why)),
        "{:?}",
        report.stopped
    );
}

/// An observer that shows nothing.
struct Silent;

impl Observer for Silent {}

/// What a scripted relay does with one attempt.
#[derive(Clone)]
enum Step {
    Accept,
    Fail(Class, &'static str),
    /// A slow relay: waits until another `Together` attempt has begun, then
    /// answers after a while (virtual time).
    Together(Duration),
    /// Accepts after a while (virtual time).
    Slow(Duration),
    /// Fails after a while (virtual time).
    Late(Duration, Class, &'static str),
}

/// A transport that answers from a script per address (accepting by default),
/// and notes when each attempt came.
struct Scripted {
    script: Mutex<HashMap<String, VecDeque<Step>>>,
    /// For every address not in the script.
    always: Option<Step>,
    attempts: Mutex<Vec<(String, tokio::time::Instant)>>,
    together: Arc<tokio::sync::Barrier>,
    /// A ledger to read at each attempt: how many outcomes it held then.
    ledger: Option<std::path::PathBuf>,
    on_disk: Mutex<Vec<usize>>,
}

impl Default for Scripted {
    fn default() -> Self {
        Scripted {
            script: Mutex::default(),
            always: None,
            attempts: Mutex::default(),
            together: Arc::new(tokio::sync::Barrier::new(2)),
            ledger: None,
            on_disk: Mutex::default(),
        }
    }
}

impl Scripted {
    fn with(steps: &[(&str, &[Step])]) -> Scripted {
        Scripted {
            script: Mutex::new(
                steps
                    .iter()
                    .map(|(a, s)| (a.to_string(), s.iter().cloned().collect()))
                    .collect(),
            ),
            ..Scripted::default()
        }
    }

    fn always(step: Step) -> Scripted {
        Scripted {
            always: Some(step),
            ..Scripted::default()
        }
    }

    fn attempts_for(&self, address: &str) -> usize {
        self.attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|(a, _)| a == address)
            .count()
    }

    fn total(&self) -> usize {
        self.attempts.lock().unwrap().len()
    }
}

impl Transport for Scripted {
    async fn send(&self, message: &Outgoing) -> Result<String, Failure> {
        let to = message.envelope.to()[0].to_string();
        if let Some(path) = &self.ledger {
            let mut outcomes = 0;
            if path.exists() {
                ledger::read(path, |record| {
                    outcomes += usize::from(matches!(record, Record::Outcome { .. }));
                })
                .unwrap();
            }
            self.on_disk.lock().unwrap().push(outcomes);
        }
        self.attempts
            .lock()
            .unwrap()
            .push((to.clone(), tokio::time::Instant::now()));
        let step = self
            .script
            .lock()
            .unwrap()
            .get_mut(&to)
            .and_then(VecDeque::pop_front)
            .or_else(|| self.always.clone())
            .unwrap_or(Step::Accept);
        match step {
            Step::Accept => Ok("250 2.0.0 Ok".into()),
            Step::Slow(delay) => {
                tokio::time::sleep(delay).await;
                Ok("250 2.0.0 Ok, slowly".into())
            }
            Step::Together(delay) => {
                self.together.wait().await;
                tokio::time::sleep(delay).await;
                Ok("250 2.0.0 Ok, together".into())
            }
            Step::Late(delay, class, reply) => {
                tokio::time::sleep(delay).await;
                Err(Failure::new(class, Stage::MailFrom, reply))
            }
            Step::Fail(class, reply) => {
                let stage = match class {
                    Class::Unreachable => Stage::Greeting,
                    Class::Unusable => Stage::MailFrom,
                    _ => Stage::RcptTo,
                };
                Err(Failure::new(class, stage, reply))
            }
        }
    }
}

/// A project folder with `n` readers (r000@example.com …) and the demo's composer.
struct Fixture {
    dir: tempfile::TempDir,
    composer: Arc<Composer>,
}

const ISSUE: &str = "2026-11-26-axolotl-vs-mistral-medium-3";

impl Fixture {
    fn new(n: usize) -> Fixture {
        let (project, issue, rendered) = crate::send::message::composer::tests::demo_rendering();
        let keys = crate::store::tokens::Keys::new("engine-test-secret-0123456789", &[]).unwrap();
        let composer = Arc::new(Composer::new(&project.config, &issue, rendered, keys));
        let dir = tempfile::tempdir().unwrap();
        let mut list = String::from("email,name,subscribed_at\n");
        for i in 0..n {
            list.push_str(&format!(
                "r{i:03}@example.com,Reader {i},2026-01-01T00:00:00Z\n"
            ));
        }
        std::fs::create_dir_all(dir.path().join("subscribers")).unwrap();
        std::fs::write(dir.path().join("subscribers/subscribers.csv"), list).unwrap();
        Fixture { dir, composer }
    }

    fn layout(&self) -> Layout {
        Layout::new(self.dir.path())
    }

    fn issue(&self) -> IssueToSend {
        IssueToSend {
            id: ISSUE.into(),
            composer: self.composer.clone(),
            content: "hash".into(),
            not_after: None,
        }
    }

    fn run<T: Transport>(&self, relays: Vec<(RelaySettings, Arc<T>)>, options: Options) -> Run<T> {
        Run::new(
            self.layout(),
            relays,
            options,
            Arc::new(Silent),
            Interrupt::default(),
        )
    }

    /// A run through `relays` with the default options that must end within
    /// `limit` (real time: a lost wake-up would leave it waiting).
    async fn send_within<T: Transport>(
        &self,
        relays: Vec<(RelaySettings, Arc<T>)>,
        limit: Duration,
    ) -> Report {
        let run = self.run(relays, options());
        tokio::time::timeout(limit, run.send_issue(self.issue()))
            .await
            .expect("the run ends")
            .unwrap()
    }

    /// One run through one relay with the default options.
    async fn send<T: Transport>(&self, transport: &Arc<T>, concurrency: usize) -> Report {
        self.run(one(transport, concurrency), options())
            .send_issue(self.issue())
            .await
            .unwrap()
    }

    fn index(&self) -> ledger::Index {
        ledger::load(&self.layout().ledger(ISSUE)).unwrap()
    }

    /// The suppression list's rows, without the quotes appended rows carry.
    fn suppressed(&self) -> String {
        std::fs::read_to_string(self.layout().suppressed())
            .unwrap_or_default()
            .replace('"', "")
    }
}

fn options() -> Options {
    Options {
        max_attempts: 4,
        retry_delay: Duration::from_millis(100),
        limit: None,
        retry_failed: crate::send::audience::RetryFailed::No,
        give_up_after: chrono::Duration::hours(72),
        clock: RunClock::starting(Utc::now()),
        judge: JudgeSettings::default(),
        stall_after: Duration::from_secs(300),
        uncertain_retries: 1,
    }
}

fn relay(name: &str, concurrency: usize) -> RelaySettings {
    RelaySettings {
        name: name.into(),
        concurrency,
        rate: 0.0,
        cap: Arc::new(DailyCap::unlimited()),
        weight: 1,
    }
}

/// A daily cap of `n` with nothing delivered today.
fn capped_at(n: u64) -> Arc<DailyCap> {
    let zone = crate::project::config::Zone::utc();
    Arc::new(DailyCap::new(
        Some(n),
        zone.clone(),
        zone.day_of(Utc::now()),
        0,
    ))
}

fn one<T>(transport: &Arc<T>, concurrency: usize) -> Vec<(RelaySettings, Arc<T>)> {
    vec![(relay("relay", concurrency), transport.clone())]
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_with_backoff_until_delivered() {
    let fixture = Fixture::new(3);
    let transport = Arc::new(Scripted::with(&[(
        "r001@example.com",
        &[
            Step::Fail(Class::Transient, "451 4.3.0 later"),
            Step::Fail(Class::Transient, "451 4.3.0 later"),
        ],
    )]));
    let began = tokio::time::Instant::now();
    let report = fixture.send(&transport, 1).await;
    assert_eq!(
        (report.delivered, report.retries, report.deferred),
        (3, 2, 0)
    );
    assert!(report.complete);
    assert_eq!(transport.attempts_for("r001@example.com"), 3);
    // Two waits: 100 ms and 200 ms nominal, each at least half that with jitter.
    assert!(
        began.elapsed() >= Duration::from_millis(150),
        "{:?}",
        began.elapsed()
    );
    assert!(fixture.index().complete);
}

#[tokio::test(start_paused = true)]
async fn retries_that_run_out_defer_the_reader_to_the_next_run() {
    let fixture = Fixture::new(2);
    let transport = Arc::new(Scripted::with(&[(
        "r000@example.com",
        &[
            Step::Fail(Class::Transient, "421 4.4.2 busy"),
            Step::Fail(Class::Transient, "421 4.4.2 busy"),
            Step::Fail(Class::Transient, "421 4.4.2 busy"),
            Step::Fail(Class::Transient, "421 4.4.2 busy"),
        ],
    )]));
    let report = fixture.send(&transport, 2).await;
    assert_eq!(
        (report.delivered, report.deferred, report.retries),
        (1, 1, 3)
    );
    assert!(!report.complete);
    assert_eq!(
        fixture.index().get("r000@example.com"),
        Some(Outcome::Deferred)
    );
    let report = fixture.send(&transport, 2).await;
    assert_eq!((report.delivered, report.tally.already_sent), (1, 1));
    assert!(report.complete);
}

#[tokio::test(start_paused = true)]
async fn a_relay_that_cannot_be_reached_stops_the_run_and_records_nothing() {
    let fixture = Fixture::new(50);
    let transport = Arc::new(Scripted::always(Step::Fail(
        Class::Unreachable,
        "421 4.3.2 Service shutting down",
    )));
    let report = fixture.send(&transport, 4).await;
    assert_relays_down(&report, "looks down");
    assert_eq!(report.not_attempted, 50);
    assert!(
        transport.total() <= 10,
        "{} connection attempts before stopping",
        transport.total()
    );
    let index = fixture.index();
    assert!(
        index.started.is_none(),
        "a run that never reached the relay fixes no audience"
    );
    assert!(index.outcomes.is_empty(), "no reader has attempts burned");
}

#[tokio::test(start_paused = true)]
async fn a_relay_that_refuses_the_sender_stops_at_once() {
    let fixture = Fixture::new(30);
    let transport = Arc::new(Scripted::always(Step::Fail(
        Class::Unusable,
        "553 5.7.1 <verdicts@example.com>: Sender address rejected: not owned by user",
    )));
    let report = fixture.send(&transport, 2).await;
    assert!(
        matches!(&report.stopped, Some(Stopped::RelaysDown(reason)) if reason.contains("Sender address rejected"))
    );
    assert!(transport.total() <= 2);
    assert!(fixture.index().outcomes.is_empty());
    assert_eq!(fixture.suppressed(), "");
}

#[tokio::test(start_paused = true)]
async fn a_relay_refusing_everyone_with_per_address_replies_suppresses_nobody() {
    // A relay table that does not know the readers: every reply names its
    // reader, so no two are alike.
    let fixture = Fixture::new(200);
    let script: Vec<(String, Vec<Step>)> = (0..200)
        .map(|i| {
            let email = format!("r{i:03}@example.com");
            let reply: &'static str = Box::leak(
                format!("550 5.1.1 <{email}>: Recipient address rejected: User unknown in relay recipient table")
                    .into_boxed_str(),
            );
            (email, vec![Step::Fail(Class::BadMailbox, reply)])
        })
        .collect();
    let steps: Vec<(&str, &[Step])> = script
        .iter()
        .map(|(email, steps)| (email.as_str(), steps.as_slice()))
        .collect();
    let transport = Arc::new(Scripted::with(&steps));
    let report = fixture.send(&transport, 4).await;
    assert_relays_down(&report, "refuses the newsletter, not the readers");
    assert_relays_down(&report, "<…@example.com>");
    assert_eq!((report.bounced, report.failed), (0, 0));
    assert!(report.held >= 6, "{report:?}");
    assert_eq!(fixture.suppressed(), "", "nobody is suppressed");
    let index = fixture.index();
    assert_eq!(index.count(Outcome::Held) as u64, report.held);
    assert!(
        transport.total() <= 6 + 4,
        "stopped within a few refusals: {}",
        transport.total()
    );
    // The relay is fixed: the next run delivers to everyone, the held last.
    let fixed = Arc::new(Scripted::default());
    let report = fixture.send(&fixed, 4).await;
    assert_eq!(
        report.delivered as usize + report.tally.already_sent as usize,
        200
    );
    assert!(report.complete);
}

#[tokio::test(start_paused = true)]
async fn bounces_are_suppressed_after_they_are_durable_and_refusals_are_failures() {
    let fixture = Fixture::new(4);
    let transport = Arc::new(Scripted::with(&[
        (
            "r001@example.com",
            &[Step::Fail(
                Class::BadMailbox,
                "550 5.1.1 <r001@example.com>: no such user",
            )],
        ),
        (
            "r002@example.com",
            &[Step::Fail(Class::Refused, "554 5.7.1 policy")],
        ),
    ]));
    let report = fixture.send(&transport, 2).await;
    assert_eq!((report.delivered, report.bounced, report.failed), (2, 1, 1));
    assert!(report.complete, "failures are final outcomes");
    let suppressed = fixture.suppressed();
    assert!(
        suppressed.contains("r001@example.com,bounced"),
        "{suppressed}"
    );
    assert!(!suppressed.contains("r002@example.com"));
    assert_eq!(
        transport.attempts_for("r002@example.com"),
        1,
        "a permanent failure is not retried"
    );
}

#[tokio::test(start_paused = true)]
async fn a_bounce_recorded_before_a_crash_is_suppressed_by_the_next_run() {
    let fixture = Fixture::new(2);
    let path = fixture.layout().ledger(ISSUE);
    let mut writer = ledger::Writer::open(&path, None).unwrap();
    writer
        .append(&Record::Start {
            at: Utc::now(),
            content: None,
        })
        .unwrap();
    writer
        .append(&Record::Outcome {
            email: "r000@example.com".into(),
            outcome: Outcome::Bounced,
            reply: "550 5.1.1".into(),
            attempts: 1,
            at: Utc::now(),
            message_id: "x@example.com".into(),
        })
        .unwrap();
    writer.commit().unwrap();
    let transport = Arc::new(Scripted::default());
    let report = fixture.send(&transport, 1).await;
    assert!(fixture.suppressed().contains("r000@example.com,bounced"));
    assert_eq!((report.delivered, report.tally.suppressed), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_limit_leaves_the_rest_for_the_next_run() {
    let fixture = Fixture::new(10);
    let transport = Arc::new(Scripted::default());
    let mut limited = options();
    limited.limit = Some(3);
    let report = fixture
        .run(one(&transport, 2), limited)
        .send_issue(fixture.issue())
        .await
        .unwrap();
    assert_eq!((report.delivered, report.not_attempted), (3, 7));
    assert!(!report.complete);
    assert_eq!(report.stopped, None, "a limit is not a stop");
    let report = fixture.send(&transport, 2).await;
    assert_eq!((report.delivered, report.tally.already_sent), (7, 3));
}

#[tokio::test]
async fn a_connection_sends_its_next_message_only_once_the_last_outcome_is_on_disk() {
    // The next reader's message is made while the last outcome is written
    // (docs/BENCHMARKS.md), never sent before it is durable: a crash repeats
    // at most one delivery per connection.
    let fixture = Fixture::new(40);
    let transport = Arc::new(Scripted {
        ledger: Some(fixture.layout().ledger(ISSUE)),
        ..Scripted::default()
    });
    let report = fixture.send(&transport, 1).await;
    assert_eq!(report.delivered, 40);
    let on_disk = transport.on_disk.lock().unwrap().clone();
    assert_eq!(on_disk, (0..40).collect::<Vec<_>>());
    // With four connections, each attempt finds at least every outcome but
    // the three others' in flight.
    let fixture = Fixture::new(40);
    let transport = Arc::new(Scripted {
        ledger: Some(fixture.layout().ledger(ISSUE)),
        ..Scripted::default()
    });
    assert_eq!(fixture.send(&transport, 4).await.delivered, 40);
    let on_disk = transport.on_disk.lock().unwrap().clone();
    for (attempt, found) in on_disk.iter().enumerate() {
        assert!(
            *found + 3 >= attempt,
            "attempt {attempt} found {found} outcomes"
        );
    }
}

#[tokio::test]
async fn a_reader_given_back_after_the_list_ran_dry_wakes_a_waiting_worker() {
    // The steady relay is done with its reader and waits with nothing left in
    // the list; the other relay then refuses the sender and gives its reader
    // back. The waiting worker must wake and deliver it (a lost wake-up would
    // leave the run waiting until the timeout). Real time: under a paused
    // clock the timeout would fire while the run waits on its own threads.
    let fixture = Fixture::new(2);
    let steady = Arc::new(Scripted::always(Step::Slow(Duration::from_millis(100))));
    let failing = Arc::new(Scripted::always(Step::Late(
        Duration::from_secs(1),
        Class::Unusable,
        "550 5.7.1 sender refused",
    )));
    let relays = vec![
        (relay("steady", 1), steady.clone()),
        (relay("failing", 1), failing.clone()),
    ];
    let report = fixture.send_within(relays, Duration::from_secs(30)).await;
    assert_eq!(report.delivered, 2);
    assert_eq!((steady.total(), failing.total()), (2, 1));
    let given_back = &failing.attempts.lock().unwrap()[0].0;
    assert_eq!(steady.attempts_for(given_back), 1);
}

#[tokio::test(start_paused = true)]
async fn pacing_spaces_messages_evenly_across_connections() {
    let fixture = Fixture::new(21);
    let transport = Arc::new(Scripted::default());
    let mut paced = relay("relay", 4);
    paced.rate = 20.0;
    let report = fixture
        .run(vec![(paced, transport.clone())], options())
        .send_issue(fixture.issue())
        .await
        .unwrap();
    assert_eq!(report.delivered, 21);
    let mut times: Vec<tokio::time::Instant> = transport
        .attempts
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| *t)
        .collect();
    times.sort();
    let span = times[20] - times[0];
    assert!(
        span >= Duration::from_millis(995) && span <= Duration::from_millis(1100),
        "{span:?}"
    );
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(45), "{gap:?}");
    }
}

/// Interrupts the run when the first outcome is on disk.
struct InterruptAfterFirst(Interrupt);

impl Observer for InterruptAfterFirst {
    fn recorded(&self, _outcome: Outcome) {
        self.0.trigger(Signal::Terminate);
    }
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_finishes_and_records_the_messages_in_flight() {
    let fixture = Fixture::new(20);
    let transport = Arc::new(Scripted::with(&[
        (
            "r000@example.com",
            &[Step::Together(Duration::from_secs(1))],
        ),
        (
            "r001@example.com",
            &[Step::Together(Duration::from_secs(3))],
        ),
    ]));
    let interrupt = Interrupt::default();
    let observer = Arc::new(InterruptAfterFirst(interrupt.clone()));
    let run = Run::new(
        fixture.layout(),
        one(&transport, 2),
        options(),
        observer,
        interrupt,
    );
    let report = run.send_issue(fixture.issue()).await.unwrap();
    assert_eq!(
        report.stopped,
        Some(Stopped::Interrupted(Signal::Terminate))
    );
    assert_eq!(
        report.delivered, 2,
        "the slow message in flight was finished"
    );
    assert_eq!(report.not_attempted, 18);
    let index = fixture.index();
    assert_eq!(index.get("r001@example.com"), Some(Outcome::Delivered));
    assert!(!index.complete);
}

#[tokio::test(start_paused = true)]
async fn relays_share_by_weight_and_a_relay_that_is_down_hands_over_its_share() {
    let fixture = Fixture::new(400);
    let first = Arc::new(Scripted::default());
    let second = Arc::new(Scripted::default());
    let mut heavy = relay("heavy", 3);
    heavy.weight = 3;
    let light = relay("light", 3);
    let report = fixture
        .run(
            vec![
                (heavy.clone(), first.clone()),
                (light.clone(), second.clone()),
            ],
            options(),
        )
        .send_issue(fixture.issue())
        .await
        .unwrap();
    assert_eq!(report.delivered, 400);
    let share = first.total() as f64 / 400.0;
    assert!((0.73..=0.77).contains(&share), "heavy relay share {share}");

    let fixture = Fixture::new(100);
    let down = Arc::new(Scripted::always(Step::Fail(
        Class::Unreachable,
        "connection refused",
    )));
    let up = Arc::new(Scripted::default());
    let report = fixture
        .run(vec![(heavy, down), (light, up.clone())], options())
        .send_issue(fixture.issue())
        .await
        .unwrap();
    assert_eq!((report.delivered, report.stopped.clone()), (100, None));
    assert!(matches!(report.relays[0].health, Health::Down(_)));
    assert_eq!(up.total(), 100);
}

#[tokio::test(start_paused = true)]
async fn when_every_cap_is_spent_the_run_ends_and_the_next_continues() {
    let fixture = Fixture::new(10);
    let transport = Arc::new(Scripted::default());
    let mut capped = relay("capped", 2);
    capped.cap = capped_at(4);
    let report = fixture
        .run(vec![(capped.clone(), transport.clone())], options())
        .send_issue(fixture.issue())
        .await
        .unwrap();
    assert_eq!((report.delivered, report.not_attempted), (4, 6));
    assert_eq!(report.stopped, Some(Stopped::CapsSpent));
    capped.cap = capped_at(100);
    let report = fixture
        .run(vec![(capped, transport)], options())
        .send_issue(fixture.issue())
        .await
        .unwrap();
    assert_eq!(report.delivered, 6);
    assert!(report.complete);
}

#[tokio::test(start_paused = true)]
async fn readers_deferred_too_long_and_a_closed_window_expire() {
    let fixture = Fixture::new(3);
    let path = fixture.layout().ledger(ISSUE);
    let mut writer = ledger::Writer::open(&path, None).unwrap();
    let long_ago = Utc::now() - chrono::Duration::days(4);
    writer
        .append(&Record::Start {
            at: long_ago,
            content: None,
        })
        .unwrap();
    writer
        .append(&Record::Outcome {
            email: "r000@example.com".into(),
            outcome: Outcome::Deferred,
            reply: "451".into(),
            attempts: 4,
            at: long_ago,
            message_id: "x@example.com".into(),
        })
        .unwrap();
    writer.commit().unwrap();
    let transport = Arc::new(Scripted::default());
    let report = fixture.send(&transport, 1).await;
    assert_eq!((report.expired, report.delivered), (1, 2));
    assert!(report.complete);
    assert_eq!(transport.attempts_for("r000@example.com"), 0);

    let fixture = Fixture::new(3);
    let mut issue = fixture.issue();
    issue.not_after = Some(Utc::now() - chrono::Duration::hours(1));
    let report = fixture
        .run(one(&transport, 1), options())
        .send_issue(issue)
        .await
        .unwrap();
    assert_eq!((report.expired, report.delivered), (3, 0));
    assert!(report.complete);
}

#[tokio::test(start_paused = true)]
async fn a_window_that_closes_during_the_run_expires_the_rest() {
    let fixture = Fixture::new(10);
    let mut issue = fixture.issue();
    let options = options();
    // One message a second: the window closes after about three.
    issue.not_after = Some(options.clock.now() + chrono::Duration::milliseconds(2500));
    let mut settings = relay("relay", 1);
    settings.rate = 1.0;
    let transport = Arc::new(Scripted::default());
    let report = fixture
        .run(vec![(settings, transport.clone())], options)
        .send_issue(issue)
        .await
        .unwrap();
    assert!(report.window_closed);
    assert!(
        (2..=4).contains(&report.delivered),
        "delivered {}",
        report.delivered
    );
    assert_eq!(report.delivered + report.expired, 10);
    assert!(report.complete, "{report:?}");
    // One record expires everyone left, whatever their number.
    let ledger = std::fs::read_to_string(fixture.layout().ledger(ISSUE)).unwrap();
    assert_eq!(ledger.matches("\"expired_rest\"").count(), 1, "{ledger}");
    assert_eq!(ledger.matches("\"expired\"").count(), 0, "{ledger}");
    let index = fixture.index();
    for i in 0..10 {
        let outcome = index.get(&format!("r{i:03}@example.com"));
        assert!(
            matches!(outcome, Some(Outcome::Delivered | Outcome::Expired)),
            "{i}: {outcome:?}"
        );
    }
    assert_eq!(index.count(Outcome::Delivered) as u64, report.delivered);
}

// Real time: a paused clock would race the timeout ahead while the list is read
// on a thread of its own.
#[tokio::test]
async fn a_relay_ahead_of_its_share_finishes_when_the_other_has_nothing_left() {
    // The fast relay runs ahead of the slow one by its slack; when the slow
    // relay's workers find the list exhausted and leave, the fast one must not
    // wait for it to catch up.
    for readers in [5, 9, 16] {
        let fixture = Fixture::new(readers);
        let fast = Arc::new(Scripted::default());
        let slow = Arc::new(Scripted::always(Step::Slow(Duration::from_millis(30))));
        let relays = vec![
            (relay("fast", 2), fast.clone()),
            (relay("slow", 1), slow.clone()),
        ];
        let report = fixture.send_within(relays, Duration::from_secs(20)).await;
        assert_eq!(report.delivered, readers as u64);
        assert!(report.complete);
        assert_eq!(fast.total() + slow.total(), readers);
    }
}

#[tokio::test(start_paused = true)]
async fn a_refused_message_gives_its_place_in_the_daily_cap_back() {
    let fixture = Fixture::new(10);
    let refused = |reply| (reply, &[Step::Fail(Class::Refused, "554 5.7.1 policy")][..]);
    let transport = Arc::new(Scripted::with(&[
        refused("r000@example.com"),
        refused("r001@example.com"),
        refused("r002@example.com"),
    ]));
    let mut capped = relay("capped", 2);
    capped.cap = capped_at(5);
    let report = fixture
        .run(vec![(capped.clone(), transport.clone())], options())
        .send_issue(fixture.issue())
        .await
        .unwrap();
    assert_eq!(
        (report.failed, report.delivered, report.not_attempted),
        (3, 5, 2),
        "the cap counts deliveries, not refusals"
    );
    assert_eq!(report.stopped, Some(Stopped::CapsSpent));
    assert_eq!(report.relays[0].day_count.1, 5);
}

/// Options for tests on real time (tokio's paused clock jumps to the next
/// timer whenever the runtime waits on the ledger's writer thread, so probes
/// and the stall watch would come early): short retries.
fn quick_options() -> Options {
    Options {
        retry_delay: Duration::from_millis(10),
        ..options()
    }
}

#[tokio::test]
async fn a_limping_relay_is_taken_out_and_its_readers_go_through_the_other() {
    let fixture = Fixture::new(300);
    let limping = Arc::new(Scripted::always(Step::Fail(
        Class::Transient,
        "450 4.2.0 <r001@example.com>: Recipient address rejected: try again",
    )));
    let fine = Arc::new(Scripted::default());
    let report = fixture
        .run(
            vec![
                (relay("limping", 2), limping.clone()),
                (relay("fine", 2), fine.clone()),
            ],
            quick_options(),
        )
        .send_issue(fixture.issue())
        .await
        .unwrap();
    assert_eq!(report.delivered, 300, "{report:?}");
    assert_eq!((report.deferred, report.not_attempted), (0, 0));
    assert!(report.complete);
    assert!(
        matches!(&report.relays[0].health, Health::Degraded(why) if why.contains("limping is sick") && why.contains("<…@example.com>")),
        "{:?}",
        report.relays[0].health
    );
    assert_eq!(
        fine.total(),
        300,
        "every reader went through the healthy relay"
    );
    assert!(
        limping.total() < 20,
        "the sick relay was left after a few attempts: {}",
        limping.total()
    );
    let index = fixture.index();
    assert_eq!(index.count(Outcome::Delivered), 300);
}

#[tokio::test]
async fn a_single_sick_relay_stops_the_run_after_the_stall_time_and_burns_few_readers() {
    let fixture = Fixture::new(500);
    let silent = Arc::new(Scripted::always(Step::Fail(
        Class::Transient,
        "no answer from the relay within 30 s (MAIL FROM)",
    )));
    let mut stalling = quick_options();
    stalling.stall_after = Duration::from_secs(2);
    let began = std::time::Instant::now();
    let report = fixture
        .run(one(&silent, 4), stalling)
        .send_issue(fixture.issue())
        .await
        .unwrap();
    assert!(
        matches!(&report.stopped, Some(Stopped::Stalled(why)) if why.contains("no reader got an outcome for 2 s") && why.contains("relay is sick")),
        "{:?}",
        report.stopped
    );
    assert!(began.elapsed() >= Duration::from_secs(2));
    assert!(
        report.not_attempted >= 490,
        "the rest is left untouched for the next run: {report:?}"
    );
    assert!(
        silent.total() < 30,
        "probes, not a siege: {}",
        silent.total()
    );
    assert!(!fixture.index().complete);
}

#[tokio::test(start_paused = true)]
async fn a_sick_relay_that_answers_a_probe_is_back_in_the_rotation() {
    let fixture = Fixture::new(40);
    let busy = Step::Fail(Class::Transient, "421 4.7.0 busy, try later");
    let transport = Arc::new(Scripted::with(&[
        (
            "r000@example.com",
            &[busy.clone(), busy.clone(), busy.clone(), busy.clone()][..],
        ),
        (
            "r001@example.com",
            &[busy.clone(), busy.clone(), busy.clone(), busy.clone()][..],
        ),
        (
            "r002@example.com",
            &[busy.clone(), busy.clone(), busy.clone(), busy][..],
        ),
    ]));
    let report = fixture.send(&transport, 1).await;
    assert_eq!(report.delivered, 40, "{report:?}");
    assert!(report.complete);
    assert_eq!(report.relays[0].health, Health::Healthy);
}

#[tokio::test(start_paused = true)]
async fn a_probe_refused_for_its_reader_is_followed_by_another_probe() {
    // The relay turns sick; the reader its first probe takes has no mailbox.
    // That refusal says nothing of the relay: it is probed again, answers, and
    // takes the rest.
    let fixture = Fixture::new(40);
    let busy = Step::Fail(Class::Transient, "421 4.7.0 busy, try later");
    let gone = Step::Fail(Class::BadMailbox, "550 5.1.1 no such user");
    let sick = [busy.clone(), busy.clone(), busy.clone(), busy.clone()];
    let transport = Arc::new(Scripted::with(&[
        (
            "r000@example.com",
            &[busy.clone(), busy.clone(), busy.clone(), busy, gone][..],
        ),
        ("r001@example.com", &sick[..]),
        ("r002@example.com", &sick[..]),
    ]));
    let report = fixture.send(&transport, 1).await;
    assert_eq!(report.relays[0].health, Health::Healthy, "{report:?}");
    assert_eq!(report.delivered + report.bounced, 40, "{report:?}");
    assert!(report.bounced >= 1, "{report:?}");
}

#[tokio::test(start_paused = true)]
async fn a_connection_lost_after_the_final_dot_is_retried_once_then_uncertain() {
    let fixture = Fixture::new(3);
    let cut = Step::Fail(Class::Uncertain, "incomplete response");
    let transport = Arc::new(Scripted::with(&[(
        "r001@example.com",
        &[cut.clone(), cut.clone(), cut][..],
    )]));
    let report = fixture.send(&transport, 1).await;
    assert_eq!(
        (report.delivered, report.uncertain, report.deferred),
        (2, 1, 0)
    );
    assert_eq!(transport.attempts_for("r001@example.com"), 2, "one retry");
    assert!(report.complete, "uncertain is final");
    assert_eq!(
        fixture.index().get("r001@example.com"),
        Some(Outcome::Uncertain)
    );
    let again = fixture.send(&transport, 1).await;
    assert_eq!(
        transport.attempts_for("r001@example.com"),
        2,
        "never resent"
    );
    assert_eq!(again.tally.to_send, 0);
}

#[tokio::test(start_paused = true)]
async fn a_few_bad_mailboxes_through_a_sound_relay_are_bounced_once_judged() {
    let fixture = Fixture::new(120);
    let transport = Arc::new(Scripted::with(&[
        (
            "r010@example.com",
            &[Step::Fail(
                Class::BadMailbox,
                "550 5.1.1 <r010@example.com>: User unknown",
            )][..],
        ),
        (
            "r115@example.com",
            &[Step::Fail(
                Class::BadMailbox,
                "550 5.1.1 <r115@example.com>: User unknown",
            )][..],
        ),
    ]));
    let report = fixture.send(&transport, 2).await;
    assert_eq!((report.delivered, report.bounced, report.held), (118, 2, 0));
    assert!(report.complete);
    let suppressed = fixture.suppressed();
    assert!(
        suppressed.contains("r010@example.com,bounced"),
        "{suppressed}"
    );
    assert!(
        suppressed.contains("r115@example.com,bounced"),
        "{suppressed}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_reader_held_before_is_refused_for_good_only_by_a_relay_that_delivered_to_others() {
    let unknown = |email: &'static str| {
        (
            email,
            &[Step::Fail(Class::BadMailbox, "550 5.1.1 User unknown")][..],
        )
    };
    // (readers, of them already delivered before this run, the held reader's outcome)
    for (readers, done_before, expected) in [
        (80, 0, Outcome::Bounced),
        (20, 0, Outcome::Bounced),
        // Only the held reader is left: nothing tells the relay's refusal of
        // everyone from a dead address.
        (20, 19, Outcome::Held),
    ] {
        let fixture = Fixture::new(readers);
        let path = fixture.layout().ledger(ISSUE);
        let mut writer = ledger::Writer::open(&path, None).unwrap();
        let outcome = |n: usize, outcome: Outcome| Record::Outcome {
            email: format!("r{n:03}@example.com"),
            outcome,
            reply: "550 5.1.1 User unknown".into(),
            attempts: 1,
            at: Utc::now(),
            message_id: "x@example.com".into(),
        };
        writer
            .append(&Record::Start {
                at: Utc::now(),
                content: None,
            })
            .unwrap();
        writer.append(&outcome(0, Outcome::Held)).unwrap();
        for n in 1..=done_before {
            writer.append(&outcome(n, Outcome::Delivered)).unwrap();
        }
        writer.commit().unwrap();
        let transport = Arc::new(Scripted::with(&[unknown("r000@example.com")]));
        let report = fixture.send(&transport, 1).await;
        let attempts = transport.attempts.lock().unwrap().clone();
        assert_eq!(
            attempts.last().map(|(a, _)| a.as_str()),
            Some("r000@example.com"),
            "the held reader is tried last"
        );
        assert_eq!(
            fixture.index().get("r000@example.com"),
            Some(expected),
            "{readers} readers, {done_before} done before"
        );
        assert_eq!(
            fixture.suppressed().contains("r000@example.com"),
            expected == Outcome::Bounced,
            "{readers} readers"
        );
        assert_eq!(report.delivered as usize, readers - 1 - done_before);
    }
}
