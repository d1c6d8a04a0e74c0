//! Typed builders for the dialplan applications the dialer runs with `sendmsg execute`: each
//! makes the application's argument with the escaping or refusal its syntax needs, so data (a
//! subscriber's name, an amount, a path from a template) can never become FreeSWITCH syntax.
//!
//! FreeSWITCH expands `${…}` in every application argument before the application runs
//! (`switch_core_session_execute_application_get_flags` → `switch_channel_expand_variables`),
//! and expansion runs inline APIs (`${system(…)}`). The expander returns its input untouched
//! when the input has no `$` followed (over backslashes) by `{` and no backslash escape
//! (`switch_string_var_check_const`, `switch_string_has_escaped_data`). So every piece of data
//! is brought to that form: [`spoken`] for free text, [`path_part`] for a value inside a file
//! path, [`dial_part`] for a value inside a dial string; the builders then check the whole
//! argument (operator configuration included) and refuse what is still unsafe. docs/esl.md
//! lists each rule.

use super::{line_safe, token, CommandError, Result};

#[path = "app_plain.rs"]
mod plain;
pub use self::plain::{bare, hangup, sched_hangup, send_dtmf, sleep, wait_for_silence};

/// An application with its argument, made only by the builders here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppCall {
    app: &'static str,
    arg: String,
}

impl AppCall {
    /// The application's name.
    pub fn app(&self) -> &str {
        self.app
    }

    /// The argument, as sent in `execute-app-arg`.
    pub fn arg(&self) -> &str {
        &self.arg
    }
}

/// Brings free text (a name, an amount in words, any template output) to a form FreeSWITCH
/// neither expands nor splits: control characters (CR, LF, NUL, ESC…) become spaces, a
/// backslash becomes a space (it is the expander's escape character), and a `$` followed by
/// `{` gets a space between them. Everything else, a lone `$` and `'` included, is kept, so
/// real names and amounts are spoken as written.
pub fn spoken(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_control() => out.push(' '),
            '\\' => out.push(' '),
            '$' => {
                out.push('$');
                if chars.peek() == Some(&'{') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A value placed inside a file path (`/var/rec/{{NAME}}.wav`): letters and digits of any
/// script, `-` and `_` are kept, every other character (`/`, `.`, spaces, `+`, `$`, braces,
/// quotes, controls) becomes `_`, so the value names one file inside the template's folder.
/// An empty value becomes `_`.
pub fn path_part(value: &str) -> String {
    let out: String = value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        "_".to_string()
    } else {
        out
    }
}

/// A value placed inside a dial string (`user/{{EXT}}@domain`): only ASCII letters, digits
/// and `+ * # . _ -` may appear, so it can add no leg (`,` `|`), no variable block, no host
/// (`@`) and no endpoint (`/`). Anything else is refused.
pub fn dial_part(value: &str) -> Result<&str> {
    let ok = !value.is_empty()
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'*' | b'#' | b'.' | b'_' | b'-')
        });
    if !ok {
        return Err(CommandError::BadValue {
            name: "dial string part".into(),
            reason: "may hold only letters, digits and + * # . _ -",
        });
    }
    Ok(value)
}

/// Refuses what would make the switch expand or unescape: `$` before `{` (over backslashes,
/// as `switch_string_var_check_const` reads it) and any backslash.
fn inert(what: &'static str, v: &str) -> Result<()> {
    line_safe(what, v)?;
    if v.contains('\\') {
        return Err(CommandError::BadValue {
            name: what.into(),
            reason: "contains a backslash (FreeSWITCH's escape character)",
        });
    }
    if v.contains("${") {
        return Err(CommandError::Expansion { what });
    }
    if v.chars().any(char::is_control) {
        return Err(CommandError::BadValue {
            name: what.into(),
            reason: "contains a control character",
        });
    }
    Ok(())
}

/// One word of a space-separated argument list: non-empty, inert, no space, no `'`
/// (FreeSWITCH's argument splitter treats it as a quote).
fn word(what: &'static str, v: &str) -> Result<()> {
    inert(what, v)?;
    if v.is_empty() || v.contains([' ', '\'']) {
        return Err(CommandError::BadValue {
            name: what.into(),
            reason: "must be one word (no spaces or quotes)",
        });
    }
    Ok(())
}

/// A file path as playback, record_session and play_and_get_digits take it: one word, no `+`
/// (record_session reads it as the time limit), no `..` component, not starting with `{`
/// (playback reads a leading `{…}` as variables), nor `%[` (the core reads a leading `%[…]` of
/// any application argument as scoped variables).
pub fn check_path(what: &'static str, path: &str) -> Result<()> {
    word(what, path)?;
    let refuse = |reason| CommandError::BadValue {
        name: what.into(),
        reason,
    };
    if path.contains('+') {
        return Err(refuse(
            "contains `+` (record_session reads it as a time limit)",
        ));
    }
    if path.split('/').any(|part| part == "..") {
        return Err(refuse("has a `..` component"));
    }
    if path.starts_with(['{', '[', '%']) {
        return Err(refuse(
            "starts with `{`, `[` or `%` (read as channel variables)",
        ));
    }
    Ok(())
}

fn call(app: &'static str, arg: String) -> AppCall {
    AppCall { app, arg }
}

/// `speak <engine>|<voice>|<text>`; the text is made [`spoken`] (mod_dptools splits at the
/// first two `|` only, so a `|` in the text stays text).
pub fn speak(engine: &str, voice: &str, text: &str) -> Result<AppCall> {
    token("tts engine", engine)?;
    token("tts voice", voice)?;
    let text = spoken(text);
    if text.trim().is_empty() {
        return Err(CommandError::Empty { what: "speak text" });
    }
    Ok(call("speak", format!("{engine}|{voice}|{text}")))
}

/// `playback <file>`.
pub fn playback(file: &str) -> Result<AppCall> {
    check_path("playback file", file)?;
    Ok(call("playback", file.to_string()))
}

/// `say <lang> <kind> <method> [gender] <text>`: mod_dptools splits the argument at spaces
/// into at most five words, so the text must be one word of letters, digits and
/// `. , : - + / @ _ %` (a number, an amount, a date, an address); anything else is refused.
pub fn say(
    lang: &str,
    kind: &str,
    method: &str,
    gender: Option<&str>,
    text: &str,
) -> Result<AppCall> {
    token("say language", lang)?;
    token("say type", kind)?;
    token("say method", method)?;
    let ok = !text.is_empty()
        && text.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, '.' | ',' | ':' | '-' | '+' | '/' | '@' | '_' | '%')
        });
    if !ok {
        return Err(CommandError::BadValue {
            name: "say text".into(),
            reason: "must be one word of letters, digits and . , : - + / @ _ %",
        });
    }
    let arg = match gender {
        Some(g) => {
            token("say gender", g)?;
            format!("{lang} {kind} {method} {g} {text}")
        }
        None => format!("{lang} {kind} {method} {text}"),
    };
    Ok(call("say", arg))
}

/// The arguments of `play_and_get_digits`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitsPrompt<'a> {
    pub min: u32,
    pub max: u32,
    pub tries: u32,
    pub timeout_ms: u32,
    /// `#`, several of `0-9*#`, `none` or `any`.
    pub terminators: &'a str,
    pub file: &'a str,
    pub invalid_file: &'a str,
    pub var: &'a str,
    /// Built from configured digits: `^ $ ( ) |`, digits, `*` `#` and `\*` only.
    pub regex: &'a str,
}

/// The regex of a menu that accepts exactly these digit strings (`^(1|2|\*9)$`); each choice
/// must be digits, `*` and `#`.
pub fn digits_regex(choices: &[&str]) -> Result<String> {
    let mut alternatives = Vec::with_capacity(choices.len());
    for c in choices {
        if c.is_empty()
            || !c
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
        {
            return Err(CommandError::BadValue {
                name: "menu choice".into(),
                reason: "must be digits, * and #",
            });
        }
        alternatives.push(c.replace('*', "\\*"));
    }
    if alternatives.is_empty() {
        return Err(CommandError::Empty {
            what: "menu choices",
        });
    }
    Ok(format!("^({})$", alternatives.join("|")))
}

/// `uuid_kill <uuid> <cause>` API arguments.
pub fn uuid_kill_args(uuid: &str, cause: &str) -> Result<String> {
    token("channel uuid", uuid)?;
    token("hangup cause", cause)?;
    Ok(format!("{uuid} {cause}"))
}

/// `play_and_get_digits <min> <max> <tries> <timeout> <terminators> <file> <invalid_file>
/// <var> <regex>`.
pub fn play_and_get_digits(p: &DigitsPrompt<'_>) -> Result<AppCall> {
    let terms_ok = matches!(p.terminators, "none" | "any")
        || (!p.terminators.is_empty()
            && p.terminators
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#'));
    if !terms_ok {
        return Err(CommandError::BadValue {
            name: "terminators".into(),
            reason: "must be digits, * and #, or none / any",
        });
    }
    check_path("prompt file", p.file)?;
    check_path("invalid-entry file", p.invalid_file)?;
    token("digits variable", p.var)?;
    let regex_ok = !p.regex.is_empty()
        && !p.regex.contains("${")
        && p.regex.bytes().all(|b| {
            b.is_ascii_digit()
                || matches!(b, b'^' | b'$' | b'(' | b')' | b'|' | b'*' | b'#' | b'\\')
        });
    if !regex_ok {
        return Err(CommandError::BadValue {
            name: "digits regex".into(),
            reason: "may hold only digits, * # and ^ $ ( ) | \\",
        });
    }
    if p.min == 0 || p.max < p.min || p.tries == 0 {
        return Err(CommandError::BadValue {
            name: "digits counts".into(),
            reason: "need 1 <= min <= max and tries >= 1",
        });
    }
    Ok(call(
        "play_and_get_digits",
        format!(
            "{} {} {} {} {} {} {} {} {}",
            p.min,
            p.max,
            p.tries,
            p.timeout_ms,
            p.terminators,
            p.file,
            p.invalid_file,
            p.var,
            p.regex
        ),
    ))
}

/// `bridge {vars}<dial string>`. The bridge application reads its `{…}` block with one
/// fewer splitting pass than the `originate` API, so no escape is relied on: each value must be
/// a plain [`dial_part`] word (a timeout, a caller ID number). The dial string (operator
/// configuration with [`dial_part`] values in it) must be one inert word.
pub fn bridge(vars: &[(&str, &str)], dial: &str) -> Result<AppCall> {
    word("bridge dial string", dial)?;
    if dial.starts_with(['{', '[', '<', '%']) {
        return Err(CommandError::BadValue {
            name: "bridge dial string".into(),
            reason: "starts with a bracket (variables go in their own list)",
        });
    }
    let mut block = String::new();
    for (name, value) in vars {
        token("variable name", name)?;
        dial_part(value).map_err(|_| CommandError::BadValue {
            name: (*name).to_owned(),
            reason: "may hold only letters, digits and + * # . _ - in a bridge",
        })?;
        if !block.is_empty() {
            block.push(',');
        }
        block.push_str(name);
        block.push('=');
        block.push_str(value);
    }
    let arg = if block.is_empty() {
        dial.to_string()
    } else {
        format!("{{{block}}}{dial}")
    };
    Ok(call("bridge", arg))
}

/// `record_session <path> [+<secs>]`.
pub fn record_session(path: &str, max_secs: Option<u32>) -> Result<AppCall> {
    check_path("recording path", path)?;
    let arg = match max_secs {
        Some(s) => format!("{path} +{s}"),
        None => path.to_string(),
    };
    Ok(call("record_session", arg))
}

/// `set <name>=<value>`; the value is made [`spoken`] (the set application expands it).
pub fn set(name: &str, value: &str) -> Result<AppCall> {
    token("variable name", name)?;
    Ok(call("set", format!("{name}={}", spoken(value))))
}

/// The endpoint of an originate: `pattern` (operator configuration such as
/// `sofia/gateway/gw/{number}`) with the number in place of `{number}`. The number must be
/// digits with an optional leading `+` (which is dropped); anything else is refused.
pub fn dial_target(pattern: &str, number: &str) -> Result<String> {
    let digits = number.strip_prefix('+').unwrap_or(number);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CommandError::BadValue {
            name: "number".into(),
            reason: "is not a phone number (digits with an optional leading +)",
        });
    }
    if !pattern.contains("{number}") {
        return Err(CommandError::BadValue {
            name: "dial pattern".into(),
            reason: "has no {number}",
        });
    }
    let target = pattern.replace("{number}", digits);
    word("dial string", &target)?;
    if target.contains([',', '|', '{', '}', '[', ']']) {
        return Err(CommandError::BadValue {
            name: "dial string".into(),
            reason: "holds a leg separator or a variable block",
        });
    }
    Ok(target)
}

/// The gateway named in a dial string `sofia/gateway/<name>/<number>`, if any.
pub fn gateway_of(dial_string: &str) -> Option<&str> {
    let rest = dial_string.split_once("sofia/gateway/")?.1;
    rest.split('/').next().filter(|g| !g.is_empty())
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
