//! outcall: an outbound dialer and campaign scheduler driving FreeSWITCH over its event socket.
//!
//! Layers point one way: `esl` knows bytes and frames only; `sim` is a switch built on the same
//! codec; `campaign` and `store` are the domain and its persistence; `scheduler` and `dialer`
//! run campaigns over an ESL client. `cli` is the thin shell the binary calls.

pub mod campaign;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dialer;
pub mod esl;
pub mod model;
pub mod scheduler;
pub mod script;
pub mod sim;
pub mod store;
