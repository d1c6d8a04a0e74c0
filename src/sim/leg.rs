//! One task per channel: the channel state machine. It rings, answers or fails as its outcome
//! says, runs queued applications, reacts to hangup requests, the callee's scripted hangup and
//! DTMF, and tears down with the event sequence FreeSWITCH sends.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::channel::{CallState, Channel, OtherLeg, Profile, State};
use super::clock::secs;
use super::core::{ChanEntry, Core, LimitHit};
use super::dialstring::Target;
use super::event::Origin;
use super::rules::{DtmfOn, Kind, Outcome};

/// Something asked of a channel.
#[allow(clippy::large_enum_variant)]
pub enum LegCmd {
    Execute(Exec),
    Hangup(&'static str),
    /// The bridged peer hung up with this cause.
    PeerHangup(String, &'static str),
    /// `uuid_bridge`: join this peer (`a_side` fires CHANNEL_BRIDGE).
    Join {
        peer: Peer,
        a_side: bool,
    },
    RecordStart(String),
    RecordStop(String, oneshot::Sender<bool>),
    /// Hook for the outbound session of a `socket` app: told when the socket closes.
    SocketClosed,
}

/// A queued application.
#[derive(Clone, Debug)]
pub struct Exec {
    pub app: String,
    pub arg: String,
    pub event_uuid: Option<String>,
    pub loops: i32,
}

/// The other side of a bridge.
#[derive(Clone)]
pub struct Peer {
    pub uuid: String,
    pub tx: mpsc::UnboundedSender<LegCmd>,
    pub profile: Profile,
}

/// What a leg tells whoever originated it.
pub enum Report {
    Answered {
        uuid: String,
        go: oneshot::Sender<Go>,
    },
    Failed {
        cause: &'static str,
        ack: oneshot::Sender<()>,
    },
}

/// What an answered leg does next.
#[allow(clippy::large_enum_variant)]
pub enum Go {
    Run(Target),
    LoseRace,
    Bridged(Peer),
}

/// How a new leg is set up.
pub struct LegSpec {
    pub uuid: String,
    pub endpoint: String,
    pub dest: String,
    pub vars: Vec<(String, String)>,
    pub cid: (String, String),
    pub outcome: Outcome,
    /// For a B leg: the originator's uuid and profile.
    pub originator: Option<(String, Profile)>,
    pub inbound: bool,
    /// Applications queued before the channel starts (an inbound call's dialplan).
    pub initial: Vec<Exec>,
}

pub mod origin;
mod teardown;

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Deadline,
    Hangup,
    Digit,
    PeerGone,
}

/// Creates a leg and spawns its task; Err(cause) when no channel can be created.
pub fn spawn_leg(
    core: &Arc<Core>,
    spec: LegSpec,
    report: Option<mpsc::UnboundedSender<Report>>,
) -> Result<ChanEntry, &'static str> {
    if spec.outcome.result == Kind::GatewayDown {
        return Err("GATEWAY_DOWN");
    }
    if core.uuid_taken(&spec.uuid) {
        // switch_core_session_request_uuid refuses a duplicate; sofia reports its default cause.
        return Err("DESTINATION_OUT_OF_ORDER");
    }
    let now = core.id.clock.now_us();
    let name = if spec.inbound {
        format!("sofia/internal/{}@127.0.0.1", spec.cid.1)
    } else {
        spec.endpoint.clone()
    };
    let mut ch = Channel::new_outbound(
        &spec.uuid,
        &name,
        &spec.dest,
        (&spec.cid.0, &spec.cid.1),
        now,
    );
    init_vars(core, &mut ch, &spec);
    if spec.inbound {
        make_inbound(&mut ch, &spec);
    } else if let Some(user) = spec.endpoint.strip_prefix("user/") {
        let user = user.split('@').next().unwrap_or(user);
        ch.presence_id = Some(format!("{user}@{}", core.id.hostname));
    }
    if let Some((a_uuid, a_profile)) = &spec.originator {
        ch.call_uuid = a_uuid.clone();
        ch.profile.username = a_profile.username.clone();
        ch.profile.network_addr = a_profile.network_addr.clone();
        ch.profile.orig_cid_num = a_profile.orig_cid_num.clone();
        ch.other = Some(OtherLeg {
            kind: "originator",
            profile: a_profile.clone(),
        });
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let entry = ChanEntry {
        data: Arc::new(Mutex::new(ch)),
        tx,
    };
    core.admit(&spec.uuid, entry.clone()).map_err(|hit| {
        tracing::warn!(?hit, "session limit reached");
        match hit {
            LimitHit::MaxSessions | LimitHit::Sps => "DESTINATION_OUT_OF_ORDER",
        }
    })?;
    let mut actor = Actor::new(
        core.clone(),
        spec.uuid.clone(),
        entry.clone(),
        rx,
        spec.outcome,
    );
    actor.queue.extend(spec.initial);
    tokio::spawn(Box::pin(actor.run(report, spec.inbound)));
    Ok(entry)
}

fn init_vars(core: &Core, ch: &mut Channel, spec: &LegSpec) {
    let sid = core
        .session_ids
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = if spec.inbound { "inbound" } else { "outbound" };
    ch.set_var("direction", Some(dir));
    ch.set_var("uuid", Some(&spec.uuid));
    ch.set_var("session_id", Some(&sid.to_string()));
    ch.set_var("sip_profile_name", Some("external"));
    ch.set_var("channel_name", Some(&ch.name.clone()));
    for (k, v) in &spec.vars {
        ch.set_var(k, Some(v));
    }
    if !spec.inbound {
        ch.set_var(
            "sip_destination_url",
            Some(&format!("sip:{}@127.0.0.1", spec.dest)),
        );
    }
}

fn make_inbound(ch: &mut Channel, spec: &LegSpec) {
    ch.profile.outbound = false;
    ch.profile.username = spec.cid.1.clone();
    ch.profile.orig_cid_name = spec.cid.0.clone();
    ch.profile.orig_cid_num = "0000000000".into();
    ch.profile.network_addr = "127.0.0.1".into();
    ch.profile.callee_name.clear();
    ch.profile.callee_num.clear();
    ch.hit_dialplan = true;
    ch.presence_id = Some(format!("{}@127.0.0.1", spec.cid.1));
    ch.set_var("direction", Some("inbound"));
}

/// The channel task.
pub struct Actor {
    pub core: Arc<Core>,
    pub uuid: String,
    pub entry: ChanEntry,
    rx: mpsc::UnboundedReceiver<LegCmd>,
    pub queue: VecDeque<Exec>,
    pub outcome: Outcome,
    pub digits: VecDeque<char>,
    callee_hangup_at: Option<Instant>,
    dtmf_at: Option<Instant>,
    pub prompt_armed: bool,
    pub hangup: Option<&'static str>,
    pub peer: Option<Peer>,
    pub peer_gone: Option<&'static str>,
    pub recordings: Vec<String>,
    pub holding: Option<(String, String, String)>,
    pub socket_closed: bool,
    /// This leg fires CHANNEL_BRIDGE/UNBRIDGE (the bridging side).
    pub a_side: bool,
}

impl Actor {
    fn new(
        core: Arc<Core>,
        uuid: String,
        entry: ChanEntry,
        rx: mpsc::UnboundedReceiver<LegCmd>,
        outcome: Outcome,
    ) -> Self {
        Actor {
            core,
            uuid,
            entry,
            rx,
            queue: VecDeque::new(),
            outcome,
            digits: VecDeque::new(),
            callee_hangup_at: None,
            dtmf_at: None,
            prompt_armed: false,
            hangup: None,
            peer: None,
            peer_gone: None,
            recordings: Vec::new(),
            holding: None,
            socket_closed: false,
            a_side: false,
        }
    }

    /// The channel data, locked.
    pub fn ch(&self) -> MutexGuard<'_, Channel> {
        self.entry.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fires a channel event: `pre` headers, the channel block, then `post` headers.
    pub fn fire(
        &self,
        name: &'static str,
        origin: Origin,
        pre: &[(&'static str, String)],
        post: &[(&'static str, String)],
    ) {
        let mut b = self.core.event(name, origin);
        for (k, v) in pre {
            b.add(k, v.clone());
        }
        let verbose = is_verbose(name);
        self.ch().write_block(&mut b, verbose);
        for (k, v) in post {
            b.add(k, v.clone());
        }
        b.unique_id(&self.uuid);
        self.core.fire(b.build());
    }

    pub fn set_state(&self, st: State) {
        self.ch().state = st;
        self.fire("CHANNEL_STATE", origin::STATE, &[], &[]);
    }

    pub fn set_callstate(&self, cs: CallState) {
        let orig = {
            let mut c = self.ch();
            let o = c.call_state;
            c.call_state = cs;
            o
        };
        self.fire(
            "CHANNEL_CALLSTATE",
            origin::CALLSTATE,
            &[
                ("Original-Channel-Call-State", orig.name().to_string()),
                ("Channel-Call-State-Number", cs.number().to_string()),
            ],
            &[],
        );
    }

    pub fn now(&self) -> i64 {
        self.core.id.clock.now_us()
    }

    pub fn deadline(&self, simulated_secs: f64) -> Instant {
        self.core.id.clock.deadline(secs(simulated_secs))
    }

    async fn run(mut self, report: Option<mpsc::UnboundedSender<Report>>, inbound: bool) {
        if inbound {
            self.inbound_setup();
            self.main_loop().await;
        } else {
            self.outgoing_setup();
            let go = Box::pin(self.ring_phase(report)).await;
            match go {
                Some(Go::Run(t)) => {
                    self.set_state(State::Execute);
                    self.start_target(t);
                    self.main_loop().await;
                }
                Some(Go::Bridged(peer)) => {
                    {
                        let mut c = self.ch();
                        c.profile.times.bridged = self.core.id.clock.now_us();
                        c.other = Some(OtherLeg {
                            kind: "originator",
                            profile: peer.profile.clone(),
                        });
                    }
                    self.peer = Some(peer);
                    self.set_state(State::ExchangeMedia);
                    self.main_loop().await;
                }
                Some(Go::LoseRace) => self.begin_hangup("LOSE_RACE"),
                None => {}
            }
        }
        self.finish();
    }

    fn outgoing_setup(&mut self) {
        self.fire("CHANNEL_OUTGOING", origin::OUTGOING, &[], &[]);
        self.set_state(State::Init);
        self.fire("CHANNEL_CREATE", origin::CREATE, &[], &[]);
        self.fire("CHANNEL_ORIGINATE", origin::ORIGINATE, &[], &[]);
        self.set_state(State::Routing);
        self.set_state(State::ConsumeMedia);
    }

    fn inbound_setup(&mut self) {
        self.set_state(State::Init);
        self.fire("CHANNEL_CREATE", origin::CREATE, &[], &[]);
        self.set_state(State::Routing);
        self.set_callstate(CallState::Ringing);
        self.set_state(State::Execute);
        self.schedule_callee();
    }

    /// Rings, then answers or fails; returns what to do next (None when it ended).
    async fn ring_phase(&mut self, report: Option<mpsc::UnboundedSender<Report>>) -> Option<Go> {
        let ring = self.outcome.ring;
        let first = self.deadline(ring.min(0.1));
        if self.wait(Some(first), false).await == Wake::Hangup {
            return self.report_failure(report).await;
        }
        self.progress();
        let answer_at = match self.outcome.result {
            Kind::NoAnswer => None,
            _ => Some(self.deadline((ring - 0.1).max(0.0))),
        };
        if self.wait(answer_at, false).await == Wake::Hangup {
            return self.report_failure(report).await;
        }
        if let Some(cause) = self.outcome.failure_cause() {
            let cause = super::causes::canonical(cause);
            self.begin_hangup(cause);
            return self.report_failure(report).await;
        }
        self.answer();
        let Some(report) = report else {
            return Some(Go::Run(Target::App {
                name: "park".into(),
                arg: String::new(),
            }));
        };
        let (go_tx, go_rx) = oneshot::channel();
        let _ = report.send(Report::Answered {
            uuid: self.uuid.clone(),
            go: go_tx,
        });
        match go_rx.await {
            Ok(go) => Some(go),
            Err(_) => Some(Go::LoseRace),
        }
    }

    async fn report_failure(
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
            self.ch().profile.times.progress_media = now;
            self.codecs();
            self.ch().answer_state = "early";
            self.fire("CHANNEL_PROGRESS_MEDIA", origin::PROGRESS_MEDIA, &[], &[]);
            self.set_callstate(CallState::Early);
        } else {
            self.ch().profile.times.progress = now;
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
            c.profile.times.answered = now;
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

    fn start_target(&mut self, t: Target) {
        let (app, arg) = match t {
            Target::App { name, arg } => (name, arg),
            Target::Extension(_) => ("park".to_string(), String::new()),
        };
        self.queue.push_front(Exec {
            app,
            arg,
            event_uuid: None,
            loops: 1,
        });
    }

    /// Runs queued applications until the channel hangs up.
    async fn main_loop(&mut self) {
        loop {
            while let Some(exec) = self.queue.pop_front() {
                if self.hangup.is_some() {
                    break;
                }
                Box::pin(super::apps::run(self, exec)).await;
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
                let peer = super::bridge::peer_left(self);
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
            if !self.queue.is_empty() && deadline.is_none() && !stop_on_digit {
                return Wake::Deadline;
            }
            let timer = [self.callee_hangup_at, self.dtmf_at]
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
            LegCmd::Join { peer, a_side } => super::bridge::join(self, peer, a_side),
            LegCmd::RecordStart(path) => self.record_start(path),
            LegCmd::RecordStop(path, reply) => {
                let _ = reply.send(self.record_stop(&path));
            }
            LegCmd::SocketClosed => self.socket_closed = true,
        }
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
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
    }
}

/// Events that carry every channel variable (switch_channel_event_set_data's verbose list).
pub fn is_verbose(name: &str) -> bool {
    matches!(
        name,
        "CHANNEL_CREATE"
            | "CHANNEL_ORIGINATE"
            | "CHANNEL_UUID"
            | "CHANNEL_ANSWER"
            | "CHANNEL_PARK"
            | "CHANNEL_UNPARK"
            | "CHANNEL_BRIDGE"
            | "CHANNEL_UNBRIDGE"
            | "CHANNEL_PROGRESS"
            | "CHANNEL_PROGRESS_MEDIA"
            | "CHANNEL_HANGUP"
            | "CHANNEL_HANGUP_COMPLETE"
            | "CHANNEL_DATA"
            | "CHANNEL_EXECUTE"
            | "CHANNEL_EXECUTE_COMPLETE"
            | "CHANNEL_DESTROY"
            | "RECORD_START"
            | "RECORD_STOP"
            | "PLAYBACK_START"
            | "PLAYBACK_STOP"
            | "CALL_UPDATE"
            | "CUSTOM"
    )
}
