//! Helpers shared by the ESL integration tests: locating the captures and decoding bytes whole
//! or one byte at a time. Included with `#[path]`.
#![allow(dead_code)]

use std::path::PathBuf;

use bytes::BytesMut;
use outcall::esl::{ClientCodec, CodecError, Event, Frame};
use tokio_util::codec::Decoder;

/// ../shared/esl-captures, or `None` after printing one skip line.
pub fn captures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/esl-captures");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: ../shared/esl-captures is absent");
        None
    }
}

pub fn read(dir: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Decodes with the whole input buffered at once.
pub fn whole(bytes: &[u8]) -> (Vec<Frame>, Option<CodecError>) {
    let mut codec = ClientCodec::default();
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(f)) => out.push(f),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// Decodes feeding one byte at a time.
pub fn bytewise(bytes: &[u8]) -> (Vec<Frame>, Option<CodecError>) {
    let mut codec = ClientCodec::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for &b in bytes {
        buf.extend_from_slice(&[b]);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(f)) => out.push(f),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    match codec.decode_eof(&mut buf) {
        Ok(Some(f)) => out.push(f),
        Ok(None) => {}
        Err(e) => return (out, Some(e)),
    }
    (out, None)
}

/// Both ways, checked equal; panics on an error.
pub fn frames(dir: &std::path::Path, name: &str) -> Vec<Frame> {
    let bytes = read(dir, name);
    let (a, ea) = whole(&bytes);
    let (b, eb) = bytewise(&bytes);
    assert!(ea.is_none() && eb.is_none(), "{name}: {ea:?} / {eb:?}");
    assert_eq!(a, b, "{name}: whole and byte-by-byte differ");
    a
}

/// The event of an event frame.
pub fn event(f: &Frame) -> Event {
    Event::from_frame(f).unwrap().expect("an event frame")
}

/// A fixture copied into tests/fixtures/esl (permissively licensed captures, see its README).
pub fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/esl")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
