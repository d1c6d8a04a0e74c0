//! One task per connection: inbound (auth, then commands) and outbound (`connect`, then
//! commands for one channel). Commands are handled one at a time with exactly one reply each;
//! queued events go out between replies (never during `api`, which runs inline).

use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::codec::Framed;

use super::core::{Core, Listener};
use super::encode::{
    api_response, command_reply, disconnect_notice, linger_notice, Format, GOODBYE,
};
use super::event::Event;
use super::subs::Subs;
use super::Faults;
use crate::esl::{Request, ServerCodec};

/// The outbound side of a session: the channel it controls.
pub struct OutboundCtx {
    pub uuid: String,
    pub channel_name: String,
    pub full: bool,
    pub connected: bool,
    /// None: no linger; Some(-1): forever; Some(n): n seconds.
    pub linger: Option<i64>,
    pub hung_up: bool,
}

/// What the loop does after a command.
pub enum Next {
    Continue,
    /// Write the goodbye notice and close.
    Bye,
}

/// A connection's state.
pub struct Session {
    pub core: Arc<Core>,
    pub framed: Framed<TcpStream, ServerCodec>,
    pub subs: Arc<RwLock<Subs>>,
    pub listener: Arc<Listener>,
    pub authed: bool,
    pub password: String,
    pub outbound: Option<OutboundCtx>,
    pub faults: Faults,
    events_sent: u64,
    requests_read: u64,
    myevents: bool,
    linger_deadline: Option<Instant>,
}

impl Session {
    pub fn new(
        core: Arc<Core>,
        stream: TcpStream,
        password: String,
    ) -> (Session, tokio::sync::mpsc::Receiver<Arc<Event>>) {
        Self::new_watching(core, stream, password, None)
    }

    /// A session whose listener also gets `watch`'s CHANNEL_HANGUP (outbound sessions).
    pub fn new_watching(
        core: Arc<Core>,
        stream: TcpStream,
        password: String,
        watch: Option<String>,
    ) -> (Session, tokio::sync::mpsc::Receiver<Arc<Event>>) {
        let _ = stream.set_nodelay(true);
        let subs = Arc::new(RwLock::new(Subs::default()));
        let (listener, rx) = core.add_listener(subs.clone(), watch);
        let faults = core.faults.lock().map(|f| f.clone()).unwrap_or_default();
        core.counters.connections.fetch_add(1, Ordering::Relaxed);
        let s = Session {
            core,
            framed: Framed::new(stream, ServerCodec::default()),
            subs,
            listener,
            authed: false,
            password,
            outbound: None,
            faults,
            events_sent: 0,
            requests_read: 0,
            myevents: false,
            linger_deadline: None,
        };
        (s, rx)
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        SinkExt::<Bytes>::flush(&mut self.framed)
            .await
            .map_err(std::io::Error::other)
    }

    pub async fn write(&mut self, bytes: Vec<u8>) -> std::io::Result<()> {
        self.framed
            .send(Bytes::from(bytes))
            .await
            .map_err(std::io::Error::other)
    }

    pub async fn reply(&mut self, text: &str) -> std::io::Result<()> {
        self.write(command_reply(text, &[])).await
    }

    /// The main loop: requests and events until the client leaves or the session ends.
    pub async fn run(mut self, mut events: tokio::sync::mpsc::Receiver<Arc<Event>>) {
        let result = self.run_inner(&mut events).await;
        if let Err(e) = result {
            tracing::debug!(%e, "sim connection ended");
        }
        self.core.remove_listener(self.listener.id);
        if let Some(o) = &self.outbound {
            if let Some(e) = self.core.channel(&o.uuid) {
                let _ = e.tx.send(super::leg::LegCmd::SocketClosed);
            }
        }
    }

    async fn run_inner(
        &mut self,
        events: &mut tokio::sync::mpsc::Receiver<Arc<Event>>,
    ) -> std::io::Result<()> {
        let shutdown = self.core.shutdown.clone();
        let mut hung = self.core.hung.subscribe();
        loop {
            self.core.awake().await;
            let reading = self
                .faults
                .stop_reading_after_requests
                .is_none_or(|n| self.requests_read < n);
            tokio::select! {
                req = self.framed.next(), if reading => {
                    let Some(req) = req else { return Ok(()) };
                    let req = match req {
                        Ok(r) => r,
                        Err(e) => {
                            tracing::debug!(%e, "bad request; closing");
                            return Ok(());
                        }
                    };
                    self.requests_read += 1;
                    if let Next::Bye = super::commands::handle(self, req).await? {
                        return self.goodbye().await;
                    }
                }
                ev = events.recv() => {
                    let Some(ev) = ev else { return Ok(()) };
                    if self.deliver(ev, events).await? {
                        return Ok(());
                    }
                }
                _ = tokio::time::sleep_until(self.linger_deadline.unwrap_or_else(Instant::now)), if self.linger_deadline.is_some() => {
                    self.flush().await?;
                    return self.goodbye().await;
                }
                // A hang stops the session where it is (the loop waits at its top).
                _ = async { let _ = hung.wait_for(|h| *h).await; } => {}
                _ = shutdown.cancelled() => {
                    let notice = disconnect_notice(None, "The system is being shut down.\n");
                    let _ = self.write(notice).await;
                    return Ok(());
                }
            }
        }
    }

    /// Sends the goodbye notice (outbound sessions name their channel).
    pub async fn goodbye(&mut self) -> std::io::Result<()> {
        let uuid = self.outbound.as_ref().map(|o| o.uuid.clone());
        self.write(disconnect_notice(uuid.as_deref(), GOODBYE))
            .await?;
        let _ = self.framed.get_mut().shutdown().await;
        Ok(())
    }

    /// Writes an event (and whatever else is queued); true when the session must end.
    async fn deliver(
        &mut self,
        first: Arc<Event>,
        events: &mut tokio::sync::mpsc::Receiver<Arc<Event>>,
    ) -> std::io::Result<bool> {
        let mut next = Some(first);
        let mut budget = 256;
        while let Some(ev) = next.take() {
            if self.listener.killed.load(Ordering::Relaxed) {
                let n = disconnect_notice(None, "killed listener because of lost events\n");
                let _ = self.write(n).await;
                return Ok(true);
            }
            let wanted = self.subs.read().map(|s| s.wants(&ev)).unwrap_or(false);
            if wanted && (self.authed || self.outbound.is_some()) {
                let format = self.subs.read().map(|s| s.format).unwrap_or(Format::Plain);
                self.framed
                    .feed(ev.frame(format))
                    .await
                    .map_err(std::io::Error::other)?;
                self.events_sent += 1;
                if self.apply_faults().await? {
                    return Ok(true);
                }
            }
            if self.outbound_saw(&ev).await? {
                return Ok(true);
            }
            budget -= 1;
            if budget > 0 {
                next = events.try_recv().ok();
            }
        }
        self.flush().await?;
        Ok(false)
    }

    /// Fault injection after each event; true when the connection is to be dropped.
    async fn apply_faults(&mut self) -> std::io::Result<bool> {
        let n = self.events_sent;
        if self.faults.drop_after_events == Some(n) {
            self.flush().await?;
            return Ok(true);
        }
        if self.faults.malformed_after_events == Some(n) {
            self.framed
                .feed(Bytes::from_static(
                    b"Content-Length: 12\nThis is not a header line\n\n",
                ))
                .await
                .map_err(std::io::Error::other)?;
        }
        if let Some((after, dur)) = self.faults.stall_after_events {
            if after == n {
                self.flush().await?;
                tokio::time::sleep(dur).await;
            }
        }
        Ok(false)
    }

    /// Outbound: the controlled channel hung up (linger notice or goodbye) or its socket app
    /// completed. True when the session ends.
    async fn outbound_saw(&mut self, ev: &Event) -> std::io::Result<bool> {
        let Some(o) = self.outbound.as_mut() else {
            return Ok(false);
        };
        if ev.unique_id.as_deref() != Some(o.uuid.as_str()) || o.hung_up {
            return Ok(false);
        }
        if ev.name != "CHANNEL_HANGUP" {
            return Ok(false);
        }
        o.hung_up = true;
        match o.linger {
            Some(secs) => {
                let n = linger_notice(&o.uuid, &o.channel_name, secs);
                self.framed
                    .feed(Bytes::from(n))
                    .await
                    .map_err(std::io::Error::other)?;
                if secs >= 0 {
                    let d = std::time::Duration::from_secs(secs.unsigned_abs());
                    self.linger_deadline = Some(self.core.id.clock.deadline(d));
                }
                Ok(false)
            }
            None => {
                self.flush().await?;
                self.goodbye().await?;
                Ok(true)
            }
        }
    }

    pub fn set_myevents(&mut self) -> bool {
        let was = self.myevents;
        self.myevents = true;
        !was
    }

    pub async fn api_reply(&mut self, body: &str) -> std::io::Result<()> {
        self.write(api_response(body)).await
    }
}

/// Runs an inbound connection: greeting, auth, commands.
pub async fn serve_inbound(core: Arc<Core>, stream: TcpStream, password: String) {
    let (mut s, rx) = Session::new(core, stream, password);
    // A hung switch has accepted the TCP connection (the kernel does) but greets no one.
    s.core.awake().await;
    if s.write(b"Content-Type: auth/request\n\n".to_vec())
        .await
        .is_err()
    {
        s.core.remove_listener(s.listener.id);
        return;
    }
    s.run(rx).await;
}

/// Header lookup on a request, case-insensitive, trimmed.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}
