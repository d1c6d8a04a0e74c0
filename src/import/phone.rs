//! Phone numbers to E.164. A number written with `+` (or `00`) is international. Without it, a
//! national number of the default country is tried first, then an international number with its
//! country code: with RU, `8 916 123-45-67` and `9161234567` give +79161234567, `17605632123`
//! gives +17605632123.

use phonenumber::country::Id;

/// Normalises phone numbers for one default country.
#[derive(Debug, Clone, Copy)]
pub struct PhoneNormalizer {
    country: Id,
    /// The default country's calling code (7 for RU).
    calling_code: u16,
}

/// Loads the phone metadata now (the `phonenumber` crate's database, loaded on first use: tens
/// of ms) and compiles the patterns of `country`'s numbers, so that a server's first requests
/// do not wait for it (all of them would: the first load holds the others back).
pub fn warm(country: &str) {
    if let Ok(n) = PhoneNormalizer::new(country) {
        let _ = n.normalize(&format!("+{}0000000000", n.calling_code));
        let _ = n.normalize("0000000000");
    }
}

impl PhoneNormalizer {
    /// `country` is an ISO 3166 alpha-2 code such as `RU`. The last one made is kept (every
    /// POSTed contact makes one for the server's default country, and finding a country's
    /// metadata by its code compares it with every code there is).
    pub fn new(country: &str) -> Result<PhoneNormalizer, String> {
        static LAST: std::sync::Mutex<Option<(String, PhoneNormalizer)>> =
            std::sync::Mutex::new(None);
        let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, n)) = last.as_ref().filter(|(c, _)| c == country) {
            return Ok(*n);
        }
        let made = Self::make(country)?;
        *last = Some((country.to_string(), made));
        Ok(made)
    }

    fn make(country: &str) -> Result<PhoneNormalizer, String> {
        let code = country.trim().to_ascii_uppercase();
        let bad = || format!("`{country}` is not a country code like RU, KZ, US");
        let id: Id = code.parse().map_err(|_| bad())?;
        let meta = phonenumber::metadata::DATABASE
            .by_id(code.as_str())
            .ok_or_else(bad)?;
        Ok(PhoneNormalizer {
            country: id,
            calling_code: meta.country_code(),
        })
    }

    /// The E.164 form (`+` and digits) or why the text is not a callable number. Without `+`:
    /// the default country's national form (prefix `8` and all), then the digits as its national
    /// significant number (`7760569623` with RU is +7 776 056-96-23), then international.
    pub fn normalize(&self, raw: &str) -> Result<String, String> {
        let text = raw.trim();
        if text.is_empty() {
            return Err("empty phone number".into());
        }
        let mut digits = String::with_capacity(text.len());
        let mut plus = false;
        for (i, c) in text.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '-' | '(' | ')' | '.' | '\u{a0}' => {}
                _ => return Err(format!("`{text}` is not a phone number (unexpected `{c}`)")),
            }
        }
        if digits.len() < 5 || digits.len() > 17 {
            return Err(format!("`{text}` is not a phone number (wrong length)"));
        }
        if let Some(n) = toll_free_7(&digits, plus, self.calling_code) {
            return Ok(n);
        }
        if let Some(rest) = digits.strip_prefix("00").filter(|_| !plus) {
            if let Some(n) = international(rest) {
                return Ok(n);
            }
        }
        if plus {
            return international(&digits)
                .ok_or_else(|| format!("`{text}` is not a valid international number"));
        }
        national(self.country, &digits)
            .or_else(|| international(&format!("{}{digits}", self.calling_code)))
            .or_else(|| international(&digits))
            .ok_or_else(|| {
                format!("`{text}` is not a valid number (neither national nor international)")
            })
    }
}

impl PhoneNormalizer {
    /// The country (ISO code) of an E.164 number when it is not the default country's, e.g.
    /// `US` for +17605632123 with RU; `None` for the default country's own numbers (and numbers
    /// of no single country).
    pub fn foreign_country(&self, e164: &str) -> Option<String> {
        // Calling codes are prefix-free (E.164): a number that begins with the default's code
        // has that code, and needs no parse (half of a POSTed contact's phone work).
        let digits = e164.strip_prefix('+').unwrap_or(e164);
        if digits.starts_with(&self.calling_code.to_string()) {
            return None;
        }
        let n = phonenumber::parse(None, e164).ok()?;
        if n.code().value() == self.calling_code {
            return None;
        }
        let id = n.country().id()?;
        Some(format!("{id:?}"))
    }
}

/// A Russian toll-free number (+7 800 and +7 804, libphonenumber's `tollFree` of RU) as E.164:
/// `8 800 555-35-35`, `+78005553535`, and `800 555-35-35` with +7 the default. The
/// `phonenumber` crate misreads these (it takes the `8` after the country code for the national
/// prefix), so they are recognised here.
fn toll_free_7(digits: &str, plus: bool, default_code: u16) -> Option<String> {
    let rest = match (plus, digits.len()) {
        (true, 11) => digits.strip_prefix('7')?,
        (false, 11) if default_code == 7 => digits.strip_prefix('8').or(digits.strip_prefix('7'))?,
        (false, 10) if default_code == 7 => digits,
        _ => return None,
    };
    let free = rest.starts_with("800") || rest.starts_with("804");
    free.then(|| format!("+7{rest}"))
}

fn national(country: Id, digits: &str) -> Option<String> {
    let n = phonenumber::parse(Some(country), digits).ok()?;
    phonenumber::is_valid(&n).then(|| e164(&n))
}

fn international(digits: &str) -> Option<String> {
    let n = phonenumber::parse(None, format!("+{digits}")).ok()?;
    phonenumber::is_valid(&n).then(|| e164(&n))
}

/// `+`, country code, national number with its leading zeros (what the E.164 formatter prints,
/// without its cost).
fn e164(n: &phonenumber::PhoneNumber) -> String {
    let national = n.national();
    let zeros = "0".repeat(usize::from(national.zeros()));
    format!("+{}{zeros}{}", n.code().value(), national.value())
}

/// The E.164 number as an integer (a compact duplicate key).
pub fn key(e164: &str) -> u64 {
    e164.trim_start_matches('+').parse().unwrap_or(0)
}

/// A cheap hasher for [`key`]s (phone numbers are already well spread; SipHash costs more).
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Sets and maps keyed by phone [`key`]s.
pub type KeyBuild = std::hash::BuildHasherDefault<KeyHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_first_then_international() {
        let ru = PhoneNormalizer::new("ru").unwrap();
        assert_eq!(ru.normalize("17605632123").unwrap(), "+17605632123");
        assert_eq!(ru.normalize("79508881234").unwrap(), "+79508881234");
        assert_eq!(ru.normalize("8 916 123-45-67").unwrap(), "+79161234567");
        assert_eq!(ru.normalize("9161234567").unwrap(), "+79161234567");
        assert_eq!(ru.normalize("+7 (916) 123-45-67").unwrap(), "+79161234567");
        assert_eq!(ru.normalize("0079161234567").unwrap(), "+79161234567");
        assert_eq!(ru.normalize("79001001234").unwrap(), "+79001001234");
        assert_eq!(ru.normalize("7760569623").unwrap(), "+77760569623");
    }

    #[test]
    fn toll_free_and_shared_cost_numbers_are_callable() {
        let ru = PhoneNormalizer::new("RU").unwrap();
        assert_eq!(ru.normalize("8 800 555-35-35").unwrap(), "+78005553535");
        assert_eq!(ru.normalize("+78005553535").unwrap(), "+78005553535");
        assert_eq!(ru.normalize("88005553535").unwrap(), "+78005553535");
        assert_eq!(ru.normalize("8 804 333-22-11").unwrap(), "+78043332211");
    }

    #[test]
    fn a_number_of_another_country_is_named() {
        let ru = PhoneNormalizer::new("RU").unwrap();
        assert_eq!(ru.foreign_country("+17605632123").as_deref(), Some("US"));
        assert_eq!(ru.foreign_country("+79161234567"), None);
        assert_eq!(
            ru.foreign_country("+77760569623"),
            None,
            "+7 is shared with KZ"
        );
        // A three-digit code: its own numbers need no parse, another country's still say which.
        let am = PhoneNormalizer::new("AM").unwrap();
        assert_eq!(am.foreign_country("+37410123456"), None);
        assert_eq!(am.foreign_country("+79161234567").as_deref(), Some("RU"));
        let us = PhoneNormalizer::new("US").unwrap();
        assert_eq!(us.foreign_country("+493012345678").as_deref(), Some("DE"));
        assert_eq!(us.foreign_country("+17605632123"), None);
    }

    #[test]
    fn other_default_country() {
        let us = PhoneNormalizer::new("US").unwrap();
        assert_eq!(us.normalize("(760) 563-2123").unwrap(), "+17605632123");
        assert_eq!(us.normalize("+79161234567").unwrap(), "+79161234567");
        assert!(PhoneNormalizer::new("Narnia").is_err());
    }

    #[test]
    fn garbage_is_refused_with_reason() {
        let ru = PhoneNormalizer::new("RU").unwrap();
        assert!(ru.normalize("").unwrap_err().contains("empty"));
        assert!(ru.normalize("call me").unwrap_err().contains("unexpected"));
        assert!(ru.normalize("123").unwrap_err().contains("length"));
        assert!(ru.normalize("+999 123 456").is_err());
        assert!(ru.normalize("12345678").is_err());
    }

    #[test]
    fn e164_keeps_leading_zeros() {
        let it = PhoneNormalizer::new("IT").unwrap();
        assert_eq!(it.normalize("06 1234 5678").unwrap(), "+390612345678");
    }

    #[test]
    fn keys() {
        assert_eq!(key("+79161234567"), 79_161_234_567);
    }
}
