//! The scheduler: decides which contacts are called when. It wakes at the next due time or when
//! notified, computes which timezones are inside their calling window, leases due contacts up to
//! the free pacing slots and hands each to a call actor (`dialer`).

pub mod demo;
pub mod engine;
pub mod nodes;
pub mod recover;
pub mod report;
pub mod zones;
