//! The do-not-call list: add, import a plain list, list, remove. Numbers are normalised to
//! E.164 with the given default country; a number that cannot be read is refused (add, remove)
//! or reported with its line (import), never stored as typed.

use chrono::{DateTime, Utc};

use serde_json::json;

use super::audit::record;
use super::{OpsError, Result};
use crate::import::phone::PhoneNormalizer;
use crate::model::{Actor, DncEntry};
use crate::store::Store;

fn normalizer(country: &str) -> Result<PhoneNormalizer> {
    PhoneNormalizer::new(country).map_err(OpsError::Invalid)
}

/// Adds numbers; how many were new (the rest were listed already).
pub async fn add(
    store: &Store,
    actor: &Actor,
    country: &str,
    phones: &[String],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(u64, u64)> {
    let norm = normalizer(country)?;
    let list = phones
        .iter()
        .map(|p| norm.normalize(p).map_err(OpsError::Invalid))
        .collect::<Result<Vec<_>>>()?;
    let mut change = store.change(now).await?;
    let n = change.dnc_add_many(&list, reason).await?;
    let after = json!({ "phones": list, "reason": reason, "new": n });
    record(&mut change, actor, "dnc.add", "dnc", None, Some(after)).await?;
    change.commit().await?;
    Ok((n, list.len() as u64 - n))
}

/// What a list import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListImport {
    pub added: u64,
    pub already: u64,
    /// Lines not understood: (1-based line, why).
    pub bad: Vec<(usize, String)>,
}

/// Adds every number of a plain list (UTF-8 or Windows-1251): one per line, the first `,` `;`
/// or tab separated field; a first line that is not a number (a header) is skipped.
pub async fn import_list(
    store: &Store,
    actor: &Actor,
    country: &str,
    bytes: &[u8],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<ListImport> {
    let norm = normalizer(country)?;
    let (text, _, _) = if std::str::from_utf8(bytes).is_ok() {
        encoding_rs::UTF_8.decode(bytes)
    } else {
        encoding_rs::WINDOWS_1251.decode(bytes)
    };
    let (list, bad) = numbers_of(&text, &norm);
    let mut change = store.change(now).await?;
    let added = change.dnc_add_many(&list, reason).await?;
    let after = json!({ "numbers": list.len(), "new": added, "reason": reason });
    record(&mut change, actor, "dnc.import", "dnc", None, Some(after)).await?;
    change.commit().await?;
    Ok(ListImport {
        added,
        already: list.len() as u64 - added,
        bad,
    })
}

/// The whole list.
pub async fn list(store: &Store) -> Result<Vec<DncEntry>> {
    Ok(store.dnc_list().await?)
}

/// Removes numbers; each with whether it was listed.
pub async fn remove(
    store: &Store,
    actor: &Actor,
    country: &str,
    phones: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<(String, bool)>> {
    let norm = normalizer(country)?;
    let list = phones
        .iter()
        .map(|p| norm.normalize(p).map_err(OpsError::Invalid))
        .collect::<Result<Vec<_>>>()?;
    let mut change = store.change(now).await?;
    let mut out = Vec::new();
    for p in list {
        let removed = change.dnc_remove(&p).await?;
        out.push((p, removed));
    }
    let gone: Vec<&str> = out
        .iter()
        .filter(|(_, r)| *r)
        .map(|(p, _)| p.as_str())
        .collect();
    if !gone.is_empty() {
        let before = json!({ "phones": gone });
        record(&mut change, actor, "dnc.remove", "dnc", Some(before), None).await?;
    }
    change.commit().await?;
    Ok(out)
}

fn numbers_of(text: &str, norm: &PhoneNormalizer) -> (Vec<String>, Vec<(usize, String)>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let field = line
            .split([',', ';', '\t'])
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if field.is_empty() {
            continue;
        }
        match norm.normalize(field) {
            Ok(p) => good.push(p),
            Err(_) if i == 0 => {}
            Err(e) => bad.push((i + 1, e)),
        }
    }
    (good, bad)
}
