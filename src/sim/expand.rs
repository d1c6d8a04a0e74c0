//! `${...}` expansion as FreeSWITCH 1.11's `switch_channel_expand_variables_check`
//! (src/switch_channel.c) does it, as a pure function over a [`Resolver`]: `${var}`,
//! `$${var}` (at run time the same lookup), `${var:offset:length}`, `${var[idx]}`, nesting
//! (`${a_${b}}`, values that hold `${...}` are expanded again), inline API calls `${api(args)}`
//! and `${api args}`, and the backslash escapes `\$`, `\\` and `\'`. A string with no `${` and
//! no escaped data comes back untouched (borrowed), as in FreeSWITCH; so do `$`, `$5`, `{`, `}`.

use std::borrow::Cow;

/// What an expansion looks things up in.
pub trait Resolver {
    /// A variable (channel variable, caller-profile field or global); `idx` from
    /// `${name[idx]}`. None when unset: the reference expands to nothing.
    fn var(&mut self, name: &str, idx: Option<usize>) -> Option<String>;
    /// An inline API call with its arguments (both already expanded and trimmed, as
    /// `switch_api_execute` strips them). None when the API fails or does not exist: FreeSWITCH
    /// then drops its output and the call expands to nothing.
    fn api(&mut self, command: &str, args: &str) -> Option<String>;
}

/// FreeSWITCH gives up (returns the input) past this nesting depth.
const MAX_DEPTH: u32 = 100;

/// Expands `input`; borrowed when nothing had to be done.
pub fn expand<'a>(input: &'a str, r: &mut dyn Resolver) -> Cow<'a, str> {
    expand_at(input, r, 0)
}

/// Whether FreeSWITCH would run the expansion at all: a `${` (or `$\{`) or escaped data.
pub fn needs_expansion(s: &str) -> bool {
    has_var(s) || has_escaped_data(s)
}

/// `switch_string_var_check_const`: a `$` followed by `{`, with only backslashes between.
/// FreeSWITCH refuses originate `{}`/`[]` values for which this holds.
pub fn has_var(s: &str) -> bool {
    let mut dol = false;
    for c in s.bytes() {
        if c == b'$' {
            dol = true;
        } else if dol {
            if c == b'{' {
                return true;
            }
            if c != b'\\' {
                dol = false;
            }
        }
    }
    false
}

/// `switch_string_has_escaped_data`: a backslash before `\`, `n`, `s`, `t` or `'`.
fn has_escaped_data(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter()
        .enumerate()
        .filter(|(_, c)| **c == b'\\')
        .any(|(i, _)| matches!(b.get(i + 1), Some(b'\\' | b'n' | b's' | b't' | b'\'')))
}

fn expand_at<'a>(input: &'a str, r: &mut dyn Resolver, depth: u32) -> Cow<'a, str> {
    if depth > MAX_DEPTH || input.is_empty() || !needs_expansion(input) {
        return Cow::Borrowed(input);
    }
    let b = input.as_bytes();
    let n = b.len();
    let mut out = Vec::with_capacity(n);
    let mut p = 0;
    while p < n {
        let mut literal = false;
        if b[p] == b'\\' {
            match b.get(p + 1) {
                Some(b'$') => {
                    literal = true;
                    p += 1;
                    if b.get(p + 1) == Some(&b'$') {
                        p += 1;
                    }
                }
                Some(b'\'') => {
                    p += 2;
                    continue;
                }
                Some(b'\\') => {
                    out.push(b'\\');
                    p += 2;
                    continue;
                }
                _ => {}
            }
        }
        let mut reference = false;
        if b[p] == b'$' && !literal {
            if b.get(p + 1) == Some(&b'$') {
                p += 1; // `$${`: at run time the same lookup as `${`
            }
            reference = b.get(p + 1) == Some(&b'{');
        }
        if !reference {
            out.push(b[p]);
            p += 1;
            continue;
        }
        let (value, next) = reference_at(b, p, r, depth);
        out.extend_from_slice(&value);
        p = next;
        if p >= n {
            break;
        }
        // The character after the closing brace is copied as is (a `$` starts the next one).
        if b[p] != b'$' {
            out.push(b[p]);
            p += 1;
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Expands the reference whose `$` (just before `{`) is at `dollar`; returns its value and
/// the position after its closing brace (the end when it is not closed).
fn reference_at(b: &[u8], dollar: usize, r: &mut dyn Resolver, depth: u32) -> (Vec<u8>, usize) {
    let n = b.len();
    let start = dollar + 2;
    let mut br: i32 = 1;
    let (mut e, mut end) = (start, n);
    while e < n {
        if br == 1 && b[e] == b'}' {
            br = 0;
            end = e;
            e += 1;
            break;
        }
        if e != start && b[e] == b'{' {
            br += 1;
        } else if br > 1 && b[e] == b'}' {
            br -= 1;
        }
        e += 1;
    }
    let body = &b[start..end];
    let value = match body.iter().position(|c| *c == b' ' || *c == b'(') {
        Some(i) => api_call(body, i, br, r, depth),
        None => variable(body, r, depth),
    };
    (value, e)
}

/// `${name(args)}` or `${name args}`: the name ends at `split`; `(` args end at the matching `)`.
fn api_call(body: &[u8], split: usize, mut br: i32, r: &mut dyn Resolver, depth: u32) -> Vec<u8> {
    if body[split] == b'(' {
        br = 1;
    }
    let mut name_end = split;
    while name_end > 0 && body[name_end - 1] == b' ' {
        name_end -= 1;
    }
    let rest = &body[split + 1..];
    let mut args_end = rest.len();
    for (j, c) in rest.iter().enumerate() {
        if *c == b'(' {
            br += 1;
        } else if br > 1 && *c == b')' {
            br -= 1;
        } else if br == 1 && *c == b')' {
            args_end = j;
            break;
        }
    }
    let name = String::from_utf8_lossy(&body[..name_end]);
    let args = String::from_utf8_lossy(&rest[..args_end]);
    let name = expand_at(&name, r, depth + 1);
    let args = expand_at(&args, r, depth + 1);
    r.api(name.trim(), args.trim())
        .map(String::into_bytes)
        .unwrap_or_default()
}

/// `${name}`, `${name:offset[:length]}`, `${name[idx]}`; the value is expanded again.
fn variable(body: &[u8], r: &mut dyn Resolver, depth: u32) -> Vec<u8> {
    let raw = String::from_utf8_lossy(body);
    let expanded = expand_at(&raw, r, depth + 1);
    let mut name: &str = &expanded;
    let (mut offset, mut length) = (0i64, 0i64);
    if let Some(c) = name.find(':') {
        let rest = &name[c + 1..];
        offset = atoi(rest);
        if let Some(c2) = rest.find(':') {
            length = atoi(&rest[c2 + 1..]);
        }
        name = &name[..c];
    }
    let mut idx = None;
    if let Some(o) = name.find('[') {
        if name[o..].contains(']') {
            idx = usize::try_from(atoi(&name[o + 1..])).ok();
            name = &name[..o];
        }
    }
    let Some(value) = r.var(name, idx) else {
        return Vec::new();
    };
    let value = expand_at(&value, r, depth + 1).into_owned().into_bytes();
    let mut v: &[u8] = &value;
    if offset >= 0 {
        v = v.get(offset as usize..).unwrap_or_default();
    } else if offset.unsigned_abs() as usize <= v.len() {
        v = &v[v.len() - offset.unsigned_abs() as usize..];
    }
    if length > 0 && (length as usize) < v.len() {
        v = &v[..length as usize];
    }
    v.to_vec()
}

/// C's `atoi`: leading blanks, a sign, digits; 0 when there are none.
fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests;
