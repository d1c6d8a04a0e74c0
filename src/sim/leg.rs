//! One task per channel: the channel state machine. It rings, answers or fails as its outcome
//! says, runs queued applications, reacts to hangup requests, the callee's scripted hangup and
//! DTMF, and tears down with the event sequence FreeSWITCH sends.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::channel::{CallState, Channel, OtherLeg, Profile, State};
use super::core::{ChanEntry, Core, LimitHit};
use super::dialstring::Target;
use super::event::Origin;
use super::rules::{Kind, Outcome};
use super::simtime::secs;

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

mod consume;
pub mod origin;
mod ring;
mod run;
mod teardown;

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Deadline,
    Hangup,
    Digit,
    PeerGone,
    /// An execute was queued (only when the wait was asked to stop on one).
    Exec,
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
        ch.profile.get_mut().username = a_profile.username.clone();
        ch.profile.get_mut().network_addr = a_profile.network_addr.clone();
        ch.profile.get_mut().orig_cid_num = a_profile.orig_cid_num.clone();
        ch.other.set(Some(OtherLeg {
            kind: "originator",
            profile: a_profile.clone(),
        }));
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
    // switch_ivr_originate installs `{}`/`[]` values with switch_channel_set_variable_var_check:
    // one holding `${` is refused (not expanded) unless origination_nested_vars is true.
    let nested = spec
        .vars
        .iter()
        .any(|(k, v)| k == "origination_nested_vars" && super::vars::switch_true(v));
    for (k, v) in &spec.vars {
        if !spec.inbound && !nested && super::expand::has_var(v) {
            tracing::error!(var = %k, value = %v, "Invalid data (${{{k}}} contains a variable)");
            continue;
        }
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
    ch.profile.get_mut().outbound = false;
    ch.profile.get_mut().username = spec.cid.1.clone();
    ch.profile.get_mut().orig_cid_name = spec.cid.0.clone();
    ch.profile.get_mut().orig_cid_num = "0000000000".into();
    ch.profile.get_mut().network_addr = "127.0.0.1".into();
    ch.profile.get_mut().callee_name.clear();
    ch.profile.get_mut().callee_num.clear();
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
    /// Keys pressed at given instants (`keys` of the outcome), earliest first.
    keys_at: VecDeque<(Instant, String)>,
    pub prompt_armed: bool,
    pub hangup: Option<&'static str>,
    pub peer: Option<Peer>,
    pub peer_gone: Option<&'static str>,
    pub recordings: Vec<String>,
    pub holding: Option<(String, String, String)>,
    pub socket_closed: bool,
    /// This leg fires CHANNEL_BRIDGE/UNBRIDGE (the bridging side).
    pub a_side: bool,
    /// mod_avmd's session (`avmd_start`) and when it will hear the machine's beep.
    pub avmd: Option<crate::sim::apps::amd::Avmd>,
    pub avmd_beep_at: Option<Instant>,
    /// `sched_hangup`: when the switch hangs the channel up, and the cause.
    pub sched_hangup_at: Option<(Instant, &'static str)>,
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
            keys_at: VecDeque::new(),
            prompt_armed: false,
            hangup: None,
            peer: None,
            peer_gone: None,
            recordings: Vec::new(),
            holding: None,
            socket_closed: false,
            a_side: false,
            avmd: None,
            avmd_beep_at: None,
            sched_hangup_at: None,
        }
    }

    /// The channel data, locked.
    pub fn ch(&self) -> MutexGuard<'_, Channel> {
        self.entry.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fires a channel event: `pre` headers, the channel block, then `post` headers. An event
    /// no listener would get is only counted.
    pub fn fire(
        &self,
        name: &'static str,
        origin: Origin,
        pre: &[(&'static str, String)],
        post: &[(&'static str, String)],
    ) {
        if !self.core.heard(name, &self.uuid) {
            self.core.fire_unheard();
            return;
        }
        let mut b = self.core.event(name, origin);
        for (k, v) in pre {
            b.add(k, v.clone());
        }
        let verbose = super::channel::is_verbose(name);
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
                Some(Go::Bridged(peer)) if self.hangup.is_some() => {
                    // Hung up while the originate still owned it: the bridging side must hear.
                    let cause = self.hangup.unwrap_or("NORMAL_CLEARING");
                    let _ = peer.tx.send(LegCmd::PeerHangup(self.uuid.clone(), cause));
                }
                Some(_) if self.hangup.is_some() => {}
                Some(Go::Run(t)) => {
                    self.set_state(State::Execute);
                    self.start_target(t);
                    self.main_loop().await;
                }
                Some(Go::Bridged(peer)) => {
                    {
                        let mut c = self.ch();
                        c.profile.get_mut().times.bridged = self.core.id.clock.now_us();
                        c.other.set(Some(OtherLeg {
                            kind: "originator",
                            profile: peer.profile.clone(),
                        }));
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
}
