//! What a callback call holds on the switch: a [`Leg`] (one dialled number on one trunk: its
//! stored row, its events so far, and how it ended) and a [`Line`], the answered manager channel
//! that applications run on while every DTMF key the manager presses is collected.

use std::collections::VecDeque;
use std::time::Duration;

use futures::StreamExt;

use super::Ctx;
use crate::call::call_channel::CallProgress;
use crate::call::disposition::normalise_cause;
use crate::call::switch::{CallEvent, Events};
use crate::callback::record::LegEnd;
use crate::esl::command::AppCall;

/// One dialled leg.
pub(super) struct Leg {
    /// Its row in `callback_legs`.
    pub row: i64,
    pub uuid: String,
    pub number: String,
    pub progress: CallProgress,
    closed: bool,
}

impl Leg {
    pub fn new(row: i64, uuid: String, number: String) -> Leg {
        Leg {
            row,
            uuid,
            number,
            progress: CallProgress::default(),
            closed: false,
        }
    }

    /// The hangup cause, normalised; the originate's `-ERR` cause when no channel reported one;
    /// `NO_CHANNEL` when the switch made no channel and reported nothing for this leg.
    pub fn cause(&self) -> String {
        let p = &self.progress;
        if let Some(h) = &p.hangup {
            let sip = self.sip_code();
            return normalise_cause(&h.get("Hangup-Cause").unwrap_or_default(), sip);
        }
        if let Some(e) = &p.job_error {
            return normalise_cause(e, None);
        }
        if p.unreachable {
            return crate::call::disposition::SWITCH_UNREACHABLE.into();
        }
        "NO_CHANNEL".into()
    }

    fn sip_code(&self) -> Option<u16> {
        let h = self.progress.hangup.as_ref()?;
        h.variable("sip_term_status")
            .or_else(|| h.variable("sip_invite_failure_status"))
            .and_then(|s| s.parse().ok())
    }

    /// Writes how the leg ended (once).
    pub async fn close(&mut self, ctx: &Ctx<'_>) {
        if self.closed {
            return;
        }
        self.closed = true;
        let end = LegEnd {
            answered_at: self.progress.answered_at,
            ended_at: ctx.env.clock.now(),
            cause: self.cause(),
            sip_code: self.sip_code(),
        };
        if let Err(e) = ctx.env.store.callback_leg_end(self.row, &end).await {
            tracing::warn!(error = %e, leg = self.row, "cannot record the leg's end");
        }
    }
}

/// Why a wait on the line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Woke {
    /// The application completed (or the time passed).
    Done,
    /// One of the keys asked for was pressed.
    Key(char),
    /// The manager's channel is gone.
    HungUp,
}

/// The answered manager channel.
pub(super) struct Line {
    pub leg: Leg,
    pub events: Events,
    /// Keys pressed and not yet acted on, in order.
    pub keys: VecDeque<char>,
    /// Every key pressed on this call.
    pub digits: String,
}

impl Line {
    /// Takes one event; true when the channel is over.
    fn take(&mut self, ev: Option<CallEvent>, ctx: &Ctx<'_>) -> bool {
        match ev {
            Some(ev) => {
                if ev.name() == "DTMF" {
                    if let Some(d) = ev.get("DTMF-Digit").and_then(|d| d.chars().next()) {
                        self.keys.push_back(d);
                        self.digits.push(d);
                    }
                }
                self.leg.progress.observe(ev, &ctx.env.clock);
            }
            None => self.leg.progress.unreachable = true,
        }
        self.leg.progress.ended()
    }

    /// The first queued key that is one of `wanted` (keys before it are dropped).
    fn wanted_key(&mut self, wanted: &[char]) -> Option<char> {
        while let Some(k) = self.keys.pop_front() {
            if wanted.contains(&k) {
                return Some(k);
            }
        }
        None
    }

    /// Runs an application; returns early when a `wanted` key is pressed (the application goes
    /// on on the switch; the next one queues behind it there).
    pub async fn run(&mut self, ctx: &Ctx<'_>, app: &AppCall, wanted: &[char]) -> Woke {
        if self.leg.progress.ended() {
            return Woke::HungUp;
        }
        if let Some(k) = self.wanted_key(wanted) {
            return Woke::Key(k);
        }
        let uuid = self.leg.uuid.clone();
        let exec = ctx.switch.execute(&uuid, app);
        tokio::pin!(exec);
        loop {
            tokio::select! {
                r = &mut exec => {
                    return match r {
                        Ok(_) if !self.leg.progress.ended() => Woke::Done,
                        _ => Woke::HungUp,
                    };
                }
                ev = self.events.next() => {
                    if self.take(ev, ctx) {
                        return Woke::HungUp;
                    }
                    if let Some(k) = self.wanted_key(wanted) {
                        return Woke::Key(k);
                    }
                }
            }
        }
    }

    /// Waits `span` of the engine clock's time, or until a `wanted` key or the hangup.
    pub async fn wait(&mut self, ctx: &Ctx<'_>, span: Duration, wanted: &[char]) -> Woke {
        if let Some(k) = self.wanted_key(wanted) {
            return Woke::Key(k);
        }
        let timer = tokio::time::sleep(ctx.env.clock.real(span));
        tokio::pin!(timer);
        loop {
            if self.leg.progress.ended() {
                return Woke::HungUp;
            }
            tokio::select! {
                _ = &mut timer => return Woke::Done,
                ev = self.events.next() => {
                    if self.take(ev, ctx) {
                        return Woke::HungUp;
                    }
                    if let Some(k) = self.wanted_key(wanted) {
                        return Woke::Key(k);
                    }
                }
            }
        }
    }

    /// Hangs the manager up and waits for CHANNEL_HANGUP_COMPLETE (bounded).
    pub async fn hang_up(&mut self, ctx: &Ctx<'_>) {
        if !self.leg.progress.ended() {
            let _ = ctx.switch.hangup(&self.leg.uuid, "NORMAL_CLEARING").await;
            self.drain(ctx).await;
        }
    }

    /// Follows the channel until it is over (bounded: 10 s of real time).
    pub async fn drain(&mut self, ctx: &Ctx<'_>) {
        let wait = async {
            while !self.leg.progress.ended() {
                let ev = self.events.next().await;
                self.take(ev, ctx);
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(10), wait).await;
    }
}
