//! Ringing and answering: a channel's creation events, the ring phase that answers or fails as
//! the outcome says (reporting to its originator), early media, codecs and the answer, and the
//! callee's scripted hangup and digits.

use tokio::sync::{mpsc, oneshot};

use super::{origin, Actor, Go, Report, Wake};
use crate::sim::channel::{CallState, State};
use crate::sim::dialstring::Target;
use crate::sim::rules::{DtmfOn, Kind};

impl Actor {
    pub(super) fn outgoing_setup(&mut self) {
        self.fire("CHANNEL_OUTGOING", origin::OUTGOING, &[], &[]);
        self.set_state(State::Init);
        self.fire("CHANNEL_CREATE", origin::CREATE, &[], &[]);
        self.fire("CHANNEL_ORIGINATE", origin::ORIGINATE, &[], &[]);
        self.set_state(State::Routing);
        self.set_state(State::ConsumeMedia);
    }

    pub(super) fn inbound_setup(&mut self) {
        self.set_state(State::Init);
        self.fire("CHANNEL_CREATE", origin::CREATE, &[], &[]);
        self.set_state(State::Routing);
        self.set_callstate(CallState::Ringing);
        self.set_state(State::Execute);
        self.schedule_callee();
    }

    /// Rings, then answers or fails; returns what to do next (None when it ended).
    pub(super) async fn ring_phase(
        &mut self,
        report: Option<mpsc::UnboundedSender<Report>>,
    ) -> Option<Go> {
        let ring = self.outcome.ring;
        let first = self.deadline(ring.min(0.1));
        if self.consume(Some(first)).await == Wake::Hangup {
            return self.report_failure(report).await;
        }
        self.progress();
        let answer_at = match self.outcome.result {
            Kind::NoAnswer => None,
            _ => Some(self.deadline((ring - 0.1).max(0.0))),
        };
        if self.consume(answer_at).await == Wake::Hangup {
            return self.report_failure(report).await;
        }
        if let Some(cause) = self.outcome.failure_cause() {
            let cause = crate::sim::causes::canonical(cause);
            self.begin_hangup(cause);
            return self.report_failure(report).await;
        }
        self.answer();
        match report {
            Some(report) => self.answered(report).await,
            None => Some(Go::Run(Target::App {
                name: "park".into(),
                arg: String::new(),
            })),
        }
    }

    pub(super) async fn report_failure(
        &mut self,
        report: Option<mpsc::UnboundedSender<Report>>,
    ) -> Option<Go> {
        let cause = self.hangup.unwrap_or("NORMAL_CLEARING");
        if let Some(r) = report {
            let (ack, ack_rx) = oneshot::channel();
            let _ = r.send(Report::Failed { cause, ack });
            let _ = ack_rx.await;
        }
        None
    }

    fn progress(&mut self) {
        let now = self.now();
        if self.outcome.early_media {
            self.ch().profile.get_mut().times.progress_media = now;
            self.codecs();
            self.ch().answer_state = "early";
            self.fire("CHANNEL_PROGRESS_MEDIA", origin::PROGRESS_MEDIA, &[], &[]);
            self.set_callstate(CallState::Early);
        } else {
            self.ch().profile.get_mut().times.progress = now;
            self.fire("CHANNEL_PROGRESS", origin::PROGRESS, &[], &[]);
            self.set_callstate(CallState::Ringing);
        }
    }

    /// Read and write codec set: two CODEC events, then the codec headers appear.
    pub fn codecs(&mut self) {
        if self.ch().media {
            return;
        }
        self.ch().media = true;
        self.fire(
            "CODEC",
            origin::CODEC,
            &[],
            &[
                ("channel-read-codec-name", "PCMA".into()),
                ("channel-read-codec-rate", "8000".into()),
                ("channel-read-codec-bit-rate", "64000".into()),
            ],
        );
        self.fire(
            "CODEC",
            origin::CODEC,
            &[],
            &[
                ("Channel-Write-Codec-Name", "PCMA".into()),
                ("Channel-Write-Codec-Rate", "8000".into()),
                ("Channel-Write-codec-bit-rate", "64000".into()),
            ],
        );
        let mut c = self.ch();
        for (k, v) in [
            ("read_codec", "PCMA"),
            ("read_rate", "8000"),
            ("write_codec", "PCMA"),
            ("write_rate", "8000"),
        ] {
            c.set_var(k, Some(v));
        }
    }

    /// Marks the channel answered with its events; schedules the callee's hangup and digits.
    pub fn answer(&mut self) {
        if self.ch().is_answered() {
            return;
        }
        self.codecs();
        let now = self.now();
        {
            let mut c = self.ch();
            c.profile.get_mut().times.answered = now;
            c.answer_state = "answered";
            c.set_var("endpoint_disposition", Some("ANSWER"));
        }
        self.fire("CHANNEL_ANSWER", origin::ANSWER, &[], &[]);
        self.set_callstate(CallState::Active);
        self.fire("CALL_UPDATE", origin::CALL_UPDATE, &[], &[]);
        self.schedule_callee();
    }

    fn schedule_callee(&mut self) {
        let hang = match self.outcome.result {
            Kind::Machine => Some(self.outcome.hangup_after.unwrap_or(20.0)),
            _ => self.outcome.hangup_after,
        };
        self.callee_hangup_at = hang.map(|s| self.deadline(s));
        if self.outcome.dtmf.is_some() && self.outcome.dtmf_on == DtmfOn::Answer {
            self.dtmf_at = Some(self.deadline(self.outcome.dtmf_after));
        }
        if self.outcome.dtmf.is_some() && self.outcome.dtmf_on != DtmfOn::Answer {
            self.prompt_armed = true;
        }
        let mut keys: Vec<_> = self.outcome.keys.clone();
        keys.sort_by(|a, b| a.at.total_cmp(&b.at));
        self.keys_at = keys
            .into_iter()
            .map(|k| (self.deadline(k.at), k.press))
            .collect();
    }

    /// Called when a prompt starts (`collecting`: play_and_get_digits or read): scripted
    /// digits follow after a delay.
    pub fn prompt_started(&mut self, collecting: bool) {
        let wanted = collecting || self.outcome.dtmf_on == DtmfOn::AnyPrompt;
        if self.prompt_armed && wanted {
            self.prompt_armed = false;
            self.dtmf_at = Some(self.deadline(self.outcome.dtmf_after));
        }
    }
}
