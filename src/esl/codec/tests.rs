//! Tests of the codecs on hand-made bytes: framing rules, CRLF, limits, truncation, requests.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::*;

fn decode_all<D: Decoder>(mut codec: D, bytes: &[u8]) -> (Vec<D::Item>, Option<D::Error>) {
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    loop {
        match codec.decode(&mut buf) {
            Ok(Some(f)) => out.push(f),
            Ok(None) => break,
            Err(e) => return (out, Some(e)),
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(f)) => out.push(f),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

fn decode_bytewise<D: Decoder>(mut codec: D, bytes: &[u8]) -> (Vec<D::Item>, Option<D::Error>) {
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

const TWO: &[u8] = b"Content-Type: api/response\nContent-Length: 15\n\n+OK [Success]\n\nContent-Type: command/reply\nReply-Text: %2BOK%20a+b\n\n";

#[test]
fn body_may_hold_blank_lines_and_next_frame_follows_without_newline() {
    for (frames, err) in [
        decode_all(ClientCodec::default(), TWO),
        decode_bytewise(ClientCodec::default(), TWO),
    ] {
        assert!(err.is_none());
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].body.as_deref(), Some(&b"+OK [Success]\n\n"[..]));
        assert_eq!(frames[1].reply_text().unwrap(), "+OK a+b");
        assert_eq!(frames[1].body, None);
    }
}

#[test]
fn crlf_and_leading_line_breaks_are_tolerated() {
    let crlf = b"\r\n\nContent-Type: api/response\r\nContent-Length: 4\r\n\r\n+OK\n";
    let (frames, err) = decode_all(ClientCodec::default(), crlf);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].content_type().unwrap(), "api/response");
    assert_eq!(frames[0].body.as_deref(), Some(&b"+OK\n"[..]));
    let (again, _) = decode_bytewise(ClientCodec::default(), crlf);
    assert_eq!(frames, again);
}

#[test]
fn oversized_head_and_body_are_errors_not_buffers() {
    let limits = Limits {
        max_head: 64,
        max_body: 8,
    };
    let mut codec = ClientCodec::new(limits);
    let mut buf = BytesMut::from(&[b'a'; 100][..]);
    let e = codec.decode(&mut buf).unwrap_err();
    assert!(matches!(
        e,
        CodecError::Malformed {
            reason: FrameError::HeadTooLarge { limit: 64 },
            ..
        }
    ));
    let (_, e) = decode_all(ClientCodec::new(limits), b"Content-Length: 9\n\n123456789");
    assert!(matches!(
        e,
        Some(CodecError::Malformed {
            reason: FrameError::BodyTooLarge { length: 9, .. },
            ..
        })
    ));
    let (_, e) = decode_all(ClientCodec::default(), b"Content-Length: -1\n\n");
    assert!(matches!(
        e,
        Some(CodecError::Malformed {
            reason: FrameError::BadContentLength(_),
            ..
        })
    ));
}

#[test]
fn truncated_last_frame_names_its_offset() {
    let mut bytes = TWO.to_vec();
    bytes.extend_from_slice(b"Content-Length: 10\nContent-Type: text/event-plain\n\nabc");
    for (frames, err) in [
        decode_all(ClientCodec::default(), &bytes),
        decode_bytewise(ClientCodec::default(), &bytes),
    ] {
        assert_eq!(frames.len(), 2);
        match err {
            Some(CodecError::Truncated { offset, .. }) => assert_eq!(offset, TWO.len() as u64),
            other => panic!("expected truncation, got {other:?}"),
        }
    }
    let (frames, err) = decode_all(ClientCodec::default(), b"Content-Type: comm");
    assert!(frames.is_empty());
    assert_eq!(err.and_then(|e| e.offset()), Some(0));
}

#[test]
fn garbage_line_is_a_clear_error() {
    let (frames, err) = decode_all(
        ClientCodec::default(),
        b"Content-Type: x\n\n\njunk here\n\n",
    );
    assert_eq!(frames.len(), 1);
    let e = err.unwrap();
    assert_eq!(e.offset(), Some(17));
    assert!(e.to_string().contains("byte 18"), "{e}");
}

#[test]
fn server_codec_reads_requests_with_and_without_body() {
    let wire = b"\r\nauth ClueCon\r\n\r\napi status\n\nsendmsg abc\ncall-command: execute\nexecute-app-name:   playback\ncontent-length: 5\n\nhello bgapi originate x\nJob-UUID: j1\n\n";
    for (reqs, err) in [
        decode_all(ServerCodec::default(), wire),
        decode_bytewise(ServerCodec::default(), wire),
    ] {
        assert!(err.is_none(), "{err:?}");
        assert_eq!(reqs.len(), 4);
        assert_eq!(reqs[0].command, "auth ClueCon");
        assert_eq!(reqs[0].verb(), "auth");
        assert_eq!(reqs[1].args(), "status");
        assert_eq!(reqs[2].headers.get("execute-app-name").unwrap(), "playback");
        assert_eq!(reqs[2].body.as_deref(), Some(&b"hello"[..]));
        assert_eq!(reqs[3].command, " bgapi originate x");
        assert_eq!(reqs[3].verb(), "bgapi");
        assert_eq!(reqs[3].headers.get("Job-UUID").unwrap(), "j1");
    }
}

#[test]
fn request_headers_are_literal() {
    let (reqs, _) = decode_all(
        ServerCodec::default(),
        b"sendmsg\nexecute-app-arg: a%20b\n\n",
    );
    assert_eq!(reqs[0].headers.get("execute-app-arg").unwrap(), "a%20b");
}

#[test]
fn server_encodes_frames_the_client_decodes() {
    let mut codec = ServerCodec::default();
    let mut buf = BytesMut::new();
    let frame = Frame::new(
        vec![("Content-Type".into(), "api/response".into())],
        Some(Bytes::from_static(b"+OK\n")),
    );
    codec.encode(frame.clone(), &mut buf).unwrap();
    codec
        .encode(
            Bytes::from_static(b"Content-Type: auth/request\n\n"),
            &mut buf,
        )
        .unwrap();
    let (frames, err) = decode_all(ClientCodec::default(), &buf);
    assert!(err.is_none());
    assert_eq!(frames[0].body, frame.body);
    assert_eq!(frames[1].kind(), crate::esl::FrameKind::AuthRequest);
}
