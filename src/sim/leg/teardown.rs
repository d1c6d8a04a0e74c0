//! The end of a channel: DTMF and recording events, hangup (CHANNEL_CALLSTATE, CHANNEL_HANGUP)
//! and the teardown sequence through CHANNEL_DESTROY.

use super::{origin, Actor, LegCmd};
use crate::sim::channel::{CallState, State};

impl Actor {
    /// The callee presses a key: a DTMF event on this leg, the digit queued for readers.
    pub fn press(&mut self, d: char) {
        let digit = d.to_ascii_uppercase();
        self.fire(
            "DTMF",
            origin::DTMF,
            &[],
            &[
                ("DTMF-Digit", digit.to_string()),
                ("DTMF-Duration", "2000".into()),
                ("DTMF-Source", "RTP".into()),
            ],
        );
        self.digits.push_back(digit);
    }

    pub fn record_start(&mut self, path: String) {
        self.ch().set_var("record_path", Some(&path));
        self.fire(
            "RECORD_START",
            origin::RECORD_START,
            &[],
            &[("Record-File-Path", path.clone())],
        );
        self.recordings.push(path);
    }

    pub fn record_stop(&mut self, path: &str) -> bool {
        let Some(i) = self
            .recordings
            .iter()
            .position(|p| p == path || path == "all")
        else {
            return false;
        };
        let p = self.recordings.remove(i);
        self.fire(
            "RECORD_STOP",
            origin::RECORD_STOP,
            &[],
            &[("Record-File-Path", p)],
        );
        true
    }

    /// Hangs the channel up: CHANNEL_CALLSTATE, CHANNEL_HANGUP; the peer is told.
    pub fn begin_hangup(&mut self, cause: &'static str) {
        if self.hangup.is_some() {
            return;
        }
        self.hangup = Some(cause);
        let now = self.now();
        {
            let mut c = self.ch();
            c.answer_state = "hangup";
            c.profile.get_mut().times.hangup = now;
        }
        self.set_callstate(CallState::Hangup);
        {
            let mut c = self.ch();
            c.hangup_cause = Some(cause);
            c.set_var("hangup_cause", Some(cause));
            c.set_var(
                "hangup_cause_q850",
                Some(&crate::sim::causes::q850(cause).to_string()),
            );
        }
        self.fire("CHANNEL_HANGUP", origin::HANGUP, &[], &[]);
        if let Some(p) = &self.peer {
            let _ = p.tx.send(LegCmd::PeerHangup(self.uuid.clone(), cause));
        }
    }

    /// The teardown after hangup: unpark, CS_HANGUP, CS_REPORTING, RECORD_STOP,
    /// CHANNEL_HANGUP_COMPLETE, CHANNEL_DESTROY; then the channel is gone.
    pub(super) fn finish(&mut self) {
        if self.hangup.is_none() {
            self.begin_hangup("NORMAL_CLEARING");
        }
        let cause = self.hangup.unwrap_or("NORMAL_CLEARING");
        if let Some((app, arg, app_uuid)) = self.holding.take() {
            if app == "park" {
                self.fire("CHANNEL_UNPARK", origin::UNPARK, &[], &[]);
            }
            crate::sim::apps::complete(self, &app, &arg, &app_uuid, "_none_");
        }
        self.set_state(State::Hangup);
        self.set_state(State::Reporting);
        while let Some(p) = self.recordings.first().cloned() {
            self.record_stop(&p);
        }
        crate::sim::causes::set_cdr_vars(self, cause);
        self.fire(
            "CHANNEL_HANGUP_COMPLETE",
            origin::HANGUP_COMPLETE,
            &[("Hangup-Cause", cause.to_string())],
            &[],
        );
        self.ch().state = State::Destroy;
        self.fire("CHANNEL_DESTROY", origin::DESTROY, &[], &[]);
        self.set_callstate(CallState::Down);
        self.set_state(State::Destroy);
        self.core.remove_channel(&self.uuid);
    }
}
