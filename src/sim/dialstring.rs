//! Parsing `originate` arguments and dial strings the way FreeSWITCH reads them: `{}` variables
//! for every leg, `[]` per leg, `,` simultaneous legs, `|` (and `:_:`) sequential groups,
//! single-quoted values, `\,` escapes, `{^^:...}` custom delimiters, and the `&app(args)` target.

/// One leg of a dial string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leg {
    /// Global `{}` variables followed by this leg's `[]` variables (later wins on lookup).
    pub vars: Vec<(String, String)>,
    /// The endpoint, e.g. `sofia/gateway/demo/79001000001`.
    pub endpoint: String,
    /// The number the rules match: last `/` segment, no `@host`, no leading `+`.
    pub destination: String,
}

impl Leg {
    /// The last value given to a variable (per-leg beats global).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A parsed dial string: sequential groups, each of simultaneous legs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialString {
    pub global_vars: Vec<(String, String)>,
    pub groups: Vec<Vec<Leg>>,
}

/// What the originated call runs once answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `&app(args)`.
    App { name: String, arg: String },
    /// A dialplan extension (the sim parks the call there).
    Extension(String),
}

/// The arguments of the `originate` API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Originate {
    pub dial: DialString,
    pub target: Target,
    pub cid_name: Option<String>,
    pub cid_num: Option<String>,
    pub timeout: Option<u32>,
}

/// FreeSWITCH's usage text for a malformed originate.
pub const ORIGINATE_USAGE: &str = "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n";

/// Splits API arguments on spaces outside single quotes and brackets; quotes are kept.
pub fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut depth, mut quoted) = (0i32, false);
    for c in s.chars() {
        match c {
            '\'' => quoted = !quoted,
            '{' | '[' | '<' if !quoted => depth += 1,
            '}' | ']' | '>' if !quoted => depth -= 1,
            ' ' if !quoted && depth <= 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .unwrap_or(s)
}

/// Parses the `originate` argument line.
pub fn parse_originate(args: &str) -> Result<Originate, &'static str> {
    let argv = split_args(args.trim());
    if argv.len() < 2 {
        return Err(ORIGINATE_USAGE);
    }
    let dial = parse_dial_string(&argv[0]).map_err(|_| ORIGINATE_USAGE)?;
    let target = parse_target(&argv[1]);
    let opt = |i: usize| {
        argv.get(i)
            .map(|s| unquote(s).to_string())
            .filter(|s| !s.is_empty() && s != "undef")
    };
    Ok(Originate {
        dial,
        target,
        cid_name: opt(4),
        cid_num: opt(5),
        timeout: opt(6).and_then(|t| t.parse().ok()),
    })
}

fn parse_target(s: &str) -> Target {
    if let Some(rest) = s.strip_prefix('&') {
        let (name, arg) = match rest.find('(') {
            Some(i) => {
                let tail = &rest[i + 1..];
                let end = tail.find(')').unwrap_or(tail.len());
                (&rest[..i], unquote(tail[..end].trim()))
            }
            None => (rest, ""),
        };
        Target::App {
            name: name.to_string(),
            arg: arg.to_string(),
        }
    } else {
        Target::Extension(s.to_string())
    }
}

/// Parses a dial string (originate's first argument, or `bridge`'s argument).
pub fn parse_dial_string(s: &str) -> Result<DialString, String> {
    let mut rest = s.trim();
    let mut global_vars = Vec::new();
    while let Some(open) = rest.chars().next().filter(|c| *c == '{' || *c == '<') {
        let close = if open == '{' { '}' } else { '>' };
        let end = find_close(rest, close).ok_or_else(|| format!("unclosed {open} in {s}"))?;
        global_vars.extend(parse_vars(&rest[1..end]));
        rest = &rest[end + 1..];
    }
    let mut groups = Vec::new();
    for group in split_top(rest, &["|", ":_:"]) {
        let mut legs = Vec::new();
        for leg in split_top(&group, &[","]) {
            let leg = leg.trim();
            if leg.is_empty() {
                continue;
            }
            let mut vars = global_vars.clone();
            let mut ep = leg;
            if ep.starts_with('[') {
                let end = find_close(ep, ']').ok_or_else(|| format!("unclosed [ in {leg}"))?;
                vars.extend(parse_vars(&ep[1..end]));
                ep = &ep[end + 1..];
            }
            let endpoint = ep.trim().to_string();
            let destination = destination_of(&endpoint);
            legs.push(Leg {
                vars,
                endpoint,
                destination,
            });
        }
        if !legs.is_empty() {
            groups.push(legs);
        }
    }
    if groups.is_empty() {
        return Err(format!("no endpoint in dial string {s}"));
    }
    Ok(DialString {
        global_vars,
        groups,
    })
}

/// The destination number of an endpoint: last `/` segment, no `@host`, no leading `+`.
pub fn destination_of(endpoint: &str) -> String {
    let last = endpoint.rsplit('/').next().unwrap_or(endpoint);
    let no_host = last.split('@').next().unwrap_or(last);
    no_host.strip_prefix('+').unwrap_or(no_host).to_string()
}

/// Index of the bracket closing the one at position 0, honouring quotes and nesting
/// (switch_find_end_paren: `{a=${b}}` closes at the last brace).
fn find_close(s: &str, close: char) -> Option<usize> {
    let open = s.chars().next()?;
    let (mut quoted, mut escaped, mut depth) = (false, false, 1u32);
    for (i, c) in s.char_indices().skip(1) {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '\'' => quoted = !quoted,
            c if c == open && !quoted => depth += 1,
            c if c == close && !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits at any of `seps` outside brackets, quotes and `\` escapes.
fn split_top(s: &str, seps: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    let mut i = 0;
    while i < s.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        let n = c.len_utf8();
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '\'' {
            quoted = !quoted;
        } else if !quoted && matches!(c, '[' | '{' | '<') {
            depth += 1;
        } else if !quoted && matches!(c, ']' | '}' | '>') {
            depth -= 1;
        } else if !quoted && depth == 0 {
            if let Some(sep) = seps.iter().find(|sep| s[i..].starts_with(**sep)) {
                out.push(std::mem::take(&mut cur));
                i += sep.len();
                continue;
            }
        }
        cur.push(c);
        i += n;
    }
    out.push(cur);
    out
}

/// Parses `a=1,b='x y',c=p\,q` (or `^^:a=1:b=x,y`) into pairs, unquoting and unescaping.
pub fn parse_vars(s: &str) -> Vec<(String, String)> {
    let (body, delim) = match s.strip_prefix("^^") {
        Some(rest) if !rest.is_empty() => {
            let d = rest.chars().next().unwrap_or(',');
            (&rest[d.len_utf8()..], d)
        }
        _ => (s, ','),
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped) = (false, false);
    let mut flush = |cur: &mut String| {
        let item = std::mem::take(cur);
        if let Some((k, v)) = item.split_once('=') {
            let k = k.trim();
            if !k.is_empty() {
                out.push((k.to_string(), v.to_string()));
            }
        }
    };
    for c in body.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '\'' {
            quoted = !quoted;
        } else if c == delim && !quoted {
            flush(&mut cur);
        } else {
            cur.push(c);
        }
    }
    flush(&mut cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originate_with_vars_and_park() {
        let o = parse_originate(
            "{origination_uuid=U1,origination_caller_id_number=74950000000,x='a, b'}sofia/gateway/demo/+79001000001@host &park()",
        )
        .unwrap();
        assert_eq!(
            o.target,
            Target::App {
                name: "park".into(),
                arg: "".into()
            }
        );
        let leg = &o.dial.groups[0][0];
        assert_eq!(leg.destination, "79001000001");
        assert_eq!(leg.var("origination_uuid"), Some("U1"));
        assert_eq!(leg.var("x"), Some("a, b"));
        let d = parse_dial_string("{a=${b},c=1}sofia/gw/x/2").unwrap();
        assert_eq!(d.groups[0][0].var("a"), Some("${b}"));
        assert_eq!(d.groups[0][0].endpoint, "sofia/gw/x/2");
    }

    #[test]
    fn legs_simultaneous_and_sequential() {
        let d = parse_dial_string("{a=1}[origination_uuid=A,b=p\\,q]sofia/gw/x/1,[origination_uuid=B]sofia/gw/x/2|sofia/gw/x/3").unwrap();
        assert_eq!(d.groups.len(), 2);
        assert_eq!(d.groups[0].len(), 2);
        assert_eq!(d.groups[0][0].var("b"), Some("p,q"));
        assert_eq!(d.groups[0][1].var("origination_uuid"), Some("B"));
        assert_eq!(d.groups[0][1].var("a"), Some("1"));
        assert_eq!(d.groups[1][0].destination, "3");
    }

    #[test]
    fn custom_delimiter_and_app_args() {
        assert_eq!(
            parse_vars("^^:a=1:b=x,y"),
            vec![("a".into(), "1".into()), ("b".into(), "x,y".into())]
        );
        let o = parse_originate("sofia/gw/x/1 &socket('127.0.0.1:8084 async full')").unwrap();
        assert_eq!(
            o.target,
            Target::App {
                name: "socket".into(),
                arg: "127.0.0.1:8084 async full".into()
            }
        );
        let o = parse_originate("sofia/gw/x/1 &playback(/tmp/a.wav) XML default 'John Doe' 123 30")
            .unwrap();
        assert_eq!(o.cid_name.as_deref(), Some("John Doe"));
        assert_eq!(o.timeout, Some(30));
        assert!(parse_originate("sofia/gw/x/1").is_err());
    }
}
