//! Campaigns: the domain model, TOML definitions (schedule, limits, retry, call script), calling
//! windows as pure functions, and CSV import. No I/O here except reading files and the store calls
//! that import makes.

pub mod definition;
pub mod import;
pub mod model;
pub mod schedule;
pub mod script;
pub mod template;
pub mod text;
pub mod window;
