//! Subscriber text as it enters and leaves outcall: [`clean`] strips terminal escape sequences
//! and control characters from CSV values on import (a name must not recolour a supervisor's
//! terminal or hide text in a report), and [`printable`] escapes any control character still
//! found in stored data when it is printed.

use std::borrow::Cow;

/// A CSV value as it is stored: ANSI escape sequences (`ESC [ … final`, `ESC ] … BEL`, and
/// two-byte `ESC x`) are removed; tabs, line breaks and other whitespace controls become one
/// space; every other control character (C0, DEL, C1) is removed.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        // CSI: parameters and intermediates up to a final byte in @..~.
        Some('[') => {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        // OSC: up to BEL or ESC \.
        Some(']') => {
            while let Some(c) = chars.next() {
                if c == '\u{07}' {
                    break;
                }
                if c == '\u{1b}' {
                    chars.next_if_eq(&'\\');
                    break;
                }
            }
        }
        _ => {}
    }
}

/// Stored text for a terminal, a log or a report: control characters are shown escaped
/// (`\u{1b}`), everything else as it is.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_escapes_and_controls() {
        assert_eq!(clean("Иванов"), "Иванов");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
        assert_eq!(clean("\u{1b}[31mRed\u{1b}[0m Name"), "Red Name");
        assert_eq!(clean("a\u{1b}]0;title\u{07}b"), "ab");
        assert_eq!(clean("a\u{1b}]0;t\u{1b}\\b"), "ab");
        assert_eq!(clean("Ivan\r\nPetrov\tX"), "Ivan Petrov X");
        assert_eq!(clean("a\0b\u{7f}c\u{9b}d\u{8}"), "abcd");
        assert_eq!(clean("\u{1b}"), "");
    }

    #[test]
    fn printable_escapes_what_is_left() {
        assert_eq!(printable("ok"), "ok");
        assert_eq!(printable("a\u{1b}[31m"), "a\\u{1b}[31m");
        assert_eq!(printable("a\nb"), "a\\u{a}b");
    }
}
