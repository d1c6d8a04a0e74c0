//! The running channel: the application loop, waiting on commands and timers, and the
//! commands a channel takes (execute, hangup, bridge, recording, socket closed).

use std::time::Duration;

use tokio::time::Instant;

use super::{Actor, LegCmd, Wake};

impl Actor {
    /// Runs queued applications until the channel hangs up.
    pub(super) async fn main_loop(&mut self) {
        loop {
            while let Some(exec) = self.queue.pop_front() {
                if self.hangup.is_some() {
                    break;
                }
                Box::pin(crate::sim::apps::run(self, exec)).await;
            }
            if self.hangup.is_some() {
                return;
            }
            if self.socket_closed || (self.holding.is_none() && self.peer.is_none()) {
                // Nothing left to run, no park, no bridge: the call is cleared.
                self.begin_hangup("NORMAL_CLEARING");
                return;
            }
            if self.wait(None, false).await == Wake::PeerGone {
                let peer = crate::sim::bridge::peer_left(self);
                if self.holding.is_none() && self.hangup.is_none() {
                    self.begin_hangup("NORMAL_CLEARING");
                    // The peer that left may be waiting to hear that this side ended too.
                    if let Some(p) = peer {
                        let _ =
                            p.tx.send(LegCmd::PeerHangup(self.uuid.clone(), "NORMAL_CLEARING"));
                    }
                }
            }
        }
    }

    /// Waits until `deadline` (or forever), handling commands and the callee's timers.
    pub async fn wait(&mut self, deadline: Option<Instant>, stop_on_digit: bool) -> Wake {
        self.wait_for(deadline, stop_on_digit, false).await
    }

    /// [`Actor::wait`] that also ends with [`Wake::Exec`] once an execute is queued.
    pub(super) async fn wait_for(
        &mut self,
        deadline: Option<Instant>,
        stop_on_digit: bool,
        stop_on_exec: bool,
    ) -> Wake {
        loop {
            if self.hangup.is_some() {
                return Wake::Hangup;
            }
            if self.peer_gone.is_some() {
                return Wake::PeerGone;
            }
            if stop_on_digit && !self.digits.is_empty() {
                return Wake::Digit;
            }
            if stop_on_exec && !self.queue.is_empty() {
                return Wake::Exec;
            }
            if !self.queue.is_empty() && deadline.is_none() && !stop_on_digit {
                return Wake::Deadline;
            }
            let timer = [
                self.callee_hangup_at,
                self.dtmf_at,
                self.keys_at.front().map(|k| k.0),
                self.avmd_beep_at,
                self.sched_hangup_at.map(|s| s.0),
            ]
            .into_iter()
            .flatten()
            .min();
            let far = Instant::now() + Duration::from_secs(86_400 * 365);
            tokio::select! {
                biased;
                cmd = self.rx.recv() => match cmd {
                    Some(c) => self.on_cmd(c),
                    None => self.begin_hangup("NORMAL_CLEARING"),
                },
                _ = tokio::time::sleep_until(timer.unwrap_or(far)), if timer.is_some() => self.on_timer(),
                _ = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => return Wake::Deadline,
                _ = self.core.shutdown.cancelled(), if self.hangup.is_none() => self.begin_hangup("SYSTEM_SHUTDOWN"),
            }
        }
    }

    /// After this leg hung up: keeps taking commands until the peer reports its hangup or
    /// the (real-time) bound passes.
    pub async fn await_peer_gone(&mut self, bound: Duration) {
        let until = Instant::now() + bound;
        while self.peer_gone.is_none() {
            tokio::select! {
                cmd = self.rx.recv() => match cmd {
                    Some(c) => self.on_cmd(c),
                    None => return,
                },
                _ = tokio::time::sleep_until(until) => return,
            }
        }
    }

    fn on_cmd(&mut self, c: LegCmd) {
        match c {
            LegCmd::Execute(e) => self.queue.push_back(e),
            LegCmd::Hangup(cause) => self.begin_hangup(cause),
            LegCmd::PeerHangup(uuid, cause) => {
                if self.peer.as_ref().is_some_and(|p| p.uuid == uuid) {
                    self.peer_gone = Some(cause);
                }
            }
            LegCmd::Join { peer, a_side } => crate::sim::bridge::join(self, peer, a_side),
            LegCmd::RecordStart(path) => self.record_start(path),
            LegCmd::RecordStop(path, reply) => {
                let _ = reply.send(self.record_stop(&path));
            }
            LegCmd::SocketClosed => self.socket_closed = true,
        }
    }

    /// `sched_hangup`: the switch hangs the channel up `secs` (simulated) from now.
    pub fn sched_hangup(&mut self, secs: f64, cause: &'static str) {
        self.sched_hangup_at = Some((self.deadline(secs), cause));
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        if self.avmd_beep_at.is_some_and(|t| t <= now) {
            crate::sim::apps::amd::beep_heard(self);
        }
        if let Some((at, cause)) = self.sched_hangup_at.filter(|s| s.0 <= now) {
            tracing::info!(uuid = %self.uuid, cause, at = ?at, "scheduled hangup");
            self.sched_hangup_at = None;
            self.begin_hangup(cause);
        }
        if self.callee_hangup_at.is_some_and(|t| t <= now) {
            self.callee_hangup_at = None;
            self.begin_hangup("NORMAL_CLEARING");
        }
        if self.dtmf_at.is_some_and(|t| t <= now) {
            self.dtmf_at = None;
            let digits = self.outcome.dtmf.clone().unwrap_or_default();
            for d in digits.chars() {
                self.press(d);
            }
        }
        while self.keys_at.front().is_some_and(|k| k.0 <= now) {
            if let Some((_, press)) = self.keys_at.pop_front() {
                for d in press.chars() {
                    self.press(d);
                }
            }
        }
    }
}
