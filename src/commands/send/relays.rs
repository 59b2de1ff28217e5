//! The relays of a run: the forced transport or the `[[relay]]` tables, each
//! with its daily cap from the relay book and connections within the open-file
//! limit; and the book kept up to date while the run goes on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Args;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::config::RelayConfig;
use crate::project::layout::Layout;
use crate::send::dispatch::{RelaySettings, Run, RunClock};
use crate::send::relay_book::RelayBook;
use crate::send::transport::{self, AnyTransport};
use crate::store::fs::FsError;

/// The relays of this run: the forced transport alone, else the `[[relay]]`
/// tables with what each may still take today, else the configured transport.
pub(super) fn open_relays(
    project: &Project,
    args: &Args,
    book: &RelayBook,
    now: DateTime<Utc>,
) -> Result<Vec<(RelaySettings, Arc<AnyTransport>)>> {
    let config = &project.config;
    let sending = &config.sending;
    let configured: Vec<RelayConfig> = match transport::forced(args.transport.as_deref())? {
        None if !config.relays.is_empty() => config.relays.clone(),
        forced => {
            let spec = forced.map_or_else(|| config.transport.clone(), |c| c.spec);
            vec![RelayConfig {
                name: spec.to_string(),
                transport: spec,
                rate: None,
                concurrency: None,
                daily_cap: None,
                weight: 1,
                password_file: None,
            }]
        }
    };
    let asked: Vec<u32> = configured
        .iter()
        .map(|r| {
            args.concurrency
                .or(r.concurrency)
                .unwrap_or(sending.concurrency)
        })
        .collect();
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let usable = usable_concurrency(&asked, limit, open_now(limit))?;
    configured
        .iter()
        .zip(usable)
        .map(|(relay, concurrency)| {
            let transport = transport::open_spec(
                config,
                &project.layout,
                &relay.transport,
                relay.password_file.as_deref(),
                concurrency,
                args.dangerous_accept_invalid_certs,
            )?;
            let settings = RelaySettings {
                name: relay.name.clone(),
                concurrency: concurrency as usize,
                rate: args.rate.or(relay.rate).unwrap_or(sending.rate),
                cap: Arc::new(book.cap(&relay.name, relay.daily_cap, &config.time_zone, now)),
                weight: relay.weight,
            };
            Ok((settings, Arc::new(transport)))
        })
        .collect()
}

/// Descriptors a run opens besides its connections, at most at once (found by
/// lowering `ulimit -n` until a run failed): the ledger, the list's snapshot
/// and reader, then the suppression list or the relay book's temporary file.
const FILES_A_RUN_OPENS: u64 = 4;

/// How many descriptors below `limit` this process has open now (Linux;
/// elsewhere a guess): a descriptor numbered above the limit takes no room.
fn open_now(limit: u64) -> u64 {
    match std::fs::read_dir("/proc/self/fd") {
        Ok(fds) => fds
            .filter_map(|fd| fd.ok()?.file_name().to_str()?.parse::<u64>().ok())
            .filter(|fd| *fd < limit)
            .count()
            .saturating_sub(1) as u64, // the listing's own
        Err(_) => 16,
    }
}

/// The connections each relay may open within the process's open-file limit,
/// after what is open now and what the run will open: at least one each, the
/// rest shared as asked. A limit too low for one connection per relay is an
/// error before anything is sent (not a relay found down by EMFILE).
fn usable_concurrency(asked: &[u32], limit: u64, open: u64) -> Result<Vec<u32>> {
    let reserve = FILES_A_RUN_OPENS.max(limit / 16).min(64);
    let room = limit.saturating_sub(open + reserve);
    let relays = asked.len() as u64;
    let total: u64 = asked.iter().map(|&a| u64::from(a)).sum();
    if total <= room {
        return Ok(asked.to_vec());
    }
    if room < relays {
        return Err(Error::failed(format!(
            "the open-file limit ({limit}) leaves room for {room} SMTP connection(s) besides the {open} files open and the {reserve} a run needs, and {relays} relay(s) need one each: raise it with `ulimit -n` (at least {})",
            open + reserve + relays
        )));
    }
    tracing::info!(
        "note: concurrency {total} needs more open files than this process may have ({limit}); using {room} (raise it with `ulimit -n`)"
    );
    // One each, then the rest in proportion to what was asked beyond one.
    let spare = room - relays;
    let beyond: u64 = total - relays;
    Ok(asked
        .iter()
        .map(|&a| 1 + (u64::from(a) - 1) * spare / beyond.max(1))
        .map(|c| c as u32)
        .collect())
}

/// Writes the relays' counts every few seconds, so that a crash loses at most
/// that much of the daily caps' count.
pub(super) fn keep_book(
    layout: Layout,
    book: Arc<Mutex<RelayBook>>,
    run: Arc<Run<AnyTransport>>,
    clock: RunClock,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(2));
        interval.tick().await;
        loop {
            interval.tick().await;
            if let Err(error) = note_book(&layout, &book, &run, clock) {
                crate::debug!("cannot write the relay book: {error}");
            }
        }
    })
}

/// Notes in the book how the relays have fared so far, and writes it.
pub(super) fn note_book(
    layout: &Layout,
    book: &Mutex<RelayBook>,
    run: &Run<AnyTransport>,
    clock: RunClock,
) -> Result<(), FsError> {
    let now = clock.now();
    let mut book = book.lock().unwrap_or_else(|e| e.into_inner());
    book.note(&run.relay_statuses(), now);
    book.save(layout)
}

/// Says which relays the run sends through, with what each may still take today.
pub(super) fn announce(relays: &[(RelaySettings, Arc<AnyTransport>)], now: DateTime<Utc>) {
    for (settings, transport) in relays {
        match settings.cap.remaining(now) {
            Some(left) => crate::say!(
                "sending through {transport} ({} may take {left} more today)",
                settings.name
            ),
            None if relays.len() > 1 => {
                crate::say!("sending through {transport} ({})", settings.name)
            }
            None => crate::say!("sending through {transport}"),
        }
    }
}

/// How long a run may go without any reader settled: the configured time, or
/// longer when the relays are paced so slowly that it takes that long.
pub(super) fn stall_after(
    configured: Duration,
    relays: &[(RelaySettings, Arc<AnyTransport>)],
) -> Duration {
    let total_rate: f64 = relays.iter().map(|(s, _)| s.rate).sum();
    if relays.iter().any(|(s, _)| s.rate <= 0.0) || total_rate <= 0.0 {
        return configured;
    }
    configured.max(Duration::from_secs_f64(3.0 / total_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_the_open_file_limit_one_per_relay_at_least() {
        assert_eq!(usable_concurrency(&[4, 4], 1024, 11).unwrap(), [4, 4]);
        // 16 descriptors, 11 open (the runtime's among them), 4 for files: one connection.
        assert_eq!(usable_concurrency(&[4], 16, 11).unwrap(), [1]);
        let error = usable_concurrency(&[4, 4], 16, 11).unwrap_err().to_string();
        assert!(
            error.contains("raise it with `ulimit -n` (at least 17)"),
            "{error}"
        );
        let shared = usable_concurrency(&[100, 1, 1], 20, 11).unwrap();
        assert_eq!(shared, [3, 1, 1]);
        assert!(shared.iter().map(|&c| u64::from(c)).sum::<u64>() <= 20 - 11 - 4);
    }
}
