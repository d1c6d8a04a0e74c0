//! Wiring at the edge: FreeSWITCH node connections from the config (`nodes`), the webhook
//! delivery worker (`webhooks`) and the demo run (`demo`: a temporary store, the simulator
//! in-process, a campaign, a report) and what `serve` prints as it runs (`watch`).

pub mod console;
pub mod demo;
pub mod nodes;
pub mod watch;
pub mod webhooks;
