//! The web console beside a run that has no `outcall serve` (the demo): the HTTP API and its
//! console on a listener of their own, over the run's store, clock, switch and engine
//! counters, with an admin token made for the run and shown once.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::call::metrics::Metrics;
use crate::call::switch::Switch;
use crate::clock::Clock;
use crate::config::HttpSettings;
use crate::http::ApiState;
use crate::model::{Actor, Role};
use crate::ops::tokens;
use crate::store::Store;

/// A console being served.
pub struct Console {
    pub url: String,
    /// An admin token of this run (its store is temporary, so the token dies with it).
    pub token: String,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// Serves the API and the console on `listen`, or on a free loopback port when that address
/// is taken (another outcall may hold 8080).
pub async fn start(
    store: &Store,
    clock: &Clock,
    nodes: Vec<Arc<dyn Switch>>,
    metrics: Metrics,
    listen: &str,
) -> Result<Console, String> {
    let mut settings = HttpSettings {
        listen: listen.to_string(),
        ..HttpSettings::default()
    };
    let (listener, addr): (_, SocketAddr) = match crate::http::bind(&settings).await {
        Ok(bound) => bound,
        Err(_) => {
            settings.listen = "127.0.0.1:0".into();
            crate::http::bind(&settings)
                .await
                .map_err(|e| format!("cannot listen for the console: {e}"))?
        }
    };
    let actor = Actor {
        name: "outcall-demo".into(),
        role: Role::Admin,
    };
    let token = tokens::create(store, &actor, "demo", Role::Admin, clock.now())
        .await
        .map_err(|e| format!("console token: {e}"))?;
    let mut state = ApiState::new(store.clone(), clock.clone(), settings, "RU");
    state.nodes = nodes;
    state.metrics = Some(metrics);
    let stop = CancellationToken::new();
    let until = stop.clone();
    let task = tokio::spawn(async move {
        if let Err(e) = crate::http::serve(listener, Arc::new(state), until).await {
            tracing::error!(error = %e, "the console stopped");
        }
    });
    Ok(Console {
        url: format!("http://{addr}/"),
        token,
        stop,
        task,
    })
}

impl Console {
    /// Stops serving (after Ctrl-C when `keep`) and waits for the server to finish.
    pub async fn close(self, keep: bool) {
        if keep {
            println!(
                "the web console stays open at {} (Ctrl-C ends the demo)",
                self.url
            );
            let _ = tokio::signal::ctrl_c().await;
        }
        self.stop.cancel();
        let _ = self.task.await;
    }
}
