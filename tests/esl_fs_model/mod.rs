//! A model of how FreeSWITCH reads `api originate <args>`, transcribed from switch_utils.c
//! (`separate_string_blank_delim`, `separate_string_char_delim`, `cleanup_separated_string`,
//! `unescape_char`, `switch_find_end_paren`) and switch_event.c (`switch_event_create_brackets`:
//! the `{}` block split at `,`, each variable split once at `=`). Test-only. Included with
//! `#[path]`.
#![allow(dead_code)]

fn unescape_char(c: u8) -> u8 {
    match c {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b's' => b' ',
        c => c,
    }
}

/// cleanup_separated_string: skip leading spaces, drop unescaped `'`, consume `\'` `\"`
/// `\<delim>` `\n` `\r` `\t` `\s`, drop trailing unquoted spaces.
pub fn cleanup(s: &[u8], delim: u8) -> Vec<u8> {
    let mut i = 0;
    while i < s.len() && s[i] == b' ' {
        i += 1;
    }
    let (mut dest, mut end, mut inq) = (Vec::new(), None, false);
    while i < s.len() {
        let mut esc = false;
        if s[i] == b'\\' {
            let e0 = s.get(i + 1).copied().unwrap_or(0);
            let special = e0 == b'\'' || e0 == b'"' || (delim != 0 && e0 == delim);
            if special || unescape_char(e0) != e0 {
                i += 1;
                dest.push(if special { e0 } else { unescape_char(e0) });
                end = Some(dest.len());
                esc = true;
            }
        }
        if !esc {
            if s[i] == b'\'' {
                inq = !inq;
            } else {
                dest.push(s[i]);
                if s[i] != b' ' || inq {
                    end = Some(dest.len());
                }
            }
        }
        i += 1;
    }
    if let Some(e) = end {
        dest.truncate(e);
    }
    dest
}

fn cut(s: &[u8], starts: &[usize], cuts: &[usize]) -> Vec<Vec<u8>> {
    starts
        .iter()
        .enumerate()
        .map(|(k, &st)| {
            let end = cuts.get(k).copied().unwrap_or(s.len()).min(s.len());
            s[st.min(end)..end].to_vec()
        })
        .collect()
}

/// separate_string_char_delim (raw tokens, before cleanup).
pub fn split_char(s: &[u8], delim: u8, max: usize) -> Vec<Vec<u8>> {
    let (mut starts, mut cuts, mut i, mut find, mut inq) = (vec![], vec![], 0, false, false);
    while i < s.len() && starts.len() < max {
        if !find {
            starts.push(i);
            find = true;
            continue;
        }
        if s[i] == b'\\' {
            i += 1;
        } else if s[i] == b'\'' {
            inq = !inq;
        } else if s[i] == delim && !inq {
            cuts.push(i);
            find = false;
        }
        i += 1;
    }
    cut(s, &starts, &cuts)
}

/// separate_string_blank_delim (raw tokens, before cleanup).
pub fn split_blank(s: &[u8], max: usize) -> Vec<Vec<u8>> {
    #[derive(PartialEq)]
    enum St {
        Start,
        SkipInitial,
        Find,
        SkipEnding,
    }
    let (mut starts, mut cuts, mut i, mut st, mut inq) = (vec![], vec![], 0, St::Start, false);
    while i < s.len() && starts.len() < max {
        match st {
            St::Start => {
                starts.push(i);
                st = St::SkipInitial;
            }
            St::SkipInitial if s[i] == b' ' => i += 1,
            St::SkipInitial => st = St::Find,
            St::Find => {
                if s[i] == b'\\' {
                    i += 1;
                } else if s[i] == b'\'' {
                    inq = !inq;
                } else if s[i] == b' ' && !inq {
                    cuts.push(i);
                    st = St::SkipEnding;
                }
                i += 1;
            }
            St::SkipEnding if s[i] == b' ' => i += 1,
            St::SkipEnding => st = St::Start,
        }
    }
    cut(s, &starts, &cuts)
}

/// switch_find_end_paren: index of the matching close bracket, blind to escapes and quotes.
pub fn find_end_paren(s: &[u8], open: u8, close: u8) -> Option<usize> {
    if s.first() != Some(&open) {
        return None;
    }
    let mut depth = 0;
    for (i, &c) in s.iter().enumerate() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).expect("model produced invalid UTF-8")
}

/// Reads `originate` arguments: (variables of the `{}` block, endpoint, remaining argv).
pub fn originate(args: &str) -> (Vec<(String, String)>, String, Vec<String>) {
    let argv: Vec<Vec<u8>> = split_blank(args.as_bytes(), 10)
        .into_iter()
        .map(|t| cleanup(&t, 0))
        .collect();
    let aleg = &argv[0];
    let (vars, endpoint) = match find_end_paren(aleg, b'{', b'}') {
        Some(end) => (aleg[1..end].to_vec(), aleg[end + 1..].to_vec()),
        None => (Vec::new(), aleg.clone()),
    };
    let mut out = Vec::new();
    for tok in split_char(&vars, b',', 1024) {
        let tok = cleanup(&tok, b',');
        let inner = split_char(&tok, b'=', 2);
        assert_eq!(
            inner.len(),
            2,
            "variable without '=': {:?}",
            String::from_utf8_lossy(&tok)
        );
        out.push((
            text(cleanup(&inner[0], b'=')),
            text(cleanup(&inner[1], b'=')),
        ));
    }
    let rest = argv[1..].iter().map(|a| text(a.clone())).collect();
    (out, text(endpoint), rest)
}
