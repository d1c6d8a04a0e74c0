//! The outbound server: FreeSWITCH's `socket` dialplan application connects to us, one TCP
//! connection per call.
//!
//! [`Server::accept`] takes a connection, sends `connect`, and returns a [`Session`] holding the
//! channel's data (the `connect` reply: about 200 percent-encoded channel headers, Content-Type
//! last) and a route for the channel's events registered before any command is sent. A session
//! is an inbound-style connection task underneath ([`Client`]), so replies, executes, hangups and
//! disconnects behave as they do there; the socket-app commands are methods here.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, ToSocketAddrs};

use crate::esl::client::{Client, ClientOptions, Disconnect, Error, EventStream, Result};
use crate::esl::command::{self, EventFormat};
use crate::esl::event::Event;
use crate::esl::headers::Headers;

/// Listens for FreeSWITCH's outbound connections.
pub struct Server {
    listener: TcpListener,
    opts: ClientOptions,
}

impl Server {
    /// Binds the listener. `opts.events` and `opts.connect_timeout` are not used here: an
    /// outbound session asks for its channel's events with [`Session::myevents`].
    pub async fn bind(addr: impl ToSocketAddrs, opts: ClientOptions) -> std::io::Result<Server> {
        Ok(Server {
            listener: TcpListener::bind(addr).await?,
            opts,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Waits for FreeSWITCH to connect, then runs the `connect` handshake.
    pub async fn accept(&self) -> Result<Session> {
        let (stream, peer) = self.listener.accept().await.map_err(|e| Error::Connect {
            addr: "outbound listener".into(),
            reason: e.to_string(),
        })?;
        let _ = stream.set_nodelay(true);
        let handshake = Client::outbound_handshake(stream, &self.opts);
        let (client, reply) = tokio::time::timeout(self.opts.connect_timeout, handshake)
            .await
            .map_err(|_| Error::ConnectTimeout(peer.to_string()))??;
        let uuid = reply
            .headers
            .get("Unique-ID")
            .or_else(|| reply.headers.get("Channel-Unique-ID"))
            .map(|u| u.into_owned())
            .ok_or_else(|| Error::Protocol("connect reply without Unique-ID".into()))?;
        let events = client.channel_events(&uuid);
        Ok(Session {
            client,
            data: reply.headers,
            uuid,
            events,
        })
    }
}

/// One call handed to us by the `socket` application.
pub struct Session {
    client: Client,
    data: Headers,
    uuid: String,
    events: EventStream,
}

impl Session {
    /// The channel's variables and state as sent in the `connect` reply (decoded on access).
    pub fn channel_data(&self) -> &Headers {
        &self.data
    }

    /// The channel's UUID.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The channel's events (after [`Session::myevents`]); ends when the socket closes.
    pub fn events(&mut self) -> &mut EventStream {
        &mut self.events
    }

    /// The underlying connection, for any other command (`api`, `bgapi`, `filter`, …).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `myevents <format>`: this channel's events.
    pub async fn myevents(&self, format: EventFormat) -> Result<String> {
        self.client.command_ok(command::myevents(format)).await
    }

    /// `linger [secs]`: keep the socket after hangup to receive the last events.
    pub async fn linger(&self, secs: Option<u32>) -> Result<String> {
        self.client.linger(secs).await
    }

    /// `resume`: when the session ends, the dialplan continues.
    pub async fn resume(&self) -> Result<String> {
        self.client.command_ok(command::resume()).await
    }

    /// `divert_events on|off`.
    pub async fn divert_events(&self, on: bool) -> Result<String> {
        self.client.command_ok(command::divert_events(on)).await
    }

    /// `sendmsg` execute on this channel; resolves to its CHANNEL_EXECUTE_COMPLETE.
    pub async fn execute(&self, app: &str, arg: &str) -> Result<Arc<Event>> {
        self.client.execute(&self.uuid, app, arg).await
    }

    /// `sendmsg` hangup with a cause.
    pub async fn hangup(&self, cause: &str) -> Result<String> {
        self.client.hangup(&self.uuid, cause).await
    }

    /// `exit`: FreeSWITCH replies `+OK bye` and closes.
    pub async fn exit(&self) -> Result<()> {
        self.client.exit().await
    }

    /// Resolves when the socket has closed, with the reason.
    pub async fn closed(&self) -> Arc<Disconnect> {
        self.client.closed().await
    }
}
