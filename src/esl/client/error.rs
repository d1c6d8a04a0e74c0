//! Errors of the inbound client. Every waiter gets its own copy, so they are cheap to clone.

use std::sync::Arc;

use crate::esl::codec::CodecError;
use crate::esl::command::CommandError;

/// Why the connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disconnect {
    /// We sent `exit` and FreeSWITCH closed the socket: a clean end.
    Exited,
    /// The socket closed (EOF), with the last disconnect notice body if one came.
    Closed(Option<String>),
    /// Reading or writing failed, or FreeSWITCH sent bytes that are not ESL.
    Failed(String),
    /// Nothing came back to a liveness probe in time.
    Unresponsive,
    /// Every `Client` handle was dropped.
    Dropped,
}

impl std::fmt::Display for Disconnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Disconnect::Exited => f.write_str("closed after exit"),
            Disconnect::Closed(None) => f.write_str("FreeSWITCH closed the connection"),
            Disconnect::Closed(Some(n)) => {
                write!(f, "FreeSWITCH closed the connection ({})", n.trim_end())
            }
            Disconnect::Failed(e) => write!(f, "connection failed: {e}"),
            Disconnect::Unresponsive => f.write_str("FreeSWITCH stopped answering liveness probes"),
            Disconnect::Dropped => f.write_str("client dropped"),
        }
    }
}

/// Errors of [`super::Client`] calls.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// TCP connect failed.
    #[error("cannot connect to FreeSWITCH at {addr}: {reason}")]
    Connect { addr: String, reason: String },
    /// Nothing listens at the address (the host answered with a reset): no FreeSWITCH
    /// process runs there, so no channel of an earlier one lives on.
    #[error("cannot connect to FreeSWITCH at {0}: connection refused (is it running?)")]
    Refused(String),
    /// Connect plus authentication took longer than the timeout.
    #[error("timed out connecting to FreeSWITCH at {0}")]
    ConnectTimeout(String),
    /// The password was refused (`-ERR invalid`).
    #[error("FreeSWITCH refused the ESL password: {0}")]
    Auth(String),
    /// Refused by the listener's ACL (`text/rude-rejection`).
    #[error("FreeSWITCH rejected the connection: {0}")]
    Rejected(String),
    /// FreeSWITCH sent something the protocol does not allow here.
    #[error("unexpected reply from FreeSWITCH: {0}")]
    Protocol(String),
    /// A command was refused by its builder (line breaks, bad names).
    #[error(transparent)]
    Command(#[from] CommandError),
    /// FreeSWITCH answered `-ERR …` (the reply text is kept).
    #[error("FreeSWITCH: {0}")]
    Failed(String),
    /// The channel ended before the application completed.
    #[error("channel {0} hung up before the application completed")]
    HungUp(String),
    /// The connection is gone; the call may not have reached FreeSWITCH, or its result was lost.
    #[error("ESL connection lost: {0}")]
    Disconnected(Arc<Disconnect>),
}

impl Error {
    /// True when the connection is gone (fail the call over, reconnect).
    pub fn is_disconnect(&self) -> bool {
        matches!(self, Error::Disconnected(_))
    }
}

impl From<CodecError> for Error {
    fn from(e: CodecError) -> Self {
        Error::Disconnected(Arc::new(Disconnect::Failed(e.to_string())))
    }
}

/// Result of client calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;
