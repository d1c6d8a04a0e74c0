//! What the dialer needs from one FreeSWITCH node, as a small object-safe trait: originate with
//! `bgapi`, per-channel event streams (registered before the originate), `sendmsg execute`,
//! hangup, `uuid_exists`, and the events that name no channel (CUSTOM `filestring::fail`).
//! [`super::esl_switch`] implements it over the ESL client; the engine knows only this.

use std::borrow::Cow;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;

use crate::esl::command::AppCall;
use crate::esl::event::Event;

/// A channel event as the dialer reads it (shared, never copied).
#[derive(Debug, Clone)]
pub struct CallEvent(pub Arc<Event>);

/// A stream of events (of one channel, or of the node's unrouted ones). It ends when the
/// node's socket dies.
pub type Events = BoxStream<'static, CallEvent>;

impl CallEvent {
    /// The Event-Name.
    pub fn name(&self) -> Cow<'_, str> {
        self.0.event_name().unwrap_or(Cow::Borrowed(""))
    }

    /// The first header of that name (FreeSWITCH repeats some; the first counts).
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        self.0.get(name)
    }

    /// The switch's Event-Sequence: one counter per node, so it orders events of different
    /// channels (and node-wide ones) as the switch fired them.
    pub fn sequence(&self) -> Option<u64> {
        self.get("Event-Sequence").and_then(|s| s.parse().ok())
    }

    /// A channel variable (`variable_<name>`).
    pub fn variable(&self, name: &str) -> Option<Cow<'_, str>> {
        self.0.variable(name)
    }

    /// Every channel variable, without the prefix.
    pub fn variables(&self) -> Vec<(String, String)> {
        self.0
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("variable_")
                    .map(|name| (name.to_string(), v.into_owned()))
            })
            .collect()
    }
}

/// Why the switch could not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwitchError {
    /// The node's socket is down (or went down while waiting).
    #[error("switch {0} is unreachable")]
    Unreachable(String),
    /// The channel is gone (hung up before the application completed, or no such channel).
    #[error("the channel has hung up")]
    HungUp,
    /// The switch answered `-ERR ...` (the text after `-ERR `).
    #[error("switch refused: {0}")]
    Refused(String),
    /// A value could not be sent safely (line break, unbalanced braces).
    #[error("unsafe command value: {0}")]
    Unsafe(String),
}

/// A node's connection counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SwitchStats {
    /// Events received over the node's event socket.
    pub events: u64,
    /// Connections made after the first (the socket was lost and came back).
    pub reconnects: u64,
}

/// One FreeSWITCH node.
pub trait Switch: Send + Sync {
    /// The node's name (attempt rows, logs).
    fn name(&self) -> &str;
    /// Is the socket up and authenticated?
    fn is_up(&self) -> bool;
    /// Events received and reconnections made since start (zero for a switch that does not
    /// count them).
    fn stats(&self) -> SwitchStats {
        SwitchStats::default()
    }
    /// Starts routing the events of channel `uuid` to the returned receiver. The stream ends when
    /// the socket dies or [`Switch::forget`] is called.
    fn channel_events(&self, uuid: &str) -> Result<Events, SwitchError>;
    /// `bgapi originate {vars}endpoint destination`; resolves with the BACKGROUND_JOB body
    /// (`+OK <uuid>` or `-ERR <CAUSE>`).
    fn originate<'a>(
        &'a self,
        vars: Vec<(String, String)>,
        endpoint: String,
        destination: String,
    ) -> BoxFuture<'a, Result<String, SwitchError>>;
    /// `sendmsg <uuid>` execute of an application built by `esl::command::app`; resolves with
    /// the CHANNEL_EXECUTE_COMPLETE event.
    fn execute<'a>(
        &'a self,
        uuid: &'a str,
        call: &'a AppCall,
    ) -> BoxFuture<'a, Result<CallEvent, SwitchError>>;
    /// `sendmsg <uuid>` hangup with a cause.
    fn hangup<'a>(
        &'a self,
        uuid: &'a str,
        cause: &'a str,
    ) -> BoxFuture<'a, Result<(), SwitchError>>;
    /// `api uuid_kill <uuid> <cause>`.
    fn kill<'a>(&'a self, uuid: &'a str, cause: &'a str) -> BoxFuture<'a, Result<(), SwitchError>>;
    /// Events that name no channel (CUSTOM `filestring::fail` and the like); `Some` once.
    fn unrouted(&self) -> Option<Events>;
    /// `api uuid_exists <uuid>`.
    fn uuid_exists<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<bool, SwitchError>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esl::command::EventFormat;
    use crate::esl::headers::Headers;

    #[test]
    fn first_header_and_variables() {
        let pairs = vec![
            (
                "Event-Name".to_string(),
                "CHANNEL_HANGUP_COMPLETE".to_string(),
            ),
            ("Hangup-Cause".into(), "USER_BUSY".into()),
            ("Hangup-Cause".into(), "NORMAL_CLEARING".into()),
            ("variable_billsec".into(), "0".into()),
        ];
        let e = CallEvent(Arc::new(Event::new(
            Headers::from_pairs(pairs),
            None,
            EventFormat::Plain,
        )));
        assert_eq!(e.name(), "CHANNEL_HANGUP_COMPLETE");
        assert_eq!(e.get("Hangup-Cause").as_deref(), Some("USER_BUSY"));
        assert_eq!(e.variable("billsec").as_deref(), Some("0"));
        assert_eq!(
            e.variables(),
            vec![("billsec".to_string(), "0".to_string())]
        );
        assert!(e.get("Nope").is_none());
    }
}
