//! One call's whole life: place it (`bgapi originate` to `&park()`), follow its events, run its
//! script once the channel has parked, and finish it (disposition from the facts, the retry
//! policy's next step, one fenced store transaction). The scheduler hands a claimed contact in;
//! nothing outside reaches into a call.

pub mod actor;
pub mod call_channel;
pub mod callback;
pub mod disposition;
pub mod esl_switch;
pub mod finish;
pub mod hook_events;
pub mod job;
pub mod metrics;
pub mod orphans;
pub mod retry;
pub mod say_watch;
pub mod script_health;
pub mod switch;
pub mod webhook;
