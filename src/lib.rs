//! outcall: an outbound dialer and campaign scheduler driving FreeSWITCH over its event socket.
//!
//! Layers point one way (docs/architecture.md; `tests/module_graph.rs` checks it): `esl` knows
//! bytes and frames only; `sim` is a switch built on the same codec; `model` is the shared
//! vocabulary; `script` the call script; `campaign` and `store` the domain and its persistence;
//! `import` turns CSV into contacts; `scheduler` decides when and how many and hands each
//! contact to `call`, which owns one call's life. `ops` is the service layer every user action goes through; `webhooks` sends the call webhooks
//! the store's outbox holds; `startup` and `cli` are the edge.

pub mod call;
pub mod callback;
pub mod campaign;
pub mod cli;
pub mod clock;
pub mod config;
pub mod esl;
pub mod http;
pub mod import;
pub mod model;
pub mod numbering;
pub mod ops;
pub mod scheduler;
pub mod script;
pub mod sim;
pub mod startup;
pub mod store;
pub mod webhooks;
