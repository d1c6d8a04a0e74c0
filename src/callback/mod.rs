//! Callback jobs (seeds/000, Callback v.11) as a domain: the request and its checks
//! ([`spec`]), the statuses with their codes and the recall rule ([`status`]), and caller ID by
//! location ([`callerid`]). The call module runs a job on the switch (`call::callback`); the
//! store keeps it; `ops::callbacks` is the service every front end goes through.

pub mod callerid;
mod fields;
pub mod record;
pub mod spec;
pub mod status;

#[cfg(test)]
mod tests;

pub use spec::{CallbackRequest, CallbackSpec, DialMode, Managers};
pub use status::{CallbackStatus, JobState, Next};
