//! Builds the engine's FreeSWITCH nodes from `[[freeswitch]]` configuration: one supervised ESL
//! connection per node, with its pacing limits and liveness probe.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::call::esl_switch::{EslSwitch, Probe};
use crate::config::FreeswitchNode;
use crate::scheduler::engine::NodeSpec;
use crate::scheduler::pacing::NodeLimits;

/// Starts a connection to every configured node (they connect in the background).
pub fn esl_nodes(
    nodes: &[FreeswitchNode],
    shutdown: &CancellationToken,
) -> Vec<(Arc<EslSwitch>, NodeSpec)> {
    nodes
        .iter()
        .map(|n| {
            let probe = Probe {
                interval: n.probe_interval,
                timeout: n.probe_timeout,
            };
            let switch = EslSwitch::start_probed(
                n.label(),
                &n.address,
                n.password.clone(),
                probe,
                shutdown.clone(),
            );
            let spec = NodeSpec {
                switch: switch.clone(),
                limits: NodeLimits {
                    name: n.label().to_string(),
                    max_sessions: n.max_sessions,
                    cps: n.cps,
                    weight: n.weight,
                },
            };
            (switch, spec)
        })
        .collect()
}

/// Waits until at least one node is connected, up to `limit`; returns how many are.
pub async fn wait_any_up(nodes: &[Arc<EslSwitch>], limit: Duration) -> usize {
    use crate::call::switch::Switch;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let up = nodes.iter().filter(|s| s.is_up()).count();
        if up > 0 || tokio::time::Instant::now() >= deadline {
            return up;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
