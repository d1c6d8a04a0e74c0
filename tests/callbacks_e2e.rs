//! Callback jobs end to end against the simulator on tokio's paused clock: sequential and
//! parallel managers, the text's repeats (auto-connect under 16, hang up from 16 without a key),
//! the manager's keys (708 before the client, postpone, cancel recalls after the call, info and
//! `#`), the client not answering and the recall. Trunk failover: tests/callbacks_trunks.rs;
//! crashes, webhook delivery and PostgreSQL: tests/callbacks_durable.rs.

#[path = "callback_support/mod.rs"]
mod cb;
#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use cb::*;
use outcall::callback::record::Side;
use outcall::callback::{CallbackStatus, JobState};
use serde_json::json;
use support::*;

#[tokio::test(start_paused = true)]
async fn sequential_managers_then_the_client_bridged() {
    let w = World::new(RULES, None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(
        &w,
        json!({
            "managers": "+79161110001_+79161110002",
            "status_url": "http://site.test/status",
            "log_url": "http://site.test/log",
        }),
    )
    .await;
    let (r, l) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!((r.status, r.status_code), (CallbackStatus::Completed, 200));
    assert_eq!(r.manager.as_deref(), Some("+79161110002"));
    assert!(
        r.talk_ms.unwrap() >= 19_000,
        "about 20 s of talk: {:?}",
        r.talk_ms
    );
    assert!(r
        .recording
        .as_deref()
        .unwrap()
        .ends_with(&format!("callback-{id}-1.wav")));
    assert_eq!(
        legs(&l),
        vec![
            (
                Side::Manager,
                "79161110001".into(),
                "t1".into(),
                "USER_BUSY".into()
            ),
            (
                Side::Manager,
                "79161110002".into(),
                "t1".into(),
                "NORMAL_CLEARING".into()
            ),
            (
                Side::Client,
                "77011112233".into(),
                "t1".into(),
                "NORMAL_CLEARING".into()
            ),
        ]
    );
    assert!(l[1].answered_at.is_some() && l[2].answered_at.is_some() && l[0].answered_at.is_none());
    // Caller ID by location: a Russian manager and a Kazakh client each see their location's number.
    assert_eq!(
        (l[1].caller_id.as_str(), l[2].caller_id.as_str()),
        ("+74950000001", "+77170000004")
    );
    let h = hooks(&w, id).await;
    assert_eq!(h.len(), 2, "{h:?}");
    let status = h.iter().find(|x| x.0 == "callback_status").unwrap();
    assert_eq!(status.1, "http://site.test/status");
    assert_eq!(
        (
            status.2["status"].as_str(),
            status.2["status_code"].as_u64()
        ),
        (Some("completed"), Some(200))
    );
    let log = h.iter().find(|x| x.0 == "callback_log").unwrap();
    assert_eq!(log.1, "http://site.test/log");
    assert_eq!(log.2["legs"].as_array().unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn parallel_managers_first_answer_wins_the_others_lose_the_race() {
    let w = World::new(RULES, None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(
        &w,
        json!({
            "managers": ["+79161110003", "+79161110002", "+79161110001"],
            "dial_mode": "parallel",
        }),
    )
    .await;
    let (r, l) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    assert_eq!(r.manager.as_deref(), Some("+79161110002"));
    let by = |n: &str| {
        l.iter()
            .find(|x| x.number == n && x.side == Side::Manager)
            .unwrap()
    };
    assert_eq!(
        by("+79161110003").cause.as_deref(),
        Some("LOSE_RACE"),
        "the slower one is hung up by the switch"
    );
    assert!(by("+79161110003").answered_at.is_none());
    assert_eq!(by("+79161110001").cause.as_deref(), Some("USER_BUSY"));
    assert!(by("+79161110002").answered_at.is_some());
    let started: Vec<_> = l
        .iter()
        .filter(|x| x.side == Side::Manager)
        .map(|x| x.started_at)
        .collect();
    assert!(
        started.windows(2).all(|p| p[0] == p[1]),
        "all managers rung at once"
    );
}

const TALK_5: &str = "{ result = \"answer\", ring = 3.0, hangup_after = 5.0 }";

/// The keys of the tests below.
fn smartcall(extra: serde_json::Value) -> serde_json::Value {
    let mut v = json!({
        "managers": "+79162220001",
        "connect_digit": "5",
        "cancel_digit": "7",
        "postpone_digit": "8",
        "cancel_recalls_digit": "9",
        "recall_intervals": [120],
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// How many times each text was spoken on the switch (CHANNEL_EXECUTE_COMPLETE of `speak`).
async fn spoken(
    watch: &mut outcall::esl::client::EventStream,
    w: &World,
    until: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    use futures::StreamExt;
    let mut texts = Vec::new();
    let collect = async {
        while !until(&texts) {
            let Some(ev) = watch.next().await else { break };
            if ev.event_name().as_deref() == Some("CHANNEL_EXECUTE_COMPLETE")
                && ev.get("Application").as_deref() == Some("speak")
            {
                let data = ev.get("Application-Data").unwrap_or_default().to_string();
                texts.push(data.splitn(3, '|').nth(2).unwrap_or_default().to_string());
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(60), collect).await;
    let _ = w;
    texts
}

#[tokio::test(start_paused = true)]
async fn under_16_repeats_the_client_is_connected_after_them() {
    let w = World::new(&pressing(&[&[]], TALK_5), None).await;
    let mut watch = switch_watcher(&w, &["CHANNEL_EXECUTE_COMPLETE"]).await;
    let _e = w.engine("cb", 100).await;
    let id = post(
        &w,
        smartcall(json!({ "repeats": 3, "text": "Звонок с сайта" })),
    )
    .await;
    let texts = spoken(&mut watch, &w, |t| t.len() >= 4).await;
    assert_eq!(
        texts,
        [
            "Звонок с сайта",
            "Звонок с сайта",
            "Звонок с сайта",
            "Звонок клиенту"
        ]
    );
    let (r, l) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    assert_eq!(l.iter().filter(|x| x.side == Side::Client).count(), 1);
}

#[tokio::test(start_paused = true)]
async fn from_16_repeats_without_a_key_the_manager_is_hung_up() {
    let w = World::new(&pressing(&[&[]], TALK_5), None).await;
    let mut watch = switch_watcher(&w, &["CHANNEL_EXECUTE_COMPLETE"]).await;
    let _e = w.engine("cb", 100).await;
    let id = post(
        &w,
        smartcall(json!({ "repeats": 16, "text": "Ждите", "recall_intervals": [] })),
    )
    .await;
    let (r, l) = settled(&w, id, 1, JobState::Done, 10 * MINUTE).await;
    assert_eq!(
        (r.status, r.status_code),
        (CallbackStatus::ManagerNoConfirmation, 706)
    );
    assert!(
        l.iter().all(|x| x.side == Side::Manager),
        "the client is never dialled"
    );
    let texts = spoken(&mut watch, &w, |t| t.len() >= 16).await;
    assert_eq!(texts.len(), 16);
    assert!(texts.iter().all(|t| t == "Ждите"));
}

#[tokio::test(start_paused = true)]
async fn cancel_key_before_the_client_is_708_and_stops_recalls() {
    let w = World::new(&pressing(&[&[(2.0, "7")]], TALK_5), None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(
        &w,
        smartcall(json!({ "repeats": 5, "status_url": "http://site.test/s" })),
    )
    .await;
    let (r, l) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(
        (r.status, r.status_code),
        (CallbackStatus::CancelledByManager, 708)
    );
    assert!(r.recalls_cancelled);
    assert_eq!(r.digits, "7");
    assert!(
        l.iter().all(|x| x.side == Side::Manager),
        "the client is never dialled"
    );
    let h = hooks(&w, id).await;
    assert_eq!(h[0].2["status_code"], json!(708));
    // Nothing more happens: no recall.
    _e.handle.step(3).await;
    assert_eq!(job(&w, id).await.0.calls, 1);
}

#[tokio::test(start_paused = true)]
async fn postpone_key_recalls_after_the_interval() {
    let w = World::new(&pressing(&[&[(2.0, "8")], &[(1.0, "5")]], TALK_5), None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(&w, smartcall(json!({ "repeats": 20 }))).await;
    let (r, _) = settled(&w, id, 1, JobState::Pending, 5 * MINUTE).await;
    assert_eq!((r.status, r.status_code), (CallbackStatus::Postponed, 300));
    let due = r.next_attempt_at - r.updated_at;
    assert_eq!(due.num_seconds(), 120, "the recall interval");
    let (r, l) = settled(&w, id, 2, JobState::Done, 10 * MINUTE).await;
    assert_eq!(
        r.status,
        CallbackStatus::Completed,
        "the recall connects on key 5"
    );
    assert_eq!(
        l.iter()
            .filter(|x| x.call_no == 2 && x.side == Side::Client)
            .count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn after_the_client_call_the_manager_postpones_or_cancels_recalls() {
    // Answer at 0; text 1..3 s; connect at 1 s; delay 3 s, phrase ~1 s, client rings 3 s,
    // talks 5 s: the client call is over by about 15 s. The manager presses 8 at 20 s.
    let w = World::new(
        &pressing(
            &[&[(1.0, "5"), (20.0, "8")], &[(1.0, "5"), (20.0, "9")]],
            TALK_5,
        ),
        None,
    )
    .await;
    let _e = w.engine("cb", 100).await;
    let id = post(&w, smartcall(json!({ "repeats": 20 }))).await;
    let (r, _) = settled(&w, id, 1, JobState::Pending, 5 * MINUTE).await;
    assert_eq!(
        r.status,
        CallbackStatus::Postponed,
        "postponed after talking"
    );
    assert!(r.talk_ms.unwrap() >= 4_000);
    let (r, _) = settled(&w, id, 2, JobState::Done, 10 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    assert!(
        r.recalls_cancelled,
        "key 9 after the call cancels later recalls"
    );
    assert_eq!(r.digits, "59");
}

#[tokio::test(start_paused = true)]
async fn info_is_spoken_on_its_key_or_by_itself_with_hash() {
    let w = World::new(&pressing(&[&[(0.2, "3")], &[]], TALK_5), None).await;
    let mut watch = switch_watcher(&w, &["CHANNEL_EXECUTE_COMPLETE"]).await;
    let _e = w.engine("cb", 100).await;
    let info = "Иван, Лада Веста";
    let id = post(&w, smartcall(json!({ "repeats": 2, "text": "Звонок", "info": info, "info_digit": "3", "connect_digit": null }))).await;
    let texts = spoken(&mut watch, &w, |t| t.iter().any(|x| x == "Звонок клиенту")).await;
    assert_eq!(
        texts,
        ["Звонок", info, "Звонок", "Звонок клиенту"],
        "info after the repeat it was asked in"
    );
    settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    let id = post(
        &w,
        smartcall(json!({ "repeats": 2, "text": "Звонок", "info": info, "info_digit": "#" })),
    )
    .await;
    let texts = spoken(&mut watch, &w, |t| t.iter().any(|x| x == "Звонок клиенту")).await;
    assert_eq!(
        texts,
        ["Звонок", info, "Звонок", "Звонок клиенту"],
        "# speaks it once, by itself"
    );
    settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
}

#[tokio::test(start_paused = true)]
async fn client_no_answer_is_recalled_after_the_interval() {
    let rules = pressing(
        &[&[], &[]],
        "{ result = \"no_answer\" }, { result = \"answer\", ring = 1.0, hangup_after = 5.0 }",
    );
    let w = World::new(&rules, None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(&w, json!({ "managers": "+79162220001", "recall_intervals": [300], "status_url": "http://site.test/s" })).await;
    let (r, l) = settled(&w, id, 1, JobState::Pending, 5 * MINUTE).await;
    assert_eq!(
        (r.status, r.status_code),
        (CallbackStatus::ClientNoAnswer, 704)
    );
    assert_eq!(l.last().unwrap().cause.as_deref(), Some("NO_ANSWER"));
    assert_eq!((r.next_attempt_at - r.updated_at).num_seconds(), 300);
    let (r, _) = settled(&w, id, 2, JobState::Done, 15 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    let statuses: Vec<_> = hooks(&w, id)
        .await
        .into_iter()
        .map(|h| h.2["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses,
        ["client_no_answer", "completed"],
        "one status webhook per call"
    );
}

#[tokio::test(start_paused = true)]
async fn extension_keys_are_sent_after_their_delay() {
    use futures::StreamExt;
    let w = World::new(&pressing(&[&[]], TALK_5), None).await;
    let mut watch = switch_watcher(&w, &["CHANNEL_EXECUTE_COMPLETE"]).await;
    let _e = w.engine("cb", 100).await;
    let id = post(
        &w,
        json!({ "managers": "+79162220001", "extension": "101#", "extension_delay_ms": 2000 }),
    )
    .await;
    let sent = async {
        while let Some(ev) = watch.next().await {
            if ev.get("Application").as_deref() == Some("send_dtmf") {
                return ev.get("Application-Data").map(|d| d.into_owned());
            }
        }
        None
    };
    let sent = tokio::time::timeout(Duration::from_secs(60), sent)
        .await
        .ok()
        .flatten();
    assert_eq!(sent.as_deref(), Some("101#"));
    let (r, _) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
}
