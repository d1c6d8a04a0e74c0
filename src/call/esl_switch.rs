//! [`Switch`] over the ESL inbound client: one supervised connection per FreeSWITCH node.
//! A supervisor task connects, authenticates and subscribes; when the socket dies, or the
//! liveness probe (`api status` every [`Probe::interval`]) goes unanswered for
//! [`Probe::timeout`] (a hung switch keeps its TCP connection), it marks the node down (its
//! calls' event streams end, so they finish as technical failures and pacing sends new calls
//! elsewhere) and reconnects with backoff (0.2 s doubling to 10 s), subscribing again. The
//! password is a [`Secret`] and is never logged.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::switch::{CallEvent, Events, Switch, SwitchError, SwitchStats};
use crate::config::Secret;
use crate::esl::client::{Client, ClientOptions, Error as EslError};
use crate::esl::command::app::uuid_kill_args;
use crate::esl::command::{originate_args, AppCall};

/// The events the dialer subscribes to.
pub const EVENTS: [&str; 13] = [
    "CHANNEL_CREATE",
    "CHANNEL_ANSWER",
    "CHANNEL_PARK",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE_COMPLETE",
    // The keys a callback job's manager presses (heard whatever application runs).
    "DTMF",
    "BACKGROUND_JOB",
    "HEARTBEAT",
    // Every word after CUSTOM is a subclass (mod_event_socket's `event` parser).
    "CUSTOM",
    "filestring::fail",
    // mod_avmd's beep, routed by its Unique-ID to the call (a `voicemail` node waits for it).
    "avmd::beep",
];

/// The liveness probe of a node: `api status` every `interval`; no reply within `timeout`
/// marks the node unhealthy (see [`EslSwitch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub interval: Duration,
    pub timeout: Duration,
}

impl Default for Probe {
    fn default() -> Self {
        Probe {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
        }
    }
}

/// One FreeSWITCH node over ESL.
pub struct EslSwitch {
    name: String,
    probe: Probe,
    client: RwLock<Option<Client>>,
    up: AtomicBool,
    /// The last connection attempt was refused (see [`Switch::process_gone`]).
    gone: AtomicBool,
    /// Events received, over every connection.
    events: AtomicU64,
    /// Connections made (the first is not a reconnect).
    connections: AtomicU64,
    unrouted_tx: mpsc::UnboundedSender<CallEvent>,
    unrouted_rx: Mutex<Option<mpsc::UnboundedReceiver<CallEvent>>>,
}

fn esl_error(name: &str, e: EslError) -> SwitchError {
    match e {
        EslError::Failed(m) => SwitchError::Refused(m),
        EslError::HungUp(_) => SwitchError::HungUp,
        EslError::Command(c) => SwitchError::Unsafe(c.to_string()),
        _ => SwitchError::Unreachable(name.to_string()),
    }
}

impl EslSwitch {
    /// Starts the supervisor for the node at `address` with the default probe; it runs until
    /// `shutdown`.
    pub fn start(
        name: &str,
        address: &str,
        password: Secret,
        shutdown: CancellationToken,
    ) -> Arc<EslSwitch> {
        EslSwitch::start_probed(name, address, password, Probe::default(), shutdown)
    }

    /// [`EslSwitch::start`] with this liveness probe.
    pub fn start_probed(
        name: &str,
        address: &str,
        password: Secret,
        probe: Probe,
        shutdown: CancellationToken,
    ) -> Arc<EslSwitch> {
        let (tx, rx) = mpsc::unbounded_channel();
        let node = Arc::new(EslSwitch {
            name: name.to_string(),
            probe,
            client: RwLock::new(None),
            up: AtomicBool::new(false),
            gone: AtomicBool::new(false),
            events: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            unrouted_tx: tx,
            unrouted_rx: Mutex::new(Some(rx)),
        });
        let supervised = node.clone();
        let address = address.to_string();
        tokio::spawn(async move { supervised.supervise(address, password, shutdown).await });
        node
    }

    /// Waits until the node is connected, up to `limit`.
    pub async fn wait_up(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.is_up() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    fn current(&self) -> Result<Client, SwitchError> {
        self.client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| SwitchError::Unreachable(self.name.clone()))
    }

    async fn supervise(
        self: Arc<Self>,
        address: String,
        password: Secret,
        shutdown: CancellationToken,
    ) {
        let mut backoff = Duration::from_millis(200);
        loop {
            let opts = ClientOptions {
                events: EVENTS.iter().map(|s| s.to_string()).collect(),
                queue: 4096,
                ..ClientOptions::default()
            };
            let connect = Client::connect(&address, password.expose(), opts);
            let client = tokio::select! {
                _ = shutdown.cancelled() => return,
                r = connect => r,
            };
            match client {
                Ok(client) => {
                    self.gone.store(false, Ordering::SeqCst);
                    backoff = Duration::from_millis(200);
                    self.connections.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(node = %self.name, "connected to FreeSWITCH");
                    self.run_connection(client, &shutdown).await;
                    if shutdown.is_cancelled() {
                        return;
                    }
                }
                Err(e) => {
                    self.gone
                        .store(matches!(e, EslError::Refused(_)), Ordering::SeqCst);
                    tracing::warn!(node = %self.name, error = %e, "cannot connect to FreeSWITCH")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }

    async fn run_connection(&self, client: Client, shutdown: &CancellationToken) {
        let mut all = client.subscribe_all();
        *self.client.write().unwrap_or_else(|e| e.into_inner()) = Some(client.clone());
        self.up.store(true, Ordering::SeqCst);
        let unresponsive = probe(client.clone(), self.probe);
        tokio::pin!(unresponsive);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = &mut unresponsive => {
                    tracing::warn!(
                        node = %self.name,
                        timeout_ms = self.probe.timeout.as_millis() as u64,
                        "FreeSWITCH did not answer the liveness probe (api status) in time: node unhealthy, its calls are lost, new calls go to other nodes"
                    );
                    // Nothing may wait on a switch that does not answer: every waiter fails
                    // and every event stream of its calls ends.
                    self.up.store(false, Ordering::SeqCst);
                    client.abort();
                    break;
                }
                why = client.closed() => {
                    tracing::warn!(node = %self.name, reason = %why, "FreeSWITCH connection lost");
                    break;
                }
                ev = all.recv() => {
                    let Some(ev) = ev else { break };
                    self.events.fetch_add(1, Ordering::Relaxed);
                    if ev.unique_id().is_none() && ev.event_name().as_deref() == Some("CUSTOM") {
                        let _ = self.unrouted_tx.send(CallEvent(ev));
                    }
                }
            }
        }
        self.up.store(false, Ordering::SeqCst);
        *self.client.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Resolves when one `api status` of the liveness probe went unanswered for `probe.timeout`;
/// pends forever while the switch answers (or once the connection is gone: that is noticed
/// elsewhere).
async fn probe(client: Client, probe: Probe) {
    loop {
        tokio::time::sleep(probe.interval).await;
        match tokio::time::timeout(probe.timeout, client.api("status", "")).await {
            Err(_) => return,
            Ok(Err(e)) if e.is_disconnect() => std::future::pending::<()>().await,
            Ok(_) => {}
        }
    }
}

impl Switch for EslSwitch {
    fn name(&self) -> &str {
        &self.name
    }

    fn stats(&self) -> SwitchStats {
        SwitchStats {
            events: self.events.load(Ordering::Relaxed),
            reconnects: self.connections.load(Ordering::Relaxed).saturating_sub(1),
        }
    }

    fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }

    fn process_gone(&self) -> bool {
        self.gone.load(Ordering::SeqCst)
    }

    fn channel_events(&self, uuid: &str) -> Result<Events, SwitchError> {
        let client = self.current()?;
        Ok(client.channel_events(uuid).map(CallEvent).boxed())
    }

    fn unrouted(&self) -> Option<Events> {
        let rx = self
            .unrouted_rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        Some(
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) })
                .boxed(),
        )
    }

    fn originate<'a>(
        &'a self,
        vars: Vec<(String, String)>,
        endpoint: String,
        destination: String,
    ) -> BoxFuture<'a, Result<String, SwitchError>> {
        async move {
            let client = self.current()?;
            let pairs: Vec<(&str, &str)> =
                vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let args = originate_args(&pairs, &endpoint, &destination)
                .map_err(|e| SwitchError::Unsafe(e.to_string()))?;
            let job = client
                .bgapi_start("originate", &args, None)
                .await
                .map_err(|e| esl_error(&self.name, e))?;
            let result = job.wait().await.map_err(|e| esl_error(&self.name, e))?;
            Ok(result.body)
        }
        .boxed()
    }

    fn execute<'a>(
        &'a self,
        uuid: &'a str,
        call: &'a AppCall,
    ) -> BoxFuture<'a, Result<CallEvent, SwitchError>> {
        async move {
            let client = self.current()?;
            client
                .execute(uuid, call.app(), call.arg())
                .await
                .map(CallEvent)
                .map_err(|e| esl_error(&self.name, e))
        }
        .boxed()
    }

    fn hangup<'a>(
        &'a self,
        uuid: &'a str,
        cause: &'a str,
    ) -> BoxFuture<'a, Result<(), SwitchError>> {
        async move {
            let client = self.current()?;
            client
                .hangup(uuid, cause)
                .await
                .map(|_| ())
                .map_err(|e| esl_error(&self.name, e))
        }
        .boxed()
    }

    fn kill<'a>(&'a self, uuid: &'a str, cause: &'a str) -> BoxFuture<'a, Result<(), SwitchError>> {
        async move {
            let client = self.current()?;
            let args =
                uuid_kill_args(uuid, cause).map_err(|e| SwitchError::Unsafe(e.to_string()))?;
            let body = client
                .api("uuid_kill", &args)
                .await
                .map_err(|e| esl_error(&self.name, e))?;
            if body.starts_with("-ERR") {
                return Err(SwitchError::Refused(body.trim().to_string()));
            }
            Ok(())
        }
        .boxed()
    }

    fn uuid_exists<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<bool, SwitchError>> {
        async move {
            let client = self.current()?;
            let body = client
                .api("uuid_exists", uuid)
                .await
                .map_err(|e| esl_error(&self.name, e))?;
            Ok(body.trim() == "true")
        }
        .boxed()
    }
}
