//! What `${...}` expansion sees in the sim: a channel's variables, then its caller-profile
//! fields, then the switch's globals (switch_channel_get_variable_dup's order), and inline API
//! calls, which are never run: each is recorded on the core (readable through
//! `SimHandle::inline_api_calls`), logged with a warning, fires the API event that
//! switch_api_execute fires, and gets a stand-in result.

use std::sync::atomic::Ordering;

use super::channel::{Channel, Profile};
use super::core::Core;
use super::expand::{self, Resolver};

/// An inline API call that an expansion met (`${system(touch x)}` gives `system`, `touch x`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineApiCall {
    /// The channel whose data was expanded.
    pub channel: String,
    pub command: String,
    pub args: String,
}

/// FreeSWITCH's `switch_true`: yes, on, true, t, enable(d), active, allow, or a non-zero number.
pub fn switch_true(v: &str) -> bool {
    let v = v.trim();
    [
        "yes", "on", "true", "t", "enable", "enabled", "active", "allow",
    ]
    .iter()
    .any(|t| v.eq_ignore_ascii_case(t))
        || v.parse::<i64>().is_ok_and(|n| n != 0)
}

/// Expands `text` against a channel; counts an expansion that changed the text.
pub fn expand_for(core: &Core, ch: &Channel, text: &str) -> String {
    if !expand::needs_expansion(text) {
        return text.to_string();
    }
    let mut scope = Scope { core, ch };
    let out = expand::expand(text, &mut scope).into_owned();
    if out != text {
        core.expansions.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(uuid = %ch.uuid, from = text, to = %out, "sim expanded channel variables");
    }
    out
}

struct Scope<'a> {
    core: &'a Core,
    ch: &'a Channel,
}

impl Resolver for Scope<'_> {
    fn var(&mut self, name: &str, idx: Option<usize>) -> Option<String> {
        let value = self
            .ch
            .var(name)
            .map(str::to_string)
            .or_else(|| profile_field(&self.ch.profile, name))
            .or_else(|| global(self.core, name))?;
        match idx {
            None => Some(value),
            // switch_event_get_header_idx: an index only reaches into an array variable.
            Some(i) => value
                .strip_prefix("ARRAY::")
                .and_then(|a| a.split("|:").nth(i))
                .map(str::to_string),
        }
    }

    fn api(&mut self, command: &str, args: &str) -> Option<String> {
        tracing::warn!(
            uuid = %self.ch.uuid,
            command,
            args,
            "inline API call in channel data (FreeSWITCH would run it; the sim does not)"
        );
        self.core
            .inline_calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(InlineApiCall {
                channel: self.ch.uuid.clone(),
                command: command.to_string(),
                args: args.to_string(),
            });
        super::api::fire_api_event(self.core, command, args);
        stand_in(self.core, command, args)
    }
}

/// What the sim substitutes for an inline API call (None: FreeSWITCH drops the output of an
/// API that is missing or fails, and the sim loads none beyond these).
fn stand_in(core: &Core, command: &str, args: &str) -> Option<String> {
    let usage = "-USAGE: <command>\n".to_string();
    Some(match command {
        "create_uuid" => uuid::Uuid::new_v4().to_string(),
        // Their output is the command's stdout; nothing is run, so there is none.
        "system" | "spawn_stream" if args.is_empty() => usage,
        "system" | "spawn_stream" => String::new(),
        "bg_system" if args.is_empty() => usage,
        "bg_system" => "+OK\n".to_string(),
        "hostname" => core.id.hostname.clone(),
        "echo" | "eval" => args.to_string(),
        _ => return None,
    })
}

/// `switch_caller_get_field_by_name`: the caller-profile fields a `${name}` falls back to.
fn profile_field(p: &Profile, name: &str) -> Option<String> {
    let v = match name {
        "dialplan" => &p.dialplan,
        "username" => &p.username,
        "caller_id_name" => &p.cid_name,
        "caller_id_number" => &p.cid_num,
        "orig_caller_id_name" => &p.orig_cid_name,
        "orig_caller_id_number" => &p.orig_cid_num,
        "callee_id_name" => &p.callee_name,
        "callee_id_number" => &p.callee_num,
        "ani" => &p.ani,
        "network_addr" => &p.network_addr,
        "destination_number" => &p.destination,
        "uuid" => &p.uuid,
        "context" => &p.context,
        "chan_name" => &p.chan_name,
        "source" => return Some("mod_sofia".into()),
        "profile_index" => return Some("1".into()),
        _ => return None,
    };
    Some(v.clone())
}

/// The switch's global variables (`$${name}`, and `${name}` when no channel variable has it).
fn global(core: &Core, name: &str) -> Option<String> {
    let id = &core.id;
    let v = match name {
        "hostname" | "switchname" => id.hostname.clone(),
        "local_ip_v4" | "domain" | "domain_name" => id.ipv4.clone(),
        "local_ip_v6" => id.ipv6.clone(),
        "core_uuid" => id.core_uuid.clone(),
        "base_dir" => "/usr".into(),
        "sounds_dir" => "/usr/share/freeswitch/sounds".into(),
        "recordings_dir" => "/var/lib/freeswitch/recordings".into(),
        "sound_prefix" => "/usr/share/freeswitch/sounds/en/us/callie".into(),
        _ => return None,
    };
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::event::Identity;
    use crate::sim::rules::Rules;
    use crate::sim::simtime::Clock;

    #[test]
    fn channel_then_profile_then_globals_and_calls_recorded() {
        let core = Core::new(
            Identity::new(Clock::new(1.0)),
            Rules::default(),
            0,
            None,
            None,
        );
        let mut ch = Channel::new_outbound("u1", "sofia/gw/x/100", "100", ("n", "74950000000"), 1);
        ch.set_var("greeting", Some("hi"));
        let text = "${greeting} ${caller_id_number} $${hostname} ${system(touch x)}|";
        assert_eq!(expand_for(&core, &ch, text), "hi 74950000000 outcall-sim |");
        assert_eq!(expand_for(&core, &ch, "no vars $5"), "no vars $5");
        assert_eq!(core.expansions.load(Ordering::Relaxed), 1);
        let calls = core.inline_calls.lock().unwrap().clone();
        assert_eq!(
            calls,
            [InlineApiCall {
                channel: "u1".into(),
                command: "system".into(),
                args: "touch x".into()
            }]
        );
        assert!(switch_true("TRUE") && switch_true("1") && !switch_true("0"));
    }
}
