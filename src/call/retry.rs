//! The retry policy (DESIGN.md "Retry policy") as pure functions: what becomes of a contact
//! after an attempt, and when a campaign's run of technical errors pauses it.
//!
//! Technical errors follow their own rule: they back off from `technical_backoff`, doubling
//! up to `technical_backoff_max`, and only every `technical_errors_per_attempt`-th error in a
//! row uses up an attempt. Any other result resets the run.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::disposition::SWITCH_UNREACHABLE;
use crate::model::{ContactStatus, Disposition, RetryPolicy, StreakStep};

/// A contact's retry counters before the attempt that just ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryState {
    /// Attempts used up so far.
    pub attempts: u32,
    /// Technical errors in a row so far.
    pub technical_streak: u32,
}

/// What becomes of the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactOutcome {
    pub status: ContactStatus,
    /// Set when `status` is pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The counters after this attempt.
    pub state: RetryState,
}

/// Dispositions that end a contact whatever the policy says.
pub fn is_final_success(d: Disposition) -> bool {
    matches!(d, Disposition::Answered | Disposition::Transferred)
}

/// Dispositions that are never retried (DESIGN.md: invalid number, opted out, cancelled).
pub fn is_never_retried(d: Disposition) -> bool {
    matches!(
        d,
        Disposition::InvalidNumber | Disposition::OptedOut | Disposition::Cancelled
    )
}

/// Whether a `sequential` contact's next phone is called in the same attempt after a call
/// with this disposition: the callee's line did not give a person (busy, no answer, rejected,
/// a number that does not exist, a failure, a machine). A technical error does not move on
/// (the next call would meet the same broken trunk; the technical backoff applies), nor does
/// anything that reached a person or was ended by outcall.
pub fn moves_to_next_phone(d: Disposition) -> bool {
    matches!(
        d,
        Disposition::Busy
            | Disposition::NoAnswer
            | Disposition::Rejected
            | Disposition::InvalidNumber
            | Disposition::Failed
            | Disposition::Machine
    )
}

/// Applies the policy to one finished attempt that ended at `ended_at`.
pub fn next_step(
    policy: &RetryPolicy,
    before: RetryState,
    disposition: Disposition,
    ended_at: DateTime<Utc>,
) -> ContactOutcome {
    // outcall cut the call (drain, crash recovery): not the callee's doing, so it is retried
    // like a technical error (backoff; one attempt per `technical_errors_per_attempt` in a row).
    if disposition.is_technical() {
        return technical_step(policy, before, ended_at);
    }
    let state = RetryState {
        attempts: before.attempts.saturating_add(1),
        technical_streak: 0,
    };
    let done = |status| ContactOutcome {
        status,
        next_attempt_at: None,
        state,
    };
    if is_final_success(disposition) || is_never_retried(disposition) {
        return done(ContactStatus::Done);
    }
    if !policy.retry_on.contains(&disposition) {
        return done(ContactStatus::Done);
    }
    if state.attempts >= policy.max_attempts {
        return done(ContactStatus::Exhausted);
    }
    let (wait, _) = crate::model::recall::recall_wait(policy, disposition, state.attempts);
    ContactOutcome {
        status: ContactStatus::Pending,
        next_attempt_at: Some(ended_at + to_chrono(wait)),
        state,
    }
}

fn technical_step(
    policy: &RetryPolicy,
    before: RetryState,
    ended_at: DateTime<Utc>,
) -> ContactOutcome {
    let streak = before.technical_streak.saturating_add(1);
    let per_attempt = policy.technical_errors_per_attempt.max(1);
    let attempts = if streak.is_multiple_of(per_attempt) {
        before.attempts.saturating_add(1)
    } else {
        before.attempts
    };
    let state = RetryState {
        attempts,
        technical_streak: streak,
    };
    if attempts >= policy.max_attempts {
        return ContactOutcome {
            status: ContactStatus::Exhausted,
            next_attempt_at: None,
            state,
        };
    }
    ContactOutcome {
        status: ContactStatus::Pending,
        next_attempt_at: Some(ended_at + to_chrono(technical_backoff(policy, streak))),
        state,
    }
}

/// The wait after the `streak`-th technical error in a row (1-based): the base, doubled per
/// earlier error, capped.
pub fn technical_backoff(policy: &RetryPolicy, streak: u32) -> Duration {
    let doublings = streak.saturating_sub(1).min(32);
    let wait = policy
        .technical_backoff
        .saturating_mul(1u32.checked_shl(doublings).unwrap_or(u32::MAX));
    wait.min(policy.technical_backoff_max)
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// What a result does to its campaign's technical-error streak. A call lost with its node
/// (the socket died or stopped answering: SWITCH_UNREACHABLE; the switch shut down or crashed)
/// while some node is up is the node's fault, not the campaign's: it leaves the streak as it
/// was. So do interrupted calls; other technical errors count; anything else resets it.
pub fn streak_step(d: Disposition, cause: &str, some_node_up: bool) -> StreakStep {
    let node_lost = matches!(cause, SWITCH_UNREACHABLE | "SYSTEM_SHUTDOWN" | "CRASH");
    if d == Disposition::Technical && node_lost && some_node_up {
        return StreakStep::Keep;
    }
    StreakStep::of(d)
}

/// The reason stored beside a campaign paused after `count` technical errors in a row.
pub fn pause_reason(count: u32, last_cause: &str) -> String {
    format!(
        "paused automatically: {count} technical errors in a row (last cause {})",
        if last_cause.is_empty() {
            "unknown"
        } else {
            last_cause
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use Disposition::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
    }

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn success_and_never_retried_are_done() {
        for d in [Answered, Transferred, InvalidNumber, OptedOut, Cancelled] {
            let o = next_step(&policy(5), RetryState::default(), d, t0());
            assert_eq!(o.status, ContactStatus::Done, "{d}");
            assert_eq!(o.state.attempts, 1);
            assert_eq!(o.next_attempt_at, None);
        }
    }

    #[test]
    fn retried_dispositions_wait_the_recall_interval_from_the_end() {
        for d in [Busy, NoAnswer, ShortCall, Failed] {
            let o = next_step(&policy(3), RetryState::default(), d, t0());
            assert_eq!(o.status, ContactStatus::Pending, "{d}");
            assert_eq!(
                o.next_attempt_at,
                Some(t0() + chrono::Duration::minutes(30))
            );
            assert_eq!(o.state.attempts, 1);
        }
    }

    #[test]
    fn waits_follow_the_disposition_then_the_attempt_number() {
        let p = RetryPolicy {
            max_attempts: 4,
            intervals: vec![
                std::time::Duration::from_secs(300),
                std::time::Duration::from_secs(7200),
            ],
            by_disposition: [("busy".to_string(), std::time::Duration::from_secs(600))].into(),
            ..RetryPolicy::default()
        };
        let after = |attempts: u32, d: Disposition| {
            let before = RetryState {
                attempts,
                technical_streak: 0,
            };
            let o = next_step(&p, before, d, t0());
            (o.next_attempt_at.unwrap() - t0()).num_minutes()
        };
        assert_eq!(after(0, Busy), 10);
        assert_eq!(after(2, Busy), 10);
        assert_eq!(after(0, NoAnswer), 5);
        assert_eq!(after(1, NoAnswer), 120);
        assert_eq!(after(2, ShortCall), 120, "the last interval repeats");
    }

    #[test]
    fn attempts_run_out() {
        let before = RetryState {
            attempts: 2,
            technical_streak: 0,
        };
        let o = next_step(&policy(3), before, Busy, t0());
        assert_eq!(o.status, ContactStatus::Exhausted);
        assert_eq!(o.state.attempts, 3);
        let o = next_step(&policy(1), RetryState::default(), NoAnswer, t0());
        assert_eq!(o.status, ContactStatus::Exhausted);
    }

    #[test]
    fn rejected_is_retried_only_when_listed() {
        let o = next_step(&policy(3), RetryState::default(), Rejected, t0());
        assert_eq!(o.status, ContactStatus::Done);
        let mut p = policy(3);
        p.retry_on.push(Rejected);
        let o = next_step(&p, RetryState::default(), Rejected, t0());
        assert_eq!(o.status, ContactStatus::Pending);
    }

    #[test]
    fn technical_backs_off_doubling_capped_and_charges_every_ninth() {
        let p = policy(2);
        let mut state = RetryState::default();
        let mut waits = Vec::new();
        for i in 1..=9 {
            let o = next_step(&p, state, Technical, t0());
            state = o.state;
            assert_eq!(state.technical_streak, i);
            if i < 9 {
                assert_eq!(o.status, ContactStatus::Pending);
                assert_eq!(state.attempts, 0, "error {i} uses no attempt");
                waits.push((o.next_attempt_at.unwrap() - t0()).num_minutes());
            } else {
                assert_eq!(state.attempts, 1, "the ninth uses one");
                assert_eq!(o.status, ContactStatus::Pending, "one attempt is left");
            }
        }
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 60, 60]);
        for _ in 10..18 {
            state = next_step(&p, state, Technical, t0()).state;
        }
        let o = next_step(&p, state, Technical, t0());
        assert_eq!(o.status, ContactStatus::Exhausted);
        assert_eq!(o.state.attempts, 2);
    }

    #[test]
    fn a_non_technical_result_resets_the_streak() {
        let before = RetryState {
            attempts: 0,
            technical_streak: 5,
        };
        let o = next_step(&policy(3), before, Busy, t0());
        assert_eq!(o.state.technical_streak, 0);
        assert_eq!(o.state.attempts, 1);
        let o = next_step(&policy(3), o.state, Technical, t0());
        assert_eq!(o.next_attempt_at, Some(t0() + chrono::Duration::minutes(1)));
    }

    #[test]
    fn which_outcomes_move_to_the_next_phone() {
        let table = [
            (Busy, true),
            (NoAnswer, true),
            (Rejected, true),
            (InvalidNumber, true),
            (Failed, true),
            (Machine, true),
            (Answered, false),
            (ShortCall, false),
            (Transferred, false),
            (OptedOut, false),
            (Technical, false),
            (Cancelled, false),
            (Interrupted, false),
        ];
        assert_eq!(
            table.len(),
            Disposition::ALL.len(),
            "every disposition decided"
        );
        for (d, want) in table {
            assert_eq!(moves_to_next_phone(d), want, "{d}");
        }
    }

    #[test]
    fn interrupted_is_retried_even_with_one_attempt() {
        // The default policy allows one attempt: a call outcall cut must not use it up.
        let o = next_step(&policy(1), RetryState::default(), Interrupted, t0());
        assert_eq!(o.status, ContactStatus::Pending);
        assert_eq!(o.state.attempts, 0);
        assert_eq!(o.next_attempt_at, Some(t0() + chrono::Duration::minutes(1)));
    }

    #[test]
    fn a_lost_node_counts_toward_the_streak_only_when_no_node_is_left() {
        for cause in [SWITCH_UNREACHABLE, "SYSTEM_SHUTDOWN", "CRASH"] {
            assert_eq!(streak_step(Technical, cause, true), StreakStep::Keep);
            assert_eq!(streak_step(Technical, cause, false), StreakStep::Count);
        }
        assert_eq!(
            streak_step(Technical, "GATEWAY_DOWN", true),
            StreakStep::Count
        );
        assert_eq!(
            streak_step(Interrupted, "NORMAL_CLEARING", true),
            StreakStep::Keep
        );
        assert_eq!(
            streak_step(Interrupted, "NORMAL_CLEARING", false),
            StreakStep::Keep
        );
        assert_eq!(
            streak_step(Busy, SWITCH_UNREACHABLE, true),
            StreakStep::Reset
        );
    }

    #[test]
    fn backoff_never_overflows() {
        let p = RetryPolicy::default();
        assert_eq!(technical_backoff(&p, u32::MAX), p.technical_backoff_max);
        assert_eq!(technical_backoff(&p, 1), p.technical_backoff);
    }

    #[test]
    fn pause_reason_names_count_and_cause() {
        let r = pause_reason(20, "GATEWAY_DOWN");
        assert!(
            r.contains("20 technical errors") && r.contains("GATEWAY_DOWN"),
            "{r}"
        );
        assert!(pause_reason(3, "").contains("unknown"));
    }
}
