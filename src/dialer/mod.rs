//! The dialer: everything about placing and running one call. Dispositions and the retry
//! policy (pure rules), pacing (caps and token buckets, node choice), and the call actor that
//! drives a call over the ESL client and runs its script (`crate::script`).

pub mod actor;
pub mod call_channel;
pub mod disposition;
pub mod esl_switch;
pub mod finish;
pub mod metrics;
pub mod pacing;
pub mod retry;
pub mod say_watch;
pub mod switch;
pub mod webhook;
