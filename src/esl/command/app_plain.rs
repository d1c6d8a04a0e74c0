//! Builders of the applications whose arguments are only numbers, DTMF keys or a cause:
//! `send_dtmf`, `hangup`, applications without argument, `sleep`, `wait_for_silence`
//! (answering-machine detection), `sched_hangup` (the longest a call may last). None of these
//! can carry syntax; a cause or an application name must be a plain token.

use super::{call, token, AppCall, CommandError, Result};

/// `send_dtmf <keys>`: DTMF sent to the far end (an extension, once a PBX has answered). Only
/// DTMF keys (0-9, *, #, A-D), at most 32.
pub fn send_dtmf(keys: &str) -> Result<AppCall> {
    let ok = !keys.is_empty()
        && keys.len() <= 32
        && keys
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D'));
    if !ok {
        return Err(CommandError::BadValue {
            name: "send_dtmf keys".into(),
            reason: "may hold only 0-9 * # A-D (at most 32)",
        });
    }
    Ok(call("send_dtmf", keys.to_string()))
}

/// `hangup <cause>`.
pub fn hangup(cause: &str) -> Result<AppCall> {
    token("hangup cause", cause)?;
    Ok(call("hangup", cause.to_string()))
}

/// `answer`, `park`, or another application that takes no argument.
pub fn bare(app: &'static str) -> Result<AppCall> {
    token("application", app)?;
    Ok(call(app, String::new()))
}

/// `sleep <ms>` (mod_dptools; SAF_SUPPORT_NOMEDIA): the channel waits, its audio consumed.
pub fn sleep(ms: u32) -> Result<AppCall> {
    if ms == 0 {
        return Err(CommandError::BadValue {
            name: "sleep milliseconds".into(),
            reason: "must be above zero",
        });
    }
    Ok(call("sleep", ms.to_string()))
}

/// `wait_for_silence <thresh> <silence_hits> <listen_hits> <timeout_ms>` (mod_dptools): the
/// application does nothing unless the first three are above zero.
pub fn wait_for_silence(
    thresh: u32,
    silence_hits: u32,
    listen_hits: u32,
    timeout_ms: u32,
) -> Result<AppCall> {
    if thresh == 0 || silence_hits == 0 || listen_hits == 0 || timeout_ms == 0 {
        return Err(CommandError::BadValue {
            name: "wait_for_silence".into(),
            reason: "threshold, hits and timeout must be above zero",
        });
    }
    Ok(call(
        "wait_for_silence",
        format!("{thresh} {silence_hits} {listen_hits} {timeout_ms}"),
    ))
}

/// `sched_hangup +<secs> <cause>` (mod_dptools): the switch hangs the channel up `secs` from
/// now, whatever runs on it.
pub fn sched_hangup(secs: u64, cause: &str) -> Result<AppCall> {
    token("hangup cause", cause)?;
    if secs == 0 {
        return Err(CommandError::BadValue {
            name: "sched_hangup seconds".into(),
            reason: "must be above zero",
        });
    }
    Ok(call("sched_hangup", format!("+{secs} {cause}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_only() {
        assert_eq!(sleep(1500).unwrap().arg(), "1500");
        assert!(sleep(0).is_err());
        let w = wait_for_silence(256, 40, 5, 5300).unwrap();
        assert_eq!((w.app(), w.arg()), ("wait_for_silence", "256 40 5 5300"));
        assert!(wait_for_silence(256, 0, 5, 5300).is_err());
        let h = sched_hangup(1800, "ALLOTTED_TIMEOUT").unwrap();
        assert_eq!(
            (h.app(), h.arg()),
            ("sched_hangup", "+1800 ALLOTTED_TIMEOUT")
        );
        assert!(sched_hangup(60, "X ${system(id)}").is_err());
        assert!(sched_hangup(0, "ALLOTTED_TIMEOUT").is_err());
    }
}
