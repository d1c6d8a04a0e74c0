//! What `outcall serve` prints on stdout while it runs, at any log level: one line per finished
//! call (campaign, phone, disposition, how long it lasted) and, every [`PROGRESS_EVERY`], one
//! progress line per running campaign (its contacts by status and calls by disposition, from
//! the store, as the demo prints them). Logs stay on stderr.

use std::collections::HashMap;
use std::io::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::call::metrics::{CallEvent, CallStage, Metrics};
use crate::model::{CampaignStatus, ContactStatus, Disposition};
use crate::store::Store;

/// How often the progress lines are printed.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Prints call lines and progress lines until `stop`.
pub async fn run(store: Store, metrics: Metrics, stop: CancellationToken) {
    let mut feed = metrics.subscribe();
    let mut started: HashMap<(String, i64), DateTime<Utc>> = HashMap::new();
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => progress(&store).await,
            ev = feed.recv() => match ev {
                Ok(ev) => {
                    let key = (ev.campaign.clone(), ev.contact);
                    match ev.stage {
                        CallStage::Started => {
                            started.insert(key, ev.at);
                        }
                        CallStage::Answered => {}
                        CallStage::Ended => {
                            let from = started.remove(&key);
                            say(&call_line(&ev, from));
                        }
                    }
                }
                Err(RecvError::Lagged(n)) => say(&format!("({n} call lines skipped: stdout is slow)")),
                Err(RecvError::Closed) => return,
            },
        }
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// `debtors +79161001001 answered 42 s` (the duration from the originate to the end).
pub fn call_line(ev: &CallEvent, started: Option<DateTime<Utc>>) -> String {
    let d = ev
        .disposition
        .map_or("ended".to_string(), |d| d.to_string());
    let took = match started {
        Some(s) => format!(" {} s", (ev.at - s).num_seconds().max(0)),
        None => String::new(),
    };
    format!("{} {} {d}{took}", ev.campaign, ev.phone)
}

/// `debtors: contacts pending 5, dialing 2, done 10 | calls answered 4, busy 2`.
pub fn progress_line(
    name: &str,
    contacts: &[(ContactStatus, u64)],
    calls: &[(Disposition, u64)],
) -> String {
    let of = |v: Vec<String>| match v.is_empty() {
        true => "none".to_string(),
        false => v.join(", "),
    };
    let contacts = contacts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    let calls = calls.iter().map(|(d, n)| format!("{d} {n}")).collect();
    format!("{name}: contacts {} | calls {}", of(contacts), of(calls))
}

async fn progress(store: &Store) {
    let Ok(heads) = store.campaign_heads().await else {
        return;
    };
    for c in heads.iter().filter(|c| c.status == CampaignStatus::Running) {
        if let Ok(counts) = store.campaign_counts(c.id).await {
            say(&progress_line(&c.name, &counts.contacts, &counts.attempts));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_call_is_one_line_with_its_duration() {
        let at = DateTime::UNIX_EPOCH + chrono::Duration::seconds(100);
        let ev = CallEvent {
            stage: CallStage::Ended,
            campaign: "debtors".into(),
            contact: 3,
            phone: "+79161001001".into(),
            node: "fs1".into(),
            disposition: Some(Disposition::Answered),
            at,
        };
        let from = at - chrono::Duration::seconds(42);
        assert_eq!(
            call_line(&ev, Some(from)),
            "debtors +79161001001 answered 42 s"
        );
        assert_eq!(call_line(&ev, None), "debtors +79161001001 answered");
    }

    #[test]
    fn a_progress_line_counts_contacts_and_calls() {
        let line = progress_line(
            "debtors",
            &[(ContactStatus::Pending, 5), (ContactStatus::Done, 0)],
            &[(Disposition::Busy, 2)],
        );
        assert_eq!(line, "debtors: contacts pending 5 | calls busy 2");
        assert_eq!(
            progress_line("x", &[], &[]),
            "x: contacts none | calls none"
        );
    }
}
