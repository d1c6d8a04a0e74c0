//! Channels a call lost with its node. When a node's socket dies or the node stops answering
//! its liveness probe, the call is recorded (technical) at once, but its channel may live on
//! there (a hung switch, a dropped connection). Until that channel is known to be gone, its
//! number is not dialled again (the switch would carry two live channels for one number), and
//! as soon as the node is back the channel is hung up. A node whose address refuses connections
//! has no process left, so no channel either: its orphans are released.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::switch::Switch;

/// How often the orphans' nodes are looked at.
const SWEEP_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Orphan {
    node: usize,
    uuid: String,
    phone: String,
}

/// The channels lost with their nodes, by node index (the engine's order of nodes).
#[derive(Debug, Default)]
pub struct Orphans {
    list: Mutex<Vec<Orphan>>,
}

impl Orphans {
    fn with<T>(&self, f: impl FnOnce(&mut Vec<Orphan>) -> T) -> T {
        f(&mut self.list.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Channel `uuid` (number `phone`) may still live on node `node`.
    pub fn add(&self, node: usize, uuid: &str, phone: &str) {
        self.with(|l| {
            l.push(Orphan {
                node,
                uuid: uuid.to_string(),
                phone: phone.to_string(),
            })
        });
    }

    /// Whether a channel of `phone` may still live on a lost node.
    pub fn holds(&self, phone: &str) -> bool {
        self.with(|l| l.iter().any(|o| o.phone == phone))
    }

    pub fn len(&self) -> usize {
        self.with(|l| l.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn of_node(&self, node: usize) -> Vec<String> {
        self.with(|l| {
            l.iter()
                .filter(|o| o.node == node)
                .map(|o| o.uuid.clone())
                .collect()
        })
    }

    fn release(&self, node: usize, uuid: Option<&str>) {
        self.with(|l| l.retain(|o| o.node != node || uuid.is_some_and(|u| u != o.uuid)));
    }

    /// One look at every node with orphans: a node that is up gets each orphan hung up (or
    /// confirmed gone); a node whose process is gone releases them all.
    pub async fn sweep(&self, nodes: &[Arc<dyn Switch>]) {
        for (index, node) in nodes.iter().enumerate() {
            let uuids = self.of_node(index);
            if uuids.is_empty() {
                continue;
            }
            if node.process_gone() {
                tracing::info!(node = %node.name(), channels = uuids.len(), "node process gone: its lost calls' channels went with it");
                self.release(index, None);
                continue;
            }
            if !node.is_up() {
                continue;
            }
            for uuid in uuids {
                // Released only once the switch says the channel is gone (a kill is confirmed
                // by the next sweep), so the number is never up twice, even for a moment.
                let gone = match node.uuid_exists(&uuid).await {
                    Ok(false) => true,
                    Ok(true) => {
                        let _ = node.kill(&uuid, "NORMAL_CLEARING").await;
                        false
                    }
                    Err(_) => false,
                };
                if gone {
                    tracing::info!(node = %node.name(), call_uuid = %uuid, "hung up a channel orphaned by a lost node");
                    self.release(index, Some(&uuid));
                }
            }
        }
    }

    /// Sweeps until `stop`.
    pub async fn sweep_until(&self, nodes: &[Arc<dyn Switch>], stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(SWEEP_EVERY) => {}
            }
            self.sweep(nodes).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_held_until_their_channels_are_released() {
        let o = Orphans::default();
        o.add(0, "u1", "+79001");
        o.add(0, "u2", "+79002");
        o.add(1, "u3", "+79003");
        assert!(o.holds("+79001") && o.holds("+79003") && !o.holds("+79004"));
        o.release(0, Some("u1"));
        assert!(!o.holds("+79001") && o.holds("+79002"));
        o.release(0, None);
        assert_eq!((o.len(), o.holds("+79003")), (1, true));
        assert_eq!(o.of_node(1), vec!["u3".to_string()]);
    }
}
