//! The inbound ESL client: one task owns the socket, [`Client`] handles are cheap clones.
//!
//! How the dialer uses it:
//! ```no_run
//! # async fn demo() -> Result<(), outcall::esl::client::Error> {
//! use outcall::esl::client::{Client, ClientOptions};
//! use outcall::esl::command::originate_args;
//! let client = Client::connect("127.0.0.1:8021", "ClueCon", ClientOptions::default()).await?;
//! let uuid = "6f1c…";
//! let mut events = client.channel_events(uuid);          // 1. route first
//! let args = originate_args(&[("origination_uuid", uuid)], "sofia/gateway/gw/79001234567", "&park()")?;
//! let job = client.bgapi_start("originate", &args, None).await?; // 2. +OK Job-UUID
//! let done = client.execute(uuid, "playback", "/tmp/hello.wav").await?; // EXECUTE_COMPLETE
//! let result = job.wait().await?;                          // BACKGROUND_JOB body
//! client.hangup(uuid, "NORMAL_CLEARING").await?;
//! while let Some(ev) = events.recv().await { /* CHANNEL_* for this call */ }
//! let why = client.closed().await;                          // the connection died
//! # Ok(()) }
//! ```
//! Replies are matched in FIFO order; `bgapi` results by Job-UUID (they may arrive after the
//! channel's CHANNEL_DESTROY); `execute` results by the Event-UUID we send. Subscriber queues
//! are bounded and drop (and count) rather than block the reader. A disconnect fails every
//! waiter with [`Error::Disconnected`] and ends every stream.

mod conn;
mod error;
mod job;
mod router;
mod stream;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::codec::Framed;

pub use self::error::{Disconnect, Error, Result};
pub use self::job::{Job, JobResult};
pub use self::router::StatsSnapshot;
pub use self::stream::EventStream;

use self::conn::{is_err_reply, Conn, Op};
use self::job::{gone, recv};
use self::router::{Stats, Sub};
use crate::esl::codec::{ClientCodec, Limits};
use crate::esl::command::{self, Command, EventFormat};
use crate::esl::event::Event;
use crate::esl::frame::{Frame, FrameKind};

/// Read buffer of an inbound connection (the dialer's few, busy sockets): many typical events
/// (6-7 KB each) per read system call.
const READ_BUFFER: usize = 256 * 1024;
/// Read buffer of an outbound session (one per call, each carrying only its own events).
const OUTBOUND_READ_BUFFER: usize = 16 * 1024;

/// Connection settings.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Limit for TCP connect plus authentication and the first subscription.
    pub connect_timeout: Duration,
    /// Events subscribed right after auth (`event <format> …`); empty: none.
    pub events: Vec<String>,
    /// Event format asked for.
    pub format: EventFormat,
    /// Queue length of each subscriber; past it events are dropped and counted.
    pub queue: usize,
    /// With no frame from FreeSWITCH for between one and two of these periods, send
    /// `api status`; with no frame for one more period, declare the connection dead.
    /// `None`: no probe.
    pub liveness: Option<Duration>,
    /// Frame size limits.
    pub limits: Limits,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            events: vec!["ALL".into()],
            format: EventFormat::Plain,
            queue: 1024,
            liveness: Some(Duration::from_secs(30)),
            limits: Limits::default(),
        }
    }
}

struct Shared {
    ops: mpsc::UnboundedSender<Op>,
    closed: watch::Receiver<Option<Arc<Disconnect>>>,
    stats: Arc<Stats>,
    queue: usize,
    next_id: AtomicU64,
}

/// A handle to one inbound connection. Clone freely; all clones share the connection.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl Client {
    /// Connects over TCP, authenticates and subscribes, all within `opts.connect_timeout`,
    /// then spawns the connection task on the current runtime.
    pub async fn connect(addr: &str, password: &str, opts: ClientOptions) -> Result<Client> {
        let timeout = opts.connect_timeout;
        let work = async {
            let stream = TcpStream::connect(addr).await.map_err(|e| {
                if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    return Error::Refused(addr.to_owned());
                }
                Error::Connect {
                    addr: addr.to_owned(),
                    reason: e.to_string(),
                }
            })?;
            let _ = stream.set_nodelay(true);
            Client::handshake(stream, password, opts).await
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| Error::ConnectTimeout(addr.to_owned()))?
    }

    /// Authenticates and subscribes over an already open stream, then spawns the task.
    pub async fn handshake<S>(stream: S, password: &str, opts: ClientOptions) -> Result<Client>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let auth = command::auth(password)?;
        let mut framed = Framed::with_capacity(stream, ClientCodec::new(opts.limits), READ_BUFFER);
        let greeting = next_frame(&mut framed).await?;
        match greeting.kind() {
            FrameKind::AuthRequest => {}
            FrameKind::RudeRejection => {
                let body = greeting.body_text().unwrap_or_default();
                return Err(Error::Rejected(body.trim_end().to_owned()));
            }
            k => return Err(Error::Protocol(format!("expected auth/request, got {k:?}"))),
        }
        let reply = roundtrip(&mut framed, auth).await?;
        if !reply.starts_with("+OK") {
            return Err(Error::Auth(reply));
        }
        if !opts.events.is_empty() {
            let names: Vec<&str> = opts.events.iter().map(String::as_str).collect();
            let reply = roundtrip(&mut framed, command::event(opts.format, &names)?).await?;
            if !reply.starts_with("+OK") {
                return Err(Error::Failed(reply));
            }
        }
        Ok(Client::spawn(framed, &opts))
    }

    /// Outbound mode: sends `connect` on a socket FreeSWITCH opened to us, reads the reply
    /// (the channel's data), then spawns the task. No auth, no subscription.
    pub(crate) async fn outbound_handshake<S>(
        stream: S,
        opts: &ClientOptions,
    ) -> Result<(Client, Frame)>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut framed =
            Framed::with_capacity(stream, ClientCodec::new(opts.limits), OUTBOUND_READ_BUFFER);
        framed.send(command::connect()).await?;
        let reply = loop {
            let f = next_frame(&mut framed).await?;
            if f.kind() == FrameKind::CommandReply {
                break f;
            }
        };
        if is_err_reply(&reply) {
            let text = reply.reply_text().unwrap_or_default().into_owned();
            return Err(Error::Failed(text));
        }
        Ok((Client::spawn(framed, opts), reply))
    }

    fn spawn<S>(framed: Framed<S, ClientCodec>, opts: &ClientOptions) -> Client
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (ops_tx, ops_rx) = mpsc::unbounded_channel();
        let (closed_tx, closed_rx) = watch::channel(None);
        let stats = Arc::new(Stats::default());
        let conn = Conn::new(framed, ops_rx, stats.clone(), opts.liveness, closed_tx);
        tokio::spawn(conn.run());
        Client {
            shared: Arc::new(Shared {
                ops: ops_tx,
                closed: closed_rx,
                stats,
                queue: opts.queue.max(1),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    fn send_op(&self, op: Op) -> Result<()> {
        self.shared
            .ops
            .send(op)
            .map_err(|_| gone(&self.shared.closed))
    }

    /// Sends any command and returns its reply frame as it came (`-ERR` is not an error here).
    pub async fn command(&self, cmd: Command) -> Result<Frame> {
        let (reply, rx) = oneshot::channel();
        self.send_op(Op::Send { cmd, reply })?;
        recv(rx, &self.shared.closed).await
    }

    /// Sends a command and returns its Reply-Text; `-ERR …` becomes [`Error::Failed`].
    pub async fn command_ok(&self, cmd: Command) -> Result<String> {
        checked(self.command(cmd).await?)
    }

    /// `api <command> <args>`: the response body (errors such as `-ERR …` are in the body; they
    /// are returned as text, since some commands answer without `+OK`).
    pub async fn api(&self, command: &str, args: &str) -> Result<String> {
        let f = self.command(command::api(command, args)?).await?;
        Ok(f.body_text().map(|b| b.into_owned()).unwrap_or_default())
    }

    /// `bgapi`, waiting for both the reply and the BACKGROUND_JOB.
    pub async fn bgapi(&self, command: &str, args: &str) -> Result<JobResult> {
        self.bgapi_start(command, args, None).await?.wait().await
    }

    /// `bgapi`, returning once FreeSWITCH accepted the job; `job_uuid` chooses the Job-UUID
    /// (a fresh v4 UUID otherwise). The result is awaited with [`Job::wait`].
    pub async fn bgapi_start(
        &self,
        command: &str,
        args: &str,
        job_uuid: Option<&str>,
    ) -> Result<Job> {
        let job = job_uuid.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let cmd = command::bgapi(command, args, Some(&job))?;
        let (reply, rx) = oneshot::channel();
        let (done, done_rx) = oneshot::channel();
        self.send_op(Op::Bgapi {
            cmd,
            job: job.clone(),
            reply,
            done,
        })?;
        checked(recv(rx, &self.shared.closed).await?)?;
        Ok(Job {
            job_uuid: job,
            done: done_rx,
            closed: self.shared.closed.clone(),
        })
    }

    /// `sendmsg <uuid>` execute `app arg`; resolves to the matching CHANNEL_EXECUTE_COMPLETE.
    /// Fails with [`Error::Failed`] on `-ERR invalid session id`, and with [`Error::HungUp`]
    /// when the channel's CHANNEL_HANGUP_COMPLETE or CHANNEL_DESTROY comes first.
    pub async fn execute(&self, uuid: &str, app: &str, arg: &str) -> Result<Arc<Event>> {
        let event_uuid = uuid::Uuid::new_v4().to_string();
        let cmd = command::execute(Some(uuid), app, arg, Some(&event_uuid), false)?;
        let (reply, rx) = oneshot::channel();
        let (done, done_rx) = oneshot::channel();
        self.send_op(Op::Execute {
            cmd,
            channel: uuid.to_owned(),
            event_uuid,
            reply,
            done,
        })?;
        checked(recv(rx, &self.shared.closed).await?)?;
        recv(done_rx, &self.shared.closed).await
    }

    /// `sendmsg <uuid>` hangup with a cause such as `NORMAL_CLEARING`.
    pub async fn hangup(&self, uuid: &str, cause: &str) -> Result<String> {
        self.command_ok(command::hangup(Some(uuid), cause)?).await
    }

    /// `filter <header> <value>`.
    pub async fn filter(&self, header: &str, value: &str) -> Result<String> {
        self.command_ok(command::filter(header, value)?).await
    }

    /// `filter delete <header> [value]`.
    pub async fn filter_delete(&self, header: &str, value: Option<&str>) -> Result<String> {
        self.command_ok(command::filter_delete(header, value)?)
            .await
    }

    /// `event <format> <names…>` (adds to the subscriptions).
    pub async fn subscribe_events(&self, format: EventFormat, names: &[&str]) -> Result<String> {
        self.command_ok(command::event(format, names)?).await
    }

    /// `nixevent <names…>`.
    pub async fn nixevent(&self, names: &[&str]) -> Result<String> {
        self.command_ok(command::nixevent(names)?).await
    }

    /// `noevents`.
    pub async fn noevents(&self) -> Result<String> {
        self.command_ok(command::noevents()).await
    }

    /// `linger [secs]`.
    pub async fn linger(&self, secs: Option<u32>) -> Result<String> {
        self.command_ok(command::linger(secs)).await
    }

    /// `exit`: FreeSWITCH answers `+OK bye` and closes; the close is reported as
    /// [`Disconnect::Exited`], not as a failure.
    pub async fn exit(&self) -> Result<()> {
        self.command(command::exit()).await?;
        self.closed().await;
        Ok(())
    }

    /// Ends the connection at once, without a word to FreeSWITCH (which may not be reading):
    /// for an owner whose own probe found the switch unresponsive. Every waiter fails and
    /// every stream ends, reason [`Disconnect::Unresponsive`].
    pub fn abort(&self) {
        let _ = self.send_op(Op::Abort);
    }

    /// Routes events whose Unique-ID is `uuid` to the returned stream. Register before the
    /// originate so no early event is missed. A second registration for the same UUID replaces
    /// the first. Dropping the stream removes the route.
    pub fn channel_events(&self, uuid: &str) -> EventStream {
        let (sub, mut stream) = self.new_sub();
        stream.route = Some((uuid.to_owned(), sub.id, self.shared.ops.downgrade()));
        let _ = self.send_op(Op::Route {
            uuid: uuid.to_owned(),
            sub,
        });
        stream
    }

    /// Every event, whatever its channel (bounded like the others).
    pub fn subscribe_all(&self) -> EventStream {
        let (sub, stream) = self.new_sub();
        let _ = self.send_op(Op::CatchAll { sub });
        stream
    }

    fn new_sub(&self) -> (Sub, EventStream) {
        let (tx, rx) = mpsc::channel(self.shared.queue);
        let dropped = Arc::new(AtomicU64::new(0));
        let id = self.shared.next_id.fetch_add(1, Relaxed);
        let sub = Sub {
            id,
            tx,
            dropped: dropped.clone(),
        };
        (
            sub,
            EventStream {
                rx,
                dropped,
                route: None,
            },
        )
    }

    /// Resolves when the connection has ended, with the reason.
    pub async fn closed(&self) -> Arc<Disconnect> {
        let mut rx = self.shared.closed.clone();
        loop {
            if let Some(r) = rx.borrow_and_update().clone() {
                return r;
            }
            if rx.changed().await.is_err() {
                return Arc::new(Disconnect::Dropped);
            }
        }
    }

    /// The reason the connection ended, or `None` while it is up.
    pub fn disconnect_reason(&self) -> Option<Arc<Disconnect>> {
        self.shared.closed.borrow().clone()
    }

    /// Event counters (received, dropped, unrouted, unparseable).
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }
}

fn checked(f: Frame) -> Result<String> {
    let text = f.reply_text().map(|t| t.into_owned()).unwrap_or_default();
    if is_err_reply(&f) {
        return Err(Error::Failed(if text.is_empty() {
            f.body_text()
                .map(|b| b.trim_end().to_owned())
                .unwrap_or_default()
        } else {
            text
        }));
    }
    Ok(text)
}

async fn next_frame<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut Framed<S, ClientCodec>,
) -> Result<Frame> {
    match framed.next().await {
        Some(Ok(f)) => Ok(f),
        Some(Err(e)) => Err(e.into()),
        None => Err(Error::Disconnected(Arc::new(Disconnect::Closed(None)))),
    }
}

/// Writes a command during the handshake and reads frames up to its `command/reply`.
async fn roundtrip<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut Framed<S, ClientCodec>,
    cmd: Command,
) -> Result<String> {
    framed.send(cmd).await?;
    loop {
        let f = next_frame(framed).await?;
        if f.kind() == FrameKind::CommandReply {
            return Ok(f.reply_text().map(|t| t.into_owned()).unwrap_or_default());
        }
    }
}
