//! The header blocks of a channel that rarely change between its events: the caller profile
//! (`Caller-*`), the other leg (`Other-Type`, `Other-Leg-*`) and the variables (`variable_*`).
//! Each is built and encoded once and reused by every event while its source stays equal.

use std::borrow::{Borrow, Cow};
use std::sync::Arc;

use super::channel::{OtherLeg, Profile};
use super::headers::{Block, Header};

/// The channel's last blocks, each with the value it was made from.
#[derive(Clone, Debug, Default)]
pub struct BlockCache {
    caller: Option<(Profile, Arc<Block>)>,
    other: Option<(OtherLeg, Arc<Block>)>,
    vars: Option<(Vec<(String, String)>, Arc<Block>)>,
}

impl BlockCache {
    /// The `Caller-*` block of this profile.
    pub fn caller(&mut self, p: &Profile) -> Arc<Block> {
        memo(&mut self.caller, p, |p| {
            let mut h = Vec::with_capacity(40);
            write_profile(&mut h, "Caller", p, true);
            h
        })
    }

    /// `Other-Type` and the `Other-Leg-*` block.
    pub fn other(&mut self, o: &OtherLeg) -> Arc<Block> {
        memo(&mut self.other, o, |o| {
            let mut h = Vec::with_capacity(40);
            h.push((Cow::Borrowed("Other-Type"), Cow::Borrowed(o.kind)));
            write_profile(&mut h, "Other-Leg", &o.profile, false);
            h
        })
    }

    /// Every variable as `variable_<name>`, in first-set order.
    pub fn vars(&mut self, vars: &[(String, String)]) -> Arc<Block> {
        memo(&mut self.vars, vars, |vars| {
            vars.iter()
                .map(|(k, v)| (Cow::Owned(format!("variable_{k}")), Cow::Owned(v.clone())))
                .collect()
        })
    }
}

/// The block cached for `key`, made again when `key` differs from what it was made from.
fn memo<K>(
    slot: &mut Option<(K::Owned, Arc<Block>)>,
    key: &K,
    make: impl FnOnce(&K) -> Vec<Header>,
) -> Arc<Block>
where
    K: ToOwned + PartialEq + ?Sized,
{
    if let Some((k, b)) = slot {
        if Borrow::<K>::borrow(k) == key {
            return b.clone();
        }
    }
    let b = Arc::new(Block::new(make(key)));
    *slot = Some((key.to_owned(), b.clone()));
    b
}

/// Writes a caller profile with the given prefix, in switch_caller.c's order.
pub fn write_profile(h: &mut Vec<Header>, prefix: &'static str, p: &Profile, with_index: bool) {
    let mut add = |suffix: &str, v: Cow<'static, str>, always: bool| {
        if always || !v.is_empty() {
            h.push((Cow::Owned(format!("{prefix}-{suffix}")), v));
        }
    };
    let dir = if p.outbound { "outbound" } else { "inbound" };
    let owned = |s: &String| Cow::Owned(s.clone());
    add("Direction", dir.into(), true);
    add("Logical-Direction", dir.into(), true);
    add("Username", owned(&p.username), false);
    add("Dialplan", owned(&p.dialplan), false);
    add("Caller-ID-Name", owned(&p.cid_name), false);
    add("Caller-ID-Number", owned(&p.cid_num), false);
    add("Orig-Caller-ID-Name", owned(&p.orig_cid_name), false);
    add("Orig-Caller-ID-Number", owned(&p.orig_cid_num), false);
    add("Callee-ID-Name", owned(&p.callee_name), false);
    add("Callee-ID-Number", owned(&p.callee_num), false);
    add("Network-Addr", owned(&p.network_addr), false);
    add("ANI", owned(&p.ani), false);
    add("Destination-Number", owned(&p.destination), false);
    add("Unique-ID", owned(&p.uuid), false);
    add("Source", "mod_sofia".into(), true);
    add("Context", owned(&p.context), false);
    add("Channel-Name", owned(&p.chan_name), false);
    if with_index {
        add("Profile-Index", "1".into(), true);
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
        add(suffix, v.to_string().into(), true);
    }
    add("Screen-Bit", "true".into(), true);
    add("Privacy-Hide-Name", "false".into(), true);
    add("Privacy-Hide-Number", "false".into(), true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            outbound: true,
            cid_name: "Ann".into(),
            uuid: "u1".into(),
            ..Profile::default()
        }
    }

    #[test]
    fn a_block_is_reused_while_its_source_is_equal() {
        let mut c = BlockCache::default();
        let mut p = profile();
        let first = c.caller(&p);
        assert!(Arc::ptr_eq(&first, &c.caller(&p.clone())));
        p.times.answered = 7;
        let second = c.caller(&p);
        assert!(!Arc::ptr_eq(&first, &second));
        assert!(second.plain().contains("Caller-Channel-Answered-Time: 7\n"));
        assert!(first.plain().contains("Caller-Channel-Answered-Time: 0\n"));
    }

    #[test]
    fn variables_follow_every_change() {
        let mut c = BlockCache::default();
        let mut vars = vec![("a".to_string(), "1 2".to_string())];
        assert_eq!(c.vars(&vars).plain(), "variable_a: 1%202\n");
        vars[0].1 = "3".into();
        vars.push(("b".into(), String::new()));
        assert_eq!(c.vars(&vars).plain(), "variable_a: 3\nvariable_b: _undef_\n");
        vars.clear();
        assert_eq!(c.vars(&vars).plain(), "");
    }

    #[test]
    fn other_leg_block_names_its_kind() {
        let mut c = BlockCache::default();
        let o = OtherLeg {
            kind: "originatee",
            profile: profile(),
        };
        let b = c.other(&o);
        assert!(b.plain().starts_with("Other-Type: originatee\nOther-Leg-Direction: outbound\n"));
        assert!(!b.plain().contains("Profile-Index"));
    }
}
