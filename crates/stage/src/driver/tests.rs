//! The driver against an in-memory queue that leases items the way the
//! store's queue does.

use super::*;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

#[derive(Debug)]
enum FakeError {
    Crashed(String),
}

impl From<WorkerCrashed> for FakeError {
    fn from(e: WorkerCrashed) -> Self {
        FakeError::Crashed(e.0)
    }
}

#[derive(Default)]
struct Queue {
    queued: VecDeque<u32>,
    /// Item → the worker holding it.
    leased: HashMap<u32, String>,
    done: Vec<u32>,
    panicked: Vec<(u32, String)>,
    lost: Vec<u32>,
    renewals: u64,
}

struct FakeStage {
    queue: Mutex<Queue>,
    batch: usize,
    work_time: Duration,
    /// Work on this item panics.
    panic_on: Option<u32>,
    /// Renewing this item's lease finds it gone.
    lose_lease_of: Option<u32>,
    /// Claiming panics (outside the work: a crash of the worker task).
    panic_in_claim: bool,
    /// The queue stays open though it is empty (work leased elsewhere).
    open_forever: bool,
    /// Cancelled once this many items are done.
    stop_after: Option<(usize, CancellationToken)>,
    /// A renewal waits until the work in hand is done, as an UPDATE waits
    /// for a row the work's open transaction has locked.
    renewal_waits_for_work: bool,
    work_done: tokio::sync::Notify,
}

impl FakeStage {
    fn new(items: u32) -> Self {
        FakeStage {
            queue: Mutex::new(Queue {
                queued: (0..items).collect(),
                ..Queue::default()
            }),
            batch: 1,
            work_time: Duration::from_millis(1),
            panic_on: None,
            lose_lease_of: None,
            panic_in_claim: false,
            open_forever: false,
            stop_after: None,
            renewal_waits_for_work: false,
            work_done: tokio::sync::Notify::new(),
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().expect("queue lock")
    }
}

impl StageWork for FakeStage {
    type Item = u32;
    type Error = FakeError;

    async fn claim(&self, worker: &str) -> Result<Vec<u32>, FakeError> {
        assert!(!self.panic_in_claim, "claiming failed");
        let mut q = self.queue();
        let mut items = Vec::new();
        while items.len() < self.batch {
            let Some(item) = q.queued.pop_front() else {
                break;
            };
            q.leased.insert(item, worker.to_string());
            items.push(item);
        }
        Ok(items)
    }

    async fn open(&self) -> Result<bool, FakeError> {
        let q = self.queue();
        Ok(self.open_forever || !q.queued.is_empty() || !q.leased.is_empty())
    }

    async fn renew(&self, worker: &str, items: &[u32]) -> Result<bool, FakeError> {
        if self.renewal_waits_for_work {
            self.work_done.notified().await;
        }
        let mut q = self.queue();
        assert!(
            items
                .iter()
                .all(|i| q.leased.get(i).map(String::as_str) == Some(worker)),
            "{worker} renews only what it holds"
        );
        q.renewals += 1;
        if let Some(lost) = self.lose_lease_of.filter(|i| items.contains(i)) {
            q.leased.remove(&lost);
            q.lost.push(lost);
            return Ok(false);
        }
        Ok(true)
    }

    async fn work(&self, items: &[u32]) -> Result<u64, FakeError> {
        tokio::time::sleep(self.work_time).await;
        if let Some(bad) = self.panic_on.filter(|i| items.contains(i)) {
            panic!("boom on item {bad}");
        }
        let mut q = self.queue();
        for item in items {
            q.leased.remove(item);
            q.done.push(*item);
        }
        if let Some((n, stop)) = &self.stop_after {
            if q.done.len() >= *n {
                stop.cancel();
            }
        }
        self.work_done.notify_one();
        Ok(items.len() as u64)
    }

    async fn panicked(&self, items: &[u32], message: String) -> Result<u64, FakeError> {
        let mut q = self.queue();
        for item in items {
            q.leased.remove(item);
            q.panicked.push((*item, message.clone()));
        }
        Ok(items.len() as u64)
    }
}

fn options(workers: usize) -> DriverOptions {
    let mut o = DriverOptions::new("test", "host-1");
    o.workers = workers;
    o.idle_wait = Duration::from_millis(5);
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_item_is_done_exactly_once_by_several_workers() {
    let mut stage = FakeStage::new(200);
    stage.batch = 3;
    let stage = Arc::new(stage);
    let stats = run_stage(stage.clone(), &options(5)).await.expect("stage");
    let q = stage.queue();
    let mut done = q.done.clone();
    done.sort_unstable();
    assert_eq!(done, (0..200).collect::<Vec<_>>(), "each item once");
    assert!(q.leased.is_empty() && q.queued.is_empty());
    assert_eq!(stats.items, 200);
    assert_eq!(stats.units_done, 200);
    assert_eq!(stats.claimed_batches, 67, "200 items in batches of 3");
    assert!(!stats.stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_item_goes_to_panicked_and_the_rest_finish() {
    let mut stage = FakeStage::new(20);
    stage.panic_on = Some(7);
    let stage = Arc::new(stage);
    let stats = run_stage(stage.clone(), &options(3)).await.expect("stage");
    let q = stage.queue();
    assert_eq!(q.panicked.len(), 1);
    assert_eq!(q.panicked[0].0, 7);
    assert!(
        q.panicked[0].1.contains("boom on item 7"),
        "{:?}",
        q.panicked
    );
    let mut done = q.done.clone();
    done.sort_unstable();
    assert_eq!(done, (0..20).filter(|i| *i != 7).collect::<Vec<_>>());
    assert_eq!(stats.units_done, 20, "the panicked item counts as handled");
}

#[tokio::test]
async fn a_lost_lease_drops_the_work() {
    let mut stage = FakeStage::new(1);
    stage.work_time = Duration::from_secs(5);
    stage.lose_lease_of = Some(0);
    let stage = Arc::new(stage);
    let mut o = options(1);
    o.lease = Duration::from_millis(300);
    let started = Instant::now();
    let stats = run_stage(stage.clone(), &o).await.expect("stage");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the work was dropped at the first renewal, not waited for: {:?}",
        started.elapsed()
    );
    let q = stage.queue();
    assert_eq!(q.lost, vec![0]);
    assert!(q.done.is_empty(), "work on a lost item never completes");
    assert_eq!(stats.units_done, 0);
    assert_eq!(stats.items, 1);
}

#[tokio::test]
async fn leases_are_renewed_during_long_work() {
    let mut stage = FakeStage::new(1);
    stage.work_time = Duration::from_millis(550);
    let stage = Arc::new(stage);
    let mut o = options(1);
    o.lease = Duration::from_millis(300);
    assert_eq!(o.renew_every(), Duration::from_millis(100));
    let stats = run_stage(stage.clone(), &o).await.expect("stage");
    let q = stage.queue();
    assert!(q.renewals >= 3, "renewed {} times in 550 ms", q.renewals);
    assert!(q.renewals <= 6, "renewed {} times in 550 ms", q.renewals);
    assert_eq!(q.done, vec![0]);
    assert_eq!(stats.units_done, 1);
}

#[tokio::test]
async fn a_renewal_waiting_on_the_work_does_not_stall_it() {
    let mut stage = FakeStage::new(2);
    stage.work_time = Duration::from_millis(300);
    stage.renewal_waits_for_work = true;
    let stage = Arc::new(stage);
    let mut o = options(1);
    o.lease = Duration::from_millis(300);
    let stats = tokio::time::timeout(Duration::from_secs(5), run_stage(stage.clone(), &o))
        .await
        .expect("the work went on while its renewal waited")
        .expect("stage");
    assert_eq!(stage.queue().done, vec![0, 1]);
    assert_eq!(stats.units_done, 2);
}

#[tokio::test]
async fn short_work_is_not_renewed() {
    let stage = Arc::new(FakeStage::new(10));
    run_stage(stage.clone(), &options(2)).await.expect("stage");
    assert_eq!(stage.queue().renewals, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_finishes_the_work_in_hand_and_claims_nothing_more() {
    let stop = CancellationToken::new();
    let mut stage = FakeStage::new(100);
    stage.batch = 2;
    stage.work_time = Duration::from_millis(20);
    stage.stop_after = Some((6, stop.clone()));
    let stage = Arc::new(stage);
    let mut o = options(3);
    o.stop = stop;
    let stats = run_stage(stage.clone(), &o).await.expect("stage");
    assert!(stats.stopped);
    let q = stage.queue();
    assert!(
        q.leased.is_empty(),
        "items in hand were finished: {:?}",
        q.leased
    );
    assert!(
        q.done.len() >= 6 && q.done.len() < 20,
        "done {}",
        q.done.len()
    );
    assert_eq!(q.done.len() + q.queued.len(), 100, "nothing lost");
    assert_eq!(stats.items as usize, q.done.len(), "claimed = done");
}

#[tokio::test]
async fn a_stop_interrupts_an_idle_wait() {
    let mut stage = FakeStage::new(0);
    stage.open_forever = true;
    let stage = Arc::new(stage);
    let mut o = options(2);
    o.idle_wait = Duration::from_secs(30);
    let stop = o.stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.cancel();
    });
    let started = Instant::now();
    let stats = run_stage(stage, &o).await.expect("stage");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(stats.stopped);
    assert_eq!(stats.idle_waits, 2, "each worker waited once");
    assert_eq!(stats.items, 0);
}

#[tokio::test]
async fn a_drained_queue_is_not_a_stop() {
    let stage = Arc::new(FakeStage::new(3));
    let o = options(2);
    let stats = run_stage(stage, &o).await.expect("stage");
    // Cancelled after the end: the stage still ran to completion.
    o.stop.cancel();
    assert!(!stats.stopped);
    assert_eq!(stats.units_done, 3);
}

#[tokio::test]
async fn a_crashed_worker_task_is_an_error() {
    let mut stage = FakeStage::new(3);
    stage.panic_in_claim = true;
    match run_stage(Arc::new(stage), &options(1)).await {
        Err(FakeError::Crashed(message)) => assert!(message.contains("panic"), "{message}"),
        other => panic!("expected a crashed worker, got {other:?}"),
    }
}
