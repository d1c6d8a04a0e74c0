//! Looking at a file before importing it: BOM, delimiter, and a full structural check (binary
//! data, unterminated quotes, oversized fields) that runs BEFORE anything is written, so bad input
//! leaves the store unchanged. Text decoding per field: UTF-8, else Windows-1251.

use std::io::Read;

/// The largest field accepted (a bigger one means a broken file, not a debtor).
pub const MAX_FIELD: usize = 1 << 20;
/// Bytes of the head used to guess the delimiter and to spot binary files.
const SAMPLE: usize = 64 * 1024;

/// What the structural check found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    Binary { line: u64 },
    UnterminatedQuote { line: u64 },
    FieldTooLong { line: u64 },
    Empty,
}

/// What a file looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Bytes of UTF-8 BOM to skip (0 or 3).
    pub bom: usize,
    pub delimiter: u8,
    pub size: u64,
}

/// Reads the head, guesses BOM and delimiter, then scans the whole stream once.
pub fn inspect<R: Read>(mut input: R) -> std::io::Result<Result<Shape, Broken>> {
    let mut head = Vec::with_capacity(SAMPLE);
    (&mut input).take(SAMPLE as u64).read_to_end(&mut head)?;
    let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let sample = &head[bom..];
    if looks_binary(sample) {
        return Ok(Err(Broken::Binary { line: 1 }));
    }
    let delimiter = guess_delimiter(sample);
    let mut scan = Scanner::new(delimiter);
    scan.feed(sample);
    // A small input (an API request's contacts) ends within the head: the buffer grows to its
    // full size (zeroed) only once the input goes on past a first small read.
    let mut buf = vec![0u8; 4096];
    let mut size = head.len() as u64;
    while scan.broken.is_none() {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        scan.feed(&buf[..n]);
        buf.resize(256 * 1024, 0);
    }
    Ok(scan.finish().map(|()| Shape {
        bom,
        delimiter,
        size,
    }))
}

fn looks_binary(sample: &[u8]) -> bool {
    let control = sample
        .iter()
        .filter(|&&b| b > 0 && b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        .count();
    // NUL bytes are reported by the scanner with their line.
    control * 100 > sample.len()
}

/// The delimiter that splits the first line (outside quotes) most: `,`, `;` or tab.
pub fn guess_delimiter(sample: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in sample {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// An RFC 4180 state machine that only watches for trouble.
struct Scanner {
    delimiter: u8,
    line: u64,
    quoted_since: Option<u64>,
    after_quote: bool,
    field_len: usize,
    field_line: u64,
    seen_data: bool,
    broken: Option<Broken>,
}

impl Scanner {
    fn new(delimiter: u8) -> Scanner {
        Scanner {
            delimiter,
            line: 1,
            quoted_since: None,
            after_quote: false,
            field_len: 0,
            field_line: 1,
            seen_data: false,
            broken: None,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.broken.is_some() {
                return;
            }
            self.byte(b);
        }
    }

    fn byte(&mut self, b: u8) {
        // A NUL inside a quoted value is data (removed on import with the other control
        // bytes); outside quotes it means the file is not text.
        if b == 0 && self.quoted_since.is_none() {
            self.broken = Some(Broken::Binary { line: self.line });
            return;
        }
        if !b.is_ascii_whitespace() {
            self.seen_data = true;
        }
        if b == b'\n' {
            self.line += 1;
        }
        if self.quoted_since.is_some() {
            if b == b'"' {
                self.quoted_since = None;
                self.after_quote = true;
                return;
            }
        } else if b == b'"' && (self.field_len == 0 || self.after_quote) {
            // Opening quote, or the second quote of an escaped `""` inside a quoted field.
            self.quoted_since = Some(self.line);
            self.after_quote = false;
            return;
        } else if b == self.delimiter || b == b'\n' {
            self.field_len = 0;
            self.field_line = self.line;
            self.after_quote = false;
            return;
        }
        self.after_quote = false;
        self.field_len += 1;
        if self.field_len > MAX_FIELD {
            self.broken = Some(Broken::FieldTooLong {
                line: self.field_line,
            });
        }
    }

    fn finish(self) -> Result<(), Broken> {
        if let Some(b) = self.broken {
            return Err(b);
        }
        if let Some(line) = self.quoted_since {
            return Err(Broken::UnterminatedQuote { line });
        }
        if !self.seen_data {
            return Err(Broken::Empty);
        }
        Ok(())
    }
}

/// How the file's text is encoded, decided by the first non-ASCII field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Undecided,
    Utf8,
    Windows1251,
}

impl Encoding {
    /// Decodes one field; `None` when the file turned out UTF-8 but this field is not.
    pub fn decode(&mut self, bytes: &[u8]) -> Option<String> {
        if bytes.is_ascii() {
            return Some(String::from_utf8_lossy(bytes).into_owned());
        }
        if *self == Encoding::Undecided {
            *self = if std::str::from_utf8(bytes).is_ok() {
                Encoding::Utf8
            } else {
                Encoding::Windows1251
            };
        }
        match self {
            Encoding::Windows1251 => {
                let (text, _, _) = encoding_rs::WINDOWS_1251.decode(bytes);
                Some(text.into_owned())
            }
            _ => std::str::from_utf8(bytes).ok().map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &[u8]) -> Result<Shape, Broken> {
        inspect(text).unwrap()
    }

    #[test]
    fn delimiters_are_guessed_from_the_header() {
        assert_eq!(
            guess_delimiter(b"\"NAME\",\"PHONE_NUMBER\",\"USER_VARS\"\n"),
            b','
        );
        assert_eq!(guess_delimiter(b"name;phone;balance\n1,2;3;4\n"), b';');
        assert_eq!(guess_delimiter(b"name\tphone\n"), b'\t');
        assert_eq!(guess_delimiter(b"\"a;b\",c\n"), b',');
        assert_eq!(guess_delimiter(b"phone\n"), b',');
    }

    #[test]
    fn structure_problems_are_found_with_lines() {
        assert!(check(b"a,b\n1,2\n").is_ok());
        assert_eq!(check(b"\xEF\xBB\xBFa;b\n1;2\n").unwrap().bom, 3);
        assert_eq!(
            check(b"a,b\n1,\"2\n3,4\n").unwrap_err(),
            Broken::UnterminatedQuote { line: 2 }
        );
        assert!(check(b"a,b\n\"x\"\"y\",2\n\"multi\nline\",3\n").is_ok());
        assert_eq!(
            check(b"a,b\n1,2\n3\x004\n").unwrap_err(),
            Broken::Binary { line: 3 }
        );
        assert!(check(b"a,b\n\"x\x00y\",2\n").is_ok());
        assert_eq!(
            check(b"\x89PNG\r\n\x1a\n\x00\x00").unwrap_err(),
            Broken::Binary { line: 1 }
        );
        assert_eq!(check(b"  \n\n").unwrap_err(), Broken::Empty);
        let mut big = b"a,b\n1,".to_vec();
        big.extend(std::iter::repeat_n(b'x', MAX_FIELD + 1));
        assert_eq!(check(&big).unwrap_err(), Broken::FieldTooLong { line: 2 });
    }

    #[test]
    fn encodings_are_decided_once() {
        let mut e = Encoding::default();
        assert_eq!(e.decode(b"ascii").unwrap(), "ascii");
        assert_eq!(e, Encoding::Undecided);
        let cp1251 = encoding_rs::WINDOWS_1251.encode("Иван").0;
        assert_eq!(e.decode(&cp1251).unwrap(), "Иван");
        assert_eq!(e, Encoding::Windows1251);
        let mut u = Encoding::default();
        assert_eq!(u.decode("Иван".as_bytes()).unwrap(), "Иван");
        assert_eq!(u.decode(&cp1251), None);
    }
}
