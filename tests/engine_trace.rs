//! Every answered call keeps what it heard with its attempt (issue 16, item 5): the nodes
//! visited, the text spoken after templates, the menu's digits and the bridge with its result;
//! `report --trace` prints it and the CSV has it in a column.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::{CampaignStatus, Disposition};
use outcall::ops::report::Report;
use support::*;

/// +7900100: answers and listens; +7900200: presses 1 on the menu prompt, the operator answers.
const RULES: &str = r#"
[[rule]]
exact = "operator"
outcome = [{ result = "answer", ring = 1, hangup_after = 10 }]
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 1, hangup_after = 25 }]
[[rule]]
prefix = "7900200"
outcome = [{ result = "answer", ring = 1, dtmf = "1", dtmf_on = "prompt", dtmf_after = 1, hangup_after = 600 }]
[[rule]]
prefix = "7900400"
outcome = [{ result = "no_answer" }]
"#;

#[tokio::test(start_paused = true)]
async fn each_attempt_keeps_what_the_call_heard() {
    let w = World::new(RULES, None).await;
    let id = w
        .campaign(
            &campaign_toml("heard", 5, 1, ""),
            &[
                ("Listens", "+79001000001"),
                ("Presses", "+79002000001"),
                ("Away", "+79004000001"),
            ],
        )
        .await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(60))
        .await;
    engine.stop().await;
    let report = Report::load(&w.store, "heard").await.unwrap();
    let trace_of = |phone: &str| {
        let a = report.attempts.iter().find(|a| a.phone == phone).unwrap();
        (a.disposition, a.trace.clone())
    };
    let (d, heard) = trace_of("+79001000001");
    assert_eq!(d, Some(Disposition::Answered));
    assert_eq!(heard[0], "[greeting]");
    // The balance of campaign_toml's contacts is -68.27, spoken in words after the template.
    assert!(
        heard[1].starts_with("speak: Ваша задолженность") && !heard[1].contains("{{"),
        "{heard:?}"
    );
    assert!(heard.iter().any(|l| l == "[pay]"), "{heard:?}");
    assert!(
        heard.iter().any(|l| l.ends_with(": no digits")),
        "{heard:?}"
    );
    let (d, heard) = trace_of("+79002000001");
    assert_eq!(d, Some(Disposition::Transferred));
    assert!(heard.iter().any(|l| l.ends_with(": digits 1")), "{heard:?}");
    assert!(
        heard
            .iter()
            .any(|l| l == "bridge sofia/gateway/demo/operator: answered"),
        "{heard:?}"
    );
    let (d, heard) = trace_of("+79004000001");
    assert_eq!((d, heard.len()), (Some(Disposition::NoAnswer), 0));

    let text = report.traces_text();
    assert!(text.contains("    speak: Ваша задолженность"), "{text}");
    assert!(text.contains("    (not answered)"), "{text}");
    let csv = report.attempts_csv().unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",trace"), "{csv}");
    assert!(
        csv.contains("[greeting] | speak: Ваша задолженность"),
        "{csv}"
    );
}
