//! How long a contact waits before its next attempt after a retried result, and which rule of
//! the campaign's `[retry]` decided it: the disposition's own wait (`by_disposition`), else the
//! wait for this attempt number (`intervals`, the last repeating), else `recall_interval`.
//! Technical errors follow their own backoff (`call::retry::technical_backoff`).

use std::fmt;
use std::time::Duration;

use super::{duration_text, Disposition, RetryPolicy};

/// The rule that set a wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecallRule {
    /// `retry.by_disposition.<name>`.
    Disposition(Disposition),
    /// `retry.intervals[i]` (0-based; the last entry serves every later attempt).
    Attempt(usize),
    /// `retry.recall_interval`.
    RecallInterval,
    /// The technical backoff after this many technical errors in a row.
    TechnicalBackoff(u32),
}

impl fmt::Display for RecallRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecallRule::Disposition(d) => write!(f, "retry.by_disposition.{d}"),
            RecallRule::Attempt(i) => write!(f, "retry.intervals[{i}]"),
            RecallRule::RecallInterval => f.write_str("retry.recall_interval"),
            RecallRule::TechnicalBackoff(n) => write!(
                f,
                "retry.technical_backoff (doubling, {n} technical error(s) in a row)"
            ),
        }
    }
}

/// The wait after an attempt that ended with `disposition` (retried, not technical), when
/// `attempts` attempts (this one included, 1-based) have been used, and the rule that set it.
pub fn recall_wait(
    policy: &RetryPolicy,
    disposition: Disposition,
    attempts: u32,
) -> (Duration, RecallRule) {
    if let Some(&wait) = policy.by_disposition.get(disposition.as_str()) {
        return (wait, RecallRule::Disposition(disposition));
    }
    if let Some(last) = policy.intervals.len().checked_sub(1) {
        let i = (attempts.max(1) as usize - 1).min(last);
        return (policy.intervals[i], RecallRule::Attempt(i));
    }
    (policy.recall_interval, RecallRule::RecallInterval)
}

/// Checks `by_disposition` and `intervals` of a policy whose `retry_on` is already checked:
/// every name is a disposition this dialer knows and retries, every wait at most a year, and
/// no more intervals than attempts can use. The message names the key.
pub fn check(policy: &RetryPolicy) -> Result<(), String> {
    const YEAR: Duration = Duration::from_secs(366 * 86_400);
    for (name, wait) in &policy.by_disposition {
        let d: Disposition = name.parse().map_err(|_| {
            let known: Vec<&str> = Disposition::ALL.iter().map(|d| d.as_str()).collect();
            format!(
                "retry.by_disposition.{name}: not a disposition (known: {})",
                known.join(", ")
            )
        })?;
        if !policy.retry_on.contains(&d) {
            return Err(format!(
                "retry.by_disposition.{name}: `{name}` is not in retry.retry_on, so it is never retried; add it there or remove this line"
            ));
        }
        if *wait > YEAR {
            return Err(format!(
                "retry.by_disposition.{name}: {} is more than a year",
                duration_text::format(*wait)
            ));
        }
    }
    let usable = policy.max_attempts.saturating_sub(1) as usize;
    if policy.intervals.len() > usable {
        return Err(format!(
            "retry.intervals: {} waits, but max_attempts = {} leaves room for {} (one after each attempt but the last)",
            policy.intervals.len(),
            policy.max_attempts,
            usable
        ));
    }
    if let Some((i, w)) = policy
        .intervals
        .iter()
        .enumerate()
        .find(|(_, w)| **w > YEAR)
    {
        return Err(format!(
            "retry.intervals[{i}]: {} is more than a year",
            duration_text::format(*w)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Disposition::*;

    fn min(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            intervals: vec![min(5), min(30), min(120)],
            by_disposition: [
                ("busy".to_string(), min(10)),
                ("machine".to_string(), min(240)),
            ]
            .into(),
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn the_disposition_beats_the_attempt_which_beats_the_interval() {
        let p = policy();
        let plain = RetryPolicy::default();
        let cases: &[(&RetryPolicy, Disposition, u32, Duration, RecallRule)] = &[
            (&p, Busy, 1, min(10), RecallRule::Disposition(Busy)),
            (&p, Busy, 4, min(10), RecallRule::Disposition(Busy)),
            // An answering machine: try again in four hours, whatever the attempt.
            (&p, Machine, 1, min(240), RecallRule::Disposition(Machine)),
            (&p, NoAnswer, 1, min(5), RecallRule::Attempt(0)),
            (&p, NoAnswer, 2, min(30), RecallRule::Attempt(1)),
            (&p, ShortCall, 3, min(120), RecallRule::Attempt(2)),
            // The last interval repeats.
            (&p, Failed, 4, min(120), RecallRule::Attempt(2)),
            (&plain, NoAnswer, 1, min(30), RecallRule::RecallInterval),
            (&plain, Busy, 7, min(30), RecallRule::RecallInterval),
        ];
        for (policy, d, attempts, wait, rule) in cases {
            assert_eq!(
                recall_wait(policy, *d, *attempts),
                (*wait, rule.clone()),
                "{d} after attempt {attempts}"
            );
        }
    }

    #[test]
    fn rules_read_as_their_keys() {
        assert_eq!(
            RecallRule::Disposition(NoAnswer).to_string(),
            "retry.by_disposition.no_answer"
        );
        assert_eq!(RecallRule::Attempt(2).to_string(), "retry.intervals[2]");
    }

    #[test]
    fn check_names_the_key() {
        let bad = |f: &dyn Fn(&mut RetryPolicy)| {
            let mut p = policy();
            f(&mut p);
            check(&p).unwrap_err()
        };
        assert!(check(&policy()).is_ok());
        let e = bad(&|p| {
            p.by_disposition.insert("bussy".into(), min(1));
        });
        assert!(
            e.starts_with("retry.by_disposition.bussy: not a disposition"),
            "{e}"
        );
        let e = bad(&|p| {
            p.by_disposition.insert("rejected".into(), min(1));
        });
        assert!(e.contains("not in retry.retry_on"), "{e}");
        let e = bad(&|p| p.intervals = vec![min(1); 5]);
        assert!(e.starts_with("retry.intervals: 5 waits"), "{e}");
        let e = bad(&|p| p.intervals[1] = Duration::from_secs(400 * 86_400));
        assert!(e.starts_with("retry.intervals[1]:"), "{e}");
    }
}
