//! End-to-end against the simulator on paused time: a campaign started before its
//! `schedule.start` waits as `scheduled` and the engine runs it at its start; a `keep_open`
//! campaign stays running when every contact is final and calls contacts added later; a contact
//! whose number spans several zones is called only while the window is open in all of them.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use chrono::TimeZone;
use outcall::campaign::definition::CampaignDef;
use outcall::model::{Actor, CampaignStatus, ContactStatus};
use outcall::ops::campaigns;
use support::*;

const RULES: &str = r#"
[media]
say_languages = ["en"]
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 1, hangup_after = 25 }]
"#;

#[tokio::test(start_paused = true)]
async fn a_campaign_started_early_is_scheduled_and_runs_at_its_start() {
    // 05:00 UTC; the campaign starts at 09:00 Moscow (06:00 UTC).
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 5, 0, 0).unwrap();
    let starts = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap();
    let w = World::at(RULES, None, t0).await;
    let toml = campaign_toml("early", 2, 1, "[schedule]\nstart = \"2026-11-23 09:00\"\n");
    let def = CampaignDef::from_toml_str(&toml, "test").unwrap();
    let now = w.clock.now();
    let rec = w.store.create_campaign(&def, now).await.unwrap();
    let list: Vec<_> = phones("7900100", 3)
        .iter()
        .map(|(n, p)| contact(n, p, None))
        .collect();
    w.store
        .add_contacts(rec.id, "Europe/Moscow", &list, now, now)
        .await
        .unwrap();
    let t = campaigns::start(&w.store, &Actor::cli(), "early", now)
        .await
        .unwrap();
    assert_eq!(
        (t.from, t.to),
        (CampaignStatus::Draft, CampaignStatus::Scheduled)
    );
    let engine = w.engine("e1", 100).await;
    engine.handle.step(5).await;
    assert_eq!(
        w.store.campaign_status(rec.id).await.unwrap().0,
        CampaignStatus::Scheduled
    );
    // Paused and resumed before its start, it waits for its start again.
    let now = w.clock.now();
    campaigns::pause(&w.store, &Actor::cli(), "early", "check the list", now)
        .await
        .unwrap();
    let t = campaigns::resume(&w.store, &Actor::cli(), "early", now)
        .await
        .unwrap();
    assert_eq!(
        (t.from, t.to),
        (CampaignStatus::Paused, CampaignStatus::Scheduled)
    );
    engine.handle.step(5).await;
    assert_eq!(w.sim.stats().originates, 0, "nothing before the start");
    w.clock.advance(Duration::from_secs(3600));
    w.wait_status(rec.id, CampaignStatus::Completed, Duration::from_secs(30))
        .await;
    let cdr = w.store.campaign_attempts(rec.id).await.unwrap();
    assert_eq!(cdr.len(), 3);
    assert!(cdr.iter().all(|a| a.started_at >= starts), "{cdr:?}");
    // Once the start has passed, start runs at once.
    let later = w.clock.now();
    assert_eq!(
        campaigns::status_on_start(def.schedule.start, later),
        CampaignStatus::Running
    );
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn keep_open_stays_running_and_calls_contacts_added_later() {
    let w = World::new(RULES, None).await;
    let toml = campaign_toml("open", 2, 1, "keep_open = true\n");
    let id = w.campaign(&toml, &refs(&phones("7900100", 2))).await;
    let engine = w.engine("e1", 100).await;
    w.until("both called", Duration::from_secs(30), || async {
        w.contacts(id)
            .await
            .iter()
            .all(|c| c.status == ContactStatus::Done)
    })
    .await;
    engine.handle.step(5).await;
    assert_eq!(
        w.store.campaign_status(id).await.unwrap().0,
        CampaignStatus::Running,
        "keep_open: every contact final, the campaign stays running"
    );
    let now = w.clock.now();
    let late = [contact("Late", "+79001000099", None)];
    w.store
        .add_contacts(id, "Europe/Moscow", &late, now, now)
        .await
        .unwrap();
    w.until(
        "the late contact called",
        Duration::from_secs(30),
        || async { w.contact(id, "+79001000099").await.status == ContactStatus::Done },
    )
    .await;
    assert_eq!(w.sim.stats().originates, 3);
    engine.handle.step(5).await;
    assert_eq!(
        w.store.campaign_status(id).await.unwrap().0,
        CampaignStatus::Running
    );
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_contact_of_several_zones_is_called_only_while_all_are_open() {
    // 06:30 UTC: 15:30 in Yakutsk and Khandyga, 16:30 in Ust-Nera (open), 17:30 in
    // Srednekolymsk (closed). All four are open together again at 00:00 UTC (09:00 Yakutsk).
    let t0 = chrono::Utc
        .with_ymd_and_hms(2026, 11, 23, 6, 30, 0)
        .unwrap();
    let overlap = chrono::Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let w = World::at(RULES, None, t0).await;
    let toml = campaign_toml(
        "sakha",
        2,
        1,
        "[schedule]\nwindows = [{ days = \"mon-sun\", hours = [\"09:00-17:00\"] }]\n",
    );
    let sakha = "Asia/Khandyga,Asia/Srednekolymsk,Asia/Ust-Nera,Asia/Yakutsk";
    let list = [
        contact("Yakutsk", "+79001000001", Some("Asia/Yakutsk")),
        contact("Sakha", "+79001000002", Some(sakha)),
    ];
    let id = w.campaign_with(&toml, &list).await;
    let engine = w.engine("e1", 100).await;
    w.until("Yakutsk called", Duration::from_secs(20), || async {
        w.contact(id, "+79001000001").await.status == ContactStatus::Done
    })
    .await;
    let waiting = w.contact(id, "+79001000002").await;
    assert_eq!(waiting.status, ContactStatus::Pending);
    assert_eq!(waiting.next_attempt_at, overlap, "deferred to the overlap");
    assert_eq!(w.sim.stats().originates, 1);
    w.clock.advance(Duration::from_secs(18 * 3600));
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(30))
        .await;
    let cdr = w.store.campaign_attempts(id).await.unwrap();
    let call = cdr.iter().find(|a| a.phone == "+79001000002").unwrap();
    assert!(call.started_at >= overlap, "called at {}", call.started_at);
    engine.stop().await;
}
