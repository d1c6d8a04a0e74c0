//! outcall's own `esl` client against the simulator: event subscriptions in plain, json and
//! xml, nixevent, noevents, filters and filter delete, and linger on an outbound session.

#[path = "sim_support/mod.rs"]
mod support;

use outcall::esl::client::Error;
use outcall::esl::command::EventFormat;
use support::esl::{connect, inbound_session, name, names, next, until, var};
use support::sim;

use support::BASE_RULES as RULES;

#[tokio::test]
async fn event_formats_nixevent_and_noevents() {
    let sim = sim(RULES, 100.0).await;
    let opts = outcall::esl::ClientOptions {
        events: vec![],
        ..support::esl::options()
    };
    let client = support::esl::connect_with(&sim, opts).await;
    let mut all = client.subscribe_all();
    let json = client
        .subscribe_events(EventFormat::Json, &["CHANNEL_ANSWER"])
        .await
        .unwrap();
    assert_eq!(json, "+OK event listener enabled json");
    let r = client.api(
        "originate",
        "{origination_uuid=e1}sofia/gateway/demo/1030 &park()",
    );
    assert_eq!(r.await.unwrap(), "+OK e1\n");
    let ev = next(&mut all).await;
    assert_eq!(ev.format(), EventFormat::Json);
    assert_eq!(name(&ev), "CHANNEL_ANSWER");
    assert_eq!(var(&ev, "origination_uuid").as_deref(), Some("e1"));
    let xml = client
        .subscribe_events(EventFormat::Xml, &["CHANNEL_HANGUP"])
        .await
        .unwrap();
    assert_eq!(xml, "+OK event listener enabled xml");
    let nixed = client.nixevent(&["CHANNEL_ANSWER"]).await.unwrap();
    assert_eq!(nixed, "+OK events nixed");
    client.api("uuid_kill", "e1 CALL_REJECTED").await.unwrap();
    let ev = next(&mut all).await;
    assert_eq!(ev.format(), EventFormat::Xml);
    assert_eq!(name(&ev), "CHANNEL_HANGUP");
    assert_eq!(ev.hangup_cause().as_deref(), Some("CALL_REJECTED"));
    // CHANNEL_ANSWER was nixed: the next call's first event is its CHANNEL_HANGUP.
    let r = client.api(
        "originate",
        "{origination_uuid=e2}sofia/gateway/demo/1031 &park()",
    );
    assert_eq!(r.await.unwrap(), "+OK e2\n");
    client.api("uuid_kill", "e2").await.unwrap();
    let ev = next(&mut all).await;
    assert_eq!(
        (name(&ev), ev.unique_id().as_deref()),
        ("CHANNEL_HANGUP".into(), Some("e2"))
    );
    let r = client.noevents().await.unwrap();
    assert_eq!(r, "+OK no longer listening for events");
    let err = client.nixevent(&["CHANNEL_HANGUP"]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Failed(t) if t == "-ERR not listening for events"),
        "{err:?}"
    );
    let err = client.linger(None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Failed(t) if t == "-ERR not controlling a session"),
        "{err:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn filters_narrow_the_subscription() {
    let sim = sim(RULES, 100.0).await;
    let client = connect(&sim).await;
    let mut all = client.subscribe_all();
    let r = client.filter("Unique-ID", "f2").await.unwrap();
    assert_eq!(r, "+OK filter added. [Unique-ID]=[f2]");
    // api originate (not bgapi: BACKGROUND_JOB has no Unique-ID and would be filtered out).
    for (u, d) in [("f1", "1040"), ("f2", "1041")] {
        let args = format!("{{origination_uuid={u}}}sofia/gateway/demo/{d} &park()");
        assert_eq!(
            client.api("originate", &args).await.unwrap(),
            format!("+OK {u}\n")
        );
    }
    let evs = until(&mut all, |e| {
        e.event_name().as_deref() == Some("CHANNEL_PARK")
    })
    .await;
    assert!(
        evs.iter().all(|e| e.unique_id().as_deref() == Some("f2")),
        "{:?}",
        names(&evs)
    );
    let r = client.filter_delete("Unique-ID", Some("f2")).await.unwrap();
    assert_eq!(r, "+OK filter deleted. [Unique-ID][f2]");
    client.api("uuid_kill", "f1").await.unwrap();
    let evs = until(&mut all, |e| {
        e.unique_id().as_deref() == Some("f1")
            && e.event_name().as_deref() == Some("CHANNEL_HANGUP")
    })
    .await;
    let hangup = evs.last().unwrap();
    assert_eq!(hangup.hangup_cause().as_deref(), Some("NORMAL_CLEARING"));
    sim.shutdown().await;
}

#[tokio::test]
async fn outbound_linger_keeps_events_after_hangup() {
    let sim = sim(RULES, 100.0).await;
    let mut session = inbound_session(&sim, "1001").await;
    let uuid = session.uuid().to_string();
    session.myevents(EventFormat::Plain).await.unwrap();
    assert_eq!(session.linger(None).await.unwrap(), "+OK will linger");
    let control = connect(&sim).await;
    assert_eq!(control.api("uuid_kill", &uuid).await.unwrap(), "+OK\n");
    // The linger notice does not end the session: HANGUP_COMPLETE and DESTROY still come.
    let evs = until(session.events(), |e| {
        e.event_name().as_deref() == Some("CHANNEL_DESTROY")
    })
    .await;
    let n = names(&evs);
    let hangup = n.iter().position(|e| e == "CHANNEL_HANGUP").unwrap();
    let complete = n
        .iter()
        .position(|e| e == "CHANNEL_HANGUP_COMPLETE")
        .unwrap();
    assert!(hangup < complete, "{n:?}");
    assert!(session.client().disconnect_reason().is_none());
    session.exit().await.unwrap();
    sim.shutdown().await;
}
