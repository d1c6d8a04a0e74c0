//! A node's death is the node's fault. Two nodes share a campaign whose automatic pause comes
//! after three technical errors in a row; one node dies (shut down) or hangs (stops answering
//! on an open connection) with more calls than that on it. Its calls are recorded technical
//! and retried, the campaign keeps running, new calls go to the other node at once, and no
//! number ever has two live channels on the switches: a call lost on a hung node keeps its
//! number until the node is back and the channel is hung up.

#[path = "engine_support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use outcall::model::{CampaignStatus, Disposition};
use outcall::sim::{self, Rules, SimConfig, SimHandle};
use support::*;
use tokio::time::Instant;

/// Answered; a 200 s prompt (10 s real at the tests' scale) before the script hangs up.
const RULES: &str = r#"
[media]
default_playback = 200.0
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 1, hangup_after = 600 }]
"#;

/// Twenty lines; three technical errors in a row would pause the campaign.
fn campaign() -> String {
    LONG_PROMPT_CAMPAIGN.replace("lines = 10", "lines = 20").replace(
        "max_attempts = 1",
        "max_attempts = 1\ntechnical_backoff = \"5s\"\ntechnical_backoff_max = \"10s\"\npause_after_technical_errors = 3",
    )
}

/// The world (node "sim"), a second node ("sim1"), 30 contacts, an engine on both, and calls
/// up on both nodes.
async fn two_nodes() -> (World, SimHandle, i64, Running) {
    let w = World::new(RULES, None).await;
    let second = sim::start(SimConfig {
        rules: Rules::from_toml_str(RULES).unwrap(),
        time_scale: SCALE,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let list = phones("7900100", 30);
    let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let id = w.campaign(&campaign(), &refs).await;
    let addrs = [w.sim.addr(), second.addr()];
    let engine = w
        .engine_on("e1", 100, Duration::from_millis(100), &addrs)
        .await;
    w.until("calls on both nodes", Duration::from_secs(20), || async {
        w.sim.stats().channels_now >= 5 && second.stats().channels_now >= 5
    })
    .await;
    (w, second, id, engine)
}

/// Numbers with more than one live channel across the switches, as the switches see them.
fn doubled(sims: &[&SimHandle]) -> Vec<String> {
    let mut count: HashMap<String, u32> = HashMap::new();
    for s in sims {
        for d in s.live_destinations() {
            *count.entry(d).or_default() += 1;
        }
    }
    count
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(d, _)| d)
        .collect()
}

/// Instants of the CHANNEL_CREATE events the switch of `w` fires, as its own watcher sees them.
async fn creates(w: &World) -> Arc<Mutex<Vec<Instant>>> {
    let mut events = switch_watcher(w, &["CHANNEL_CREATE"]).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = seen.clone();
    tokio::spawn(async move {
        while events.recv().await.is_some() {
            out.lock().unwrap().push(Instant::now());
        }
    });
    seen
}

/// The first originate on the survivor after `lost`, reported (tokio time: the engine's own).
fn report_failover(what: &str, created: &Mutex<Vec<Instant>>, lost: Instant) {
    let first = created.lock().unwrap().iter().copied().find(|t| *t >= lost);
    let first = first.expect("a call was placed on the surviving node");
    eprintln!(
        "{what}: failover: first originate on the surviving node {} ms after the node was lost",
        (first - lost).as_millis()
    );
}

async fn technical_attempts(w: &World, id: i64) -> usize {
    w.attempts(id)
        .await
        .iter()
        .filter(|(_, d)| *d == Some(Disposition::Technical))
        .count()
}

#[tokio::test(start_paused = true)]
async fn a_dead_node_does_not_pause_the_campaign() {
    let (w, second, id, engine) = two_nodes().await;
    let created = creates(&w).await;
    let on_dead = second.stats().channels_now as usize;
    let killed = Instant::now();
    second.shutdown().await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(120))
        .await;
    let lost = technical_attempts(&w, id).await;
    assert!(
        lost >= on_dead && lost > 3,
        "the dead node's {on_dead} calls were recorded technical ({lost})"
    );
    w.assert_answered_without_using_attempts(id).await;
    report_failover("node killed", &created, killed);
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_hung_node_is_noticed_by_its_probe_and_its_numbers_wait_for_it() {
    let (w, second, id, engine) = two_nodes().await;
    let created = creates(&w).await;
    let on_hung = second.stats().channels_now as usize;
    let hung = Instant::now();
    second.hang();
    // The probe: `api status` every 2 s, unanswered for 5 s. Its calls are recorded lost.
    w.until(
        "the hung node's calls recorded",
        Duration::from_secs(10),
        || async { technical_attempts(&w, id).await >= on_hung },
    )
    .await;
    // While it hangs, its channels live on: their numbers are not dialled elsewhere.
    w.until(
        "the survivor takes new calls",
        Duration::from_secs(20),
        || async {
            assert_eq!(doubled(&[&w.sim, &second]), Vec::<String>::new());
            // Every contact but those lost with the hung node (the calls it had, and any it
            // was sent before its probe timed out) goes through the survivor.
            let lost = technical_attempts(&w, id).await as u64;
            w.sim.stats().originates >= 30 - lost
        },
    )
    .await;
    for _ in 0..20 {
        engine.handle.step(1).await;
        assert_eq!(doubled(&[&w.sim, &second]), Vec::<String>::new());
    }
    assert_eq!(
        w.store.campaign_status(id).await.unwrap().0,
        CampaignStatus::Running
    );
    second.resume();
    let watch = || async {
        assert_eq!(doubled(&[&w.sim, &second]), Vec::<String>::new());
        w.store.campaign_status(id).await.unwrap().0 == CampaignStatus::Completed
    };
    w.until("the campaign completes", Duration::from_secs(120), watch)
        .await;
    assert_eq!(second.stats().channels_now, 0, "the orphans were hung up");
    w.assert_answered_without_using_attempts(id).await;
    report_failover("node hung", &created, hung);
    engine.stop().await;
}
