//! The checks of single fields of a callback request: a DTMF key, a spoken text, a trunk (dial
//! pattern), a caller ID, a webhook URL. Each error starts with the field's name.

use crate::model::check_webhook_url;

/// Longest text field (characters).
const MAX_TEXT: usize = 2000;

pub(super) fn digit(
    field: &str,
    v: &Option<String>,
    hash_ok: bool,
) -> Result<Option<char>, String> {
    let Some(s) = v.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let mut cs = s.chars();
    let c = cs.next().unwrap_or(' ').to_ascii_uppercase();
    let ok = cs.next().is_none()
        && (c.is_ascii_digit() || c == '*' || ('A'..='D').contains(&c) || (hash_ok && c == '#'));
    if ok {
        Ok(Some(c))
    } else if hash_ok {
        Err(format!(
            "{field}: `{s}` is not one DTMF key (0-9, *, A-D, or # to speak it automatically)"
        ))
    } else {
        Err(format!("{field}: `{s}` is not one DTMF key (0-9, *, A-D)"))
    }
}

/// Text spoken on the call: single-line, no control characters, not too long.
pub(super) fn text(field: &str, v: &Option<String>, default: &str) -> Result<String, String> {
    let t = v.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let t = t.unwrap_or(default);
    if t.chars().count() > MAX_TEXT {
        return Err(format!("{field}: longer than {MAX_TEXT} characters"));
    }
    if t.chars().any(char::is_control) {
        return Err(format!(
            "{field}: contains control characters (line breaks, tabs)"
        ));
    }
    Ok(t.to_string())
}

/// A trunk: a dial pattern with `{number}`, no spaces, braces only in `{number}`.
pub fn check_trunk(field: &str, t: &str) -> Result<(), String> {
    let rest = t.replacen("{number}", "", 1);
    if !t.contains("{number}") {
        return Err(format!(
            "{field}: `{t}` has no {{number}} (e.g. sofia/gateway/NAME/{{number}})"
        ));
    }
    if t.is_empty()
        || rest
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "{}[]$,|'\"^".contains(c))
    {
        return Err(format!(
            "{field}: `{t}` is not a dial pattern (letters, digits, / . _ - : @ and {{number}} only)"
        ));
    }
    Ok(())
}

/// A caller ID: digits with an optional leading `+`.
pub(super) fn caller_id(field: &str, v: &Option<String>) -> Result<Option<String>, String> {
    let Some(s) = v.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{field}: `{s}` is not a caller ID (digits, optional leading +)"
        ));
    }
    Ok(Some(s.to_string()))
}

pub(super) fn url(field: &str, v: &Option<String>) -> Result<Option<String>, String> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(u) => check_webhook_url(u)
            .map(|()| Some(u.to_string()))
            .map_err(|e| format!("{field}: {e}")),
    }
}
