//! The channel model: states, caller profile, variables and times, and the channel header block
//! (`Channel-*`, `Caller-*`, `Other-Leg-*`, `variable_*`) in FreeSWITCH's order.

use std::sync::Arc;

use super::blocks::{profile_block, write_profile, Cached, Vars};
use super::event::EventBuilder;
use super::headers::{Block, Headers};

/// `Channel-State` (CS_*), with its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    New,
    Init,
    Routing,
    Execute,
    ExchangeMedia,
    ConsumeMedia,
    Hangup,
    Reporting,
    Destroy,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::New => "CS_NEW",
            State::Init => "CS_INIT",
            State::Routing => "CS_ROUTING",
            State::Execute => "CS_EXECUTE",
            State::ExchangeMedia => "CS_EXCHANGE_MEDIA",
            State::ConsumeMedia => "CS_CONSUME_MEDIA",
            State::Hangup => "CS_HANGUP",
            State::Reporting => "CS_REPORTING",
            State::Destroy => "CS_DESTROY",
        }
    }
    pub fn number(self) -> u8 {
        match self {
            State::New => 0,
            State::Init => 1,
            State::Routing => 2,
            State::Execute => 4,
            State::ExchangeMedia => 5,
            State::ConsumeMedia => 7,
            State::Hangup => 10,
            State::Reporting => 11,
            State::Destroy => 12,
        }
    }
}

/// `Channel-Call-State`, with its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    Down,
    Ringing,
    Early,
    Active,
    Hangup,
}

impl CallState {
    pub fn name(self) -> &'static str {
        match self {
            CallState::Down => "DOWN",
            CallState::Ringing => "RINGING",
            CallState::Early => "EARLY",
            CallState::Active => "ACTIVE",
            CallState::Hangup => "HANGUP",
        }
    }
    pub fn number(self) -> u8 {
        match self {
            CallState::Down => 0,
            CallState::Ringing => 2,
            CallState::Early => 3,
            CallState::Active => 4,
            CallState::Hangup => 7,
        }
    }
}

/// Caller profile times, µs since the epoch (0 = not yet).
#[derive(Clone, Copy, Debug, Default)]
pub struct Times {
    pub profile_created: i64,
    pub created: i64,
    pub answered: i64,
    pub progress: i64,
    pub progress_media: i64,
    pub hangup: i64,
    pub bridged: i64,
}

/// A caller profile (`Caller-*`, or `Other-Leg-*` for the peer).
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub outbound: bool,
    pub username: String,
    pub dialplan: String,
    pub cid_name: String,
    pub cid_num: String,
    pub orig_cid_name: String,
    pub orig_cid_num: String,
    pub callee_name: String,
    pub callee_num: String,
    pub network_addr: String,
    pub ani: String,
    pub destination: String,
    pub uuid: String,
    pub context: String,
    pub chan_name: String,
    pub times: Times,
}

/// `Other-Type` and the peer's profile.
#[derive(Clone, Debug)]
pub struct OtherLeg {
    /// `originator` (seen from a B leg) or `originatee` (seen from the A leg).
    pub kind: &'static str,
    pub profile: Profile,
}

/// One simulated channel.
#[derive(Clone, Debug)]
pub struct Channel {
    pub uuid: String,
    pub name: String,
    pub state: State,
    pub call_state: CallState,
    pub answer_state: &'static str,
    pub hit_dialplan: bool,
    pub presence_id: Option<String>,
    pub call_uuid: String,
    pub hangup_cause: Option<&'static str>,
    pub media: bool,
    /// The caller profile and its encoded `Caller-*` block.
    pub profile: Cached<Profile>,
    /// The other leg and its encoded `Other-*` block.
    pub other: Cached<Option<OtherLeg>>,
    vars: Vars,
    pub current_app: Option<(String, String)>,
}

impl Channel {
    /// A new outbound leg in CS_NEW.
    pub fn new_outbound(uuid: &str, name: &str, dest: &str, cid: (&str, &str), now: i64) -> Self {
        let profile = Profile {
            outbound: true,
            dialplan: "XML".into(),
            cid_name: cid.0.into(),
            cid_num: cid.1.into(),
            callee_name: "Outbound Call".into(),
            callee_num: dest.into(),
            ani: cid.1.into(),
            destination: dest.into(),
            uuid: uuid.into(),
            context: "default".into(),
            chan_name: name.into(),
            times: Times {
                profile_created: now,
                created: now,
                ..Times::default()
            },
            ..Profile::default()
        };
        Channel {
            uuid: uuid.into(),
            name: name.into(),
            state: State::New,
            call_state: CallState::Down,
            answer_state: "ringing",
            hit_dialplan: false,
            presence_id: None,
            call_uuid: uuid.into(),
            hangup_cause: None,
            media: false,
            profile: Cached::new(profile),
            other: Cached::new(None),
            vars: Vars::default(),
            current_app: None,
        }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name)
    }

    /// Sets (or with `None` unsets) a variable, keeping first-set order.
    pub fn set_var(&mut self, name: &str, value: Option<&str>) {
        self.vars.set(name, value);
    }

    pub fn is_answered(&self) -> bool {
        self.profile.times.answered != 0
    }

    /// Writes the channel block; `verbose` adds every variable as `variable_<name>`. The
    /// profile, other-leg and variable blocks are reused from the last event while unchanged.
    pub fn write_block(&mut self, b: &mut EventBuilder, verbose: bool) {
        let h = b.headers_mut();
        let dir = if self.profile.outbound {
            "outbound"
        } else {
            "inbound"
        };
        h.push("Channel-State", self.state.name());
        h.push("Channel-Call-State", self.call_state.name());
        h.push("Channel-State-Number", self.state.number().to_string());
        h.push("Channel-Name", self.name.clone());
        h.push("Unique-ID", self.uuid.clone());
        h.push("Call-Direction", dir);
        h.push("Presence-Call-Direction", dir);
        h.push("Channel-HIT-Dialplan", bool_str(self.hit_dialplan));
        if let Some(p) = &self.presence_id {
            h.push("Channel-Presence-ID", p.clone());
        }
        h.push("Channel-Call-UUID", self.call_uuid.clone());
        h.push("Answer-State", self.answer_state);
        if let Some(c) = self.hangup_cause {
            h.push("Hangup-Cause", c);
        }
        if self.media {
            h.push("Channel-Read-Codec-Name", "PCMA");
            h.push("Channel-Read-Codec-Rate", "8000");
            h.push("Channel-Read-Codec-Bit-Rate", "64000");
            h.push("Channel-Write-Codec-Name", "PCMA");
            h.push("Channel-Write-Codec-Rate", "8000");
            h.push("Channel-Write-Codec-Bit-Rate", "64000");
        }
        h.push_block(self.profile.block(|p| profile_block("Caller", p, true)));
        if self.other.is_some() {
            h.push_block(self.other.block(|o| {
                let mut b = Block::with_capacity(40);
                if let Some(o) = o {
                    b.add(&["Other-Type"], o.kind);
                    write_profile(&mut b, "Other-Leg", &o.profile, false);
                }
                b
            }));
        }
        if verbose {
            h.push_block(self.vars.block());
        }
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Writes the `Channel-*` profile block of an outbound `connect` reply (CHANNEL_DATA); the
/// channel-name field comes out as `Channel-Channel-Name`, as in the captures.
pub fn write_channel_data_profile(h: &mut Headers, p: &Profile) {
    h.push_block(Arc::new(profile_block("Channel", p, true)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::event::Identity;
    use crate::sim::simtime::Clock;

    #[test]
    fn block_order_matches_capture_layout() {
        let id = Identity::new(Clock::new(1.0));
        let mut c = Channel::new_outbound("u1", "sofia/gateway/gw/100", "100", ("n", "1"), 5);
        c.media = true;
        c.set_var("a", Some("1"));
        c.set_var("a", Some("2"));
        let mut b = EventBuilder::new(&id, "CHANNEL_ANSWER", None, ("f", "g", 1));
        c.write_block(&mut b, true);
        let ev = b.build();
        let names: Vec<&str> = ev.headers.iter().map(|(k, _)| k).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("Event-Sequence") < pos("Channel-State"));
        assert!(pos("Answer-State") < pos("Channel-Read-Codec-Name"));
        assert!(pos("Channel-Write-Codec-Bit-Rate") < pos("Caller-Direction"));
        assert_eq!(ev.header("variable_a"), Some("2"));
    }
}
