//! The switch as the fault tests break and watch it: a TCP proxy in front of the simulator that
//! makes it unreachable (every connection cut, new ones closed at once) and reachable again,
//! and a view of the switch's own live channels per dialled number (from a second event-socket
//! client), which says whether a number ever had two live channels at once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A proxy to one address that can be switched off (the switch unreachable) and on.
pub struct Proxy {
    addr: SocketAddr,
    up: Arc<watch::Sender<bool>>,
}

impl Proxy {
    /// Listens on 127.0.0.1:0 and forwards to `target` while up (it starts up).
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(watch::Sender::new(true));
        let state = up.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !*state.borrow() {
                    drop(client);
                    continue;
                }
                tokio::spawn(forward(client, target, state.subscribe()));
            }
        });
        Proxy { addr, up }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Up: connections are forwarded. Down: every forwarded connection is cut and new ones
    /// are closed as soon as they are accepted.
    pub fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }
}

async fn forward(mut client: TcpStream, target: SocketAddr, mut up: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = up.wait_for(|up| !*up) => {}
    }
}

/// Live channels per dialled number, as the switch reports them (CHANNEL_CREATE and
/// CHANNEL_HANGUP_COMPLETE), and the most any number had at once.
pub struct LiveView {
    events: outcall::esl::client::EventStream,
    live: HashMap<String, String>,
    per_number: HashMap<String, usize>,
    most: HashMap<String, usize>,
}

impl LiveView {
    /// Starts watching the simulator `w` (before the engines place calls).
    pub async fn start(w: &super::World) -> LiveView {
        let events = super::switch_watcher(w, &["CHANNEL_CREATE", "CHANNEL_HANGUP_COMPLETE"]).await;
        LiveView {
            events,
            live: HashMap::new(),
            per_number: HashMap::new(),
            most: HashMap::new(),
        }
    }

    /// Reads every event received so far.
    pub fn catch_up(&mut self) {
        while let Some(ev) = self.events.try_recv() {
            let (Some(uuid), Some(name)) = (ev.unique_id(), ev.event_name()) else {
                continue;
            };
            let number = ev
                .get("Caller-Destination-Number")
                .map(|n| n.trim_start_matches('+').to_string())
                .unwrap_or_default();
            match name.as_ref() {
                "CHANNEL_CREATE" => {
                    self.live.insert(uuid.to_string(), number.clone());
                    let n = self.per_number.entry(number.clone()).or_default();
                    *n += 1;
                    let most = self.most.entry(number).or_default();
                    *most = (*most).max(*n);
                }
                "CHANNEL_HANGUP_COMPLETE" => {
                    if let Some(number) = self.live.remove(uuid.as_ref()) {
                        if let Some(n) = self.per_number.get_mut(&number) {
                            *n = n.saturating_sub(1);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Numbers that had two or more live channels at once.
    pub fn doubled(&mut self) -> Vec<String> {
        self.catch_up();
        let mut v: Vec<String> = self
            .most
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        v
    }

    /// Channels live now, as the switch said.
    pub fn live_now(&mut self) -> usize {
        self.catch_up();
        self.live.len()
    }

    /// Numbers that ever had a channel.
    pub fn numbers(&mut self) -> usize {
        self.catch_up();
        self.most.len()
    }
}
