//! The store suites' harness: the same test body runs against SQLite (always, a temp file) and
//! PostgreSQL (when OUTCALL_TEST_POSTGRES_URL is set; each test in its own schema) with
//! [`contract!`], plus the fixtures they share (a running campaign, attempts, results).

#![allow(dead_code)]

#[path = "../db_support/mod.rs"]
mod db_support;

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, TimeZone, Utc};
use outcall::campaign::definition::CampaignDef;
use outcall::model::{
    AttemptResult, ContactUpdate, NewAttempt, NewContact, NewDelivery, WebhookKind,
};
use outcall::model::{CampaignStatus, ContactStatus, Disposition, StreakStep};
use outcall::store::Store;

const DEMO: &str = include_str!("../../campaigns/demo.toml");

pub struct Db {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    Db {
        store: Store::connect(&url).await.unwrap(),
        _dir: Some(dir),
    }
}

pub async fn postgres(test: &str) -> Option<Db> {
    let url = db_support::fresh_postgres_url("t", test).await?;
    Some(Db {
        store: Store::connect(&url).await.unwrap(),
        _dir: None,
    })
}

/// Defines `NAME_sqlite` and `NAME_postgres` running the same body.
#[macro_export]
macro_rules! contract {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::store_support::sqlite().await;
                $crate::store_support::run($body, db.store.clone()).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::store_support::postgres(stringify!($name)).await {
                    $crate::store_support::run($body, db.store.clone()).await;
                }
            }
        }
    };
}

pub async fn run<F, Fut>(body: F, store: Store)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    body(store).await
}

pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_795_000_000 + secs, 0).unwrap()
}

pub fn def(name: &str) -> CampaignDef {
    let text = DEMO.replacen("name = \"demo\"", &format!("name = \"{name}\""), 1);
    CampaignDef::from_toml_str(&text, "demo.toml").unwrap()
}

pub fn contact(phone: &str, tz: Option<&str>) -> NewContact {
    NewContact {
        name: format!("Name {phone}"),
        phones: vec![phone.to_string()],
        vars: BTreeMap::from([("BALANCE".to_string(), "-68.27".to_string())]),
        timezone: tz.map(str::to_string),
    }
}

/// A running campaign with contacts `+7900100000{0..n}` due at t(0) in the campaign zone.
pub async fn running(store: &Store, name: &str, n: usize) -> i64 {
    let c = store.create_campaign(&def(name), t(0)).await.unwrap();
    let rows: Vec<NewContact> = (0..n)
        .map(|i| contact(&format!("+790010{:05}", i), None))
        .collect();
    store
        .add_contacts(c.id, "Europe/Moscow", &rows, t(0), t(0))
        .await
        .unwrap();
    store
        .set_campaign_status(c.id, CampaignStatus::Running, None, t(0))
        .await
        .unwrap();
    c.id
}

pub fn zones() -> Vec<String> {
    vec!["Europe/Moscow".to_string()]
}

pub fn attempt(uuid: &str, phone: &str, at: DateTime<Utc>) -> NewAttempt {
    NewAttempt {
        uuid: uuid.into(),
        phone: phone.into(),
        node: "fs1".into(),
        gateway: "demo".into(),
        started_at: at,
    }
}

pub fn result(d: Disposition, at: DateTime<Utc>) -> AttemptResult {
    AttemptResult {
        answered_at: Some(at),
        ended_at: at + chrono::Duration::seconds(30),
        hangup_cause: Some("NORMAL_CLEARING".into()),
        sip_code: Some(200),
        disposition: d,
        billsec: 30,
        digits: "1".into(),
        recording: None,
        tags: vec!["paid".into()],
        trace: vec!["[greeting]".into(), "speak: hello".into()],
        campaign_streak: StreakStep::of(d),
    }
}

pub fn done(attempts: u32) -> ContactUpdate {
    ContactUpdate {
        status: ContactStatus::Done,
        attempts,
        technical_streak: 0,
        next_attempt_at: None,
    }
}

/// A delivery of event `event` (its body names it) to `url`.
pub fn hook(event: &str, kind: WebhookKind, url: &str) -> NewDelivery {
    NewDelivery {
        event_id: format!("{event}.{kind}"),
        kind,
        url: url.to_string(),
        body: format!("{{\"event_id\":\"{event}.{kind}\"}}"),
    }
}

/// Leases the one contact of a fresh running campaign `name` (owner `w`) and opens its attempt
/// at t(11) with `hooks`; returns the contact and attempt ids.
pub async fn started(s: &Store, name: &str, hooks: &[NewDelivery]) -> (i64, i64) {
    let id = running(s, name, 1).await;
    let c = &s
        .claim_due(id, t(10), &zones(), 1, "w", t(100))
        .await
        .unwrap()[0];
    let aid = s
        .start_attempt(
            c.id,
            "w",
            &attempt(&format!("{name}-u"), &c.phones[0], t(11)),
            hooks,
        )
        .await
        .unwrap();
    (c.id, aid)
}
