//! English numbers and money in words, for text-to-speech: "sixty-eight dollars and
//! twenty-seven cents".

use super::ru::parse_amount;

const UNITS: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const SCALES: [(u64, &str); 4] = [
    (1_000_000_000_000, "trillion"),
    (1_000_000_000, "billion"),
    (1_000_000, "million"),
    (1_000, "thousand"),
];

fn below_thousand(n: u64, out: &mut Vec<String>) {
    let (h, rest) = (n / 100, n % 100);
    if h > 0 {
        out.push(format!("{} hundred", UNITS[h as usize]));
    }
    if rest >= 20 {
        let tens = TENS[(rest / 10) as usize];
        out.push(if rest % 10 > 0 {
            format!("{tens}-{}", UNITS[(rest % 10) as usize])
        } else {
            tens.to_string()
        });
    } else if rest > 0 {
        out.push(UNITS[rest as usize].to_string());
    }
}

/// A whole number in words.
pub fn number(n: u64) -> String {
    if n == 0 {
        return UNITS[0].into();
    }
    let mut out = Vec::new();
    let mut rest = n;
    for (value, name) in SCALES {
        let count = rest / value;
        if count > 0 {
            if count >= 1000 {
                out.push(number(count));
            } else {
                below_thousand(count, &mut out);
            }
            out.push(name.into());
            rest %= value;
        }
    }
    below_thousand(rest, &mut out);
    out.join(" ")
}

/// Dollars and cents in words; negative amounts read as their absolute value.
pub fn money(text: &str) -> Option<String> {
    let (whole, cents) = parse_amount(text)?;
    let dollars = format!(
        "{} {}",
        number(whole),
        if whole == 1 { "dollar" } else { "dollars" }
    );
    if cents == 0 && whole > 0 {
        return Some(dollars);
    }
    Some(format!(
        "{dollars} and {} {}",
        number(cents),
        if cents == 1 { "cent" } else { "cents" }
    ))
}

/// A number in words; a fractional part is read digit by digit after "point".
pub fn number_text(text: &str) -> Option<String> {
    let t = text.trim();
    let (sign, t) = match t.strip_prefix(['-', '−']) {
        Some(rest) => ("minus ", rest),
        None => ("", t),
    };
    let t = t.replace([' ', '\u{a0}'], "").replace(',', ".");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let whole: u64 = whole.parse().ok()?;
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut words = format!("{sign}{}", number(whole));
    if !frac.is_empty() {
        words.push_str(" point");
        for b in frac.bytes() {
            words.push(' ');
            words.push_str(UNITS[usize::from(b - b'0')]);
        }
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_words() {
        let cases = [
            ("-68.27", "sixty-eight dollars and twenty-seven cents"),
            ("1.01", "one dollar and one cent"),
            ("100", "one hundred dollars"),
            ("0.5", "zero dollars and fifty cents"),
            ("1234.00", "one thousand two hundred thirty-four dollars"),
            ("2000000.99", "two million dollars and ninety-nine cents"),
            ("40", "forty dollars"),
        ];
        for (amount, want) in cases {
            assert_eq!(money(amount).as_deref(), Some(want), "{amount}");
        }
        assert_eq!(money("ten"), None);
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(number(0), "zero");
        assert_eq!(number(15), "fifteen");
        assert_eq!(number(90), "ninety");
        assert_eq!(number(1_000_001), "one million one");
        assert_eq!(number_text("-3.14").unwrap(), "minus three point one four");
        assert_eq!(
            number_text("12 345").unwrap(),
            "twelve thousand three hundred forty-five"
        );
        assert_eq!(number_text("1.x"), None);
    }
}
