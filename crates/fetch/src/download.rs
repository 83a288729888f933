//! Time limits of one archive download. GitHub's client only has a read
//! timeout (the longest silence), so a host that trickles a byte a second
//! would hold an archive slot, and the job's lease, forever. Here every
//! download has an overall deadline that grows with the repository's size,
//! and must keep a minimum average throughput once past a short grace
//! period; a download that misses either is stopped, which gives its slot
//! back, and the caller goes to the trees API instead.

use bytes::Bytes;
use futures::stream::{Stream, StreamExt};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Cancelled when the process stops at once (SIGTERM, a second Ctrl-C):
/// every download in progress ends with an error.
static ABORT: LazyLock<CancellationToken> = LazyLock::new(CancellationToken::new);

/// Archives being read on blocking threads right now.
static READING: AtomicUsize = AtomicUsize::new(0);

/// Held by a blocking thread while it reads an archive.
pub struct Reading(());

impl Reading {
    pub fn start() -> Self {
        READING.fetch_add(1, Ordering::SeqCst);
        Reading(())
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        READING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Ends every download in progress and waits (at most `wait`) for the
/// blocking threads reading them to let go. Call it before the runtime
/// shuts down: a blocking reader still polling a download once the
/// runtime's timers are gone would panic.
pub async fn abort_downloads(wait: Duration) {
    ABORT.cancel();
    let until = Instant::now() + wait;
    while READING.load(Ordering::SeqCst) > 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How long one archive download may take.
#[derive(Debug, Clone, Copy)]
pub struct DownloadLimits {
    /// Deadline of any download, whatever the repository's size.
    pub deadline: Duration,
    /// Added to the deadline per MiB of the repository's reported size.
    pub per_mib: Duration,
    /// The deadline never grows past this.
    pub max_deadline: Duration,
    /// Average bytes per second a download must keep once past `grace`.
    pub min_bytes_per_sec: u64,
    /// Time a download has to get going before its throughput counts
    /// (the download host may take a moment to generate the archive).
    pub grace: Duration,
}

impl Default for DownloadLimits {
    fn default() -> Self {
        DownloadLimits {
            deadline: Duration::from_secs(120),
            // 1 MiB/s at the slowest: a 200 MiB repository (the trees API
            // takes anything larger) gets about five minutes.
            per_mib: Duration::from_secs(1),
            max_deadline: Duration::from_secs(15 * 60),
            min_bytes_per_sec: 16 * 1024,
            grace: Duration::from_secs(15),
        }
    }
}

impl DownloadLimits {
    /// The deadline for a repository of `size_kb` KiB (GitHub's `size`).
    pub fn deadline_for(&self, size_kb: i64) -> Duration {
        let mib = (size_kb.max(0) as f64) / 1024.0;
        (self.deadline + self.per_mib.mul_f64(mib)).min(self.max_deadline.max(self.deadline))
    }
}

/// Why a watched download was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    Deadline,
    TooSlow,
}

/// Set by [`watch`] when it stops a download, read by the caller after the
/// archive reader failed.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicU8>);

impl StopFlag {
    fn set(&self, why: Stopped) {
        let v = match why {
            Stopped::Deadline => 1,
            Stopped::TooSlow => 2,
        };
        self.0.store(v, Ordering::Release);
    }

    pub fn get(&self) -> Option<Stopped> {
        match self.0.load(Ordering::Acquire) {
            1 => Some(Stopped::Deadline),
            2 => Some(Stopped::TooSlow),
            _ => None,
        }
    }
}

struct State<S> {
    inner: S,
    received: u64,
    started: Instant,
    end: Instant,
    tick: tokio::time::Interval,
    finished: bool,
}

/// Wraps an archive stream: it ends in an error (and `flag` says why) when
/// the deadline passes or the throughput falls below the minimum.
pub fn watch<S, E>(
    inner: S,
    limits: DownloadLimits,
    deadline: Duration,
    flag: StopFlag,
) -> futures::stream::BoxStream<'static, std::io::Result<Bytes>>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let started = Instant::now();
    let state = State {
        inner,
        received: 0,
        started,
        end: started + deadline,
        tick: tokio::time::interval_at(started + limits.grace, Duration::from_millis(250)),
        finished: false,
    };
    futures::stream::unfold(state, move |mut st| {
        let flag = flag.clone();
        async move {
            if st.finished {
                return None;
            }
            let stop = |st: &mut State<S>, why: Stopped, detail: String| {
                flag.set(why);
                st.finished = true;
                std::io::Error::new(std::io::ErrorKind::TimedOut, detail)
            };
            loop {
                tokio::select! {
                    item = st.inner.next() => {
                        return match item {
                            None => None,
                            Some(Ok(chunk)) => {
                                st.received += chunk.len() as u64;
                                Some((Ok(chunk), st))
                            }
                            Some(Err(e)) => {
                                st.finished = true;
                                Some((Err(std::io::Error::other(e)), st))
                            }
                        };
                    }
                    _ = ABORT.cancelled() => {
                        st.finished = true;
                        let e = std::io::Error::new(
                            std::io::ErrorKind::Interrupted,
                            "the process is stopping",
                        );
                        return Some((Err(e), st));
                    }
                    _ = tokio::time::sleep_until(st.end) => {
                        let detail = format!(
                            "the download passed its deadline of {:?} after {} bytes",
                            st.end - st.started, st.received
                        );
                        let e = stop(&mut st, Stopped::Deadline, detail);
                        return Some((Err(e), st));
                    }
                    _ = st.tick.tick() => {
                        let secs = st.started.elapsed().as_secs_f64();
                        let rate = st.received as f64 / secs.max(1e-3);
                        if rate < limits.min_bytes_per_sec as f64 {
                            let detail = format!(
                                "the download ran at {rate:.0} bytes/s over {secs:.1} s, under the minimum of {} bytes/s",
                                limits.min_bytes_per_sec
                            );
                            let e = stop(&mut st, Stopped::TooSlow, detail);
                            return Some((Err(e), st));
                        }
                    }
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DownloadLimits {
        DownloadLimits {
            deadline: Duration::from_millis(600),
            per_mib: Duration::from_millis(100),
            max_deadline: Duration::from_secs(2),
            min_bytes_per_sec: 1000,
            grace: Duration::from_millis(200),
        }
    }

    #[test]
    fn the_deadline_grows_with_size_up_to_the_maximum() {
        let l = limits();
        assert_eq!(l.deadline_for(0), Duration::from_millis(600));
        assert_eq!(l.deadline_for(10 * 1024), Duration::from_millis(1600));
        assert_eq!(l.deadline_for(1 << 30), Duration::from_secs(2));
    }

    fn trickle(
        every: Duration,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin + 'static {
        Box::pin(futures::stream::unfold((), move |()| async move {
            tokio::time::sleep(every).await;
            Some((Ok(Bytes::from_static(b"x")), ()))
        }))
    }

    #[tokio::test]
    async fn a_trickle_is_stopped_as_too_slow() {
        let flag = StopFlag::default();
        let started = std::time::Instant::now();
        let out: Vec<_> = watch(
            trickle(Duration::from_millis(20)),
            limits(),
            Duration::from_secs(5),
            flag.clone(),
        )
        .collect()
        .await;
        assert!(out.last().is_some_and(|r| r.is_err()));
        assert_eq!(flag.get(), Some(Stopped::TooSlow));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_fast_but_endless_stream_meets_the_deadline() {
        let flag = StopFlag::default();
        let mut l = limits();
        l.min_bytes_per_sec = 1;
        let out: Vec<_> = watch(
            trickle(Duration::from_millis(1)),
            l,
            Duration::from_millis(300),
            flag.clone(),
        )
        .collect()
        .await;
        assert!(out.last().is_some_and(|r| r.is_err()));
        assert_eq!(flag.get(), Some(Stopped::Deadline));
    }

    #[tokio::test]
    async fn a_healthy_stream_passes_untouched() {
        let flag = StopFlag::default();
        let chunks = futures::stream::iter(vec![
            Ok::<_, std::io::Error>(Bytes::from_static(b"ab")),
            Ok(Bytes::from_static(b"c")),
        ]);
        let out: Vec<_> = watch(chunks, limits(), Duration::from_secs(1), flag.clone())
            .collect()
            .await;
        assert_eq!(out.len(), 2);
        assert_eq!(flag.get(), None);
    }
}
