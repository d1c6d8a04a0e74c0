//! What `make chaos` (tests/chaos.rs) runs against: `outcall sim` processes it can kill, stop
//! and continue, and a watcher on each one's event socket that follows every channel as the
//! switch sees it (live channels by number, numbers that were up twice at once).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use outcall::esl::client::{Client, ClientOptions};
use tokio::time::Instant;

/// An `outcall sim` process; killed when dropped.
pub struct SimProcess {
    child: std::process::Child,
    pub addr: SocketAddr,
}

impl SimProcess {
    /// Starts one at `scale` with the rules file `rules`.
    pub fn start(rules: &std::path::Path, seed: u32, scale: &str) -> SimProcess {
        use std::process::Stdio;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_outcall"))
            .args(["sim", "--listen", "127.0.0.1:0", "--time-scale", scale])
            .args(["--seed", &seed.to_string(), "--rules"])
            .arg(rules)
            .env("OUTCALL_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn outcall sim");
        let mut line = String::new();
        let out = child.stdout.take().unwrap();
        BufReader::new(out).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("sim address in {line:?}"));
        SimProcess { child, addr }
    }

    /// `kill -SIG` of the process (KILL, STOP, CONT).
    pub fn signal(&self, sig: &str) {
        signal(self.child.id(), sig);
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        self.signal("CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// What the switches' own event sockets show.
#[derive(Default)]
pub struct Watch {
    /// Live channels: uuid -> (node, number).
    pub live: HashMap<String, (usize, String)>,
    /// Every channel created.
    pub created: HashSet<String>,
    /// Numbers that had two live channels at once.
    pub doubled: BTreeSet<String>,
    /// When each node created channels.
    pub creates: Vec<(Instant, usize)>,
}

pub type Watched = Arc<Mutex<Watch>>;

/// Follows the channels of node `node` at `addr` until its socket ends (the process died:
/// its channels went with it).
pub async fn watch(addr: SocketAddr, node: usize, seen: Watched) {
    let opts = ClientOptions {
        events: vec!["CHANNEL_CREATE".into(), "CHANNEL_HANGUP_COMPLETE".into()],
        liveness: None,
        queue: 100_000,
        ..ClientOptions::default()
    };
    let client = Client::connect(&addr.to_string(), "ClueCon", opts)
        .await
        .expect("the watcher connects");
    let mut events = client.subscribe_all();
    tokio::spawn(async move {
        let _client = client;
        while let Some(ev) = events.recv().await {
            let uuid = ev.unique_id().unwrap_or_default().to_string();
            let mut w = seen.lock().unwrap();
            if ev.event_name().as_deref() == Some("CHANNEL_CREATE") {
                let number = ev
                    .get("Caller-Destination-Number")
                    .unwrap_or_default()
                    .into_owned();
                if w.live.values().any(|(_, n)| *n == number) {
                    w.doubled.insert(number.clone());
                }
                w.created.insert(uuid.clone());
                w.creates.push((Instant::now(), node));
                w.live.insert(uuid, (node, number));
            } else {
                w.live.remove(&uuid);
            }
        }
        seen.lock().unwrap().live.retain(|_, (n, _)| *n != node);
    });
}
