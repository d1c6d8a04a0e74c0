//! Originate arguments: channel variables escaped for FreeSWITCH's three parsing passes of a
//! `{…}`/`[…]` block, the whole `originate` argument line, and the guard for free text.

use super::*;

/// Renders channel variables for an originate `{…}` (or per-leg `[…]`) block, without the
/// brackets: `name=value,name=value`.
///
/// FreeSWITCH reads this text three times: the `originate` arguments are split at spaces, the
/// block at commas, each variable at its first `=`, and each pass removes `'` quotes and
/// consumes some backslash escapes. So values are encoded for all three passes: a comma is
/// written `\,` (kept by the first pass, consumed by the second), a space `\s` (consumed by the
/// first). What cannot be carried safely is refused: empty values (FreeSWITCH skips them), CR, LF, NUL, `'` and `\` (no escape
/// survives every pass), leading or trailing spaces (FreeSWITCH strips them), `${` and `$${`
/// (FreeSWITCH would expand them, and expansion can call APIs), and unbalanced `{}`/`[]`
/// (FreeSWITCH finds the block's end by counting brackets, blind to escapes). Free text such as
/// a subscriber's name is better set after answer with `execute(uuid, "set", "name=value")`.
pub fn originate_vars(vars: &[(&str, &str)]) -> Result<String> {
    let mut out = String::new();
    for (i, (name, value)) in vars.iter().enumerate() {
        token("variable name", name)?;
        check_data("variable value", value)?;
        let refuse = |reason: &'static str| CommandError::BadValue {
            name: (*name).to_owned(),
            reason,
        };
        if value.contains(['\'', '\\']) {
            return Err(refuse("contains ' or \\"));
        }
        if value.is_empty() {
            return Err(refuse("is empty (FreeSWITCH ignores `name=`)"));
        }
        if value.starts_with(' ') || value.ends_with(' ') {
            return Err(refuse("has leading or trailing spaces"));
        }
        if !balanced(value, '{', '}') || !balanced(value, '[', ']') {
            return Err(refuse("has unbalanced {} or []"));
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push('=');
        for c in value.chars() {
            match c {
                ',' => out.push_str("\\,"),
                ' ' => out.push_str("\\s"),
                c => out.push(c),
            }
        }
    }
    Ok(out)
}

/// Checks a piece of subscriber data that will reach FreeSWITCH inside a command: refuses CR,
/// LF and NUL (they would end the command) and `${` / `$${` (FreeSWITCH expands variables in
/// application arguments and channel variables, and expansion can run APIs).
pub fn check_data(what: &'static str, value: &str) -> Result<()> {
    line_safe(what, value)?;
    if value.contains("${") {
        return Err(CommandError::Expansion { what });
    }
    Ok(())
}

fn balanced(v: &str, open: char, close: char) -> bool {
    let mut depth = 0i64;
    for c in v.chars() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth < 0 {
                return false;
            }
        }
    }
    depth == 0
}

/// Builds the argument of `originate`: `{vars}endpoint destination`, e.g.
/// `{origination_uuid=U}sofia/gateway/gw/79001234567 &park()`. The endpoint and destination
/// must not contain spaces, CR or LF (the endpoint is operator configuration plus a
/// normalized number, never free text).
pub fn originate_args(vars: &[(&str, &str)], endpoint: &str, destination: &str) -> Result<String> {
    nonempty("endpoint", endpoint)?;
    nonempty("destination", destination)?;
    if endpoint.contains(' ') || endpoint.starts_with(['{', '[']) {
        return Err(CommandError::BadName {
            what: "endpoint",
            value: endpoint.to_owned(),
        });
    }
    let vars = originate_vars(vars)?;
    let block = if vars.is_empty() {
        String::new()
    } else {
        format!("{{{vars}}}")
    };
    Ok(format!("{block}{endpoint} {destination}"))
}
