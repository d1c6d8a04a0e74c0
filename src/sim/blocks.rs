//! The header blocks of a channel that rarely change between its events: the caller profile
//! (`Caller-*`), the other leg (`Other-Type`, `Other-Leg-*`) and the variables (`variable_*`).
//! Each is built and encoded once and shared by every event until its source changes: a
//! [`Cached`] value drops its block when borrowed mutably, and [`Vars`] keeps every variable
//! as its encoded line, so a change re-encodes that one variable.

use std::borrow::Cow;
use std::ops::Deref;
use std::sync::Arc;

use super::channel::Profile;
use super::headers::{Block, Header, Line};

/// A value and the block last made from it; borrowing the value mutably drops the block.
#[derive(Clone, Debug, Default)]
pub struct Cached<T> {
    value: T,
    block: Option<Arc<Block>>,
}

impl<T> Cached<T> {
    pub fn new(value: T) -> Cached<T> {
        Cached { value, block: None }
    }

    /// The value, to change: its block is made again at the next event.
    pub fn get_mut(&mut self) -> &mut T {
        self.block = None;
        &mut self.value
    }

    pub fn set(&mut self, value: T) {
        *self.get_mut() = value;
    }

    /// The block of the value: the one made last, or a new one from `make`.
    pub fn block(&mut self, make: impl FnOnce(&T) -> Vec<Header>) -> Arc<Block> {
        let value = &self.value;
        self.block
            .get_or_insert_with(|| Arc::new(Block::new(make(value))))
            .clone()
    }
}

impl<T> Deref for Cached<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

const VAR_PREFIX: &str = "variable_";

/// A channel's variables in first-set order, each as its `variable_<name>` line.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    lines: Vec<Arc<Line>>,
    block: Option<Arc<Block>>,
}

impl Vars {
    fn position(&self, name: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| l.name().strip_prefix(VAR_PREFIX) == Some(name))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.lines[i].value())
    }

    /// Sets (or with `None` unsets) a variable, keeping first-set order.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let line = |v: &str| Arc::new(Line::new(format!("{VAR_PREFIX}{name}"), v.to_string()));
        match (self.position(name), value) {
            (Some(i), Some(v)) if self.lines[i].value() == v => return,
            (Some(i), Some(v)) => self.lines[i] = line(v),
            (Some(i), None) => {
                self.lines.remove(i);
            }
            (None, Some(v)) => self.lines.push(line(v)),
            (None, None) => return,
        }
        self.block = None;
    }

    /// The `variable_*` block.
    pub fn block(&mut self) -> Arc<Block> {
        let lines = &self.lines;
        self.block
            .get_or_insert_with(|| Arc::new(Block::from_lines(lines.clone())))
            .clone()
    }
}

/// The headers of a caller profile with the given prefix, in switch_caller.c's order.
pub fn profile_headers(prefix: &'static str, p: &Profile, with_index: bool) -> Vec<Header> {
    let mut h = Vec::with_capacity(40);
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
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller_block(c: &mut Cached<Profile>) -> Arc<Block> {
        c.block(|p| profile_headers("Caller", p, true))
    }

    #[test]
    fn a_block_is_reused_until_its_value_is_borrowed_mutably() {
        let mut c = Cached::new(Profile {
            cid_name: "Ann".into(),
            ..Profile::default()
        });
        let first = caller_block(&mut c);
        assert!(Arc::ptr_eq(&first, &caller_block(&mut c)));
        c.get_mut().times.answered = 7;
        let second = caller_block(&mut c);
        assert!(!Arc::ptr_eq(&first, &second));
        assert!(second.plain().contains("Caller-Channel-Answered-Time: 7\n"));
        assert!(first.plain().contains("Caller-Channel-Answered-Time: 0\n"));
        assert!(second.plain().contains("Caller-Caller-ID-Name: Ann\n"));
        assert!(!second.plain().contains("Caller-Username"));
    }

    #[test]
    fn variables_follow_every_change_in_first_set_order() {
        let mut v = Vars::default();
        v.set("a", Some("1 2"));
        assert_eq!(v.block().plain(), "variable_a: 1%202\n");
        let same = v.block();
        v.set("a", Some("1 2"));
        assert!(Arc::ptr_eq(&same, &v.block()));
        v.set("b", Some(""));
        v.set("a", Some("3"));
        assert_eq!(v.block().plain(), "variable_a: 3\nvariable_b: _undef_\n");
        assert_eq!(v.get("a"), Some("3"));
        assert_eq!(v.get("variable_a"), None);
        v.set("a", None);
        v.set("zz", None);
        assert_eq!((v.get("a"), v.get("b")), (None, Some("")));
        assert_eq!(v.block().plain(), "variable_b: _undef_\n");
    }
}
