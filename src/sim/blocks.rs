//! The header blocks of a channel that rarely change between its events: the caller profile
//! (`Caller-*`), the other leg (`Other-Type`, `Other-Leg-*`) and the variables (`variable_*`).
//! Each is built and encoded once and shared by every event until its source changes: a
//! [`Cached`] value drops its block when borrowed mutably, and [`Vars`] keeps every variable
//! as its encoded line, so a change re-encodes that one variable.

use std::fmt::Write as _;
use std::ops::Deref;
use std::sync::Arc;

use super::channel::Profile;
use super::encode::plain_line;
use super::headers::Block;

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
    pub fn block(&mut self, make: impl FnOnce(&T) -> Block) -> Arc<Block> {
        let value = &self.value;
        self.block
            .get_or_insert_with(|| Arc::new(make(value)))
            .clone()
    }
}

impl<T> Deref for Cached<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// One variable: its name, value and `variable_<name>` line.
#[derive(Clone, Debug)]
struct Var {
    name: String,
    value: String,
    line: String,
}

impl Var {
    fn new(name: &str, value: &str) -> Var {
        let mut line = String::with_capacity(name.len() + value.len() + 16);
        plain_line(&mut line, &format!("variable_{name}"), value);
        Var {
            name: name.to_string(),
            value: value.to_string(),
            line,
        }
    }
}

/// A channel's variables in first-set order, each with its encoded `variable_<name>` line.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    list: Vec<Var>,
    block: Option<Arc<Block>>,
}

impl Vars {
    fn position(&self, name: &str) -> Option<usize> {
        self.list.iter().position(|v| v.name == name)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.list[i].value.as_str())
    }

    /// Sets (or with `None` unsets) a variable, keeping first-set order.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        match (self.position(name), value) {
            (Some(i), Some(v)) if self.list[i].value == v => return,
            (Some(i), Some(v)) => self.list[i] = Var::new(name, v),
            (Some(i), None) => {
                self.list.remove(i);
            }
            (None, Some(v)) => self.list.push(Var::new(name, v)),
            (None, None) => return,
        }
        self.block = None;
    }

    /// The `variable_*` block.
    pub fn block(&mut self) -> Arc<Block> {
        let list = &self.list;
        self.block
            .get_or_insert_with(|| {
                let mut b = Block::with_capacity(list.len());
                for v in list {
                    b.add_encoded(&["variable_", &v.name], &v.value, &v.line);
                }
                Arc::new(b)
            })
            .clone()
    }
}

/// The block of a caller profile with the given prefix, in switch_caller.c's order.
pub fn profile_block(prefix: &str, p: &Profile, with_index: bool) -> Block {
    let mut b = Block::with_capacity(40);
    write_profile(&mut b, prefix, p, with_index);
    b
}

/// Appends a caller profile's headers with the given prefix, in switch_caller.c's order.
pub fn write_profile(b: &mut Block, prefix: &str, p: &Profile, with_index: bool) {
    let mut add = |suffix: &str, v: &str, always: bool| {
        if always || !v.is_empty() {
            b.add(&[prefix, "-", suffix], v);
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
    let mut num = String::with_capacity(20);
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
        num.clear();
        let _ = write!(num, "{v}");
        add(suffix, &num, true);
    }
    add("Screen-Bit", "true", true);
    add("Privacy-Hide-Name", "false", true);
    add("Privacy-Hide-Number", "false", true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller_block(c: &mut Cached<Profile>) -> Arc<Block> {
        c.block(|p| profile_block("Caller", p, true))
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
