use crate::progress::{hidden, Progress};
use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A stage's queue and its work on what it claims. The queue hands each
/// item to one worker at a time (a lease); the driver renews those leases
/// while the work runs.
pub trait StageWork: Send + Sync + 'static {
    /// One unit of the queue: a job, a search slice.
    type Item: Send + Sync + 'static;
    type Error: Send + 'static;

    /// Takes the next items off the queue for `worker`, leased to it; none
    /// when nothing is ready now.
    fn claim(
        &self,
        worker: &str,
    ) -> impl Future<Output = Result<Vec<Self::Item>, Self::Error>> + Send;

    /// Whether the queue may still yield items (some are leased elsewhere
    /// or waiting out a back-off). False ends the worker that asked.
    fn open(&self) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Extends `worker`'s leases of the items in hand. `Ok(false)`: the
    /// lease is lost (another worker owns the items now, or they are
    /// finished) and the work on them stops. Runs beside the work, so it
    /// may wait for rows the work holds locked, and may be dropped when the
    /// work ends first: a renewal of a finished item must change nothing.
    fn renew(
        &self,
        worker: &str,
        items: &[Self::Item],
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Works on the claimed items and records the outcome in the queue.
    /// Returns how many units of progress that was (0 for an item to be
    /// tried again). An error stops the whole stage: keep it for what no
    /// other item could survive either (the database is gone, the
    /// credentials are refused).
    fn work(&self, items: &[Self::Item]) -> impl Future<Output = Result<u64, Self::Error>> + Send;

    /// The work on these items panicked with `message`: record it against
    /// them (fail or retry them) so that the stage goes on. Returns units
    /// of progress, as [`StageWork::work`] does.
    fn panicked(
        &self,
        items: &[Self::Item],
        message: String,
    ) -> impl Future<Output = Result<u64, Self::Error>> + Send;
}

/// A worker task ended without returning: the stage's error type says so
/// with this.
#[derive(Debug, Clone)]
pub struct WorkerCrashed(pub String);

impl std::fmt::Display for WorkerCrashed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a stage worker ended abnormally: {}", self.0)
    }
}

impl std::error::Error for WorkerCrashed {}

/// How [`run_stage`] runs a stage.
#[derive(Debug, Clone)]
pub struct DriverOptions {
    /// The stage's name in worker names: `{worker_id}:{stage}:{n}`.
    pub stage: String,
    /// This process's identity, unique per process and machine.
    pub worker_id: String,
    /// Concurrent workers in this process.
    pub workers: usize,
    /// How long a claim holds; the driver renews every third of it.
    pub lease: Duration,
    /// How long a worker waits when nothing is ready but the queue is open.
    pub idle_wait: Duration,
    /// Cancelled: every worker finishes the items in hand, claims nothing
    /// more and returns; [`DriverStats::stopped`] says so.
    pub stop: CancellationToken,
    /// Advanced by the units each piece of work reports.
    pub progress: Arc<dyn Progress>,
}

impl DriverOptions {
    pub fn new(stage: impl Into<String>, worker_id: impl Into<String>) -> Self {
        DriverOptions {
            stage: stage.into(),
            worker_id: worker_id.into(),
            workers: 1,
            lease: Duration::from_secs(300),
            idle_wait: Duration::from_millis(200),
            stop: CancellationToken::new(),
            progress: hidden(),
        }
    }

    /// How often the leases of the items in hand are renewed.
    pub fn renew_every(&self) -> Duration {
        (self.lease / 3).max(Duration::from_millis(100))
    }
}

/// What one [`run_stage`] did in this process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriverStats {
    /// Claims that brought at least one item.
    pub claimed_batches: u64,
    /// Items claimed.
    pub items: u64,
    /// Units of progress the work reported.
    pub units_done: u64,
    /// Waits because nothing was ready while the queue was open.
    pub idle_waits: u64,
    /// Worker-seconds spent in those waits, summed over workers.
    pub idle_seconds: f64,
    pub elapsed_seconds: f64,
    /// A stop was asked for and some worker returned because of it: the
    /// queue may still hold work.
    pub stopped: bool,
}

#[derive(Default)]
struct Tally {
    batches: AtomicU64,
    items: AtomicU64,
    units: AtomicU64,
    idle_waits: AtomicU64,
    idle_micros: AtomicU64,
}

/// How a worker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The queue had nothing left to hand out.
    Drained,
    /// A stop was asked for.
    Stopped,
}

/// Runs `options.workers` workers on the stage's queue until it is empty,
/// or until `options.stop` is cancelled and the work in hand is done. The
/// first error of any worker is returned; the other workers are then asked
/// to stop.
pub async fn run_stage<W>(work: Arc<W>, options: &DriverOptions) -> Result<DriverStats, W::Error>
where
    W: StageWork,
    W::Error: From<WorkerCrashed>,
{
    let started = Instant::now();
    let tally = Arc::new(Tally::default());
    // Cancelled by a stop from outside, and by the first error here.
    let halt = options.stop.child_token();
    let mut handles = Vec::new();
    for n in 0..options.workers.max(1) {
        let worker = Worker {
            name: format!("{}:{}:{n}", options.worker_id, options.stage),
            work: work.clone(),
            options: options.clone(),
            halt: halt.clone(),
            tally: tally.clone(),
        };
        handles.push(tokio::spawn(worker.run()));
    }
    let mut stopped = false;
    for handle in handles {
        let ended = match handle.await {
            Ok(result) => result,
            Err(e) => Err(WorkerCrashed(e.to_string()).into()),
        };
        match ended {
            Ok(ended) => stopped |= ended == Ended::Stopped,
            Err(e) => {
                halt.cancel();
                return Err(e);
            }
        }
    }
    Ok(DriverStats {
        claimed_batches: tally.batches.load(Ordering::Relaxed),
        items: tally.items.load(Ordering::Relaxed),
        units_done: tally.units.load(Ordering::Relaxed),
        idle_waits: tally.idle_waits.load(Ordering::Relaxed),
        idle_seconds: tally.idle_micros.load(Ordering::Relaxed) as f64 / 1e6,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        stopped,
    })
}

struct Worker<W> {
    name: String,
    work: Arc<W>,
    options: DriverOptions,
    halt: CancellationToken,
    tally: Arc<Tally>,
}

impl<W: StageWork> Worker<W> {
    async fn run(self) -> Result<Ended, W::Error> {
        loop {
            if self.halt.is_cancelled() {
                return Ok(Ended::Stopped);
            }
            let items = self.work.claim(&self.name).await?;
            if items.is_empty() {
                if !self.work.open().await? {
                    return Ok(Ended::Drained);
                }
                // What is left is leased elsewhere or backing off.
                let waited = Instant::now();
                tokio::select! {
                    _ = tokio::time::sleep(self.options.idle_wait) => {}
                    _ = self.halt.cancelled() => {}
                }
                self.tally.idle_waits.fetch_add(1, Ordering::Relaxed);
                self.tally
                    .idle_micros
                    .fetch_add(waited.elapsed().as_micros() as u64, Ordering::Relaxed);
                continue;
            }
            self.tally.batches.fetch_add(1, Ordering::Relaxed);
            self.tally
                .items
                .fetch_add(items.len() as u64, Ordering::Relaxed);
            let units = self.work_on(&items).await?;
            if units > 0 {
                self.tally.units.fetch_add(units, Ordering::Relaxed);
                self.options.progress.inc(units);
            }
        }
    }

    /// Works on the items while renewing their leases every third of the
    /// lease: long work must not see its items handed to another worker.
    /// A renewal that finds the lease gone stops the work at once. A stop
    /// asked for meanwhile does not cut the work short.
    async fn work_on(&self, items: &[W::Item]) -> Result<u64, W::Error> {
        let work = AssertUnwindSafe(self.work.work(items)).catch_unwind();
        // Polled beside the work, never instead of it: a renewal waiting
        // for a row the work's open transaction holds must not stop that
        // transaction from committing.
        let renewals = self.renew_until_lost(items);
        tokio::select! {
            result = work => match result {
                Ok(result) => result,
                Err(panic) => {
                    let message = panic_text(&*panic);
                    tracing::error!(worker = %self.name, items = items.len(), panic = %message,
                        "work on claimed items panicked; recorded against them, the stage goes on");
                    self.work.panicked(items, message).await
                }
            },
            lost = renewals => {
                lost?;
                tracing::warn!(worker = %self.name, items = items.len(),
                    "lease lost; another worker owns the items now");
                Ok(0)
            }
        }
    }

    /// Renews the leases of `items` every third of the lease; returns when
    /// a renewal finds them lost.
    async fn renew_until_lost(&self, items: &[W::Item]) -> Result<(), W::Error> {
        let period = self.options.renew_every();
        let mut renewal = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        renewal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            renewal.tick().await;
            if !self.work.renew(&self.name, items).await? {
                return Ok(());
            }
        }
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests;
