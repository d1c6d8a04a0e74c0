//! A `say` without prompts on the switch pauses its campaign once, and says so once in the
//! logs, however many calls were running when it was found (issue 16, item 8).

#[path = "engine_support/mod.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use outcall::model::{CampaignStatus, NewContact};
use support::*;

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_say_without_prompts_is_reported_once() {
    let logs = Logs::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();
    let w = World::new(ANSWERED_RULES, None).await;
    let toml = say_campaign_toml("say").replace("lines = 1\n", "lines = 8\n");
    let rows: Vec<NewContact> = phones("7900100", 12)
        .iter()
        .map(|(n, p)| contact(n, p, None))
        .collect();
    let id = w.campaign_with(&toml, &rows).await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Paused, Duration::from_secs(20))
        .await;
    w.pass_time(Duration::from_secs(5)).await;
    engine.stop().await;
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let warns: Vec<&str> = text.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(
        text.matches("misconfigured").count(),
        1,
        "one pause, one line: {warns:#?}"
    );
}
