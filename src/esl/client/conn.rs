//! The connection task: the one owner of the socket.
//!
//! It takes [`Op`]s from the handles over an unbounded channel (so a route registered before a
//! `bgapi` is in place before the `bgapi` is written), writes commands, and matches each
//! `command/reply` / `api/response` to the oldest pending command (FreeSWITCH replies strictly
//! in order). Events go to the [`Router`]. When the socket ends, every pending reply, job,
//! execute and subscription learns why; nothing is left hanging.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::codec::Framed;

use super::error::{Disconnect, Error, Result};
use super::router::{Done, Router, Stats, Sub};
use crate::esl::codec::ClientCodec;
use crate::esl::command::{self, Command};
use crate::esl::event::Event;
use crate::esl::frame::{Frame, FrameKind};

pub(super) type Reply = oneshot::Sender<Result<Frame>>;

/// What a handle asks of the connection task.
pub(crate) enum Op {
    /// Write a command; its reply goes to `reply`.
    Send { cmd: Command, reply: Reply },
    /// `bgapi`: register the job, then write.
    Bgapi {
        cmd: Command,
        job: String,
        reply: Reply,
        done: Done,
    },
    /// `sendmsg execute`: register the Event-UUID, then write.
    Execute {
        cmd: Command,
        channel: String,
        event_uuid: String,
        reply: Reply,
        done: Done,
    },
    /// Route a channel's events.
    Route { uuid: String, sub: Sub },
    /// Drop a channel route (if it is still subscription `id`).
    Unroute { uuid: String, id: u64 },
    /// Add a catch-all subscriber.
    CatchAll { sub: Sub },
    /// The owner declared the switch unresponsive: end the connection now.
    Abort,
}

enum Pending {
    Reply(Reply),
    Job(String, Reply),
    Exec(String, Reply),
    Probe,
    Exit(Reply),
}

pub(super) struct Conn<S> {
    framed: Framed<S, ClientCodec>,
    ops: mpsc::UnboundedReceiver<Op>,
    pending: VecDeque<Pending>,
    router: Router,
    stats: Arc<Stats>,
    liveness: Option<Duration>,
    probing: bool,
    exiting: bool,
    notice: Option<String>,
    closed: watch::Sender<Option<Arc<Disconnect>>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub fn new(
        framed: Framed<S, ClientCodec>,
        ops: mpsc::UnboundedReceiver<Op>,
        stats: Arc<Stats>,
        liveness: Option<Duration>,
        closed: watch::Sender<Option<Arc<Disconnect>>>,
    ) -> Self {
        Conn {
            framed,
            ops,
            pending: VecDeque::new(),
            router: Router::new(stats.clone()),
            stats,
            liveness,
            probing: false,
            exiting: false,
            notice: None,
            closed,
        }
    }

    /// Runs until the socket ends or every handle is gone, then fails all waiters.
    pub async fn run(mut self) {
        let reason = Arc::new(self.serve().await);
        tracing::debug!(%reason, "esl connection ended");
        let _ = self.closed.send(Some(reason.clone()));
        self.fail_everything(&reason);
    }

    /// The liveness timer is one pinned `Sleep`, checked when it fires: frames counted since
    /// the last check mean the switch is alive (no timer is touched per frame, which at
    /// hundreds of thousands of events a second matters). So silence is noticed after one to
    /// two `liveness` periods, probed, and declared dead one period after the probe.
    async fn serve(&mut self) -> Disconnect {
        let far = Instant::now() + Duration::from_secs(86400 * 365);
        let timer = tokio::time::sleep_until(self.liveness.map_or(far, |d| Instant::now() + d));
        tokio::pin!(timer);
        let mut seen = 0u64;
        loop {
            tokio::select! {
                frame = self.framed.next() => match frame {
                    Some(Ok(f)) => {
                        seen += 1;
                        self.on_frame(f);
                    }
                    Some(Err(e)) => return Disconnect::Failed(e.to_string()),
                    None if self.exiting => return Disconnect::Exited,
                    None => return Disconnect::Closed(self.notice.take()),
                },
                op = self.ops.recv() => {
                    let Some(op) = op else { return Disconnect::Dropped };
                    if let Err(e) = self.on_ops(op).await {
                        return e;
                    }
                }
                _ = &mut timer, if self.liveness.is_some() => {
                    let period = self.liveness.unwrap_or_default();
                    timer.as_mut().reset(Instant::now() + period);
                    if std::mem::take(&mut seen) > 0 {
                        self.probing = false;
                        continue;
                    }
                    if self.probing {
                        return Disconnect::Unresponsive;
                    }
                    self.probing = true;
                    if let Ok(probe) = command::api("status", "") {
                        self.pending.push_back(Pending::Probe);
                        if let Err(e) = self.framed.send(probe).await {
                            return Disconnect::Failed(e.to_string());
                        }
                    }
                }
            }
        }
    }

    /// Handles one op and any others already queued, then flushes the writes once.
    async fn on_ops(&mut self, first: Op) -> Result<(), Disconnect> {
        let mut next = Some(first);
        let mut budget = 256;
        while let Some(op) = next.take() {
            if matches!(op, Op::Abort) {
                return Err(Disconnect::Unresponsive);
            }
            if let Some(cmd) = self.accept(op) {
                self.framed
                    .feed(cmd)
                    .await
                    .map_err(|e| Disconnect::Failed(e.to_string()))?;
            }
            budget -= 1;
            if budget > 0 {
                next = self.ops.try_recv().ok();
            }
        }
        SinkExt::<Command>::flush(&mut self.framed)
            .await
            .map_err(|e| Disconnect::Failed(e.to_string()))
    }

    /// Registers what an op waits for; returns the command to write, if any.
    fn accept(&mut self, op: Op) -> Option<Command> {
        match op {
            Op::Send { cmd, reply } => {
                let exit = cmd.as_bytes().starts_with(b"exit\n");
                self.pending.push_back(if exit {
                    Pending::Exit(reply)
                } else {
                    Pending::Reply(reply)
                });
                self.exiting |= exit;
                Some(cmd)
            }
            Op::Bgapi {
                cmd,
                job,
                reply,
                done,
            } => {
                self.router.wait_job(job.clone(), done);
                self.pending.push_back(Pending::Job(job, reply));
                Some(cmd)
            }
            Op::Execute {
                cmd,
                channel,
                event_uuid,
                reply,
                done,
            } => {
                self.router.wait_exec(channel, event_uuid.clone(), done);
                self.pending.push_back(Pending::Exec(event_uuid, reply));
                Some(cmd)
            }
            Op::Route { uuid, sub } => {
                self.router.route(uuid, sub);
                None
            }
            Op::Unroute { uuid, id } => {
                self.router.unroute(&uuid, id);
                None
            }
            Op::CatchAll { sub } => {
                self.router.catch_all(sub);
                None
            }
            Op::Abort => None,
        }
    }

    fn on_frame(&mut self, f: Frame) {
        match f.kind() {
            FrameKind::EventPlain | FrameKind::EventJson | FrameKind::EventXml => {
                match Event::from_frame_lazy(&f) {
                    Ok(Some(ev)) => self.router.dispatch(ev),
                    Ok(None) => {}
                    Err(e) => {
                        self.stats.bad_events.fetch_add(1, Relaxed);
                        tracing::warn!(error = %e, "unparseable event skipped");
                    }
                }
            }
            FrameKind::CommandReply | FrameKind::ApiResponse => self.on_reply(f),
            FrameKind::DisconnectNotice | FrameKind::RudeRejection => {
                if f.headers.get("Content-Disposition").as_deref() != Some("linger") {
                    self.notice = f.body_text().map(|b| b.into_owned());
                }
            }
            _ => tracing::debug!(content_type = ?f.content_type(), "frame ignored"),
        }
    }

    fn on_reply(&mut self, f: Frame) {
        let refused = is_err_reply(&f);
        match self.pending.pop_front() {
            Some(Pending::Reply(r) | Pending::Exit(r)) => {
                let _ = r.send(Ok(f));
            }
            Some(Pending::Job(job, r)) => {
                if refused {
                    self.router.forget_job(&job);
                }
                let _ = r.send(Ok(f));
            }
            Some(Pending::Exec(event_uuid, r)) => {
                if refused {
                    self.router.forget_exec(&event_uuid);
                }
                let _ = r.send(Ok(f));
            }
            Some(Pending::Probe) => {}
            None => tracing::warn!("reply with no command waiting for it"),
        }
    }

    fn fail_everything(&mut self, reason: &Arc<Disconnect>) {
        let err = || Error::Disconnected(reason.clone());
        for p in self.pending.drain(..) {
            match p {
                Pending::Reply(r) | Pending::Job(_, r) | Pending::Exec(_, r) => {
                    let _ = r.send(Err(err()));
                }
                Pending::Exit(r) => {
                    let _ = r.send(if **reason == Disconnect::Exited {
                        Ok(Frame::new(vec![], None))
                    } else {
                        Err(err())
                    });
                }
                Pending::Probe => {}
            }
        }
        self.router.fail_all(reason);
        self.ops.close();
        while let Ok(op) = self.ops.try_recv() {
            match op {
                Op::Send { reply, .. } => {
                    let _ = reply.send(Err(err()));
                }
                Op::Bgapi { reply, .. } | Op::Execute { reply, .. } => {
                    let _ = reply.send(Err(err()));
                }
                Op::Route { .. } | Op::Unroute { .. } | Op::CatchAll { .. } | Op::Abort => {}
            }
        }
    }
}

/// A `command/reply` whose Reply-Text starts with `-ERR`, or an `api/response` whose body does.
pub(super) fn is_err_reply(f: &Frame) -> bool {
    match f.kind() {
        FrameKind::ApiResponse => f.body.as_deref().is_some_and(|b| b.starts_with(b"-ERR")),
        _ => f.reply_text().is_some_and(|t| t.starts_with("-ERR")),
    }
}
