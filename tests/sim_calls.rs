//! The simulator's call behaviour over a raw socket: originate outcomes, the section 12 event
//! order, applications and their results, bridge, hangup causes, limits.

#[path = "sim_support/mod.rs"]
mod support;

use support::{sim, Client};

const EXTRA_RULES: &str = r#"

[[rule]]
prefix = "200"
outcome = [{ result = "answer", ring = 1.0, dtmf = "1", dtmf_on = "prompt", dtmf_after = 0.5 }]

[[rule]]
prefix = "300"
outcome = [{ result = "busy", ring = 1.0 }, { result = "answer", ring = 1.0 }]

[[rule]]
prefix = "600"
outcome = [{ result = "answer", ring = 1.0, hangup_after = 4.0 }]

[[rule]]
prefix = "700"
outcome = [{ result = "gateway_down" }]

[[rule]]
prefix = "800"
outcome = [{ result = "answer", ring = 1.0, dtmf = "12#", dtmf_after = 0.5 }]
"#;

fn rules() -> String {
    support::rules(EXTRA_RULES)
}

fn names(evs: &[support::Ev], uuid: &str) -> Vec<String> {
    evs.iter()
        .filter(|e| e.uuid() == uuid || e.name() == "BACKGROUND_JOB")
        .map(|e| e.name().to_string())
        .collect()
}

#[tokio::test]
async fn answered_call_follows_section_12_order() {
    let sim = sim(&rules(), 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain ALL").await;
    let r = c
        .command("bgapi originate {origination_uuid=a1,origination_caller_id_number=74950000000}sofia/gateway/demo/1001 &park()\nJob-UUID: j1\n\n")
        .await;
    assert_eq!(r.get("Reply-Text"), Some("+OK Job-UUID: j1"));
    let evs = c.events_until(|e| e.name() == "CHANNEL_PARK").await;
    let got = names(&evs, "a1");
    let want = support::ANSWERED_ORDER;
    assert_eq!(got, want);
    let job = evs.iter().find(|e| e.name() == "BACKGROUND_JOB").unwrap();
    assert_eq!(job.body, "+OK a1\n");
    assert_eq!(job.get("Job-Command"), Some("originate"));
    let answer = evs.iter().find(|e| e.name() == "CHANNEL_ANSWER").unwrap();
    assert_eq!(answer.get("Caller-Caller-ID-Number"), Some("74950000000"));
    assert_eq!(answer.get("Caller-Destination-Number"), Some("1001"));
    assert_eq!(answer.var("origination_uuid"), Some("a1"));

    let pb = c.run_app("a1", "playback", "/sounds/hello.wav").await;
    assert_eq!(pb.get("Application-Response"), Some("FILE PLAYED"));
    assert_eq!(c.api("uuid_kill a1").await, "+OK\n");
    let evs = c
        .events_until(|e| e.name() == "CHANNEL_HANGUP_COMPLETE" && e.uuid() == "a1")
        .await;
    let hc = evs.last().unwrap();
    assert_eq!(hc.get("Hangup-Cause"), Some("NORMAL_CLEARING"));
    for v in [
        "duration",
        "billsec",
        "answersec",
        "progresssec",
        "billmsec",
    ] {
        assert!(hc.var(v).is_some_and(|x| x.parse::<i64>().is_ok()), "{v}");
    }
    let num = |v: &str| hc.var(v).unwrap().parse::<i64>().unwrap();
    assert!(num("duration") >= num("billsec") && num("duration") >= num("answersec"));
    c.event_named("CHANNEL_DESTROY", "a1").await;
    let r = c.command("sendmsg a1\ncall-command: hangup\n\n").await;
    assert_eq!(r.get("Reply-Text"), Some("-ERR invalid session id [a1]"));
    assert_eq!(c.api("uuid_exists a1").await, "false");
    let st = sim.stats();
    assert_eq!(
        (st.originates, st.max_concurrent_channels, st.channels_now),
        (1, 1, 0)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn failures_give_freeswitch_causes() {
    let sim = sim(&rules(), 200.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain ALL").await;
    assert_eq!(
        c.originate("sofia/gateway/demo/3001 &park()").await,
        "-ERR USER_BUSY\n"
    );
    let second = c.originate("sofia/gateway/demo/3001 &park()").await;
    assert!(second.starts_with("+OK "), "{second}");
    assert_eq!(
        c.originate("sofia/gateway/demo/5001 &park()").await,
        "-ERR UNALLOCATED_NUMBER\n"
    );
    assert_eq!(
        c.originate("sofia/gateway/demo/7001 &park()").await,
        "-ERR GATEWAY_DOWN\n"
    );
    assert_eq!(
        c.originate("{originate_timeout=3}sofia/gateway/demo/4001 &park()")
            .await,
        "-ERR NO_ANSWER\n"
    );
    let busy = c
        .event_where(|e| {
            e.name() == "CHANNEL_HANGUP_COMPLETE" && e.get("Hangup-Cause") == Some("USER_BUSY")
        })
        .await;
    assert_eq!(busy.var("billsec"), Some("0"));
    assert_eq!(busy.var("sip_term_status"), Some("486"));
    assert_eq!(busy.var("proto_specific_hangup_cause"), Some("sip:486"));
    sim.shutdown().await;
}

#[tokio::test]
async fn kill_while_ringing_cancels_with_normal_clearing() {
    let sim = sim(&rules(), 50.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain CHANNEL_PROGRESS BACKGROUND_JOB")
        .await;
    c.command(
        "bgapi originate {origination_uuid=k1}sofia/gateway/demo/4002 &park()\nJob-UUID: jk\n\n",
    )
    .await;
    c.event_named("CHANNEL_PROGRESS", "k1").await;
    assert_eq!(c.api("uuid_kill k1").await, "+OK\n");
    let job = c.event_named("BACKGROUND_JOB", "").await;
    assert_eq!(job.body, "-ERR NORMAL_CLEARING\n");
    sim.shutdown().await;
}

#[tokio::test]
async fn menu_digits_and_read_results() {
    let sim = sim(&rules(), 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain ALL").await;
    let ok = c
        .originate("{origination_uuid=d1}sofia/gateway/demo/2001 &park()")
        .await;
    assert_eq!(ok, "+OK d1\n");
    let spoke = c.run_app("d1", "speak", "flite|kal|Hello there").await;
    assert_eq!(spoke.get("Application-Response"), Some("_none_"));
    let done = c
        .run_app(
            "d1",
            "play_and_get_digits",
            "1 1 3 5000 # menu.wav invalid.wav choice \\d 3000",
        )
        .await;
    assert_eq!(done.get("Application-Response"), Some("_none_"));
    assert_eq!(done.var("choice"), Some("1"));
    assert_eq!(done.var("read_result"), Some("success"));
    let dtmf = c.event_named("DTMF", "d1").await;
    assert_eq!(dtmf.get("DTMF-Digit"), Some("1"));
    assert_eq!(dtmf.get("DTMF-Source"), Some("RTP"));
    let again = c
        .run_app(
            "d1",
            "play_and_get_digits",
            "1 1 2 500 # menu.wav invalid.wav choice2 \\d",
        )
        .await;
    assert_eq!(again.var("read_result"), Some("failure"));
    assert_eq!(again.var("choice2"), None);
    // "say ru" without Russian prompts: completes with _none_, fires filestring::fail.
    let say = c.run_app("d1", "say", "ru CURRENCY pronounced 68.27").await;
    assert_eq!(say.get("Application-Response"), Some("_none_"));
    let fail = c
        .event_where(|e| e.get("Event-Subclass") == Some("filestring::fail"))
        .await;
    assert!(fail.get("Unique-ID").is_none());
    assert!(fail.get("File").is_some());
    sim.shutdown().await;
}

#[tokio::test]
async fn read_collects_digits_until_terminator() {
    let sim = sim(&rules(), 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain ALL").await;
    c.originate("{origination_uuid=r1}sofia/gateway/demo/8001 &park()")
        .await;
    let done = c
        .run_app("r1", "read", "1 4 silence_stream://3000 digits 5000 #")
        .await;
    assert_eq!(done.var("digits"), Some("12"));
    assert_eq!(done.var("read_result"), Some("success"));
    let hash = c
        .event_where(|e| e.name() == "DTMF" && e.get("DTMF-Digit") == Some("#"))
        .await;
    assert_eq!(hash.uuid(), "r1");
    sim.shutdown().await;
}

#[tokio::test]
async fn bridge_to_operator_keeps_a_leg_parked() {
    let sim = sim(&rules(), 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain ALL").await;
    c.originate("{origination_uuid=b1}sofia/gateway/demo/1002 &park()")
        .await;
    let done = c
        .run_app(
            "b1",
            "bridge",
            "{origination_uuid=op1}sofia/gateway/demo/operator",
        )
        .await;
    assert_eq!(done.var("bridge_hangup_cause"), Some("NORMAL_CLEARING"));
    assert_eq!(done.var("DIALSTATUS"), Some("SUCCESS"));
    let seen: Vec<(String, String)> = c
        .frames_seen
        .iter()
        .filter_map(|f| f.event())
        .map(|e| (e.name().to_string(), e.uuid().to_string()))
        .collect();
    let pos = |n: &str, u: &str| {
        seen.iter()
            .position(|(a, b)| a == n && b == u)
            .unwrap_or_else(|| panic!("{n} {u} in {seen:?}"))
    };
    assert!(pos("CHANNEL_CREATE", "op1") < pos("CHANNEL_ANSWER", "op1"));
    assert!(pos("CHANNEL_ANSWER", "op1") < pos("CHANNEL_BRIDGE", "b1"));
    assert!(pos("CHANNEL_HANGUP", "op1") < pos("CHANNEL_UNBRIDGE", "b1"));
    assert_eq!(c.api("uuid_exists b1").await, "true");
    // A failed bridge: the A leg learns why from the variables.
    let failed = c.run_app("b1", "bridge", "sofia/gateway/demo/opbusy").await;
    assert_eq!(failed.var("originate_disposition"), Some("CALL_REJECTED"));
    assert_eq!(failed.var("DIALSTATUS"), Some("DONTCALL"));
    assert_eq!(c.api("uuid_exists b1").await, "true");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_leg_hangup_while_operator_rings_cancels_it() {
    let rules = format!(
        "{}\n[[rule]]\nexact = \"slowop\"\noutcome = [{{ result = \"answer\", ring = 30.0 }}]\n",
        rules()
    );
    let sim = sim(&rules, 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain ALL").await;
    c.originate("{origination_uuid=c1}sofia/gateway/demo/1003 &park()")
        .await;
    c.execute(
        "c1",
        "bridge",
        "{origination_uuid=op2}sofia/gateway/demo/slowop",
        "evb",
    )
    .await;
    c.event_named("CHANNEL_PROGRESS", "op2").await;
    c.api("uuid_kill c1").await;
    let op = c.event_named("CHANNEL_HANGUP", "op2").await;
    assert_eq!(op.get("Hangup-Cause"), Some("ORIGINATOR_CANCEL"));
    let done = c
        .event_where(|e| {
            e.name() == "CHANNEL_EXECUTE_COMPLETE" && e.get("Application-UUID") == Some("evb")
        })
        .await;
    assert_eq!(done.var("DIALSTATUS"), Some("CANCEL"));
    sim.shutdown().await;
}

#[tokio::test]
async fn simultaneous_legs_one_wins_the_other_loses_the_race() {
    let sim = sim(&rules(), 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain ALL").await;
    let out = c
        .originate("[origination_uuid=w1]sofia/gateway/demo/1004,[origination_uuid=w2]sofia/gateway/demo/4004 &park()")
        .await;
    assert_eq!(out, "+OK w1\n");
    let lost = c.event_named("CHANNEL_HANGUP", "w2").await;
    assert_eq!(lost.get("Hangup-Cause"), Some("LOSE_RACE"));
    // Sequential: the first fails, the second answers.
    let out = c
        .originate("[origination_uuid=s1]sofia/gateway/demo/5002|[origination_uuid=s2]sofia/gateway/demo/1005 &park()")
        .await;
    assert_eq!(out, "+OK s2\n");
    // A global origination_uuid: the second leg is refused as a duplicate.
    let out = c
        .originate("{origination_uuid=g1}sofia/gateway/demo/5003|sofia/gateway/demo/1006 &park()")
        .await;
    assert!(out.starts_with("-ERR "), "{out}");
    sim.shutdown().await;
}

#[tokio::test]
async fn callee_hangs_up_and_billsec_is_simulated_time() {
    let sim = sim(&rules(), 200.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
        .await;
    c.originate("{origination_uuid=h1}sofia/gateway/demo/6001 &park()")
        .await;
    let hc = c.event_named("CHANNEL_HANGUP_COMPLETE", "h1").await;
    assert_eq!(hc.get("Hangup-Cause"), Some("NORMAL_CLEARING"));
    let num = |v: &str| hc.var(v).unwrap().parse::<i64>().unwrap();
    // Simulated seconds: the callee hangs up 4 simulated seconds after answering, so the
    // call has billed time; exact values depend on scheduling and are not asserted.
    assert!(num("billmsec") > 0, "answered calls bill");
    assert!(num("mduration") >= num("billmsec"));
    assert_eq!(hc.var("sip_hangup_disposition"), Some("recv_bye"));
    sim.shutdown().await;
}

#[tokio::test]
async fn session_limits_refuse_like_freeswitch() {
    let cfg = outcall::sim::SimConfig {
        rules: outcall::sim::Rules::from_toml_str(&rules()).unwrap(),
        time_scale: 100.0,
        max_sessions: Some(1),
        ..Default::default()
    };
    let sim = outcall::sim::start(cfg).await.unwrap();
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain BACKGROUND_JOB").await;
    assert!(c
        .originate("sofia/gateway/demo/1007 &park()")
        .await
        .starts_with("+OK"));
    assert_eq!(
        c.originate("sofia/gateway/demo/1008 &park()").await,
        "-ERR DESTINATION_OUT_OF_ORDER\n"
    );
    assert_eq!(c.api("fsctl max_sessions 0").await, "+OK max sessions: 0\n");
    assert!(c
        .originate("sofia/gateway/demo/1009 &park()")
        .await
        .starts_with("+OK"));
    assert_eq!(c.api("fsctl sps 1").await, "+OK sessions per second: 1\n");
    assert!(sim.stats().max_concurrent_channels >= 2);
    sim.shutdown().await;
}
