//! The rate-limit gate every request passes before it is sent.
//!
//! One bucket per (token, resource). A bucket knows what GitHub last said
//! about its window (`x-ratelimit-limit/remaining/reset`) and schedules each
//! request at a slot that respects these rules:
//!
//! 1. Never more requests in a window than the server says remain: the
//!    newest (lowest) `remaining` GitHub reported, minus the requests we
//!    reserved after the one that carried it. At 0, wait for `reset`.
//! 2. Keep consecutive requests at least `window / (limit * burst)` (plus
//!    2%) apart, with the window length learnt from the headers (the first
//!    answer of a fresh window shows `reset - send time` = the whole window).
//!    Nothing here hard-codes "30 a minute", so a simulator that scales time
//!    K times is crawled K times faster.
//!    - Per-minute resources (search, code search, anything not hourly) use
//!      `burst = 1` and also spread what remains over the time left to the
//!      reset: requests are evenly spaced, so no *sliding* window of the
//!      window's length ever holds more than `limit` (what a log-based
//!      check, or a stricter server, would count), at no cost in
//!      throughput: the budget is spent exactly as fast as it refills.
//!    - Hourly resources (core, graphql) may go `burst` times faster than
//!      even spacing (default 4), so a short run does not take an hour to
//!      spend a budget it will never exhaust, while staying far below
//!      GitHub's secondary limit (900 requests a minute is about 11 times
//!      core's even pace).
//!
//! When a window ends, the next request is sent alone (a probe) and the
//! others wait for its answer, which tells the new window's size and reset.
//! A bucket whose answers carry no rate-limit headers is left unmetered
//! (only the concurrency caps apply).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::headers::{now_epoch, RateInfo};

/// Extra spacing over `window / limit`: covers an underestimated window
/// (our probe may start a grid-aligned window a margin late).
const SPACING_SAFETY: f64 = 0.02;
/// Two reset values within this many seconds are the same window.
const SAME_RESET_EPSILON: f64 = 0.001;
/// When GitHub says "0 left" with a reset already past (clock skew, a reset
/// rounded down), wait this long before asking again.
const STALE_RESET_PAUSE: Duration = Duration::from_secs(1);
/// Upper bound for one wait on a notification, so a lost wake-up can only
/// delay, never hang.
const MAX_NOTIFY_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Window {
    reset_at: Instant,
    /// Lowest `remaining` reported for this window...
    min_remaining: u64,
    /// ...and the sequence number of the request that carried it: requests
    /// reserved after it are not in that count yet.
    min_seq: u64,
}

#[derive(Debug)]
struct Bucket {
    /// How many times faster than even spacing this resource may go.
    burst: f64,
    window: Option<Window>,
    last_reset_epoch: f64,
    limit: Option<u64>,
    /// Longest window seen (`reset - send time` of a window's first answer).
    window_len: Option<Duration>,
    probing: bool,
    /// A reserved request has not been sent yet (evenly spaced buckets
    /// only): the next slot is counted from its actual send time, so a
    /// request held up (by the concurrency cap, a busy runtime) never ends
    /// up closer to its successor than the spacing allows.
    unsent: bool,
    unmetered: bool,
    /// Slot (then actual send time) of the latest request.
    last_at: Option<Instant>,
    seq: u64,
    paused_until: Option<Instant>,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            burst: 1.0,
            window: None,
            last_reset_epoch: f64::NEG_INFINITY,
            limit: None,
            window_len: None,
            probing: false,
            unsent: false,
            unmetered: false,
            last_at: None,
            seq: 0,
            paused_until: None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Plan {
    Go {
        at: Instant,
        probe: bool,
    },
    WaitUntil(Instant),
    /// Until an answer arrives or the reserved request is sent.
    WaitForEvent,
}

impl Bucket {
    fn margin(&self) -> Duration {
        // Past a reset, wait a little for rounding and clock differences:
        // proportional, so a 0.6 s scaled window is not slowed by a fixed
        // second.
        let base = self.window_len.map_or(Duration::ZERO, |w| w.mul_f64(0.005));
        base.clamp(Duration::from_millis(2), Duration::from_secs(1))
    }

    fn min_gap(&self) -> Duration {
        match (self.window_len, self.limit) {
            (Some(w), Some(l)) if l > 0 => {
                w.mul_f64((1.0 + SPACING_SAFETY) / self.burst.max(1.0))
                    / (l.min(u32::MAX as u64) as u32)
            }
            _ => Duration::ZERO,
        }
    }

    fn plan(&mut self, now: Instant) -> Plan {
        if let Some(p) = self.paused_until {
            if p > now {
                return Plan::WaitUntil(p);
            }
            self.paused_until = None;
        }
        if self.unsent {
            return Plan::WaitForEvent;
        }
        if self.unmetered {
            return Plan::Go {
                at: now,
                probe: false,
            };
        }
        let earliest = self.last_at.map_or(now, |t| t + self.min_gap()).max(now);
        if let Some(w) = &self.window {
            let margin = self.margin();
            if now < w.reset_at {
                let reserved_since = self.seq.saturating_sub(w.min_seq);
                let remaining = w.min_remaining.saturating_sub(reserved_since);
                if remaining == 0 {
                    return Plan::WaitUntil(w.reset_at + margin);
                }
                // Spread what remains over the time left (this also paces a
                // window whose length we have not seen whole yet), at most
                // `burst` times faster than that.
                let spread = self.last_at.map_or(now, |t| {
                    let left = w.reset_at.saturating_duration_since(t);
                    let even = left / (remaining.saturating_add(1).min(u32::MAX as u64) as u32);
                    t + even.div_f64(self.burst.max(1.0))
                });
                let at = earliest.max(spread);
                if at >= w.reset_at {
                    return Plan::WaitUntil(at.max(w.reset_at + margin));
                }
                return Plan::Go { at, probe: false };
            }
            if now < w.reset_at + margin {
                return Plan::WaitUntil(w.reset_at + margin);
            }
            // The window is over; the next one's size and reset are unknown
            // until the first answer in it.
            self.window = None;
        }
        if self.probing {
            Plan::WaitForEvent
        } else {
            Plan::Go {
                at: earliest,
                probe: true,
            }
        }
    }

    fn remaining_hint(&self) -> u64 {
        match &self.window {
            Some(w) => w
                .min_remaining
                .saturating_sub(self.seq.saturating_sub(w.min_seq)),
            None => self.limit.unwrap_or(0),
        }
    }
}

/// A reserved slot. Completing it feeds the answer's headers back; dropping
/// it unanswered (cancelled, network error) releases the slot.
#[derive(Debug)]
pub(crate) struct Permit {
    gate: Arc<Gate>,
    pub token: usize,
    pub resource: String,
    seq: u64,
    probe: bool,
    done: bool,
    sent: bool,
    pub sent_at: Instant,
}

impl Permit {
    /// Call right before the request goes on the wire.
    pub fn mark_sent(&mut self) {
        self.sent_at = Instant::now();
        if !self.sent {
            self.sent = true;
            self.gate.sent(self);
        }
    }

    /// `answered`: a proper (2xx/3xx) answer arrived, so missing headers
    /// mean the resource is unmetered, not that something failed.
    pub fn complete(mut self, info: Option<&RateInfo>, answered: bool) {
        self.done = true;
        self.gate.finish(&self, info, answered);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.done {
            self.gate.finish(self, None, false);
        }
    }
}

type Buckets = HashMap<(usize, String), Bucket>;

#[derive(Debug)]
pub(crate) struct Gate {
    buckets: Mutex<Buckets>,
    notify: Notify,
    /// `burst` of hourly resources.
    hourly_burst: f64,
}

/// GitHub's resources whose budget is per hour; the others are per minute.
fn is_hourly(resource: &str) -> bool {
    matches!(resource, "core" | "graphql")
}

fn bucket<'a>(
    buckets: &'a mut Buckets,
    token: usize,
    resource: &str,
    hourly_burst: f64,
) -> &'a mut Bucket {
    buckets
        .entry((token, resource.to_string()))
        .or_insert_with(|| Bucket {
            burst: if is_hourly(resource) {
                hourly_burst.max(1.0)
            } else {
                1.0
            },
            ..Bucket::default()
        })
}

impl Gate {
    pub fn new(hourly_burst: f64) -> Arc<Self> {
        Arc::new(Gate {
            buckets: Mutex::new(HashMap::new()),
            notify: Notify::new(),
            hourly_burst: if hourly_burst.is_finite() {
                hourly_burst.max(1.0)
            } else {
                1.0
            },
        })
    }

    fn lock(&self) -> MutexGuard<'_, Buckets> {
        // Bucket state stays consistent across a panic elsewhere (every
        // update is a plain assignment), so a poisoned lock is still usable.
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a slot for `resource` on one of `tokens` (indices), picking
    /// the token that can send soonest, and returns the permit and how long
    /// it waited.
    pub async fn acquire(self: &Arc<Self>, resource: &str, tokens: &[usize]) -> (Permit, Duration) {
        match self.acquire_before(resource, tokens, None).await {
            Ok(reserved) => reserved,
            Err(_) => unreachable!("a wait without a limit always ends with a slot"),
        }
    }

    /// [`Gate::acquire`], unless the slot is further away than `max_wait`:
    /// then nothing is reserved and the error says how long the wait would
    /// be (a spent budget, a pause).
    pub async fn acquire_within(
        self: &Arc<Self>,
        resource: &str,
        tokens: &[usize],
        max_wait: Duration,
    ) -> Result<(Permit, Duration), Duration> {
        let limit = Instant::now().checked_add(max_wait);
        self.acquire_before(resource, tokens, limit).await
    }

    /// The one waiting loop of both: `limit` None waits as long as it takes.
    async fn acquire_before(
        self: &Arc<Self>,
        resource: &str,
        tokens: &[usize],
        limit: Option<Instant>,
    ) -> Result<(Permit, Duration), Duration> {
        let start = Instant::now();
        let beyond = |at: Instant| limit.is_some_and(|l| at > l);
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = Instant::now();
            if let Some(p) = tokens
                .iter()
                .filter_map(|t| self.paused_until(*t, resource))
                .min()
            {
                if beyond(p) {
                    return Err(p - now);
                }
            }
            let (reserved, wait_until) = self.try_reserve(resource, tokens, now);
            if let Some((permit, at)) = reserved {
                if beyond(at) {
                    // Dropping the permit unsent gives the slot back.
                    return Err(at - now);
                }
                tokio::time::sleep_until(at.into()).await;
                // A secondary limit may have paused the bucket meanwhile.
                while let Some(p) = self.paused_until(permit.token, resource) {
                    if beyond(p) {
                        return Err(p.saturating_duration_since(Instant::now()));
                    }
                    tokio::time::sleep_until(p.into()).await;
                }
                return Ok((permit, start.elapsed()));
            }
            if let Some(u) = wait_until.filter(|u| beyond(*u)) {
                return Err(u - now);
            }
            if let Some(l) = limit.filter(|l| now >= *l) {
                return Err(l.saturating_duration_since(start));
            }
            // Wake at the earliest known slot, or on any answer (which may
            // open a slot sooner); a probe wait re-checks every second.
            let mut deadline = wait_until.unwrap_or(now + MAX_NOTIFY_WAIT);
            if let Some(l) = limit {
                deadline = deadline.min(l);
            }
            tokio::select! {
                _ = tokio::time::sleep_until(deadline.into()) => {}
                _ = &mut notified => {}
            }
        }
    }

    /// Reserves the soonest slot among `tokens`, or says until when to wait
    /// (`None`: until an answer arrives).
    fn try_reserve(
        self: &Arc<Self>,
        resource: &str,
        tokens: &[usize],
        now: Instant,
    ) -> (Option<(Permit, Instant)>, Option<Instant>) {
        let mut best: Option<(Instant, u64, usize, bool)> = None;
        let mut wait_until: Option<Instant> = None;
        let mut buckets = self.lock();
        for &t in tokens {
            let b = bucket(&mut buckets, t, resource, self.hourly_burst);
            match b.plan(now) {
                Plan::Go { at, probe } => {
                    let rem = b.remaining_hint();
                    let better = match best {
                        None => true,
                        Some((bat, brem, _, _)) => at < bat || (at == bat && rem > brem),
                    };
                    if better {
                        best = Some((at, rem, t, probe));
                    }
                }
                Plan::WaitUntil(u) => {
                    wait_until = Some(wait_until.map_or(u, |w| w.min(u)));
                }
                Plan::WaitForEvent => {}
            }
        }
        let Some((at, _, t, probe)) = best else {
            return (None, wait_until);
        };
        let b = bucket(&mut buckets, t, resource, self.hourly_burst);
        b.seq += 1;
        b.last_at = Some(b.last_at.map_or(at, |l| l.max(at)));
        if probe {
            b.probing = true;
        }
        // Only evenly spaced budgets need it: an hourly one is bounded by
        // its fixed window alone, and serialising it would cost throughput.
        if !b.unmetered && b.burst <= 1.0 {
            b.unsent = true;
        }
        let permit = Permit {
            gate: Arc::clone(self),
            token: t,
            resource: resource.to_string(),
            seq: b.seq,
            probe,
            done: false,
            sent: false,
            sent_at: at,
        };
        (Some((permit, at)), None)
    }

    fn paused_until(&self, token: usize, resource: &str) -> Option<Instant> {
        let buckets = self.lock();
        let p = buckets.get(&(token, resource.to_string()))?.paused_until?;
        (p > Instant::now()).then_some(p)
    }

    /// Stops every request for (token, resource) until `until` (a secondary
    /// limit, an archive 429).
    pub fn pause(&self, token: usize, resource: &str, until: Instant) {
        let mut buckets = self.lock();
        let b = bucket(&mut buckets, token, resource, self.hourly_burst);
        b.paused_until = Some(b.paused_until.map_or(until, |p| p.max(until)));
    }

    /// How long (token, resource) stays paused, if it is.
    pub fn paused_for(&self, token: usize, resource: &str) -> Option<Duration> {
        self.paused_until(token, resource)
            .map(|p| p.saturating_duration_since(Instant::now()))
    }

    /// Feeds rate-limit state that did not come from the bucket's own
    /// requests (`/rate_limit`'s body, headers naming another resource).
    pub fn observe(&self, token: usize, info: &RateInfo) {
        let mut buckets = self.lock();
        if let Some(resource) = &info.resource {
            let b = bucket(&mut buckets, token, resource, self.hourly_burst);
            apply_foreign(b, info);
        }
        drop(buckets);
        self.notify.notify_waiters();
    }

    fn sent(&self, permit: &Permit) {
        let mut buckets = self.lock();
        let b = bucket(
            &mut buckets,
            permit.token,
            &permit.resource,
            self.hourly_burst,
        );
        b.unsent = false;
        b.last_at = Some(b.last_at.map_or(permit.sent_at, |l| l.max(permit.sent_at)));
        drop(buckets);
        self.notify.notify_waiters();
    }

    fn finish(&self, permit: &Permit, info: Option<&RateInfo>, answered: bool) {
        let mut buckets = self.lock();
        let b = bucket(
            &mut buckets,
            permit.token,
            &permit.resource,
            self.hourly_burst,
        );
        if permit.probe {
            b.probing = false;
        }
        if !permit.sent {
            b.unsent = false;
        }
        match info {
            None => {
                if answered && permit.probe {
                    b.unmetered = true;
                }
            }
            Some(info) => {
                let resource = info
                    .resource
                    .clone()
                    .unwrap_or_else(|| permit.resource.clone());
                if resource == permit.resource {
                    apply(b, info, permit.seq, Some(permit.sent_at));
                } else {
                    // Our guess of the resource was wrong: the headers' own
                    // bucket learns what it safely can.
                    let t = bucket(&mut buckets, permit.token, &resource, self.hourly_burst);
                    apply_foreign(t, info);
                }
            }
        }
        drop(buckets);
        self.notify.notify_waiters();
    }
}

/// State learnt outside the bucket's own requests only says when a spent
/// budget comes back: it never opens a window, because pacing inside a
/// window relies on the window's length, which only the bucket's own first
/// request in a fresh window shows (and a `/rate_limit` body gives whole
/// seconds only).
fn apply_foreign(b: &mut Bucket, info: &RateInfo) {
    b.limit = Some(info.limit);
    if info.remaining == 0 {
        let delta = info.reset_epoch - now_epoch();
        let until = Instant::now()
            + Duration::from_secs_f64(delta.clamp(0.0, 86_400.0))
            + STALE_RESET_PAUSE.min(b.margin());
        b.paused_until = Some(b.paused_until.map_or(until, |p| p.max(until)));
    }
}

fn apply(b: &mut Bucket, info: &RateInfo, seq: u64, sent_at: Option<Instant>) {
    let now = Instant::now();
    let delta = info.reset_epoch - now_epoch();
    let reset_at = if delta >= 0.0 {
        now + Duration::from_secs_f64(delta.min(86_400.0))
    } else {
        now.checked_sub(Duration::from_secs_f64((-delta).min(86_400.0)))
            .unwrap_or(now)
    };
    b.unmetered = false;
    b.limit = Some(info.limit);
    if info.reset_epoch > b.last_reset_epoch + SAME_RESET_EPSILON {
        b.last_reset_epoch = info.reset_epoch;
        b.window = Some(Window {
            reset_at,
            min_remaining: info.remaining,
            min_seq: seq,
        });
        // Only the first answer of a fresh window shows its whole length.
        if let Some(sent) = sent_at {
            if info.remaining + 1 >= info.limit && reset_at > sent {
                let observed = reset_at - sent;
                b.window_len = Some(b.window_len.map_or(observed, |w| w.max(observed)));
            }
        }
    } else if (info.reset_epoch - b.last_reset_epoch).abs() <= SAME_RESET_EPSILON {
        if let Some(w) = &mut b.window {
            if info.remaining < w.min_remaining {
                w.min_remaining = info.remaining;
                w.min_seq = seq;
            }
        }
    }
    if info.remaining == 0 && reset_at <= now {
        let until = now + STALE_RESET_PAUSE;
        b.paused_until = Some(b.paused_until.map_or(until, |p| p.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(limit: u64, remaining: u64, reset_in: f64) -> RateInfo {
        RateInfo {
            limit,
            remaining,
            reset_epoch: now_epoch() + reset_in,
            resource: Some("search".into()),
        }
    }

    #[tokio::test]
    async fn first_request_probes_alone_then_paces_by_headers() {
        let gate = Gate::new(4.0);
        let (mut p1, _) = gate.acquire("search", &[0]).await;
        assert!(p1.probe);
        // A second caller must wait for the probe's answer.
        let g2 = Arc::clone(&gate);
        let second = tokio::spawn(async move { g2.acquire("search", &[0]).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!second.is_finished());
        p1.mark_sent();
        p1.sent_at -= Duration::from_millis(1);
        p1.complete(Some(&info(10, 9, 1.0)), true);
        let (p2, _) = second.await.expect("joins");
        assert!(!p2.probe);
        // Window 1 s, limit 10: the next slot is ~102 ms after the last.
        let b = gate.lock();
        let bucket = b.get(&(0, "search".to_string())).expect("bucket");
        let gap = bucket.min_gap();
        assert!(
            gap >= Duration::from_millis(100) && gap < Duration::from_millis(110),
            "{gap:?}"
        );
    }

    #[test]
    fn hourly_budgets_may_burst_minute_budgets_are_spread() {
        let gate = Gate::new(4.0);
        let mut buckets = gate.lock();
        for (resource, expected_ms) in [("core", 255.0), ("search", 1020.0)] {
            let b = bucket(&mut buckets, 0, resource, gate.hourly_burst);
            b.seq = 1;
            let sent = Instant::now();
            let mut i = info(10, 9, 10.0);
            i.resource = Some(resource.into());
            apply(b, &i, 1, Some(sent));
            let gap = b.min_gap().as_secs_f64() * 1000.0;
            assert!((gap - expected_ms).abs() < 5.0, "{resource}: {gap} ms");
        }
    }

    #[test]
    fn remaining_zero_waits_for_reset() {
        let mut b = Bucket {
            seq: 1,
            ..Bucket::default()
        };
        apply(&mut b, &info(30, 0, 5.0), 1, None);
        let now = Instant::now();
        match b.plan(now) {
            Plan::WaitUntil(t) => assert!(t >= now + Duration::from_secs(4)),
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    #[test]
    fn counts_reservations_made_after_the_newest_answer() {
        let mut b = Bucket {
            seq: 1,
            ..Bucket::default()
        };
        apply(&mut b, &info(30, 3, 60.0), 1, None);
        // Three more reserved but not answered: nothing left.
        b.seq = 4;
        assert!(matches!(b.plan(Instant::now()), Plan::WaitUntil(_)));
        // An older answer (lower seq) with a higher remaining changes nothing.
        apply(&mut b, &info(30, 5, 60.0), 0, None);
        assert_eq!(b.remaining_hint(), 0);
    }

    #[test]
    fn stale_reset_with_nothing_left_pauses() {
        let mut b = Bucket::default();
        apply(&mut b, &info(30, 0, -3.0), 0, None);
        assert!(b.paused_until.is_some());
    }
}
