//! Call webhooks on the wire: the one HTTP client (`http`, also used by the script's `webhook`
//! node), the signature headers (`sign`), the retry schedule (`backoff`) and the delivery
//! worker (`worker`) that `outcall serve` runs beside the engine to send the store's outbox.
//! What a call reports and when is the call's business (`call::hook_events`); the rows are
//! written with the call's own (`store::outbox`). docs/webhooks.md is the receiver's side.

pub mod backoff;
pub mod http;
pub mod sign;
pub mod stats;
pub mod worker;

pub use backoff::Backoff;
pub use http::{HttpClient, HttpError, Reply};
pub use stats::OutboxStats;
pub use worker::{Worker, WorkerError, WorkerOptions};
