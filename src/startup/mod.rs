//! Wiring at the edge: FreeSWITCH node connections from the config (`nodes`), the webhook
//! delivery worker (`webhooks`) and the demo run (`demo`: a temporary store, the simulator
//! in-process, a campaign, a report).

pub mod console;
pub mod demo;
pub mod nodes;
pub mod webhooks;
