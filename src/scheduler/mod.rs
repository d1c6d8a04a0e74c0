//! The scheduler: decides when, what and how many. It wakes at the next due time or when
//! notified, computes which time zones are inside their calling window, leases due contacts up
//! to the free pacing slots (campaign, gateway, node and process caps; `pacing`) and hands each
//! to the `call` module, which owns the call from there. Recovery after a restart lives here
//! too.

mod by_time;
pub mod callbacks;
mod callbacks_recover;
pub mod definitions;
pub mod engine;
pub mod handle;
pub mod options;
pub mod pacing;
mod place;
pub mod recover;
pub mod shared;
pub mod zones;
