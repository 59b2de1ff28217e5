//! The threads RSA signatures are made on: one per core, started with the
//! first signature, so that the tasks driving SMTP connections never wait for
//! one. Threads of their own rather than tokio's blocking pool: that pool
//! starts a thread whenever none is idle at that instant (eight for two cores
//! in a send, each with its stack and allocator arena), and a relay's host-name
//! lookups, which can hang for as long as the resolver takes, share it.

use std::sync::{Arc, Mutex, OnceLock, mpsc};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
pub(super) struct SigningPool {
    /// None when no thread could be started: the work is then done in place.
    jobs: OnceLock<Option<mpsc::Sender<Job>>>,
}

/// A job that ended without a result: it panicked.
#[derive(Debug)]
pub(super) struct Stopped;

impl SigningPool {
    /// Runs `work` on a signing thread and returns what it made.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Stopped> {
        let (done, made) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have stopped waiting.
            let _ = done.send(work());
        });
        match self.jobs.get_or_init(start) {
            Some(jobs) => {
                if let Err(mpsc::SendError(job)) = jobs.send(job) {
                    // No thread is left to take it.
                    run_caught(job);
                }
            }
            // No thread could be started.
            None => run_caught(job),
        }
        made.await.map_err(|_| Stopped)
    }
}

/// Runs a job; one that panics has its caller told (its result never comes),
/// and the thread goes on.
fn run_caught(job: Job) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
}

fn start() -> Option<mpsc::Sender<Job>> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = (0..cores)
        .filter(|_| {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name("verdict-sign".into())
                .spawn(move || {
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        // The pool was dropped: no more work.
                        let Ok(job) = next else { return };
                        run_caught(job);
                    }
                })
                .is_ok()
        })
        .count();
    (started > 0).then_some(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_runs_on_one_thread_per_core_whatever_is_asked_at_once() {
        let pool = Arc::new(SigningPool::default());
        let jobs: Vec<_> = (0..64)
            .map(|i| {
                let pool = Arc::clone(&pool);
                tokio::spawn(async move {
                    pool.run(move || {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                        let thread = std::thread::current();
                        (i * 2, thread.name().map(str::to_string), thread.id())
                    })
                    .await
                })
            })
            .collect();
        let mut threads = std::collections::HashSet::new();
        for (i, job) in jobs.into_iter().enumerate() {
            let (doubled, name, id) = job.await.unwrap().unwrap();
            assert_eq!(doubled, i * 2);
            assert_eq!(name.as_deref(), Some("verdict-sign"));
            threads.insert(id);
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert!(threads.len() <= cores, "{} threads", threads.len());
    }

    #[tokio::test]
    async fn a_job_that_panics_is_reported_and_its_thread_stays() {
        let pool = SigningPool::default();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // As many panics as threads: had each taken its thread down, the
        // next job would run in place, on this test's thread.
        for _ in 0..cores {
            assert!(pool.run(|| panic!("a bug in signing")).await.is_err());
        }
        let name = pool
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("verdict-sign"));
    }
}
