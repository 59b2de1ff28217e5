//! What `verdict send` shows while it runs: a progress bar on a terminal (its
//! total known from the start), a plain line every few seconds otherwise (cron),
//! and one summary line per issue.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::send::dispatch::{Observer, Report};
use crate::send::ledger::Outcome;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProgressStyle {
    /// A progress bar (a terminal).
    Bar,
    /// A plain line every few seconds (cron, logs).
    Lines,
    Quiet,
}

impl ProgressStyle {
    pub(super) fn pick(quiet: bool) -> ProgressStyle {
        if quiet {
            ProgressStyle::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressStyle::Bar
        } else {
            ProgressStyle::Lines
        }
    }
}

/// Progress of the issue being sent.
pub(super) struct Progress {
    style: ProgressStyle,
    bar: Mutex<Option<indicatif::ProgressBar>>,
    total: AtomicU64,
    done: AtomicU64,
    not_delivered: AtomicU64,
}

impl Progress {
    pub(super) fn new(style: ProgressStyle) -> Progress {
        Progress {
            style,
            bar: Mutex::new(None),
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            not_delivered: AtomicU64::new(0),
        }
    }

    /// Starts showing an issue; returns the ticker of plain lines, if any.
    pub(super) fn start(
        self: &std::sync::Arc<Self>,
        issue_id: &str,
    ) -> Option<tokio::task::JoinHandle<()>> {
        self.done.store(0, Ordering::SeqCst);
        self.not_delivered.store(0, Ordering::SeqCst);
        if self.style != ProgressStyle::Lines {
            return None;
        }
        let progress = self.clone();
        let issue_id = issue_id.to_string();
        Some(tokio::spawn(async move {
            let began = Instant::now();
            let mut interval = tokio::time::interval(Duration::from_secs(5));
            interval.tick().await;
            let mut last = 0;
            loop {
                interval.tick().await;
                let done = progress.done.load(Ordering::SeqCst);
                if done == last {
                    continue;
                }
                last = done;
                let rate = done as f64 / began.elapsed().as_secs_f64().max(0.001);
                crate::say!(
                    "{} {issue_id}: {done}/{} done, {} not delivered, {rate:.0} msg/s",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
                    progress.total.load(Ordering::SeqCst),
                    progress.not_delivered.load(Ordering::SeqCst),
                );
            }
        }))
    }

    pub(super) fn finish(&self, ticker: Option<tokio::task::JoinHandle<()>>) {
        // Taken out first: clearing draws, and the ticker locks the bar to draw too.
        let bar = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        if let Some(ticker) = ticker {
            ticker.abort();
        }
    }
}

impl Observer for Progress {
    fn planned(&self, issue_id: &str, total: u64) {
        self.total.store(total, Ordering::SeqCst);
        if self.style != ProgressStyle::Bar {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(bar_style());
        bar.set_prefix(issue_id.to_string());
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn recorded(&self, outcome: Outcome) {
        self.done.fetch_add(1, Ordering::SeqCst);
        if outcome != Outcome::Delivered {
            self.not_delivered.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(bar) = &*self.bar.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(1);
        }
    }
}

/// The bar's layout. Only bold, no colour, so that it reads on light and dark
/// terminals alike; in indicatif's templates `:N` is a width (for `per_sec`, its
/// decimals) and `:.name` a style, so `{per_sec:.0}` would draw it in black.
const BAR_TEMPLATE: &str = "{prefix:.bold} [{bar:30}] {pos}/{len} {per_sec:0} eta {eta}";

fn bar_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(BAR_TEMPLATE)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// One line on what a run did for an issue.
pub(super) fn summary(report: &Report) -> String {
    let seconds = report.elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        (report.delivered as f64 / seconds).round()
    } else {
        0.0
    };
    let mut line = format!(
        "{}: delivered {}, already sent {}, suppressed {}, failed {}, bounced {}, deferred {}, retries {}",
        report.issue_id,
        report.delivered,
        report.tally.already_sent,
        report.tally.suppressed,
        report.failed,
        report.bounced,
        report.deferred,
        report.retries,
    );
    if report.held > 0 {
        line.push_str(&format!(
            ", held {} (their relay refused far too many readers or delivered to nobody: nobody suppressed; the next run tries again)",
            report.held
        ));
    }
    if report.uncertain > 0 {
        line.push_str(&format!(
            ", uncertain {} (cut off after the message was sent: possibly delivered, not sent again)",
            report.uncertain
        ));
    }
    if report.expired > 0 && report.window_closed {
        line.push_str(&format!(
            ", expired {} (the send window closed)",
            report.expired
        ));
    } else if report.expired > 0 {
        line.push_str(&format!(", given up on {}", report.expired));
    }
    if report.tally.joined_later > 0 {
        line.push_str(&format!(
            ", joined after sending started {}",
            report.tally.joined_later
        ));
    }
    if report.not_attempted > 0 {
        line.push_str(&format!(", left for the next run {}", report.not_attempted));
    }
    line.push_str(&format!(" in {seconds:.1} s ({rate} msg/s)"));
    if report.relays.len() > 1 {
        for relay in &report.relays {
            line.push_str(&format!(
                "\n  {}: delivered {}",
                relay.name, relay.delivered
            ));
            if let Some(reason) = relay.health.reason() {
                line.push_str(&format!(", {}: {reason}", relay.health.label()));
            } else if relay.capped {
                line.push_str(", daily cap spent");
            }
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A terminal that keeps what is drawn on it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<String>>);

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_bar_shows_a_whole_rate_and_no_colour() {
        // Only bold: a colour would vanish on a terminal of the same background.
        for placeholder in BAR_TEMPLATE.split('{').skip(1) {
            let spec = placeholder.split('}').next().unwrap();
            if let Some((_, style)) = spec.split_once(":.") {
                assert_eq!(style, "bold", "{spec}");
            }
        }
        let screen = Screen::default();
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(1000),
            indicatif::ProgressDrawTarget::term_like(Box::new(screen.clone())),
        );
        bar.set_style(bar_style());
        bar.set_prefix("2026-11-26-issue");
        bar.inc(250);
        bar.inc(1);
        bar.tick();
        let drawn = screen.0.lock().unwrap().clone();
        assert!(drawn.contains("2026-11-26-issue ["), "{drawn}");
        assert!(drawn.contains(" 251/1000 "), "{drawn}");
        let rate = drawn
            .split_whitespace()
            .find(|w| w.ends_with("/s"))
            .unwrap_or_else(|| panic!("no rate in {drawn:?}"));
        let digits = rate.trim_end_matches("/s").replace(',', "");
        assert!(digits.parse::<u64>().is_ok(), "a whole number: {rate}");
    }
}
