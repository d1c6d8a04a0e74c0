//! Campaign results as people read them: the CDR (one line per attempt), contacts with their
//! final disposition, and totals by disposition. Plain text tables or CSV; all data comes from
//! the store, nothing is computed that the store does not say.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::campaign::text::printable;
use crate::model::Disposition;
use crate::model::{AttemptRecord, ContactRecord};
use crate::store::{Store, StoreError};

/// Everything a report shows.
#[derive(Debug, Clone)]
pub struct Report {
    pub campaign: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub attempts: Vec<AttemptRecord>,
    pub contacts: Vec<ContactRecord>,
}

impl Report {
    /// Reads a campaign's report from the store.
    pub async fn load(store: &Store, name: &str) -> Result<Report, StoreError> {
        let rec = store.campaign_by_name(name).await?;
        let attempts = store.campaign_attempts(rec.id).await?;
        let mut contacts = Vec::new();
        let mut after = 0;
        loop {
            let page = store.contacts_page(rec.id, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            contacts.extend(page);
        }
        Ok(Report {
            campaign: rec.name,
            status: rec.status.to_string(),
            status_reason: rec.status_reason,
            attempts,
            contacts,
        })
    }

    /// Attempts by disposition (finished attempts only), every disposition that occurred.
    pub fn totals(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for a in &self.attempts {
            if let Some(d) = a.disposition {
                *out.entry(d.as_str()).or_insert(0) += 1;
            }
        }
        out
    }

    /// Contacts by their final (last) disposition.
    pub fn final_totals(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for c in &self.contacts {
            let key = match (c.status.is_final(), c.last_disposition) {
                (true, Some(d)) => d.to_string(),
                (true, None) => c.status.to_string(),
                (false, _) => format!("({})", c.status),
            };
            *out.entry(key).or_insert(0) += 1;
        }
        out
    }

    /// The per-contact results table and the totals. `attempts` are the ones the retry policy
    /// counted (of `max_attempts`: every call but a technical one, and one per
    /// `technical_errors_per_attempt` technical errors in a row); `technical` are the calls that
    /// ended by a technical error or that outcall cut, shown apart.
    pub fn contacts_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<28} {:<14} {:>8} {:>9}  {:<16} status",
            "name", "phone", "attempts", "technical", "result"
        );
        for c in &self.contacts {
            let result = c
                .last_disposition
                .map_or("-".to_string(), |d| d.to_string());
            let technical = self
                .attempts
                .iter()
                .filter(|a| a.contact_id == c.id && a.disposition.is_some_and(|d| d.is_technical()))
                .count();
            let _ = writeln!(
                s,
                "{:<28} {:<14} {:>8} {:>9}  {:<16} {}",
                clip(&c.name, 28),
                c.phones.first().map_or("", String::as_str),
                c.attempts,
                technical,
                result,
                c.status
            );
        }
        s.push_str(&self.totals_text());
        s
    }

    /// Totals by disposition, of attempts and of contacts.
    pub fn totals_text(&self) -> String {
        let mut s = String::new();
        let counts: Vec<(Disposition, u64)> = Disposition::ALL
            .iter()
            .filter_map(|d| Some((*d, *self.totals().get(d.as_str())? as u64)))
            .collect();
        let _ = writeln!(s, "\ncalls by disposition ({}):", split_line(&counts));
        for d in Disposition::ALL {
            if let Some(n) = self.totals().get(d.as_str()) {
                let _ = writeln!(s, "  {:<16} {n}", d.as_str());
            }
        }
        let _ = writeln!(
            s,
            "contacts by final result ({} contacts):",
            self.contacts.len()
        );
        for (k, n) in self.final_totals() {
            let _ = writeln!(s, "  {k:<16} {n}");
        }
        s
    }

    /// The CDR as a text table.
    pub fn attempts_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<20} {:<24} {:<14} {:<15} {:<26} {:>7}  digits",
            "started (UTC)", "contact", "phone", "disposition", "hangup cause", "billsec"
        );
        for a in &self.attempts {
            let _ = writeln!(
                s,
                "{:<20} {:<24} {:<14} {:<15} {:<26} {:>7}  {}",
                a.started_at.format("%Y-%m-%d %H:%M:%S"),
                clip(&a.contact_name, 24),
                a.phone,
                a.disposition.map_or("(open)".into(), |d| d.to_string()),
                a.hangup_cause.as_deref().unwrap_or("-"),
                a.billsec.map_or("-".into(), |b| b.to_string()),
                a.digits.as_deref().unwrap_or("")
            );
        }
        s
    }

    /// What each answered call heard: the attempt, then its trace lines indented.
    pub fn traces_text(&self) -> String {
        let mut s = String::from("\nwhat each call heard:\n");
        for a in &self.attempts {
            let _ = writeln!(
                s,
                "#{} {} {} {}",
                a.id,
                clip(&a.contact_name, 24),
                a.phone,
                a.disposition.map_or("(open)".into(), |d| d.to_string()),
            );
            if a.trace.is_empty() {
                let _ = writeln!(s, "    (not answered)");
            }
            for line in &a.trace {
                let _ = writeln!(s, "    {}", printable(line));
            }
        }
        s
    }

    /// The CDR as CSV; the `trace` column holds what the call heard, lines joined by ` | `.
    pub fn attempts_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "attempt_id",
            "contact_id",
            "contact",
            "phone",
            "uuid",
            "node",
            "gateway",
            "started_at",
            "answered_at",
            "ended_at",
            "disposition",
            "hangup_cause",
            "sip_code",
            "billsec",
            "digits",
            "recording",
            "trace",
        ])?;
        let t = |d: Option<chrono::DateTime<chrono::Utc>>| {
            d.map(|d| d.to_rfc3339()).unwrap_or_default()
        };
        for a in &self.attempts {
            w.write_record([
                a.id.to_string(),
                a.contact_id.to_string(),
                printable(&a.contact_name).into_owned(),
                a.phone.clone(),
                a.uuid.clone(),
                a.node.clone(),
                a.gateway.clone(),
                a.started_at.to_rfc3339(),
                t(a.answered_at),
                t(a.ended_at),
                a.disposition.map(|d| d.to_string()).unwrap_or_default(),
                a.hangup_cause.clone().unwrap_or_default(),
                a.sip_code.map(|c| c.to_string()).unwrap_or_default(),
                a.billsec.map(|b| b.to_string()).unwrap_or_default(),
                a.digits.clone().unwrap_or_default(),
                a.recording.clone().unwrap_or_default(),
                printable(&a.trace.join(" | ")).into_owned(),
            ])?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// What `report --csv --excel` writes first: a UTF-8 byte order mark, without which Excel
/// reads a CSV in the system's code page and garbles Cyrillic.
pub const EXCEL_BOM: &str = "\u{feff}";

/// Calls by disposition with the charged ones apart from the technical ones:
/// `12 calls: 3 charged (answered 1, busy 2), 9 technical (technical 8, interrupted 1)`.
pub fn split_line(counts: &[(Disposition, u64)]) -> String {
    let part = |technical: bool, label: &str| {
        let of: Vec<&(Disposition, u64)> = counts
            .iter()
            .filter(|(d, _)| d.is_technical() == technical)
            .collect();
        let n: u64 = of.iter().map(|(_, n)| n).sum();
        let each: Vec<String> = of.iter().map(|(d, n)| format!("{d} {n}")).collect();
        match each.is_empty() {
            true => format!("{n} {label}"),
            false => format!("{n} {label} ({})", each.join(", ")),
        }
    };
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    format!(
        "{total} calls: {}, {}",
        part(false, "charged"),
        part(true, "technical")
    )
}

fn clip(s: &str, n: usize) -> String {
    let s = printable(s);
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charged_and_technical_calls_are_counted_apart() {
        let counts = [
            (Disposition::Answered, 1),
            (Disposition::Busy, 2),
            (Disposition::Technical, 8),
            (Disposition::Interrupted, 1),
        ];
        assert_eq!(
            split_line(&counts),
            "12 calls: 3 charged (answered 1, busy 2), 9 technical (technical 8, interrupted 1)"
        );
        assert_eq!(split_line(&[]), "0 calls: 0 charged, 0 technical");
    }

    fn attempt(id: i64, d: Disposition) -> AttemptRecord {
        AttemptRecord {
            id,
            contact_id: 7,
            contact_name: "Иванов".into(),
            uuid: format!("u{id}"),
            phone: "+79161001001".into(),
            node: "fs1".into(),
            gateway: "carrier".into(),
            started_at: chrono::DateTime::UNIX_EPOCH,
            answered_at: None,
            ended_at: Some(chrono::DateTime::UNIX_EPOCH),
            hangup_cause: None,
            sip_code: None,
            disposition: Some(d),
            billsec: None,
            digits: None,
            recording: None,
            tags: Vec::new(),
            trace: Vec::new(),
        }
    }

    #[test]
    fn the_contacts_table_shows_charged_attempts_beside_technical_calls() {
        let mut attempts: Vec<AttemptRecord> = (1..=3)
            .map(|i| attempt(i, Disposition::Technical))
            .collect();
        attempts.push(attempt(4, Disposition::Answered));
        let contact = ContactRecord {
            id: 7,
            campaign_id: 1,
            name: "Иванов".into(),
            phones: vec!["+79161001001".into()],
            vars: Default::default(),
            timezone: "Europe/Moscow".into(),
            status: crate::model::ContactStatus::Done,
            attempts: 1,
            technical_streak: 0,
            next_attempt_at: chrono::DateTime::UNIX_EPOCH,
            last_disposition: Some(Disposition::Answered),
            lease_owner: None,
            lease_until: None,
        };
        let report = Report {
            campaign: "c".into(),
            status: "completed".into(),
            status_reason: None,
            attempts,
            contacts: vec![contact],
        };
        let table = report.contacts_table();
        let row = table.lines().nth(1).unwrap();
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[2..5], ["1", "3", "answered"], "{table}");
        assert!(
            table.contains("4 calls: 1 charged (answered 1), 3 technical (technical 3)"),
            "{table}"
        );
    }
}
