//! Campaigns: TOML definitions (schedule, limits, retry, call script), calling
//! windows as pure functions, and CSV import. No I/O here except reading files and the store calls
//! that import makes.

pub mod definition;
pub mod import;
pub mod record;
pub mod schedule;
pub mod text;
pub mod window;
