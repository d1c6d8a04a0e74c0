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

    /// The per-contact results table and the totals.
    pub fn contacts_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<28} {:<14} {:>8}  {:<16} status",
            "name", "phone", "attempts", "result"
        );
        for c in &self.contacts {
            let result = c
                .last_disposition
                .map_or("-".to_string(), |d| d.to_string());
            let _ = writeln!(
                s,
                "{:<28} {:<14} {:>8}  {:<16} {}",
                clip(&c.name, 28),
                c.phones.first().map_or("", String::as_str),
                self.attempts
                    .iter()
                    .filter(|a| a.contact_id == c.id)
                    .count(),
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
        let _ = writeln!(
            s,
            "\nattempts by disposition ({} attempts):",
            self.attempts.len()
        );
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

    /// The CDR as CSV.
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
            ])?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
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
