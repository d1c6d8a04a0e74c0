//! `${...}` expansion of application data, as FreeSWITCH's switch_core_session_exec does it:
//! what CHANNEL_EXECUTE and its COMPLETE carry, inline API calls recorded (and never run) with
//! `SimHandle::inline_api_calls`, `SimHandle::expansions`, originate variables that hold `${`
//! refused, and a bridge dial string expanded before it is dialled.

#[path = "sim_support/mod.rs"]
mod support;

use outcall::esl::Event;
use outcall::sim::InlineApiCall;
use support::esl::{connect, get, park, until};
use support::sim;

fn data(ev: &Event) -> String {
    ev.application_data()
        .map(|d| d.into_owned())
        .unwrap_or_default()
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

#[tokio::test]
async fn inline_api_calls_are_recorded_not_run_and_the_data_is_expanded() {
    let sim = sim(support::BASE_RULES, 100.0).await;
    let client = connect(&sim).await;
    park(&client, "ex1", "1001").await;
    let mut all = client.subscribe_all();
    let marker = std::env::temp_dir().join(format!("sim-exp-{}", support::rand_suffix()));
    let text = format!(
        "flite|kal|Hello ${{system(touch {})}}caller ${{uuid}} ${{create_uuid()}}",
        marker.display()
    );
    let done = client.execute("ex1", "speak", &text).await.unwrap();
    let spoken = data(&done);
    let words: Vec<&str> = spoken.split(' ').collect();
    assert_eq!(words[..3], ["flite|kal|Hello", "caller", "ex1"], "{spoken}");
    assert!(is_uuid(words[3]), "{spoken}");
    let evs = until(&mut all, |e| {
        e.application_uuid() == done.application_uuid() && e.application().is_some()
    })
    .await;
    let exec = evs.last().expect("CHANNEL_EXECUTE");
    assert_eq!(
        data(exec),
        spoken,
        "CHANNEL_EXECUTE carries the expanded data"
    );
    let apis: Vec<String> = evs
        .iter()
        .filter(|e| e.event_name().as_deref() == Some("API"))
        .filter_map(|e| get(e, "API-Command"))
        .collect();
    assert_eq!(apis, ["system", "create_uuid"]);
    assert_eq!(
        sim.inline_api_calls(),
        [
            InlineApiCall {
                channel: "ex1".into(),
                command: "system".into(),
                args: format!("touch {}", marker.display()),
            },
            InlineApiCall {
                channel: "ex1".into(),
                command: "create_uuid".into(),
                args: String::new(),
            },
        ]
    );
    assert!(!marker.exists(), "nothing was run");
    assert_eq!(sim.expansions(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_lone_dollar_digits_and_braces_stay_as_they_are() {
    let sim = sim(support::BASE_RULES, 100.0).await;
    let client = connect(&sim).await;
    park(&client, "ex2", "1002").await;
    for text in ["Costs $5", "a $ sign", "{", "}", "{x} and }y{", "$$5 \\$x"] {
        let done = client.execute("ex2", "speak", text).await.unwrap();
        assert_eq!(data(&done), text);
    }
    let done = client
        .execute("ex2", "speak", "\\${uuid} $5")
        .await
        .unwrap();
    assert_eq!(data(&done), "${uuid} $5", "an escaped reference is kept");
    assert_eq!(sim.expansions(), 1);
    assert!(sim.inline_api_calls().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn set_expands_again_and_expansion_can_be_disabled() {
    let sim = sim(support::BASE_RULES, 100.0).await;
    let client = connect(&sim).await;
    park(&client, "ex3", "1003").await;
    let set = client.execute("ex3", "set", "who=\\${uuid}").await.unwrap();
    assert_eq!(data(&set), "who=${uuid}");
    assert_eq!(client.api("uuid_getvar", "ex3 who").await.unwrap(), "ex3");
    client
        .execute("ex3", "set", "app_disable_expand_variables=true")
        .await
        .unwrap();
    let done = client.execute("ex3", "speak", "${who}").await.unwrap();
    assert_eq!(data(&done), "${who}");
    sim.shutdown().await;
}

#[tokio::test]
async fn originate_refuses_variables_that_hold_a_reference() {
    let sim = sim(support::BASE_RULES, 100.0).await;
    let client = connect(&sim).await;
    let args =
        "{origination_uuid=ex4,greeting=${system(id)},plain=ok}sofia/gateway/demo/1004 &park()";
    let job = client.bgapi("originate", args).await.unwrap();
    assert_eq!(job.body, "+OK ex4\n");
    assert_eq!(
        client.api("uuid_getvar", "ex4 greeting").await.unwrap(),
        "_undef_"
    );
    assert_eq!(client.api("uuid_getvar", "ex4 plain").await.unwrap(), "ok");
    let args = "{origination_nested_vars=true,origination_uuid=ex5,greeting=${system(id)}}sofia/gateway/demo/1005 &park()";
    client.bgapi("originate", args).await.unwrap();
    assert!(sim.inline_api_calls().is_empty(), "stored, not expanded");
    let done = client
        .execute("ex5", "speak", "${greeting}hi")
        .await
        .unwrap();
    assert_eq!(data(&done), "hi");
    let calls = sim.inline_api_calls();
    assert_eq!(
        (calls[0].command.as_str(), calls[0].args.as_str()),
        ("system", "id")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_bridge_dial_string_is_expanded_before_dialling() {
    let sim = sim(support::BASE_RULES, 100.0).await;
    let client = connect(&sim).await;
    park(&client, "ex6", "1006").await;
    client.execute("ex6", "set", "op_uuid=ex6-b").await.unwrap();
    let mut b = client.channel_events("ex6-b");
    let dial = "{origination_uuid=${op_uuid}}sofia/gateway/demo/operator";
    let done = client.execute("ex6", "bridge", dial).await.unwrap();
    assert_eq!(
        data(&done),
        "{origination_uuid=ex6-b}sofia/gateway/demo/operator"
    );
    let created = until(&mut b, |e| {
        e.event_name().as_deref() == Some("CHANNEL_CREATE")
    })
    .await;
    assert_eq!(
        created.last().unwrap().unique_id().as_deref(),
        Some("ex6-b")
    );
    sim.shutdown().await;
}
