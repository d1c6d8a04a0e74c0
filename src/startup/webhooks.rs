//! The webhook delivery worker `outcall serve` runs beside the engine, from outcall.toml's
//! `[webhooks]`: its HTTP client (with the extra CA file, if any) and its schedule.

use crate::clock::Clock;
use crate::config::WebhookSettings;
use crate::store::Store;
use crate::webhooks::{HttpClient, HttpError, Worker, WorkerOptions};

/// The worker delivering `store`'s outbox for the dialer `owner`.
pub fn delivery_worker(
    settings: &WebhookSettings,
    store: Store,
    clock: Clock,
    owner: &str,
) -> Result<Worker, HttpError> {
    let pem =
        match &settings.ca_file {
            Some(path) => Some(std::fs::read(path).map_err(|e| {
                HttpError::Setup(format!("webhooks.ca_file {}: {e}", path.display()))
            })?),
            None => None,
        };
    let client = HttpClient::new(pem.as_deref())?;
    let opts = WorkerOptions::from_settings(owner, settings);
    Ok(Worker::new(store, clock, client, opts))
}
