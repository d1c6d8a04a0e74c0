//! Session-level protocol behaviour of the simulator: auth, replies to unknown commands and
//! APIs, event formats, filters, exit and the goodbye notice, outbound `connect` data.

#[path = "sim_support/mod.rs"]
mod support;

use support::{sim, Client};

#[tokio::test]
async fn auth_rules_like_freeswitch() {
    let sim = sim("", 100.0).await;
    let mut c = Client::connect(sim.addr()).await;
    assert_eq!(c.frame().await.unwrap().content_type(), "auth/request");
    let r = c.command("api status").await;
    assert_eq!(r.get("Reply-Text"), Some("-ERR command not found"));
    let r = c.command("auth wrong").await;
    assert_eq!(r.get("Reply-Text"), Some("-ERR invalid"));
    let notice = c.frame().await.unwrap();
    assert_eq!(notice.content_type(), "text/disconnect-notice");
    assert_eq!(
        notice.body_text(),
        "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
    );
    assert!(c.frame().await.is_none(), "closed after the notice");
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_commands_and_apis() {
    let sim = sim("", 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    let r = c.command("frobnicate now").await;
    assert_eq!(r.get("Reply-Text"), Some("-ERR command not found"));
    assert_eq!(
        c.api("frobnicate").await,
        "-ERR frobnicate Command not found!\n"
    );
    assert_eq!(c.api("reloadxml").await, "+OK [Success]\n");
    assert!(c.api("version").await.starts_with("FreeSWITCH Version"));
    assert!(c.api("status").await.contains("session(s) since startup"));
    assert_eq!(c.api("show channels as json").await, "{\"row_count\":0}\n");
    let r = c.command("event").await;
    assert_eq!(r.get("Reply-Text"), Some("-ERR no keywords supplied"));
    let r = c.command("nixevent CHANNEL_ANSWER").await;
    assert_eq!(r.get("Reply-Text"), Some("-ERR not listening for events"));
    let r = c.command("linger").await;
    assert_eq!(r.get("Reply-Text"), Some("-ERR not controlling a session"));
    let r = c.command("filter Unique-ID abc").await;
    assert_eq!(
        r.get("Reply-Text"),
        Some("+OK filter added. [Unique-ID]=[abc]")
    );
    let r = c.command("exit").await;
    assert_eq!(r.get("Reply-Text"), Some("+OK bye"));
    assert_eq!(
        c.frame().await.unwrap().content_type(),
        "text/disconnect-notice"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn json_events_and_show_channels() {
    let sim = sim("", 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    let r = c.command("event json CHANNEL_ANSWER").await;
    assert_eq!(r.get("Reply-Text"), Some("+OK event listener enabled json"));
    c.send("bgapi originate {origination_uuid=j1}sofia/gateway/demo/42 &park()\n\n")
        .await;
    let f = loop {
        let f = c.frame().await.expect("json event");
        if f.content_type() == "text/event-json" {
            break f;
        }
    };
    let v: serde_json::Value = serde_json::from_slice(&f.body).expect("valid json");
    assert_eq!(v["Event-Name"], "CHANNEL_ANSWER");
    assert_eq!(v["Unique-ID"], "j1");
    assert_eq!(v["variable_origination_uuid"], "j1");
    let body = c.api("show channels as json").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["row_count"], 1);
    assert_eq!(v["rows"][0]["uuid"], "j1");
    assert_eq!(c.api("uuid_setvar j1 foo bar baz").await, "+OK\n");
    assert_eq!(c.api("uuid_getvar j1 foo").await, "bar baz");
    assert_eq!(c.api("uuid_getvar j1 nope").await, "_undef_");
    assert_eq!(
        c.api("uuid_record j1 start /tmp/r.wav").await,
        "+OK Success\n"
    );
    assert_eq!(
        c.api("uuid_record j1 stop /tmp/r.wav").await,
        "+OK Success\n"
    );
    assert_eq!(
        c.api("uuid_record j1 stop /tmp/r.wav").await,
        "-ERR Cannot stop record session!\n"
    );
    assert_eq!(
        c.api("uuid_broadcast j1 /tmp/x.wav aleg").await,
        "+OK Message sent\n"
    );
    assert!(c.api("hupall").await.starts_with("+OK hangup all channels"));
    assert_eq!(c.api("uuid_kill nope").await, "-ERR No such channel!\n");
    sim.shutdown().await;
}
