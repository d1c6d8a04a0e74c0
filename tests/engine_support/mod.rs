//! Shared harness of the engine's end-to-end tests: a fresh SQLite store in a temp dir, the
//! simulator in-process on 127.0.0.1:0 with a rules file, a campaign from TOML, and the engine
//! running against both with a time-scaled clock, all on tokio's paused clock: tests are
//! `#[tokio::test(start_paused = true)]`, time moves only when every task waits (never while
//! a query is in flight, see `Store::connect_paused`), and waits follow the engine's own
//! passes ([`World::until`]), so a run does the same thing each time and takes no real time
//! for the simulated seconds.

#![allow(dead_code)]

#[path = "../db_support/mod.rs"]
mod db_support;
mod process;

#[allow(unused_imports)]
pub use process::*;
pub mod store_faults;
pub mod switch_faults;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use outcall::call::esl_switch::EslSwitch;
use outcall::campaign::definition::CampaignDef;
use outcall::clock::Clock;
use outcall::config::GatewayLimits;
use outcall::config::Secret;
use outcall::model::{CampaignStatus, ContactStatus, Disposition};
use outcall::model::{ContactRecord, NewContact, WebhookUrls};
use outcall::scheduler::engine::{DrainReport, Engine, EngineHandle, EngineOptions, NodeSpec};
use outcall::scheduler::pacing::NodeLimits;
use outcall::sim::{self, Rules, SimConfig, SimHandle};
use outcall::store::Store;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Simulated seconds per real second in these tests.
pub const SCALE: f64 = 20.0;

pub struct World {
    pub dir: tempfile::TempDir,
    pub url: String,
    pub store: Store,
    pub sim: SimHandle,
    pub clock: Clock,
    /// Gateway caps given to the engines this world starts.
    pub gateways: Vec<GatewayLimits>,
    /// Global webhook receivers given to the engines this world starts.
    pub webhooks: WebhookUrls,
    /// How long the engines this world starts let live calls finish when stopped.
    pub drain: Duration,
    /// Handles of the engines started, newest last; waits follow the newest one's passes.
    engines: std::sync::Mutex<Vec<EngineHandle>>,
}

impl World {
    /// A store and a simulator with these rules (TOML) and optional session cap.
    pub async fn new(rules: &str, max_sessions: Option<u32>) -> World {
        World::at(rules, max_sessions, Utc::now()).await
    }

    /// Like [`World::new`] with the engine's clock starting at `start`.
    pub async fn at(rules: &str, max_sessions: Option<u32>, start: chrono::DateTime<Utc>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        World::with_url(rules, max_sessions, start, dir, url).await
    }

    /// A world on PostgreSQL (its own schema) when OUTCALL_TEST_POSTGRES_URL is set.
    pub async fn on_postgres(rules: &str, test: &str) -> Option<World> {
        let url = db_support::fresh_postgres_url("e", test).await?;
        let dir = tempfile::tempdir().unwrap();
        Some(World::with_url(rules, None, Utc::now(), dir, url).await)
    }

    async fn with_url(
        rules: &str,
        max_sessions: Option<u32>,
        start: chrono::DateTime<Utc>,
        dir: tempfile::TempDir,
        url: String,
    ) -> World {
        let store = Store::connect_paused(&url).await.unwrap();
        let sim = sim::start(SimConfig {
            rules: Rules::from_toml_str(rules).unwrap(),
            time_scale: SCALE,
            max_sessions,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let clock = Clock::starting_at(start, SCALE);
        World {
            dir,
            url,
            store,
            sim,
            clock,
            gateways: Vec::new(),
            webhooks: WebhookUrls::default(),
            drain: Duration::from_secs(5),
            engines: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Creates a running campaign from TOML with contacts (name, phone).
    pub async fn campaign(&self, toml: &str, contacts: &[(&str, &str)]) -> i64 {
        let rows: Vec<NewContact> = contacts
            .iter()
            .map(|(name, phone)| contact(name, phone, None))
            .collect();
        self.campaign_with(toml, &rows).await
    }

    /// Creates a running campaign from TOML with these contacts.
    pub async fn campaign_with(&self, toml: &str, rows: &[NewContact]) -> i64 {
        let def = CampaignDef::from_toml_str(toml, "test").unwrap();
        let now = self.clock.now();
        let rec = self.store.create_campaign(&def, now).await.unwrap();
        self.store
            .add_contacts(rec.id, def.timezone.name(), rows, now, now)
            .await
            .unwrap();
        self.store
            .set_campaign_status(rec.id, CampaignStatus::Running, None, now)
            .await
            .unwrap();
        rec.id
    }

    /// Starts an engine against the sim; returns its handle and the task.
    pub async fn engine(&self, owner: &str, lines_global: u32) -> Running {
        self.engine_with(owner, lines_global, Duration::from_millis(100))
            .await
    }

    pub async fn engine_with(&self, owner: &str, lines_global: u32, poll: Duration) -> Running {
        self.engine_on(owner, lines_global, poll, &[self.sim.addr()])
            .await
    }

    /// An engine driving one node per address (the first is `Running::switch`), equal weights.
    pub async fn engine_on(
        &self,
        owner: &str,
        lines_global: u32,
        poll: Duration,
        addrs: &[std::net::SocketAddr],
    ) -> Running {
        self.start_engine(owner, lines_global, poll, addrs, true)
            .await
    }

    /// An engine on these nodes that starts whether or not they can be reached (a dialer
    /// restarted while its switch is unreachable).
    pub async fn engine_unreachable(&self, owner: &str, addrs: &[std::net::SocketAddr]) -> Running {
        self.start_engine(owner, 100, Duration::from_millis(100), addrs, false)
            .await
    }

    async fn start_engine(
        &self,
        owner: &str,
        lines_global: u32,
        poll: Duration,
        addrs: &[std::net::SocketAddr],
        wait_up: bool,
    ) -> Running {
        let shutdown = CancellationToken::new();
        // The node connections close after the engine's drain, as in `outcall serve`.
        let node_stop = CancellationToken::new();
        let mut nodes = Vec::new();
        let mut first = None;
        for (i, addr) in addrs.iter().enumerate() {
            let name = if i == 0 {
                "sim".to_string()
            } else {
                format!("sim{i}")
            };
            let switch = EslSwitch::start(
                &name,
                &addr.to_string(),
                Secret::new("ClueCon"),
                node_stop.clone(),
            );
            assert!(
                !wait_up || switch.wait_up(Duration::from_secs(5)).await,
                "the sim accepts the client"
            );
            first.get_or_insert_with(|| switch.clone());
            nodes.push(NodeSpec {
                switch,
                limits: NodeLimits {
                    name,
                    max_sessions: 10_000,
                    cps: 10_000.0,
                    weight: 1,
                },
            });
        }
        let switch = first.expect("at least one node");
        let store = Store::connect_paused(&self.url).await.unwrap();
        let opts = EngineOptions {
            owner: owner.into(),
            lease: Duration::from_secs(60),
            poll,
            max_concurrent_calls: lines_global,
            gateways: self.gateways.clone(),
            webhooks: self.webhooks.clone(),
            ..EngineOptions::default()
        };
        let engine = Engine::new(store.clone(), nodes, self.clock.clone(), opts);
        let handle = engine.handle();
        self.engines.lock().unwrap().push(handle.clone());
        let stop = shutdown.clone();
        let drain = self.drain;
        let task = tokio::spawn(async move {
            let report = engine.run(stop, drain).await.unwrap();
            node_stop.cancel();
            report
        });
        Running {
            shutdown,
            task,
            handle,
            switch,
            store,
        }
    }

    /// Waits until `cond` holds, checking it after each pass of the newest engine (a pass
    /// follows every finished call, due recall and poll interval). Panics, naming `what`,
    /// when `limit` of tokio time (simulated seconds / [`SCALE`]) passes first.
    pub async fn until<F, Fut>(&self, what: &str, limit: Duration, cond: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        assert!(
            self.reaches(limit, cond).await,
            "{what}: not reached within {limit:?}"
        );
    }

    /// Lets `d` of tokio time pass, following the engine's passes (for checking afterwards that
    /// nothing happened meanwhile).
    pub async fn pass_time(&self, d: Duration) {
        assert!(!self.reaches(d, || async { false }).await);
    }

    /// Whether `cond` comes to hold within `limit` (see [`World::until`]).
    pub async fn reaches<F, Fut>(&self, limit: Duration, mut cond: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let engine = self.engines.lock().unwrap().last().cloned();
        let wait = async {
            while !cond().await {
                match &engine {
                    Some(e) => assert!(e.next_pass().await, "the engine stopped while waiting"),
                    // No engine in this process (the dialer is a child process, in real
                    // time): look again a little later.
                    None => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }

    /// Waits until the campaign reaches `status` (see [`World::until`]).
    pub async fn wait_status(&self, id: i64, status: CampaignStatus, limit: Duration) {
        let reached = self
            .reaches(limit, || async move {
                self.store.campaign_status(id).await.unwrap().0 == status
            })
            .await;
        if !reached {
            let (now, _) = self.store.campaign_status(id).await.unwrap();
            panic!(
                "campaign still {now}, expected {status} within {limit:?}; contacts: {:?}",
                self.contacts(id).await
            );
        }
    }

    pub async fn contacts(&self, id: i64) -> Vec<ContactRecord> {
        self.store.contacts_page(id, 0, 10_000).await.unwrap()
    }

    /// Every contact ended answered with one attempt used: technical errors on the way (a lost
    /// socket, a dead node) used none.
    pub async fn assert_answered_without_using_attempts(&self, id: i64) {
        for c in self.contacts(id).await {
            assert_eq!(
                (c.status, c.last_disposition),
                (ContactStatus::Done, Some(Disposition::Answered)),
                "{c:?}"
            );
            assert_eq!(c.attempts, 1, "technical errors used no attempt");
        }
    }

    /// (phone, disposition) of every finished attempt, in order.
    pub async fn attempts(&self, id: i64) -> Vec<(String, Option<Disposition>)> {
        self.store
            .campaign_attempts(id)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.phone, a.disposition))
            .collect()
    }

    /// The contact with that phone.
    pub async fn contact(&self, id: i64, phone: &str) -> ContactRecord {
        self.contacts(id)
            .await
            .into_iter()
            .find(|c| c.phones[0] == phone)
            .unwrap()
    }
}

/// A running engine.
pub struct Running {
    pub shutdown: CancellationToken,
    pub task: JoinHandle<DrainReport>,
    pub handle: EngineHandle,
    pub switch: Arc<EslSwitch>,
    /// The engine's own store handle (its health is this engine's view of the database).
    pub store: Store,
}

impl Running {
    pub async fn stop(self) -> DrainReport {
        self.shutdown.cancel();
        self.task.await.expect("the engine task")
    }

    /// Ends the engine as `kill -9` would: its calls are dropped mid-flight with nothing
    /// recorded (their attempts stay open, their channels stay up on the switch), its leases
    /// are no longer kept alive and its switch connections close.
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
        self.shutdown.cancel();
    }
}

/// A contact with a BALANCE variable.
pub fn contact(name: &str, phone: &str, timezone: Option<&str>) -> NewContact {
    NewContact {
        name: name.to_string(),
        phones: vec![phone.to_string()],
        vars: BTreeMap::from([("BALANCE".to_string(), "-68.27".to_string())]),
        timezone: timezone.map(str::to_string),
    }
}

/// Sim rules: numbers under +7900100 ring 1 s, answer and hang up 25 s later.
pub const ANSWERED_RULES: &str = r#"
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 1, hangup_after = 25 }]
"#;

/// Sim rules: numbers under +7900800 answer after 1 s and last 10 simulated minutes (the
/// prompt plays that long too); under +7900900 they hang up after 30 s.
pub const LONG_CALL_RULES: &str = r#"
[media]
default_playback = 600.0
[[rule]]
prefix = "7900800"
outcome = [{ result = "answer", ring = 1, hangup_after = 600 }]
[[rule]]
prefix = "7900900"
outcome = [{ result = "answer", ring = 1, hangup_after = 30 }]
"#;

/// A campaign that plays one long prompt, then hangs up; ten lines, one attempt.
pub const LONG_PROMPT_CAMPAIGN: &str = r#"
name = "crash"
caller_id = "74950000000"
dial = "sofia/gateway/demo/{number}"
timezone = "Europe/Moscow"
ring_timeout = "20s"
[limits]
lines = 10
cps = 100
[retry]
max_attempts = 1
[script]
start = "long"
[script.nodes.long]
type = "play"
file = "long.wav"
next = "bye"
[script.nodes.bye]
type = "hangup"
"#;

/// The stop and crash tests' rules (the same as [`LONG_CALL_RULES`]).
pub const LONG_AND_SHORT_RULES: &str = LONG_CALL_RULES;

/// A campaign whose calls play one long prompt, then hang up.
pub fn long_call_campaign(name: &str, lines: u32, max_attempts: u32) -> String {
    LONG_PROMPT_CAMPAIGN
        .replace("name = \"crash\"", &format!("name = \"{name}\""))
        .replace("lines = 10", &format!("lines = {lines}"))
        .replace(
            "max_attempts = 1",
            &format!("max_attempts = {max_attempts}\nrecall_interval = \"1s\""),
        )
}

/// `(name, phone)` pairs as the borrowed form [`World::campaign`] takes.
pub fn refs(list: &[(String, String)]) -> Vec<(&str, &str)> {
    list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

/// Numbered phones with a prefix: `+<prefix><0001..>`.
pub fn phones(prefix: &str, n: usize) -> Vec<(String, String)> {
    (1..=n)
        .map(|i| (format!("Contact {i}"), format!("+{prefix}{i:04}")))
        .collect()
}

/// A campaign definition like the demo's, with a few knobs.
pub fn campaign_toml(name: &str, lines: u32, max_attempts: u32, extra: &str) -> String {
    format!(
        r#"
name = "{name}"
caller_id = "74950000000"
dial = "sofia/gateway/demo/{{number}}"
timezone = "Europe/Moscow"
operator = "sofia/gateway/demo/operator"
ring_timeout = "20s"
{extra}
[limits]
lines = {lines}
cps = 50

[retry]
max_attempts = {max_attempts}
recall_interval = "20s"
technical_backoff = "5s"
technical_backoff_max = "40s"
min_success_seconds = 10

[script]
start = "greeting"

[script.nodes.greeting]
type = "speak"
text = "Ваша задолженность {{{{BALANCE|money_ru}}}}."
next = "pay"

[script.nodes.pay]
type = "menu"
prompt = {{ text = "Нажмите 1 для связи с оператором." }}
digits = {{ "1" = "operator", "9" = "opt_out" }}
timeout = "5s"
tries = 1
on_timeout = "done"
on_invalid = "done"

[script.nodes.operator]
type = "bridge"
timeout = "30s"
next = "done"
on_failure = "done"

[script.nodes.opt_out]
type = "set"
disposition = "opted_out"
dnc = true
next = "done"

[script.nodes.done]
type = "hangup"
"#
    )
}

/// Final statuses of the contacts by phone.
pub async fn statuses(
    w: &World,
    id: i64,
) -> BTreeMap<String, (ContactStatus, Option<Disposition>, u32)> {
    w.contacts(id)
        .await
        .into_iter()
        .map(|c| {
            (
                c.phones[0].clone(),
                (c.status, c.last_disposition, c.attempts),
            )
        })
        .collect()
}

/// A second ESL client on the simulator, subscribed to `events`: it sees what the switch did,
/// independently of the engine. The connection stays open for the rest of the test.
pub async fn switch_watcher(w: &World, events: &[&str]) -> outcall::esl::client::EventStream {
    let opts = outcall::esl::client::ClientOptions {
        events: events.iter().map(|e| e.to_string()).collect(),
        queue: 100_000,
        ..outcall::esl::client::ClientOptions::default()
    };
    let client = outcall::esl::client::Client::connect(&w.sim.addr().to_string(), "ClueCon", opts)
        .await
        .expect("watcher connects");
    let stream = client.subscribe_all();
    std::mem::forget(client);
    stream
}

/// [`campaign_toml`] whose greeting is `say ru currency {{BALANCE}}` (needs Russian prompts,
/// which the simulator does not have by default).
pub fn say_campaign_toml(name: &str) -> String {
    let toml = campaign_toml(name, 1, 1, "").replace(
        "type = \"speak\"\ntext = \"Ваша задолженность {{BALANCE|money_ru}}.\"",
        "type = \"say\"\nlang = \"ru\"\nkind = \"currency\"\ntext = \"{{BALANCE}}\"",
    );
    assert!(toml.contains("type = \"say\""));
    toml
}

/// Runs a `say ru currency` campaign (no Russian prompts in the simulator) on `w` and waits
/// until the engine pauses it as misconfigured.
pub async fn assert_say_without_prompts_pauses(w: &World, name: &str, limit: Duration) {
    let rows: Vec<NewContact> = phones("7900100", 3)
        .iter()
        .map(|(n, p)| contact(n, p, None))
        .collect();
    let id = w.campaign_with(&say_campaign_toml(name), &rows).await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Paused, limit).await;
    let (_, reason) = w.store.campaign_status(id).await.unwrap();
    assert!(
        reason.as_deref().unwrap_or("").contains("misconfigured"),
        "{reason:?}"
    );
    engine.stop().await;
}
