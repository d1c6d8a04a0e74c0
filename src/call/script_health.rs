//! Whether a campaign's script keeps failing on its calls (a value a filter cannot read, a
//! template naming a variable the contacts lack, a file path the switch refuses): the first
//! failure is logged once, and when most of the last answered calls failed the campaign is
//! paused with the reason, as a `say` without prompts is. One per campaign runtime, so a
//! replaced script starts afresh.

use std::collections::VecDeque;
use std::sync::Mutex;

/// The answered calls looked at.
pub const WINDOW: usize = 10;
/// Answered calls needed before a verdict.
pub const MIN_CALLS: usize = 5;

/// What to do after one answered call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to say.
    Quiet,
    /// The campaign's first script failure: log it (once).
    FirstFailure,
    /// Most recent calls failed: pause the campaign with this reason (once).
    Pause(String),
}

#[derive(Debug, Default)]
struct Inner {
    /// The last answered calls, true when the script failed.
    recent: VecDeque<bool>,
    warned: bool,
    paused: bool,
}

/// The script outcomes of a campaign's recent answered calls.
#[derive(Debug, Default)]
pub struct ScriptHealth {
    inner: Mutex<Inner>,
}

impl ScriptHealth {
    /// Notes one answered call whose script failed with `error` (or did not: `None`).
    pub fn record(&self, error: Option<&str>) -> Verdict {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        s.recent.push_back(error.is_some());
        if s.recent.len() > WINDOW {
            s.recent.pop_front();
        }
        let Some(error) = error else {
            return Verdict::Quiet;
        };
        let failed = s.recent.iter().filter(|f| **f).count();
        let seen = s.recent.len();
        if !s.paused && seen >= MIN_CALLS && failed * 2 > seen {
            s.paused = true;
            return Verdict::Pause(format!(
                "paused automatically: the script failed on {failed} of the last {seen} answered calls: {error}; fix the script or the contacts' values, then resume"
            ));
        }
        if !s.warned {
            s.warned = true;
            return Verdict::FirstFailure;
        }
        Verdict::Quiet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_calls_failing_pauses_once_and_the_first_failure_is_told_once() {
        let h = ScriptHealth::default();
        assert_eq!(h.record(Some("bad")), Verdict::FirstFailure);
        assert_eq!(h.record(None), Verdict::Quiet);
        assert_eq!(h.record(Some("bad")), Verdict::Quiet);
        assert_eq!(h.record(Some("bad")), Verdict::Quiet, "4 calls: too few");
        match h.record(Some("bad")) {
            Verdict::Pause(r) => assert!(r.contains("failed on 4 of the last 5"), "{r}"),
            v => panic!("{v:?}"),
        }
        assert_eq!(h.record(Some("bad")), Verdict::Quiet, "paused once");
    }

    #[test]
    fn a_few_failures_among_good_calls_do_not_pause() {
        let h = ScriptHealth::default();
        for i in 0..40 {
            let v = h.record((i % 3 == 0).then_some("bad"));
            assert!(!matches!(v, Verdict::Pause(_)), "call {i}");
        }
    }
}
