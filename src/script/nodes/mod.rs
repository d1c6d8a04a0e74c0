//! One file per node type: its TOML fields, its checks ([`super::NodeSpec`]) and what it does
//! on a live call (`run`). The list of types is `node_types!` in `script/mod.rs`.

pub mod bridge;
pub mod dtmf;
pub mod hangup;
pub mod menu;
pub mod pause;
pub mod play;
pub mod record;
pub mod say;
pub mod set;
pub mod speak;
pub mod voicemail;
pub mod webhook;

use std::time::Duration;

pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}
