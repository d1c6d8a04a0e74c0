//! One number, one call, across campaigns and callback jobs, end to end on tokio's paused clock:
//! a campaign contact whose phone is a live callback's manager waits until that call is over;
//! a callback job whose client is in a campaign call rings nobody, waits as `number_in_call`
//! without the call counting, and is called once the number is free.

#[path = "callback_support/mod.rs"]
mod cb;
#[path = "engine_support/mod.rs"]
mod support;

use cb::*;
use outcall::callback::record::Side;
use outcall::callback::{CallbackStatus, JobState};
use outcall::model::ContactStatus;
use serde_json::json;
use support::*;

const MANAGER: &str = "+79162220001";

/// The manager answers after 1 s (each time); the client after 1 s and talks `talk` seconds.
fn rules(talk: u32) -> String {
    pressing(
        &[&[], &[]],
        &format!("{{ result = \"answer\", ring = 1.0, hangup_after = {talk}.0 }}"),
    )
}

#[tokio::test(start_paused = true)]
async fn a_contact_whose_phone_is_in_a_callback_waits_for_it() {
    let w = World::new(&rules(600), None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(&w, json!({ "managers": MANAGER })).await;
    w.until("bridged", 5 * MINUTE, || async {
        job(&w, id).await.0.status == CallbackStatus::Connected
    })
    .await;
    let toml = campaign_toml("numbers", 5, 3, "");
    let camp = w.campaign(&toml, &[("Manager", MANAGER)]).await;
    // A simulated minute of passes while the manager talks (the contact is tried, refused and
    // due again in 30 s): it is not dialled.
    w.pass_time(MINUTE.mul_f64(1.0 / SCALE)).await;
    assert!(
        w.attempts(camp).await.is_empty(),
        "no attempt while in the callback"
    );
    let c = w.contact(camp, MANAGER).await;
    assert_eq!((c.status, c.attempts), (ContactStatus::Pending, 0), "{c:?}");
    let (r, _) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    w.until(
        "the contact called after the callback",
        5 * MINUTE,
        || async { !w.attempts(camp).await.is_empty() },
    )
    .await;
    let (_, legs) = job(&w, id).await;
    let manager_end = legs[0].ended_at.expect("closed");
    let first = w.store.campaign_attempts(camp).await.unwrap().remove(0);
    assert!(
        first.started_at >= manager_end,
        "never at once: {legs:?} {first:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_callback_whose_client_is_in_a_campaign_call_waits_uncounted() {
    let w = World::new(&rules(20), None).await;
    let toml = campaign_toml("numbers", 5, 3, "");
    let camp = w.campaign(&toml, &[("Client", CLIENT)]).await;
    let _e = w.engine("cb", 100).await;
    w.until("the contact is in a call", MINUTE, || async {
        w.sim.stats().channels_now == 1 && !w.attempts(camp).await.is_empty()
    })
    .await;
    let id = post(
        &w,
        json!({ "managers": MANAGER, "status_url": "http://site.test/s" }),
    )
    .await;
    w.until("the job waits", MINUTE, || async {
        job(&w, id).await.0.status == CallbackStatus::NumberInCall
    })
    .await;
    let (r, legs) = job(&w, id).await;
    assert_eq!(
        (r.state, r.calls, r.status_code),
        (JobState::Pending, 0, 105)
    );
    assert!(legs.is_empty(), "the manager was not rung: {legs:?}");
    assert!(hooks(&w, id).await.is_empty(), "not a call: no webhook");
    let (r, legs) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    let sides: Vec<(u32, Side)> = legs.iter().map(|l| (l.call_no, l.side)).collect();
    assert_eq!(sides, [(1, Side::Manager), (1, Side::Client)]);
    let attempt = w.store.campaign_attempts(camp).await.unwrap().remove(0);
    let ended = attempt.ended_at.expect("the campaign call ended");
    assert!(
        legs[0].started_at >= ended,
        "never at once: {attempt:?} {legs:?}"
    );
    assert_eq!(hooks(&w, id).await.len(), 1, "one call, one status webhook");
}
