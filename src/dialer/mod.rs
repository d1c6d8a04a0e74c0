//! The dialer: everything about placing and running one call. Dispositions and the retry
//! policy (pure rules), pacing (caps and token buckets, node choice), speech templates, the
//! call script interpreter, and the call actor that drives a call over the ESL client.

pub mod actor;
pub mod call_channel;
pub mod compile;
pub mod disposition;
pub mod esl_switch;
pub mod finish;
pub mod flow;
pub mod metrics;
pub mod pacing;
pub mod retry;
pub mod say_watch;
pub mod script;
pub mod switch;
pub mod template;
pub mod webhook;
pub mod words_en;
pub mod words_ru;

#[cfg(test)]
mod script_tests;
