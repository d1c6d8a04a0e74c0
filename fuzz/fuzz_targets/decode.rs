//! Fuzz target for the ESL decoders: arbitrary bytes through ClientCodec (whole, and split at
//! a fuzzer-chosen chunk size) must never panic, must give the same frames both ways, and every
//! event frame must parse or fail cleanly. ServerCodec gets the same bytes.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use outcall::esl::{ClientCodec, Event, Frame, ServerCodec};
use tokio_util::codec::Decoder;

fn run<D: Decoder>(mut codec: D, data: &[u8], chunk: usize) -> (Vec<D::Item>, Option<String>)
where
    D::Error: std::fmt::Display,
{
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(f)) => out.push(f),
                Ok(None) => break,
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(f)) => out.push(f),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&chunk, data)) = input.split_first() else {
        return;
    };
    let (whole, e1): (Vec<Frame>, _) = run(ClientCodec::default(), data, data.len().max(1));
    let (split, e2) = run(ClientCodec::default(), data, chunk as usize % 17 + 1);
    assert_eq!(whole, split, "frames differ by chunking");
    assert_eq!(e1, e2, "errors differ by chunking");
    for f in &whole {
        let _ = Event::from_frame(f).map(|e| e.map(|e| (e.event_name().map(|n| n.len()), e.body().map(|b| b.len()))));
        let _ = f.headers.to_vec();
    }
    let (r1, e3) = run(ServerCodec::default(), data, data.len().max(1));
    let (r2, e4) = run(ServerCodec::default(), data, chunk as usize % 17 + 1);
    assert_eq!(r1, r2);
    assert_eq!(e3, e4);
});
