//! `make chaos`: fault scenarios against `outcall sim` processes, each bounded (under two
//! minutes), on SQLite and, when OUTCALL_TEST_POSTGRES_URL is set, on PostgreSQL. Ignored by a
//! plain `cargo test`; `make chaos` runs them with `--ignored`.
//!
//! Each run drives `outcall serve` (the built binary) through a campaign at 60 lines against
//! simulators at time scale 50 (70% answered, the answered calls hear an 8 s message) while a
//! watcher on each simulator's event socket follows every channel as the switch sees it. It
//! prints lost (a channel the switch carried with no recorded attempt), doubled (a number with
//! two live channels at once) and stuck (a contact not final, an attempt still open, a channel
//! still up at the end) and fails unless all three are 0.

#[path = "chaos_support/mod.rs"]
mod chaos_support;
#[path = "engine_support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use chaos_support::{watch, SimProcess, Watched};
use outcall::model::CampaignStatus;
use support::*;
use tokio::time::Instant;

/// 70% answered (an 8 s message), 15% busy, 15% no answer; at time scale 50.
const RULES: &str = r#"
[media]
default_playback = 400.0
[[rule]]
prefix = "7900"
mix = [
  { weight = 70, result = "answer", ring = 10, hangup_after = 2000 },
  { weight = 15, result = "busy", ring = 5 },
  { weight = 15, result = "no_answer" },
]
"#;

const SCALE: &str = "50";
const CONTACTS: usize = 150;
/// The longest a scenario waits for its campaign to complete.
const FINISH: Duration = Duration::from_secs(90);

fn campaign() -> String {
    LONG_PROMPT_CAMPAIGN
        .replace("name = \"crash\"", "name = \"chaos\"")
        .replace("lines = 10", "lines = 60")
        .replace(
            "max_attempts = 1",
            "max_attempts = 1\ntechnical_backoff = \"2s\"\ntechnical_backoff_max = \"4s\"",
        )
}

/// One scenario's world: the store, the campaign, simulators and their watchers.
struct Run {
    name: String,
    w: World,
    id: i64,
    sims: Vec<SimProcess>,
    seen: Watched,
    started: Instant,
}

impl Run {
    async fn start(name: &str, postgres: bool, nodes: usize) -> Option<Run> {
        let w = if postgres {
            let slug: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            World::on_postgres(RULES, &format!("chaos_{slug}")).await?
        } else {
            World::new(RULES, None).await
        };
        let rules = w.dir.path().join("chaos-rules.toml");
        std::fs::write(&rules, RULES).unwrap();
        let list = phones("7900100", CONTACTS);
        let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let id = w.campaign(&campaign(), &refs).await;
        let seen = Watched::default();
        let mut sims = Vec::new();
        for node in 0..nodes {
            let sim = SimProcess::start(&rules, node as u32 + 1, SCALE);
            watch(sim.addr, node, seen.clone()).await;
            sims.push(sim);
        }
        let backend = if postgres { "postgres" } else { "sqlite" };
        Some(Run {
            name: format!("{name} ({backend})"),
            w,
            id,
            sims,
            seen,
            started: Instant::now(),
        })
    }

    fn serve(&self, log: &str, more: &[&str]) -> ServeProcess {
        let nodes: Vec<(String, SocketAddr)> = self
            .sims
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("node{i}"), s.addr))
            .collect();
        let refs: Vec<(&str, SocketAddr)> = nodes.iter().map(|(n, a)| (n.as_str(), *a)).collect();
        let config = self.w.serve_config_for(&refs, "");
        let log = self.w.dir.path().join(log);
        serve_process_with(&config, "chaos", "warn", Some(&log), more)
    }

    fn live(&self, node: Option<usize>) -> usize {
        let w = self.seen.lock().unwrap();
        w.live
            .values()
            .filter(|(n, _)| node.is_none_or(|x| x == *n))
            .count()
    }

    async fn until_live(&self, node: Option<usize>, n: usize) {
        self.w
            .until("calls in flight", Duration::from_secs(30), || async {
                self.live(node) >= n
            })
            .await;
    }

    /// Waits (bounded) for the campaign to complete, then counts and prints lost / doubled /
    /// stuck; panics unless all are 0.
    async fn finish(self) {
        let store = &self.w.store;
        let done = self
            .w
            .reaches(FINISH, || async {
                store.campaign_status(self.id).await.unwrap().0 == CampaignStatus::Completed
                    && self.live(None) == 0
            })
            .await;
        let attempts = store.campaign_attempts(self.id).await.unwrap();
        let recorded: HashSet<&str> = attempts
            .iter()
            .filter(|a| a.ended_at.is_some())
            .map(|a| a.uuid.as_str())
            .collect();
        let open = attempts.iter().filter(|a| a.ended_at.is_none()).count();
        let contacts = self.w.contacts(self.id).await;
        let waiting: Vec<_> = contacts.iter().filter(|c| !c.status.is_final()).collect();
        let not_final = waiting.len();
        for c in waiting.iter().take(3) {
            eprintln!(
                "  not final: {} {} attempts {} last {:?} next {:?}",
                c.phones[0], c.status, c.attempts, c.last_disposition, c.next_attempt_at
            );
        }
        if !done {
            for log in ["serve.log", "serve1.log", "serve2.log"] {
                let text = std::fs::read_to_string(self.w.dir.path().join(log)).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(8).collect();
                eprintln!("  {log} ends: {tail:#?}");
            }
        }
        let w = self.seen.lock().unwrap();
        let lost = w
            .created
            .iter()
            .filter(|u| !recorded.contains(u.as_str()))
            .count();
        let doubled = w.doubled.len();
        let stuck = not_final + open + w.live.len();
        eprintln!(
            "chaos {}: {} s, {} contacts, {} channels on the switches, {} attempt rows; lost {lost} / doubled {doubled} / stuck {stuck}{}",
            self.name,
            self.started.elapsed().as_secs(),
            CONTACTS,
            w.created.len(),
            attempts.len(),
            if done { "" } else { " (campaign not completed in time)" }
        );
        assert_eq!(
            (lost, doubled, stuck),
            (0, 0, 0),
            "{}: doubled numbers {:?}; {not_final} contacts not final, {open} open attempts, {} channels up",
            self.name,
            w.doubled,
            w.live.len()
        );
    }

    /// Milliseconds from `since` to the first channel node `node` created after it.
    fn first_create_after(&self, node: usize, since: Instant) -> Option<u128> {
        let w = self.seen.lock().unwrap();
        w.creates
            .iter()
            .find(|(t, n)| *n == node && *t >= since)
            .map(|(t, _)| (*t - since).as_millis())
    }
}

/// kill -9 of serve with calls in flight, then a restart with the same owner.
async fn kill_9_serve(postgres: bool) {
    let Some(run) = Run::start("kill -9 serve", postgres, 1).await else {
        return;
    };
    let mut first = run.serve("serve1.log", &[]);
    run.until_live(None, 40).await;
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let _second = run.serve("serve2.log", &[]);
    run.finish().await;
}

/// SIGTERM with `--drain 3`: calls under way finish or are hung up, nothing is left on the
/// switch when serve exits; a restart finishes the campaign.
async fn sigterm_drain(postgres: bool) {
    let Some(run) = Run::start("SIGTERM drain", postgres, 1).await else {
        return;
    };
    let mut first = run.serve("serve1.log", &["--drain", "3"]);
    run.until_live(None, 40).await;
    first.terminate();
    let status = first.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let said = std::fs::read_to_string(run.w.dir.path().join("serve1.log")).unwrap();
    let stopped = said.lines().find(|l| l.contains("outcall serve: stopped:"));
    eprintln!(
        "chaos {}: {}",
        run.name,
        stopped.unwrap_or("(no stop line)")
    );
    assert!(stopped.is_some(), "{said}");
    run.w
        .until(
            "the drain left no channel up",
            Duration::from_secs(5),
            || async { run.live(None) == 0 },
        )
        .await;
    let _second = run.serve("serve2.log", &[]);
    run.finish().await;
}

/// One of two nodes killed with calls on it: no pause, new calls on the survivor at once.
async fn node_killed(postgres: bool) {
    let Some(run) = Run::start("one of two nodes killed", postgres, 2).await else {
        return;
    };
    let _serve = run.serve("serve.log", &[]);
    run.until_live(Some(1), 15).await;
    let killed = Instant::now();
    run.sims[1].signal("KILL");
    run.w
        .until(
            "a call placed on the survivor",
            Duration::from_secs(10),
            || async { run.first_create_after(0, killed).is_some() },
        )
        .await;
    let ms = run.first_create_after(0, killed).unwrap_or_default();
    eprintln!(
        "chaos {}: failover: first originate on the survivor {ms} ms after the kill",
        run.name
    );
    run.finish().await;
}

/// One of two nodes hung (SIGSTOP) for 15 s with calls on it, then resumed.
async fn node_hung(postgres: bool) {
    let Some(run) = Run::start("one of two nodes hung", postgres, 2).await else {
        return;
    };
    let _serve = run.serve("serve.log", &[]);
    run.until_live(Some(1), 15).await;
    let stopped = Instant::now();
    run.sims[1].signal("STOP");
    let store = &run.w.store;
    run.w
        .until(
            "the hung node's calls recorded",
            Duration::from_secs(12),
            || async {
                let a = store.campaign_attempts(run.id).await.unwrap();
                a.iter()
                    .any(|a| a.hangup_cause.as_deref() == Some("SWITCH_UNREACHABLE"))
            },
        )
        .await;
    eprintln!(
        "chaos {}: the hung node was noticed {} ms after SIGSTOP",
        run.name,
        stopped.elapsed().as_millis()
    );
    // The scenario: the node stays stopped for 15 s in all.
    tokio::time::sleep(Duration::from_secs(15).saturating_sub(stopped.elapsed())).await;
    run.sims[1].signal("CONT");
    run.finish().await;
}

macro_rules! scenarios {
    ($($name:ident => $f:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "make chaos"]
                async fn $name() {
                    super::$f(false).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "make chaos"]
                async fn $name() {
                    super::$f(true).await
                }
            )*
        }
    };
}

scenarios! {
    kill_9_serve_with_calls_in_flight => kill_9_serve,
    sigterm_drains => sigterm_drain,
    one_of_two_nodes_killed => node_killed,
    one_of_two_nodes_hung => node_hung,
}
