//! The channel model: states, caller profile, variables and times, and the channel header block
//! (`Channel-*`, `Caller-*`, `Other-Leg-*`, `variable_*`) in FreeSWITCH's order.

use std::borrow::Cow;

use super::event::{EventBuilder, Header};

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
    pub profile: Profile,
    pub other: Option<OtherLeg>,
    pub vars: Vec<(String, String)>,
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
            profile,
            other: None,
            vars: Vec::new(),
            current_app: None,
        }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets (or with `None` unsets) a variable, keeping first-set order.
    pub fn set_var(&mut self, name: &str, value: Option<&str>) {
        let pos = self.vars.iter().position(|(k, _)| k == name);
        match (pos, value) {
            (Some(i), Some(v)) => self.vars[i].1 = v.to_string(),
            (Some(i), None) => {
                self.vars.remove(i);
            }
            (None, Some(v)) => self.vars.push((name.to_string(), v.to_string())),
            (None, None) => {}
        }
    }

    pub fn is_answered(&self) -> bool {
        self.profile.times.answered != 0
    }

    /// Writes the channel block; `verbose` adds every variable as `variable_<name>`.
    pub fn write_block(&self, b: &mut EventBuilder, verbose: bool) {
        let h = b.headers_mut();
        let mut add = |k: &'static str, v: String| h.push((Cow::Borrowed(k), v));
        let dir = if self.profile.outbound {
            "outbound"
        } else {
            "inbound"
        };
        add("Channel-State", self.state.name().into());
        add("Channel-Call-State", self.call_state.name().into());
        add("Channel-State-Number", self.state.number().to_string());
        add("Channel-Name", self.name.clone());
        add("Unique-ID", self.uuid.clone());
        add("Call-Direction", dir.into());
        add("Presence-Call-Direction", dir.into());
        add("Channel-HIT-Dialplan", self.hit_dialplan.to_string());
        if let Some(p) = &self.presence_id {
            add("Channel-Presence-ID", p.clone());
        }
        add("Channel-Call-UUID", self.call_uuid.clone());
        add("Answer-State", self.answer_state.into());
        if let Some(c) = self.hangup_cause {
            add("Hangup-Cause", c.into());
        }
        if self.media {
            add("Channel-Read-Codec-Name", "PCMA".into());
            add("Channel-Read-Codec-Rate", "8000".into());
            add("Channel-Read-Codec-Bit-Rate", "64000".into());
            add("Channel-Write-Codec-Name", "PCMA".into());
            add("Channel-Write-Codec-Rate", "8000".into());
            add("Channel-Write-Codec-Bit-Rate", "64000".into());
        }
        write_profile(h, "Caller", &self.profile, true);
        if let Some(o) = &self.other {
            h.push((Cow::Borrowed("Other-Type"), o.kind.to_string()));
            write_profile(h, "Other-Leg", &o.profile, false);
        }
        if verbose {
            for (k, v) in &self.vars {
                h.push((Cow::Owned(format!("variable_{k}")), v.clone()));
            }
        }
    }
}

/// Writes a caller profile with the given prefix, in switch_caller.c's order.
fn write_profile(h: &mut Vec<Header>, prefix: &'static str, p: &Profile, with_index: bool) {
    let mut add = |suffix: &str, v: &str, always: bool| {
        if always || !v.is_empty() {
            h.push((Cow::Owned(format!("{prefix}-{suffix}")), v.to_string()));
        }
    };
    let dir = if p.outbound { "outbound" } else { "inbound" };
    add("Direction", dir, true);
    add("Logical-Direction", dir, true);
    add("Username", &p.username, false);
    add("Dialplan", &p.dialplan, false);
    add("Caller-ID-Name", &p.cid_name, false);
    add("Caller-ID-Number", &p.cid_num, false);
    add("Orig-Caller-ID-Name", &p.orig_cid_name, false);
    add("Orig-Caller-ID-Number", &p.orig_cid_num, false);
    add("Callee-ID-Name", &p.callee_name, false);
    add("Callee-ID-Number", &p.callee_num, false);
    add("Network-Addr", &p.network_addr, false);
    add("ANI", &p.ani, false);
    add("Destination-Number", &p.destination, false);
    add("Unique-ID", &p.uuid, false);
    add("Source", "mod_sofia", true);
    add("Context", &p.context, false);
    add("Channel-Name", &p.chan_name, false);
    if with_index {
        add("Profile-Index", "1", true);
    }
    let t = &p.times;
    for (suffix, v) in [
        ("Profile-Created-Time", t.profile_created),
        ("Channel-Created-Time", t.created),
        ("Channel-Answered-Time", t.answered),
        ("Channel-Progress-Time", t.progress),
        ("Channel-Progress-Media-Time", t.progress_media),
        ("Channel-Hangup-Time", t.hangup),
        ("Channel-Transfer-Time", 0),
        ("Channel-Resurrect-Time", 0),
        ("Channel-Bridged-Time", t.bridged),
        ("Channel-Last-Hold", 0),
        ("Channel-Hold-Accum", 0),
    ] {
        add(suffix, &v.to_string(), true);
    }
    add("Screen-Bit", "true", true);
    add("Privacy-Hide-Name", "false", true);
    add("Privacy-Hide-Number", "false", true);
}

/// Writes the `Channel-*` profile block of an outbound `connect` reply (CHANNEL_DATA); the
/// channel-name field comes out as `Channel-Channel-Name`, as in the captures.
pub fn write_channel_data_profile(h: &mut Vec<Header>, p: &Profile) {
    write_profile(h, "Channel", p, true);
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
        let names: Vec<&str> = ev.headers.iter().map(|(k, _)| k.as_ref()).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("Event-Sequence") < pos("Channel-State"));
        assert!(pos("Answer-State") < pos("Channel-Read-Codec-Name"));
        assert!(pos("Channel-Write-Codec-Bit-Rate") < pos("Caller-Direction"));
        assert_eq!(ev.header("variable_a"), Some("2"));
    }
}
