//! Which campaign a node-wide CUSTOM `filestring::fail` belongs to. FreeSWITCH fires it with no
//! Unique-ID while a `say` looks for prompts that are not installed, and the `say` then completes
//! at once with `_none_`. The event reaches the engine on the node's unrouted stream, read by
//! another task than the call's, so "which says run right now" races the call finishing. The
//! switch's Event-Sequence does not race: every `say` is kept as the interval of sequences it
//! spanned (after the last event its channel showed before the execute, up to its
//! EXECUTE_COMPLETE), and a failure is blamed on the campaigns whose interval holds it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How long a finished `say` can still be blamed (the watcher is at most this far behind).
const KEEP: Duration = Duration::from_secs(60);
/// Finished `say`s kept at most, whatever their age (bounds memory at high call rates).
const KEEP_MAX: usize = 4096;
/// With no Event-Sequence to compare, a failure seen this soon after a `say` ended is its own.
const NO_SEQ_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
struct Run {
    campaign: i64,
    /// The say's events all have a greater sequence than this (None: unknown, any).
    after: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Done {
    run: Run,
    /// The sequence of its EXECUTE_COMPLETE (None: it ended without one).
    end: Option<u64>,
    at: Instant,
}

#[derive(Debug, Default)]
struct Inner {
    running: HashMap<String, Run>,
    done: VecDeque<Done>,
}

/// The `say`s of one node: running and recently finished.
#[derive(Debug, Default)]
pub struct SayWatch {
    inner: Mutex<Inner>,
}

impl SayWatch {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A `say` is about to run on channel `uuid`; `after` is the highest sequence seen on it.
    pub fn started(&self, uuid: &str, campaign: i64, after: Option<u64>) {
        self.lock()
            .running
            .insert(uuid.to_string(), Run { campaign, after });
    }

    /// The `say` on `uuid` completed (`end`: its EXECUTE_COMPLETE's sequence) or was cut off.
    pub fn finished(&self, uuid: &str, end: Option<u64>) {
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(run) = inner.running.remove(uuid) {
            inner.done.push_back(Done { run, end, at: now });
        }
        while inner.done.len() > KEEP_MAX
            || inner
                .done
                .front()
                .is_some_and(|d| now.duration_since(d.at) > KEEP)
        {
            inner.done.pop_front();
        }
    }

    /// The campaigns a `filestring::fail` with this Event-Sequence is blamed on, sorted.
    pub fn blame(&self, seq: Option<u64>) -> Vec<i64> {
        let now = Instant::now();
        let inner = self.lock();
        let after_start = |run: &Run| match (seq, run.after) {
            (Some(s), Some(a)) => s > a,
            _ => true,
        };
        let mut v: Vec<i64> = inner
            .running
            .values()
            .filter(|r| after_start(r))
            .map(|r| r.campaign)
            .collect();
        v.extend(
            inner
                .done
                .iter()
                .filter(|d| match (seq, d.end) {
                    (Some(s), Some(end)) => after_start(&d.run) && s < end,
                    _ => now.duration_since(d.at) <= NO_SEQ_GRACE && after_start(&d.run),
                })
                .map(|d| d.run.campaign),
        );
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_say_is_blamed() {
        let w = SayWatch::default();
        w.started("a", 7, Some(10));
        assert_eq!(w.blame(Some(11)), vec![7]);
        assert_eq!(w.blame(Some(9)), Vec::<i64>::new(), "fired before it began");
    }

    #[test]
    fn a_say_that_finished_before_the_watcher_read_the_event_is_still_blamed() {
        let w = SayWatch::default();
        w.started("a", 7, Some(10));
        w.finished("a", Some(14));
        assert_eq!(w.blame(Some(12)), vec![7]);
        assert!(w.blame(Some(15)).is_empty(), "fired after it completed");
        assert!(w.blame(Some(10)).is_empty());
    }

    #[test]
    fn only_the_campaign_whose_interval_holds_the_event() {
        let w = SayWatch::default();
        w.started("a", 1, Some(10));
        w.finished("a", Some(20));
        w.started("b", 2, Some(30));
        w.finished("b", Some(40));
        w.started("c", 3, Some(35));
        assert_eq!(w.blame(Some(15)), vec![1]);
        assert_eq!(w.blame(Some(36)), vec![2, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn without_sequences_a_recent_say_is_blamed_for_a_short_grace() {
        let w = SayWatch::default();
        w.started("a", 5, None);
        w.finished("a", None);
        assert_eq!(w.blame(None), vec![5]);
        tokio::time::advance(NO_SEQ_GRACE + Duration::from_millis(1)).await;
        assert!(w.blame(None).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn finished_says_are_forgotten_after_a_while() {
        let w = SayWatch::default();
        w.started("a", 5, Some(1));
        w.finished("a", Some(3));
        tokio::time::advance(KEEP + Duration::from_secs(1)).await;
        w.started("b", 6, Some(100));
        w.finished("b", Some(103));
        assert!(w.blame(Some(2)).is_empty());
        assert_eq!(w.blame(Some(101)), vec![6]);
    }
}
