//! The FreeSWITCH event socket (ESL) protocol: bytes, frames, events and commands.
//!
//! Knows nothing of campaigns. Layers, bottom up:
//! * [`headers`]: zero-copy ordered header lists and `%XX` decoding;
//! * [`frame`]: one message (headers + optional body) and its kind;
//! * [`codec`]: tokio-util codecs, [`codec::ClientCodec`] (FreeSWITCH to us) and
//!   [`codec::ServerCodec`] (a client to us: the simulator and the outbound server);
//! * [`event`]: events in plain, json and xml with typed getters;
//! * [`command`]: injection-safe builders of everything a client sends;
//! * [`client`]: the inbound client (one task owns the socket, cheap cloneable handles);
//! * [`outbound`]: the server the `socket` dialplan application connects to.

pub mod client;
pub mod codec;
pub mod command;
pub mod event;
pub mod frame;
pub mod headers;
pub mod outbound;

pub use client::{Client, ClientOptions};
pub use codec::{ClientCodec, CodecError, Limits, Request, ServerCodec};
pub use command::{Command, CommandError, EventFormat};
pub use event::Event;
pub use frame::{Frame, FrameKind};
pub use headers::Headers;
