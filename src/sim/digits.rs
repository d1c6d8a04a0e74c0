//! Digit collection: `play_and_get_digits` and `read`, with the result variables FreeSWITCH
//! leaves on the channel (`read_result`, the named variable, `<var>_invalid`).

use super::apps::play_for;
use super::leg::{Actor, Wake};
use super::media::{self, Playable};

/// Parsed `play_and_get_digits` arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Pagd {
    pub min: usize,
    pub max: usize,
    pub tries: u32,
    pub timeout_ms: u64,
    pub terminators: String,
    pub file: String,
    pub invalid_file: String,
    pub var: String,
    pub regex: String,
    pub digit_timeout_ms: u64,
}

/// `<min> <max> <tries> <timeout_ms> <terminators> <file> <invalid_file> <var> <regex> [<digit_timeout_ms>]`.
pub fn parse_pagd(arg: &str) -> Option<Pagd> {
    let v: Vec<&str> = arg.split_whitespace().collect();
    if v.len() < 9 {
        return None;
    }
    let timeout_ms = v[3].parse().ok()?;
    Some(Pagd {
        min: v[0].parse().ok()?,
        max: v[1].parse().ok()?,
        tries: v[2].parse().ok()?,
        timeout_ms,
        terminators: v[4].to_string(),
        file: v[5].to_string(),
        invalid_file: v[6].to_string(),
        var: v[7].to_string(),
        regex: v[8].to_string(),
        digit_timeout_ms: v.get(9).and_then(|s| s.parse().ok()).unwrap_or(timeout_ms),
    })
}

fn prompt_secs(a: &Actor, file: &str) -> f64 {
    match media::playback(&a.core.rules.media, file) {
        Playable::Secs(s) => s,
        Playable::NotFound => 0.0,
    }
}

/// Collects up to `max` digits: waits `first_ms` for the first, `next_ms` between the next;
/// stops at a terminator. Returns the digits and whether the channel hung up.
async fn collect(
    a: &mut Actor,
    max: usize,
    term: &str,
    first_ms: u64,
    next_ms: u64,
) -> (String, bool) {
    let mut got = String::new();
    loop {
        if got.len() >= max {
            return (got, false);
        }
        let wait_ms = if got.is_empty() { first_ms } else { next_ms };
        let until = a.deadline(wait_ms as f64 / 1000.0);
        match a.wait(Some(until), true).await {
            Wake::Digit => {
                let d = a.digits.pop_front().unwrap_or(' ');
                if term.contains(d) && term != "none" {
                    return (got, false);
                }
                got.push(d);
            }
            Wake::Hangup => return (got, true),
            Wake::Deadline | Wake::PeerGone | Wake::Exec => return (got, false),
        }
    }
}

/// `play_and_get_digits`: prompt, collect, validate, the invalid prompt after every failed try.
pub async fn play_and_get_digits(a: &mut Actor, arg: &str) {
    let Some(p) = parse_pagd(arg) else {
        tracing::warn!(arg, "play_and_get_digits: bad arguments");
        return;
    };
    let re = regex::Regex::new(&format!("^(?:{})$", p.regex)).ok();
    a.ch().set_var(&p.var, None);
    for _ in 0..p.tries.max(1) {
        a.prompt_started(true);
        let secs = prompt_secs(a, &p.file);
        let w = play_for_interruptible(a, secs).await;
        if w == Wake::Hangup {
            break;
        }
        let (digits, hung) =
            collect(a, p.max, &p.terminators, p.timeout_ms, p.digit_timeout_ms).await;
        if hung {
            break;
        }
        let valid = digits.len() >= p.min
            && digits.len() <= p.max
            && re.as_ref().is_none_or(|r| r.is_match(&digits));
        if valid && !digits.is_empty() {
            let mut c = a.ch();
            c.set_var(&p.var, Some(&digits));
            c.set_var("read_result", Some("success"));
            return;
        }
        if !digits.is_empty() {
            a.ch().set_var(&format!("{}_invalid", p.var), Some(&digits));
        }
        let inv = prompt_secs(a, &p.invalid_file);
        if inv > 0.0 && play_for(a, inv).await == Wake::Hangup {
            break;
        }
    }
    a.ch().set_var("read_result", Some("failure"));
}

/// A digit-collecting prompt: the first digit stops it and stays queued for collection.
async fn play_for_interruptible(a: &mut Actor, secs: f64) -> Wake {
    let until = a.deadline(secs);
    a.wait(Some(until), true).await
}

/// `read <min> <max> <file> <var> <timeout_ms> <terminators>`.
pub async fn read(a: &mut Actor, arg: &str) {
    let v: Vec<&str> = arg.split_whitespace().collect();
    if v.len() < 6 {
        tracing::warn!(arg, "read: bad arguments");
        return;
    }
    let min: usize = v[0].parse().unwrap_or(1);
    let max: usize = v[1].parse().unwrap_or(1);
    let timeout: u64 = v[4].parse().unwrap_or(5000);
    let (file, var, term) = (v[2], v[3].to_string(), v[5].to_string());
    a.prompt_started(true);
    let secs = prompt_secs(a, file);
    if play_for_interruptible(a, secs).await == Wake::Hangup {
        a.ch().set_var("read_result", Some("failure"));
        return;
    }
    let (digits, hung) = collect(a, max, &term, timeout, timeout).await;
    let result = if hung {
        "failure"
    } else if digits.is_empty() {
        "timeout"
    } else if digits.len() < min {
        "failure"
    } else {
        "success"
    };
    let mut c = a.ch();
    c.set_var("read_result", Some(result));
    if !digits.is_empty() {
        c.set_var(&var, Some(&digits));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagd_args() {
        let p = parse_pagd("1 1 3 5000 # menu.wav invalid.wav choice \\d 3000").unwrap();
        assert_eq!((p.min, p.max, p.tries), (1, 1, 3));
        assert_eq!(p.var, "choice");
        assert_eq!(p.digit_timeout_ms, 3000);
        assert!(parse_pagd("1 2 3").is_none());
    }
}
