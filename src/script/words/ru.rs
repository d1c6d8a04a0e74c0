//! Russian numbers, money and dates in words, for text-to-speech: "шестьдесят восемь рублей
//! двадцать семь копеек". Correct plural forms and grammatical gender (рубль is masculine,
//! копейка and тысяча feminine); dates read as ordinals in the genitive ("двадцать третьего
//! ноября две тысячи двадцать шестого года").

/// Grammatical gender of the counted noun: it changes "один/одна", "два/две".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Masculine,
    Feminine,
    Neuter,
}

/// The three Russian plural forms: one (1, 21), few (2-4, 22-24), many (0, 5-20, 25-30).
pub fn plural<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let (last_two, last) = (n % 100, n % 10);
    if (11..=14).contains(&last_two) {
        many
    } else if last == 1 {
        one
    } else if (2..=4).contains(&last) {
        few
    } else {
        many
    }
}

const UNITS: [&str; 20] = [
    "ноль",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
];
const TENS: [&str; 10] = [
    "",
    "",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
];
const HUNDREDS: [&str; 10] = [
    "",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
];

/// Scales above the units: (value, one, few, many, gender).
const SCALES: [(u64, &str, &str, &str, Gender); 4] = [
    (
        1_000_000_000_000,
        "триллион",
        "триллиона",
        "триллионов",
        Gender::Masculine,
    ),
    (
        1_000_000_000,
        "миллиард",
        "миллиарда",
        "миллиардов",
        Gender::Masculine,
    ),
    (
        1_000_000,
        "миллион",
        "миллиона",
        "миллионов",
        Gender::Masculine,
    ),
    (1_000, "тысяча", "тысячи", "тысяч", Gender::Feminine),
];

/// Words of 1..=999 in a gender, pushed onto `out`.
fn triple(n: u64, gender: Gender, out: &mut Vec<String>) {
    let (h, rest) = (n / 100, n % 100);
    if h > 0 {
        out.push(HUNDREDS[h as usize].into());
    }
    if rest >= 20 {
        out.push(TENS[(rest / 10) as usize].into());
        if rest % 10 > 0 {
            out.push(unit(rest % 10, gender).into());
        }
    } else if rest > 0 {
        out.push(unit(rest, gender).into());
    }
}

fn unit(n: u64, gender: Gender) -> &'static str {
    match (n, gender) {
        (1, Gender::Feminine) => "одна",
        (1, Gender::Neuter) => "одно",
        (2, Gender::Feminine) => "две",
        _ => UNITS[n as usize],
    }
}

/// A whole number in words, agreeing with a noun of `gender`.
pub fn number(n: u64, gender: Gender) -> String {
    if n == 0 {
        return UNITS[0].to_string();
    }
    let mut out = Vec::new();
    let mut rest = n;
    for (value, one, few, many, g) in SCALES {
        let count = rest / value;
        if count > 0 {
            if count >= 1000 {
                // Past 10^15: the count of trillions is read in words too.
                out.push(number(count, Gender::Masculine));
            } else {
                triple(count, g, &mut out);
            }
            out.push(plural(count, one, few, many).into());
            rest %= value;
        }
    }
    triple(rest, gender, &mut out);
    out.join(" ")
}

/// Parses an amount as accounting systems write it: `-68.27`, `68,27`, `1 234.5`, `1234`.
/// Returns (whole units, hundredths) of the absolute value; rounds to hundredths.
pub fn parse_amount(text: &str) -> Option<(u64, u64)> {
    let cleaned: String = text
        .trim()
        .trim_start_matches(['-', '+', '−'])
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\'')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty() || cleaned.matches('.').count() > 1 {
        return None;
    }
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole
        .chars()
        .chain(frac.chars())
        .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut digits = frac.bytes().map(|b| u64::from(b - b'0'));
    let (d1, d2, d3) = (
        digits.next().unwrap_or(0),
        digits.next().unwrap_or(0),
        digits.next().unwrap_or(0),
    );
    let mut cents = d1 * 10 + d2 + u64::from(d3 >= 5);
    let mut whole = whole;
    if cents == 100 {
        cents = 0;
        whole = whole.checked_add(1)?;
    }
    Some((whole, cents))
}

/// Rubles and kopecks in words; negative amounts read as their absolute value.
/// Zero kopecks are not spoken unless the amount has no rubles.
pub fn money(text: &str) -> Option<String> {
    let (rub, kop) = parse_amount(text)?;
    let rub_words = format!(
        "{} {}",
        number(rub, Gender::Masculine),
        plural(rub, "рубль", "рубля", "рублей")
    );
    if kop == 0 && rub > 0 {
        return Some(rub_words);
    }
    Some(format!(
        "{rub_words} {} {}",
        number(kop, Gender::Feminine),
        plural(kop, "копейка", "копейки", "копеек")
    ))
}

/// A plain number in words (masculine); a fractional part is read as "целых ... сотых".
pub fn number_text(text: &str) -> Option<String> {
    let negative = text.trim_start().starts_with(['-', '−']);
    let t = text.trim();
    let sign = if negative { "минус " } else { "" };
    if !t.contains(['.', ',']) {
        let n: u64 = t
            .trim_start_matches(['-', '+', '−'])
            .replace(' ', "")
            .parse()
            .ok()?;
        return Some(format!("{sign}{}", number(n, Gender::Masculine)));
    }
    let (whole, hundredths) = parse_amount(t)?;
    Some(format!(
        "{sign}{} {} {} {}",
        number(whole, Gender::Feminine),
        plural(whole, "целая", "целых", "целых"),
        number(hundredths, Gender::Feminine),
        plural(hundredths, "сотая", "сотых", "сотых"),
    ))
}

const MONTHS_GEN: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

const ORD_UNITS: [&str; 20] = [
    "нулевого",
    "первого",
    "второго",
    "третьего",
    "четвёртого",
    "пятого",
    "шестого",
    "седьмого",
    "восьмого",
    "девятого",
    "десятого",
    "одиннадцатого",
    "двенадцатого",
    "тринадцатого",
    "четырнадцатого",
    "пятнадцатого",
    "шестнадцатого",
    "семнадцатого",
    "восемнадцатого",
    "девятнадцатого",
];
const ORD_TENS: [&str; 10] = [
    "",
    "",
    "двадцатого",
    "тридцатого",
    "сорокового",
    "пятидесятого",
    "шестидесятого",
    "семидесятого",
    "восьмидесятого",
    "девяностого",
];
const ORD_HUNDREDS: [&str; 10] = [
    "",
    "сотого",
    "двухсотого",
    "трёхсотого",
    "четырёхсотого",
    "пятисотого",
    "шестисотого",
    "семисотого",
    "восьмисотого",
    "девятисотого",
];
const THOUSAND_PREFIX: [&str; 10] = [
    "",
    "",
    "двух",
    "трёх",
    "четырёх",
    "пяти",
    "шести",
    "семи",
    "восьми",
    "девяти",
];

/// An ordinal in the genitive masculine/neuter ("двадцать третьего"), 0..=9999.
pub fn ordinal_genitive(n: u32) -> String {
    let n = u64::from(n.min(9999));
    let (thousands, rest) = (n / 1000, n % 1000);
    if rest == 0 && thousands > 0 {
        return format!("{}тысячного", THOUSAND_PREFIX[thousands as usize]);
    }
    let mut out: Vec<String> = Vec::new();
    if thousands == 1 {
        out.push("тысяча".into());
    } else if thousands > 1 {
        out.push(number(thousands * 1000, Gender::Feminine));
    }
    let (h, tens_units) = (rest / 100, rest % 100);
    if tens_units == 0 {
        out.push(ORD_HUNDREDS[h as usize].to_string());
        return out.join(" ");
    }
    if h > 0 {
        out.push(HUNDREDS[h as usize].to_string());
    }
    if tens_units < 20 {
        out.push(ORD_UNITS[tens_units as usize].to_string());
    } else if tens_units % 10 == 0 {
        out.push(ORD_TENS[(tens_units / 10) as usize].to_string());
    } else {
        out.push(TENS[(tens_units / 10) as usize].to_string());
        out.push(ORD_UNITS[(tens_units % 10) as usize].to_string());
    }
    out.join(" ")
}

/// A date (`2026-11-23`, `23.11.2026`) as "двадцать третьего ноября две тысячи двадцать шестого года".
pub fn date(text: &str) -> Option<String> {
    let d = parse_date(text.trim())?;
    use chrono::Datelike;
    Some(format!(
        "{} {} {} года",
        ordinal_genitive(d.day()),
        MONTHS_GEN[d.month0() as usize],
        ordinal_genitive(u32::try_from(d.year()).ok()?)
    ))
}

/// Dates as accounting exports write them.
pub fn parse_date(t: &str) -> Option<chrono::NaiveDate> {
    let t = t.get(..10).unwrap_or(t);
    ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(t, f).ok())
}

#[cfg(test)]
#[path = "ru_tests.rs"]
mod tests;
