//! A listener's event subscriptions and filters (`event`, `nixevent`, `noevents`, `filter`,
//! `myevents`), and the matching rule FreeSWITCH applies before queueing an event to it.

use std::collections::HashSet;

use super::encode::Format;
use super::event::{canonical_name, Event};

/// One `filter` entry.
#[derive(Clone, Debug)]
struct Filter {
    header: String,
    value: String,
}

/// What a listener wants.
#[derive(Clone, Debug)]
pub struct Subs {
    pub format: Format,
    all: bool,
    names: HashSet<&'static str>,
    subclasses: HashSet<String>,
    all_custom: bool,
    filters: Vec<Filter>,
    /// `myevents <uuid>`: only this channel's events (and its jobs).
    pub my_uuid: Option<String>,
}

impl Default for Subs {
    fn default() -> Self {
        Subs {
            format: Format::Plain,
            all: false,
            names: HashSet::new(),
            subclasses: HashSet::new(),
            all_custom: false,
            filters: Vec::new(),
            my_uuid: None,
        }
    }
}

impl Subs {
    /// Applies `event [format] names...`; false when no keyword was given.
    pub fn subscribe(&mut self, args: &str) -> bool {
        let mut words = args.split_whitespace().peekable();
        if let Some(f) = words.peek().and_then(|w| Format::parse(w)) {
            self.format = f;
            words.next();
        }
        let mut any = false;
        let mut custom = false;
        for w in words {
            any = true;
            if custom && !w.eq_ignore_ascii_case("ALL") && canonical_name(w).is_none() {
                self.subclasses.insert(w.to_string());
                continue;
            }
            if w.eq_ignore_ascii_case("ALL") {
                self.all = true;
                self.all_custom = true;
            } else if let Some(n) = canonical_name(w) {
                if n == "CUSTOM" {
                    custom = true;
                    self.names.insert(n);
                } else {
                    self.names.insert(n);
                }
            }
        }
        any
    }

    /// `nixevent names...`.
    pub fn nix(&mut self, args: &str) {
        let mut custom = false;
        for w in args.split_whitespace() {
            if w.eq_ignore_ascii_case("ALL") {
                self.all = false;
                self.all_custom = false;
                self.names.clear();
                self.subclasses.clear();
            } else if let Some(n) = canonical_name(w) {
                custom = n == "CUSTOM";
                self.names.remove(n);
            } else if custom {
                self.subclasses.remove(w);
            }
        }
    }

    /// Whether any event is subscribed.
    pub fn listening(&self) -> bool {
        self.all || !self.names.is_empty() || !self.subclasses.is_empty()
    }

    /// `noevents`.
    pub fn clear(&mut self) {
        self.all = false;
        self.all_custom = false;
        self.names.clear();
        self.subclasses.clear();
    }

    /// `filter [add] <Header> <value>`.
    pub fn add_filter(&mut self, header: &str, value: &str) {
        self.filters.push(Filter {
            header: header.to_string(),
            value: value.to_string(),
        });
    }

    /// `filter delete <Header> [value]` / `filter delete all`.
    pub fn delete_filter(&mut self, header: &str, value: Option<&str>) {
        if header.eq_ignore_ascii_case("all") {
            self.filters.clear();
        } else {
            self.filters.retain(|f| {
                !(f.header.eq_ignore_ascii_case(header)
                    && value.is_none_or(|v| f.value.eq_ignore_ascii_case(v)))
            });
        }
    }

    /// Whether this event goes to the listener.
    pub fn wants(&self, ev: &Event) -> bool {
        let ids = (ev.unique_id.as_deref(), ev.job_owner.as_deref());
        self.may_want(ev.name, ev.subclass.as_deref(), ids) && self.filters_pass(ev)
    }

    /// Whether an event of this name, subclass and (`Unique-ID`, `Job-Owner-UUID`) goes to
    /// the listener if its filters let it through: when false, the event need not be built.
    pub fn may_want(
        &self,
        name: &str,
        subclass: Option<&str>,
        (unique_id, job_owner): (Option<&str>, Option<&str>),
    ) -> bool {
        if let Some(my) = &self.my_uuid {
            let mine = unique_id == Some(my.as_str()) || job_owner == Some(my.as_str());
            if !mine {
                return false;
            }
        }
        let subscribed = if name == "CUSTOM" {
            self.all_custom || subclass.is_some_and(|s| self.subclasses.contains(s))
        } else {
            self.all || self.names.contains(name)
        };
        let my_channel_event = self.my_uuid.is_some()
            && (name.starts_with("CHANNEL_")
                || matches!(name, "DTMF" | "BACKGROUND_JOB" | "DETECTED_SPEECH"));
        subscribed || my_channel_event
    }

    fn filters_pass(&self, ev: &Event) -> bool {
        if self.filters.is_empty() {
            return true;
        }
        let mut included = false;
        let mut any_include = false;
        for f in &self.filters {
            let (exclude, pat) = match f.value.strip_prefix('-') {
                Some(p) => (true, p),
                None => (false, f.value.as_str()),
            };
            let hv = ev.header(&f.header);
            let hit = hv.is_some_and(|v| value_matches(pat, v));
            if exclude && hit {
                return false;
            }
            if !exclude {
                any_include = true;
                included |= hit;
            }
        }
        included || !any_include
    }
}

fn value_matches(pat: &str, v: &str) -> bool {
    match pat.strip_prefix('/') {
        Some(re) => {
            let re = re.strip_suffix('/').unwrap_or(re);
            regex::Regex::new(re).is_ok_and(|r| r.is_match(v))
        }
        None => pat.eq_ignore_ascii_case(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::event::{EventBuilder, Identity};
    use crate::sim::simtime::Clock;

    fn ev(name: &'static str, uid: &str) -> Event {
        let id = Identity::new(Clock::new(1.0));
        let mut b = EventBuilder::new(&id, name, None, ("f", "g", 1));
        b.add("Unique-ID", uid.to_string()).unique_id(uid);
        b.build()
    }

    #[test]
    fn names_all_and_filters() {
        let mut s = Subs::default();
        assert!(!s.subscribe("plain"));
        assert!(s.subscribe("json CHANNEL_ANSWER SWITCH_EVENT_DTMF"));
        assert_eq!(s.format, Format::Json);
        assert!(s.wants(&ev("CHANNEL_ANSWER", "a")));
        assert!(s.wants(&ev("DTMF", "a")));
        assert!(!s.wants(&ev("CHANNEL_HANGUP", "a")));
        s.subscribe("ALL");
        assert!(s.wants(&ev("CHANNEL_HANGUP", "a")));
        s.add_filter("Unique-ID", "b");
        assert!(!s.wants(&ev("CHANNEL_HANGUP", "a")));
        assert!(s.wants(&ev("CHANNEL_HANGUP", "b")));
        s.delete_filter("all", None);
        s.add_filter("Unique-ID", "-a");
        assert!(!s.wants(&ev("CHANNEL_HANGUP", "a")));
        assert!(s.wants(&ev("CHANNEL_HANGUP", "c")));
        s.nix("ALL");
        assert!(!s.listening());
    }

    #[test]
    fn may_want_is_wants_before_the_filters() {
        let mut s = Subs::default();
        s.subscribe("plain CHANNEL_ANSWER");
        s.add_filter("Unique-ID", "b");
        assert!(s.may_want("CHANNEL_ANSWER", None, (Some("a"), None)));
        assert!(!s.wants(&ev("CHANNEL_ANSWER", "a")));
        assert!(!s.may_want("CHANNEL_STATE", None, (Some("b"), None)));
        let mut mine = Subs {
            my_uuid: Some("a".into()),
            ..Subs::default()
        };
        assert!(mine.may_want("CHANNEL_STATE", None, (Some("a"), None)));
        assert!(!mine.may_want("CHANNEL_STATE", None, (Some("b"), None)));
        assert!(mine.may_want("BACKGROUND_JOB", None, (None, Some("a"))));
        assert!(!mine.may_want("HEARTBEAT", None, (Some("a"), None)));
        mine.subscribe("CUSTOM avmd::beep");
        assert!(mine.may_want("CUSTOM", Some("avmd::beep"), (Some("a"), None)));
        assert!(!mine.may_want("CUSTOM", Some("other"), (Some("a"), None)));
    }
}
