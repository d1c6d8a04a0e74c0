//! Campaigns: TOML definitions (schedule, limits, retry, the call script from `script`), calling
//! windows as pure functions, the stored record, and subscriber text rules. No I/O here except
//! reading definition files; CSV import is `crate::import`.

pub mod definition;
pub mod record;
pub mod schedule;
pub mod text;
pub mod window;
pub mod zone_set;
