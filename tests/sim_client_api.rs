//! outcall's own `esl` client against the simulator: every API (originate and its variables,
//! destinations and apps, uuid_* call control, status, version, show channels, hupall, fsctl,
//! an unknown API), bgapi with a chosen Job-UUID, and event subscriptions (plain, json, xml),
//! filters, nixevent, noevents and linger, with the values PROTOCOL.md says FreeSWITCH gives.

#[path = "sim_support/mod.rs"]
mod support;

use support::esl::{connect, get, name, named, names, park, until, var};
use support::sim;

use support::BASE_RULES as RULES;

#[tokio::test]
async fn originate_with_variables_and_a_chosen_job_uuid() {
    let sim = sim(RULES, 100.0).await;
    let client = connect(&sim).await;
    let mut ch = client.channel_events("o1");
    let args = "{origination_uuid=o1,origination_caller_id_number=74950001122}[leg_var=x]sofia/gateway/demo/1001 &park()";
    let job = client
        .bgapi_start("originate", args, Some("my-job-1"))
        .await
        .unwrap();
    assert_eq!(job.job_uuid, "my-job-1");
    let res = job.wait().await.unwrap();
    assert_eq!(res.body, "+OK o1\n");
    assert_eq!(res.outcome(), Ok("o1"));
    assert_eq!(get(&res.event, "Job-UUID").as_deref(), Some("my-job-1"));
    assert_eq!(get(&res.event, "Job-Command").as_deref(), Some("originate"));
    assert_eq!(get(&res.event, "Job-Command-Arg").as_deref(), Some(args));
    let evs = until(&mut ch, |e| {
        e.event_name().as_deref() == Some("CHANNEL_PARK")
    })
    .await;
    let want: Vec<&str> = support::ANSWERED_ORDER
        .iter()
        .copied()
        .filter(|n| *n != "BACKGROUND_JOB")
        .collect();
    assert_eq!(names(&evs), want);
    let answer = evs.iter().find(|e| name(e) == "CHANNEL_ANSWER").unwrap();
    assert_eq!(
        get(answer, "Caller-Caller-ID-Number").as_deref(),
        Some("74950001122")
    );
    assert_eq!(
        get(answer, "Caller-Destination-Number").as_deref(),
        Some("1001")
    );
    assert_eq!(get(answer, "Answer-State").as_deref(), Some("answered"));
    assert_eq!(var(answer, "leg_var").as_deref(), Some("x"));
    assert_eq!(client.api("uuid_getvar", "o1 leg_var").await.unwrap(), "x");
    assert_eq!(client.api("uuid_exists", "o1").await.unwrap(), "true");
    assert_eq!(client.api("uuid_kill", "o1").await.unwrap(), "+OK\n");
    let hc = named(&mut ch, "CHANNEL_HANGUP_COMPLETE").await;
    assert_eq!(hc.hangup_cause().as_deref(), Some("NORMAL_CLEARING"));
    assert_eq!(client.api("uuid_exists", "o1").await.unwrap(), "false");
    sim.shutdown().await;
}

#[tokio::test]
async fn originate_failures_timeout_and_playback_app() {
    let sim = sim(RULES, 100.0).await;
    let client = connect(&sim).await;
    let mut ch = client.channel_events("t1");
    let r = client
        .bgapi(
            "originate",
            "{origination_uuid=t1,originate_timeout=2}sofia/gateway/demo/4001 &park()",
        )
        .await
        .unwrap();
    assert_eq!(r.body, "-ERR NO_ANSWER\n");
    assert_eq!(r.outcome(), Err("NO_ANSWER"));
    let hc = named(&mut ch, "CHANNEL_HANGUP_COMPLETE").await;
    assert_eq!(hc.hangup_cause().as_deref(), Some("NO_ANSWER"));
    assert_eq!(var(&hc, "billsec").as_deref(), Some("0"));
    let r = client
        .bgapi("originate", "sofia/gateway/demo/5001 &park()")
        .await
        .unwrap();
    assert_eq!(r.body, "-ERR UNALLOCATED_NUMBER\n");
    // &playback(...): the app runs on answer, then the call clears.
    let mut ch = client.channel_events("p1");
    let r = client
        .bgapi(
            "originate",
            "{origination_uuid=p1}sofia/gateway/demo/1002 &playback(/sounds/hello.wav)",
        )
        .await
        .unwrap();
    assert_eq!(r.body, "+OK p1\n");
    let done = named(&mut ch, "CHANNEL_EXECUTE_COMPLETE").await;
    assert_eq!(done.application().as_deref(), Some("playback"));
    assert_eq!(
        done.application_data().as_deref(),
        Some("/sounds/hello.wav")
    );
    assert_eq!(done.application_response().as_deref(), Some("FILE PLAYED"));
    let hangup = named(&mut ch, "CHANNEL_HANGUP").await;
    assert_eq!(hangup.hangup_cause().as_deref(), Some("NORMAL_CLEARING"));
    sim.shutdown().await;
}

#[tokio::test]
async fn simultaneous_and_sequential_destinations() {
    let sim = sim(RULES, 100.0).await;
    let client = connect(&sim).await;
    let mut loser = client.channel_events("w2");
    let r = client
        .bgapi(
            "originate",
            "[origination_uuid=w1]sofia/gateway/demo/1004,[origination_uuid=w2]sofia/gateway/demo/4004 &park()",
        )
        .await
        .unwrap();
    assert_eq!(r.body, "+OK w1\n");
    let lost = named(&mut loser, "CHANNEL_HANGUP").await;
    assert_eq!(lost.hangup_cause().as_deref(), Some("LOSE_RACE"));
    let mut first = client.channel_events("s1");
    let r = client
        .bgapi(
            "originate",
            "[origination_uuid=s1]sofia/gateway/demo/5002|[origination_uuid=s2]sofia/gateway/demo/1005 &park()",
        )
        .await
        .unwrap();
    assert_eq!(r.body, "+OK s2\n");
    let failed = named(&mut first, "CHANNEL_HANGUP_COMPLETE").await;
    assert_eq!(failed.hangup_cause().as_deref(), Some("UNALLOCATED_NUMBER"));
    assert_eq!(client.api("uuid_exists", "s2").await.unwrap(), "true");
    assert_eq!(client.api("uuid_exists", "w1").await.unwrap(), "true");
    sim.shutdown().await;
}

#[tokio::test]
async fn call_control_apis() {
    let sim = sim(RULES, 100.0).await;
    let client = connect(&sim).await;
    let mut a = park(&client, "cc-a", "1010").await;
    assert_eq!(
        client
            .api("uuid_setvar", "cc-a color deep blue")
            .await
            .unwrap(),
        "+OK\n"
    );
    assert_eq!(
        client.api("uuid_getvar", "cc-a color").await.unwrap(),
        "deep blue"
    );
    assert_eq!(
        client.api("uuid_setvar", "cc-a color").await.unwrap(),
        "+OK\n"
    );
    assert_eq!(
        client.api("uuid_getvar", "cc-a color").await.unwrap(),
        "_undef_"
    );
    let gone = "-ERR No such channel!\n";
    assert_eq!(client.api("uuid_setvar", "nope a b").await.unwrap(), gone);
    assert_eq!(client.api("uuid_kill", "nope").await.unwrap(), gone);
    assert_eq!(
        client.api("uuid_send_dtmf", "cc-a 123").await.unwrap(),
        "+OK Success\n"
    );
    assert_eq!(
        client.api("uuid_send_dtmf", "nope 1").await.unwrap(),
        "-ERR no such session nope\n"
    );
    assert_eq!(
        client
            .api("uuid_broadcast", "cc-a /sounds/note.wav aleg")
            .await
            .unwrap(),
        "+OK Message sent\n"
    );
    let evs = until(&mut a, |e| e.application().as_deref() == Some("playback")).await;
    let ex = evs.last().unwrap();
    assert_eq!(name(ex), "CHANNEL_EXECUTE");
    assert_eq!(ex.application_data().as_deref(), Some("/sounds/note.wav"));
    assert_eq!(
        client.api("uuid_broadcast", "nope x.wav").await.unwrap(),
        "-ERR invalid uuid\n"
    );
    let rec = "cc-a start /tmp/cc-a.wav";
    assert_eq!(
        client.api("uuid_record", rec).await.unwrap(),
        "+OK Success\n"
    );
    let start = named(&mut a, "RECORD_START").await;
    assert_eq!(
        get(&start, "Record-File-Path").as_deref(),
        Some("/tmp/cc-a.wav")
    );
    let stop = "cc-a stop /tmp/cc-a.wav";
    assert_eq!(
        client.api("uuid_record", stop).await.unwrap(),
        "+OK Success\n"
    );
    let stopped = named(&mut a, "RECORD_STOP").await;
    assert_eq!(
        get(&stopped, "Record-File-Path").as_deref(),
        Some("/tmp/cc-a.wav")
    );
    // uuid_bridge two parked calls, then kill one with a cause.
    let mut b = park(&client, "cc-b", "1011").await;
    assert_eq!(
        client.api("uuid_bridge", "cc-a cc-b").await.unwrap(),
        "+OK cc-b\n"
    );
    assert_eq!(
        client.api("uuid_bridge", "cc-a nope").await.unwrap(),
        "-ERR Invalid uuid\n"
    );
    let bridge = named(&mut a, "CHANNEL_BRIDGE").await;
    assert_eq!(get(&bridge, "Bridge-A-Unique-ID").as_deref(), Some("cc-a"));
    assert_eq!(get(&bridge, "Bridge-B-Unique-ID").as_deref(), Some("cc-b"));
    assert_eq!(
        client.api("uuid_kill", "cc-b USER_BUSY").await.unwrap(),
        "+OK\n"
    );
    let hb = named(&mut b, "CHANNEL_HANGUP").await;
    assert_eq!(hb.hangup_cause().as_deref(), Some("USER_BUSY"));
    named(&mut a, "CHANNEL_UNBRIDGE").await;
    sim.shutdown().await;
}

#[tokio::test]
async fn status_version_show_channels_hupall_fsctl_unknown() {
    let sim = sim(RULES, 100.0).await;
    let client = connect(&sim).await;
    let status = client.api("status", "").await.unwrap();
    assert!(status.starts_with("UP 0 years, "), "{status}");
    assert!(
        status.contains("\n0 session(s) since startup\n"),
        "{status}"
    );
    let version = client.api("version", "").await.unwrap();
    assert!(
        version.starts_with("FreeSWITCH Version 1.11.1"),
        "{version}"
    );
    let empty = client.api("show", "channels").await.unwrap();
    assert!(empty.starts_with("uuid,direction,created,"), "{empty}");
    assert!(empty.ends_with("\n\n0 total.\n"), "{empty}");
    let mut h1 = park(&client, "h1", "1020").await;
    let mut h2 = park(&client, "h2", "1021").await;
    let text = client.api("show", "channels").await.unwrap();
    assert!(text.ends_with("\n\n2 total.\n"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("h1,outbound,")),
        "{text}"
    );
    let json = client.api("show", "channels as json").await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["row_count"], 2);
    assert_eq!(v["rows"][0]["uuid"], "h1");
    assert_eq!(v["rows"][1]["dest"], "1021");
    assert_eq!(v["rows"][1]["application"], "park");
    let status = client.api("status", "").await.unwrap();
    assert!(
        status.contains("\n2 session(s) since startup\n"),
        "{status}"
    );
    assert_eq!(
        client.api("hupall", "").await.unwrap(),
        "+OK hangup all channels with cause MANAGER_REQUEST\n"
    );
    for ch in [&mut h1, &mut h2] {
        let hc = named(ch, "CHANNEL_HANGUP_COMPLETE").await;
        assert_eq!(hc.hangup_cause().as_deref(), Some("MANAGER_REQUEST"));
    }
    assert_eq!(
        client.api("fsctl", "sps 5").await.unwrap(),
        "+OK sessions per second: 5\n"
    );
    assert_eq!(
        client.api("frobnicate", "now").await.unwrap(),
        "-ERR frobnicate Command not found!\n"
    );
    let job = client.bgapi("frobnicate", "").await.unwrap();
    assert_eq!(job.body, "-ERR frobnicate Command not found!\n");
    sim.shutdown().await;
}
