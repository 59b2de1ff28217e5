//! Judging a relay by its attempts, never by one reply: over a sliding window
//! of attempts, the share of hard refusals says whether the relay refuses the
//! readers or the newsletter, and the share of deferrals, timeouts and lost
//! connections whether it is sick. A hard refusal is acted on only once it is
//! judged, and only if the relay is known to deliver (to someone in this run,
//! or earlier the same day by the relay book: refusing some readers while
//! accepting others is what a relay that refuses the newsletter never does):
//! when a whole window of attempts after it left the relay below the refusal
//! share, or at the end of the run. Until then it is provisional, in
//! memory only, so that a crash leaves that reader pending, never suppressed.
//! Readers held in an earlier run are tried back to back after everyone else:
//! their refusals do not trip the window (dead addresses in a row are no
//! evidence against the relay), and are judged at the end against the share of
//! refusals over the whole run, so that a relay refusing part of the list
//! still suppresses nobody.

use std::collections::VecDeque;

use super::worker::Job;
use crate::send::ledger::Outcome;

/// Recent attempts a relay needs before it is judged sick.
const SICK_AFTER: usize = 10;

/// How a relay is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JudgeSettings {
    /// The recent attempts a relay is judged on (the window).
    pub window: usize,
    /// More hard refusals than this share (in percent) of the window, counted
    /// as at least `window` attempts, and the relay refuses the newsletter.
    pub refusal_percent: u32,
}

impl Default for JudgeSettings {
    fn default() -> Self {
        JudgeSettings {
            window: 50,
            refusal_percent: 10,
        }
    }
}

/// What one attempt through a relay came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attempt {
    Delivered,
    /// A permanent refusal of the reader (a bad mailbox, or policy).
    Refused,
    /// A permanent refusal of a reader held in an earlier run: no evidence
    /// against the relay.
    RefusedAgain,
    /// A 4xx (at MAIL FROM too), a timeout or a connection lost mid-transaction.
    Transient,
    /// The connection was lost after the final dot.
    Uncertain,
}

/// A refusal not yet acted on.
#[derive(Debug)]
pub(super) struct Provisional {
    pub(super) job: Job,
    /// `Bounced` or `Failed`, once judged.
    pub(super) outcome: Outcome,
    pub(super) reply: String,
    pub(super) attempts: u32,
    pub(super) message_id: String,
    /// The relay's attempt count when it came.
    seq: u64,
}

impl Provisional {
    pub(super) fn new(
        job: Job,
        outcome: Outcome,
        reply: String,
        attempts: u32,
        message_id: String,
    ) -> Provisional {
        Provisional {
            job,
            outcome,
            reply,
            attempts,
            message_id,
            seq: 0,
        }
    }
}

/// What the attempts so far say about the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Fine,
    /// Far more hard refusals than any real list has: the relay's, not the readers'.
    Refusing,
    /// Mostly deferrals, timeouts or lost connections.
    Sick,
}

/// One relay's recent attempts and its refusals waiting for judgement.
#[derive(Debug)]
pub(super) struct Judge {
    settings: JudgeSettings,
    window: VecDeque<Attempt>,
    refused: usize,
    troubled: usize,
    /// Attempts so far this run.
    seq: u64,
    /// Deliveries so far this run.
    delivered: u64,
    /// Deliveries earlier the same day, by the relay book.
    delivered_before: u64,
    /// Hard refusals this run, of readers held before too.
    refused_in_run: u64,
    provisional: VecDeque<Provisional>,
    /// The last reply of a hard refusal, and of a transient failure.
    last_refusal: String,
    last_trouble: String,
}

impl Judge {
    pub(super) fn new(settings: JudgeSettings, delivered_before: u64) -> Judge {
        Judge {
            settings: JudgeSettings {
                window: settings.window.max(1),
                ..settings
            },
            window: VecDeque::new(),
            refused: 0,
            troubled: 0,
            seq: 0,
            delivered: 0,
            delivered_before,
            refused_in_run: 0,
            provisional: VecDeque::new(),
            last_refusal: String::new(),
            last_trouble: String::new(),
        }
    }

    /// Adds an attempt to the window; returns the verdict and the provisional
    /// refusals it confirms (a whole window of attempts followed them).
    pub(super) fn record(&mut self, attempt: Attempt, reply: &str) -> (Verdict, Vec<Provisional>) {
        self.window.push_back(attempt);
        self.count(attempt, 1);
        match attempt {
            Attempt::Refused | Attempt::RefusedAgain => {
                reply.clone_into(&mut self.last_refusal);
                self.refused_in_run += 1;
            }
            Attempt::Transient | Attempt::Uncertain => reply.clone_into(&mut self.last_trouble),
            Attempt::Delivered => self.delivered += 1,
        }
        if self.window.len() > self.settings.window
            && let Some(oldest) = self.window.pop_front()
        {
            self.count(oldest, -1);
        }
        self.seq += 1;
        if self.refusing() {
            return (Verdict::Refusing, Vec::new());
        }
        let window = self.settings.window as u64;
        let mut confirmed = Vec::new();
        // Readers held before wait for the end of the run (they come last).
        while self.delivers()
            && self
                .provisional
                .front()
                .is_some_and(|p| !p.job.held_before && p.seq + window <= self.seq)
        {
            confirmed.extend(self.provisional.pop_front());
        }
        let verdict = if self.sick() {
            Verdict::Sick
        } else {
            Verdict::Fine
        };
        (verdict, confirmed)
    }

    /// A hard refusal, kept until it is judged.
    pub(super) fn refused(&mut self, mut refusal: Provisional) -> (Verdict, Vec<Provisional>) {
        refusal.seq = self.seq;
        let reply = refusal.reply.clone();
        let attempt = if refusal.job.held_before {
            Attempt::RefusedAgain
        } else {
            Attempt::Refused
        };
        self.provisional.push_back(refusal);
        self.record(attempt, &reply)
    }

    fn count(&mut self, attempt: Attempt, by: isize) {
        let counter = match attempt {
            Attempt::Refused => &mut self.refused,
            Attempt::Transient | Attempt::Uncertain => &mut self.troubled,
            Attempt::Delivered | Attempt::RefusedAgain => return,
        };
        *counter = counter.saturating_add_signed(by);
    }

    fn refusing(&self) -> bool {
        let judged_on = self.window.len().max(self.settings.window) as u64;
        self.refused as u64 * 100 > u64::from(self.settings.refusal_percent) * judged_on
    }

    /// The refusal share over the whole run, repeated refusals of readers
    /// held before included, counted as at least a window of attempts.
    fn refusing_in_run(&self) -> bool {
        let judged_on = self.seq.max(self.settings.window as u64);
        self.refused_in_run * 100 > u64::from(self.settings.refusal_percent) * judged_on
    }

    /// Whether the relay is known to deliver: in this run, or earlier today.
    fn delivers(&self) -> bool {
        self.delivered + self.delivered_before > 0
    }

    fn sick(&self) -> bool {
        let sample = self.window.len();
        sample >= SICK_AFTER.min(self.settings.window) && self.troubled * 2 > sample
    }

    /// The refusals still waiting, taken away (the relay refuses everyone:
    /// they are held).
    pub(super) fn take_provisional(&mut self) -> Vec<Provisional> {
        self.provisional.drain(..).collect()
    }

    /// The run is over: each refusal still waiting with its outcome,
    /// held when the relay refused too many after all (in its window, or over
    /// the run), or when it is not known to deliver (nothing then tells a
    /// relay that refuses everyone from dead addresses: a list of five through
    /// a misconfigured relay). A reader retried with `--retry-failed` and
    /// refused again keeps its outcome unless the relay refused too many.
    pub(super) fn finish(&mut self) -> (bool, Vec<(Outcome, Provisional)>) {
        let refusing = self.refusing() || self.refusing_in_run();
        let delivers = self.delivers();
        let waiting = self
            .take_provisional()
            .into_iter()
            .map(|refusal| {
                let believed = !refusing && (delivers || refusal.job.retried);
                let outcome = if believed {
                    refusal.outcome
                } else {
                    Outcome::Held
                };
                (outcome, refusal)
            })
            .collect();
        (refusing, waiting)
    }

    /// Starts the window again (a sick relay answered a probe).
    pub(super) fn recovered(&mut self) {
        self.window.clear();
        self.refused = 0;
        self.troubled = 0;
    }

    /// The window in words, with the last reply that counted against the relay,
    /// addresses masked.
    pub(super) fn describe(&self, verdict: Verdict) -> String {
        let (count, what, reply) = match verdict {
            Verdict::Refusing => (self.refused, "refused as bad", &self.last_refusal),
            _ => (
                self.troubled,
                "deferred, timed out or cut off",
                &self.last_trouble,
            ),
        };
        format!(
            "{count} of its last {} attempts {what}: {}",
            self.window.len(),
            crate::send::transport::escape_reply(&crate::send::transport::mask_addresses(reply))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::lists::Subscriber;

    fn refusal(n: usize) -> Provisional {
        let job = Job {
            subscriber: Subscriber {
                email: format!("r{n}@example.com"),
                name: None,
                subscribed_at: None,
                consent: None,
            },
            held_before: false,
            retried: false,
        };
        Provisional::new(
            job,
            Outcome::Bounced,
            format!("550 5.1.1 <r{n}@example.com>: User unknown"),
            1,
            String::new(),
        )
    }

    fn held_before(n: usize) -> Provisional {
        let mut refusal = refusal(n);
        refusal.job.held_before = true;
        refusal
    }

    #[test]
    fn a_few_refusals_are_confirmed_once_a_window_of_attempts_followed() {
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        assert_eq!(judge.refused(refusal(0)).0, Verdict::Fine);
        let mut confirmed = Vec::new();
        for i in 1..=50 {
            let (verdict, now) = if i % 20 == 0 {
                judge.refused(refusal(i))
            } else {
                judge.record(Attempt::Delivered, "250 ok")
            };
            assert_eq!(verdict, Verdict::Fine, "attempt {i}");
            confirmed.extend(now);
        }
        assert_eq!(confirmed.len(), 1, "the first refusal, 50 attempts ago");
        let (refusing, waiting) = judge.finish();
        assert!(!refusing);
        assert_eq!(waiting.len(), 2);
        assert!(waiting.iter().all(|(o, _)| *o == Outcome::Bounced));
    }

    #[test]
    fn a_refusal_is_acted_on_only_if_the_relay_delivered_in_the_run() {
        // A list of five through a relay that refuses everyone with a reply
        // per address: too few to pass the share, and all held.
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        for i in 0..5 {
            assert_eq!(judge.refused(refusal(i)).0, Verdict::Fine);
        }
        let (refusing, waiting) = judge.finish();
        assert!(!refusing);
        assert_eq!(waiting.len(), 5);
        assert!(waiting.iter().all(|(o, _)| *o == Outcome::Held));
        // Nor is one confirmed by a window of attempts that delivered nothing.
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        judge.refused(held_before(0));
        for _ in 0..60 {
            assert!(judge.record(Attempt::Transient, "450 busy").1.is_empty());
        }
        assert_eq!(judge.finish().1[0].0, Outcome::Held);
        // Beside a delivery, a refusal is the reader's, held before or not.
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        judge.record(Attempt::Delivered, "250 ok");
        judge.refused(held_before(0));
        judge.refused(refusal(1));
        let (refusing, waiting) = judge.finish();
        assert!(!refusing);
        assert!(waiting.iter().all(|(o, _)| *o == Outcome::Bounced));
    }

    #[test]
    fn readers_held_before_are_judged_on_the_share_of_the_whole_run() {
        // Two hundred delivered, then ten held readers that are really dead,
        // back to back: the relay stays in the run and they are bounced.
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        for _ in 0..200 {
            judge.record(Attempt::Delivered, "250 ok");
        }
        for i in 0..10 {
            assert_eq!(judge.refused(held_before(i)).0, Verdict::Fine, "{i}");
            assert!(judge.record(Attempt::Delivered, "250 ok").1.is_empty());
        }
        let (refusing, waiting) = judge.finish();
        assert!(!refusing);
        assert_eq!(waiting.len(), 10);
        assert!(waiting.iter().all(|(o, _)| *o == Outcome::Bounced));
        // A relay that refuses a quarter of the list (a table that misses
        // some domains): twelve delivered, three new refusals and twelve held
        // readers refused again is far too many over the run: all held.
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        for i in 0..12 {
            judge.record(Attempt::Delivered, "250 ok");
            if i % 4 == 0 {
                assert_eq!(judge.refused(refusal(i)).0, Verdict::Fine);
            }
        }
        for i in 100..112 {
            assert_eq!(judge.refused(held_before(i)).0, Verdict::Fine, "{i}");
        }
        let (refusing, waiting) = judge.finish();
        assert!(refusing);
        assert_eq!(waiting.len(), 15);
        assert!(waiting.iter().all(|(o, _)| *o == Outcome::Held));
        // Only held readers, and nobody delivered to: held again.
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        judge.refused(held_before(0));
        assert!(judge.finish().1.iter().all(|(o, _)| *o == Outcome::Held));
    }

    #[test]
    fn a_relay_that_delivered_earlier_today_or_a_retried_failure_is_believed() {
        // A deferred reader whose mailbox is gone, alone in a later run of a
        // relay that delivered to the others earlier today.
        let mut judge = Judge::new(JudgeSettings::default(), 2);
        judge.refused(refusal(0));
        assert_eq!(judge.finish().1[0].0, Outcome::Bounced);
        // A failure retried with --retry-failed and refused again stays one.
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        let mut retried = refusal(1);
        retried.job.retried = true;
        retried.outcome = Outcome::Failed;
        judge.refused(retried);
        assert_eq!(judge.finish().1[0].0, Outcome::Failed);
    }

    #[test]
    fn refusals_above_the_share_are_the_relays_even_before_a_whole_window() {
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        for i in 0..5 {
            assert_eq!(judge.refused(refusal(i)).0, Verdict::Fine);
        }
        // Six of at most fifty is already more than ten percent.
        assert_eq!(judge.refused(refusal(5)).0, Verdict::Refusing);
        assert_eq!(judge.take_provisional().len(), 6);
        assert!(
            judge
                .describe(Verdict::Refusing)
                .contains("<…@example.com>"),
            "{}",
            judge.describe(Verdict::Refusing)
        );
    }

    #[test]
    fn mostly_deferrals_make_a_relay_sick() {
        let mut judge = Judge::new(JudgeSettings::default(), 0);
        for _ in 0..4 {
            judge.record(Attempt::Delivered, "250 ok");
        }
        let mut verdicts = Vec::new();
        for _ in 0..6 {
            verdicts.push(judge.record(Attempt::Transient, "450 4.2.0 busy").0);
        }
        assert_eq!(verdicts.last(), Some(&Verdict::Sick));
        judge.recovered();
        assert_eq!(judge.record(Attempt::Delivered, "250").0, Verdict::Fine);
    }
}
