use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::*;
use crate::model::{
    AttemptResult, ContactStatus, ContactUpdate, Disposition, NewAttempt, StreakStep,
};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

fn at(ms: i64) -> DateTime<Utc> {
    t0() + Duration::milliseconds(ms)
}

fn urls(start: &[&str], end: &[&str]) -> WebhookUrls {
    WebhookUrls {
        call_start: start.iter().map(|s| s.to_string()).collect(),
        call_end: end.iter().map(|s| s.to_string()).collect(),
    }
}

fn vars() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("BALANCE".to_string(), "-68.27".to_string()),
        ("CONTRACT".to_string(), "A-17".to_string()),
    ])
}

fn subject(vars: &BTreeMap<String, String>) -> Subject<'_> {
    Subject {
        campaign_id: 3,
        campaign: "debtors",
        contact_id: 42,
        contact_name: "Иванов Иван",
        vars,
    }
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

#[test]
fn ring_ivr_and_talk_are_kept_apart() {
    let call = |answered: Option<i64>, bridged: Option<i64>, unbridged: Option<i64>, ended: i64| {
        Timeline {
            started_at: at(0),
            answered_at: answered.map(at),
            bridged_at: bridged.map(at),
            unbridged_at: unbridged.map(at),
            ended_at: at(ended),
        }
        .durations()
    };
    let d = |ring, ivr, talk| Durations {
        ring_seconds: ring,
        ivr_seconds: ivr,
        talk_seconds: talk,
    };
    // Never answered: all of it rang.
    assert_eq!(call(None, None, None, 20_000), d(20, 0, 0));
    // Answered, the IVR only (a debt reminder): no talk.
    assert_eq!(call(Some(4_000), None, None, 34_000), d(4, 30, 0));
    // Bridged to an operator until the end.
    assert_eq!(call(Some(4_000), Some(16_000), None, 76_000), d(4, 12, 60));
    // The operator left at 50 s and the script went on: back to the IVR.
    assert_eq!(
        call(Some(4_000), Some(16_000), Some(50_000), 56_000),
        d(4, 18, 34)
    );
    // Rounded to the nearest second; instants out of order count as nothing.
    assert_eq!(call(Some(1_499), None, None, 2_000), d(1, 1, 0));
    assert_eq!(call(Some(5_000), None, None, 1_000), d(5, 0, 0));
}

#[test]
fn receivers_global_first_each_url_once() {
    let global = urls(&["http://crm/start"], &["http://crm/end"]);
    let own = urls(&[], &["http://partner/end", "http://crm/end"]);
    let to = Receivers {
        global: &global,
        campaign: &own,
    };
    assert_eq!(to.urls(WebhookKind::CallStart), ["http://crm/start"]);
    assert_eq!(
        to.urls(WebhookKind::CallEnd),
        ["http://crm/end", "http://partner/end"]
    );
    let none = WebhookUrls::default();
    let only_own = Receivers {
        global: &none,
        campaign: &own,
    };
    assert_eq!(only_own.urls(WebhookKind::CallStart), Vec::<&str>::new());
}

#[test]
fn call_start_names_the_call_and_the_contact() {
    let global = urls(&["http://crm/start", "https://b/start"], &[]);
    let none = WebhookUrls::default();
    let to = Receivers {
        global: &global,
        campaign: &none,
    };
    let v = vars();
    let a = NewAttempt {
        uuid: "u-1".into(),
        phone: "+79001000001".into(),
        node: "fs1".into(),
        gateway: "demo".into(),
        started_at: at(0),
    };
    let rows = call_start(to, &subject(&v), &a);
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .all(|r| r.event_id == "u-1.call_start" && r.kind == WebhookKind::CallStart));
    assert_eq!(rows[0].body, rows[1].body, "one event, one body");
    let j = json(&rows[0].body);
    assert_eq!(j["event"], "call_start");
    assert_eq!(j["event_id"], "u-1.call_start");
    assert_eq!(j["call_uuid"], "u-1");
    assert_eq!(j["number"], "+79001000001");
    assert_eq!(
        j["campaign"],
        serde_json::json!({"id": 3, "name": "debtors"})
    );
    assert_eq!(j["contact"]["name"], "Иванов Иван");
    assert_eq!(j["contact"]["vars"]["BALANCE"], "-68.27");
    assert_eq!(j["started_at"], "2026-01-01T00:00:00.000Z");
    assert_eq!(
        (j["node"].as_str(), j["gateway"].as_str()),
        (Some("fs1"), Some("demo"))
    );
    // Nobody to tell: no rows.
    let quiet = Receivers {
        global: &none,
        campaign: &none,
    };
    assert!(call_start(quiet, &subject(&v), &a).is_empty());
}

fn ended<'a>(result: &'a AttemptResult, update: &'a ContactUpdate, t: Timeline) -> Ended<'a> {
    Ended {
        attempt_id: 7,
        call_uuid: "u-7",
        number: "+79001000007",
        timeline: t,
        result,
        contact: update,
    }
}

#[test]
fn call_end_of_an_answered_call_bridged_and_recorded() {
    let global = urls(&[], &["http://crm/end"]);
    let none = WebhookUrls::default();
    let to = Receivers {
        global: &global,
        campaign: &none,
    };
    let result = AttemptResult {
        answered_at: Some(at(3_000)),
        ended_at: at(75_000),
        hangup_cause: Some("NORMAL_CLEARING".into()),
        sip_code: Some(200),
        disposition: Disposition::Transferred,
        billsec: 72,
        digits: "1".into(),
        recording: Some("/var/lib/freeswitch/recordings/u-7.wav".into()),
        tags: vec!["promise".into()],
        trace: vec![],
        campaign_streak: StreakStep::Reset,
    };
    let update = ContactUpdate {
        status: ContactStatus::Done,
        attempts: 1,
        technical_streak: 0,
        next_attempt_at: None,
    };
    let t = Timeline {
        started_at: at(0),
        answered_at: Some(at(3_000)),
        bridged_at: Some(at(15_000)),
        unbridged_at: None,
        ended_at: at(75_000),
    };
    let v = vars();
    let rows = call_end(to, &subject(&v), &ended(&result, &update, t));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].event_id, "u-7.call_end");
    let j = json(&rows[0].body);
    assert_eq!(j["event"], "call_end");
    assert_eq!(j["attempt_id"], 7);
    assert_eq!(j["disposition"], "transferred");
    assert_eq!(j["hangup_cause"], "NORMAL_CLEARING");
    assert_eq!(j["sip_code"], 200);
    assert_eq!(
        (
            j["ring_seconds"].as_u64(),
            j["ivr_seconds"].as_u64(),
            j["talk_seconds"].as_u64()
        ),
        (Some(3), Some(12), Some(60))
    );
    assert_eq!(j["billsec"], 72);
    assert_eq!(j["recording"], "/var/lib/freeswitch/recordings/u-7.wav");
    assert_eq!(j["digits"], "1");
    assert_eq!(j["tags"], serde_json::json!(["promise"]));
    assert_eq!(j["answered_at"], "2026-01-01T00:00:03.000Z");
    assert_eq!(j["contact"]["vars"]["CONTRACT"], "A-17");
    assert_eq!(j["contact"]["status"], "done");
    assert!(
        j["contact"].get("next_attempt_at").is_none(),
        "final: no next attempt"
    );
}

#[test]
fn call_end_of_a_busy_call_with_a_retry() {
    let own = urls(&[], &["http://campaign/end"]);
    let none = WebhookUrls::default();
    let to = Receivers {
        global: &none,
        campaign: &own,
    };
    let result = AttemptResult {
        answered_at: None,
        ended_at: at(6_000),
        hangup_cause: Some("USER_BUSY".into()),
        sip_code: Some(486),
        disposition: Disposition::Busy,
        billsec: 0,
        digits: String::new(),
        recording: None,
        tags: vec![],
        trace: vec![],
        campaign_streak: StreakStep::Reset,
    };
    let update = ContactUpdate {
        status: ContactStatus::Pending,
        attempts: 1,
        technical_streak: 0,
        next_attempt_at: Some(at(1_806_000)),
    };
    let t = Timeline {
        started_at: at(0),
        answered_at: None,
        bridged_at: None,
        unbridged_at: None,
        ended_at: at(6_000),
    };
    let v = vars();
    let rows = call_end(to, &subject(&v), &ended(&result, &update, t));
    assert_eq!(rows[0].url, "http://campaign/end");
    let j = json(&rows[0].body);
    assert_eq!(j["disposition"], "busy");
    assert_eq!(j["sip_code"], 486);
    assert_eq!(
        (
            j["ring_seconds"].as_u64(),
            j["ivr_seconds"].as_u64(),
            j["talk_seconds"].as_u64()
        ),
        (Some(6), Some(0), Some(0))
    );
    assert!(j["answered_at"].is_null() && j["recording"].is_null());
    assert_eq!(j["contact"]["status"], "pending");
    assert_eq!(j["contact"]["next_attempt_at"], "2026-01-01T00:30:06.000Z");
}
