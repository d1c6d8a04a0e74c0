//! Decoded values from the real captures: percent-decoding, repeated headers, inner bodies,
//! header order, JSON/XML, notices. Skipped, with one line printed, when ../shared is absent.

use outcall::esl::{FrameKind, ServerCodec};

#[path = "esl_support/mod.rs"]
mod support;
use support::{captures, event, frames};

#[test]
fn percent_decoding_of_plain_values() {
    let Some(dir) = captures() else { return };
    let e = event(&frames(&dir, "dtmf_hash.plain")[0]);
    assert_eq!(e.event_name().unwrap(), "DTMF");
    assert_eq!(e.dtmf_digit().unwrap(), "#");
    let e = event(&frames(&dir, "dtmf_digit_7.plain")[0]);
    assert_eq!(e.dtmf_digit().unwrap(), "7");
    let e = event(&frames(&dir, "channel_execute_complete_playback.plain")[0]);
    assert_eq!(e.event_name().unwrap(), "CHANNEL_EXECUTE_COMPLETE");
    assert_eq!(e.application().unwrap(), "playback");
    assert_eq!(e.application_response().unwrap(), "FILE PLAYED");
    assert!(e.unique_id().is_some());
    assert!(e.application_uuid().is_some());
    let e = event(&frames(&dir, "channel_hangup_normal_clearing.plain")[0]);
    assert_eq!(e.hangup_cause().unwrap(), "NORMAL_CLEARING");
    assert!(e.get("Channel-Name").unwrap().contains('@'));
}

#[test]
fn repeated_hangup_cause_first_wins() {
    let Some(dir) = captures() else { return };
    let e = event(
        &frames(
            &dir,
            "channel_hangup_complete_unanswered_originator_cancel.plain",
        )[0],
    );
    assert_eq!(e.event_name().unwrap(), "CHANNEL_HANGUP_COMPLETE");
    assert_eq!(e.hangup_cause().unwrap(), "ORIGINATOR_CANCEL");
    assert_eq!(e.variable("billsec").unwrap(), "0");
    assert_eq!(e.variable("duration").unwrap(), "56");
}

#[test]
fn background_job_inner_body() {
    let Some(dir) = captures() else { return };
    let f = frames(&dir, "inbound_session_auth_bgapi_originate_fail.stream");
    let kinds: Vec<_> = f.iter().map(|f| f.kind()).collect();
    assert_eq!(
        kinds,
        [
            FrameKind::AuthRequest,
            FrameKind::CommandReply,
            FrameKind::CommandReply,
            FrameKind::CommandReply,
            FrameKind::EventPlain
        ]
    );
    assert_eq!(f[1].reply_text().unwrap(), "+OK accepted");
    let job = f[3].headers.get("Job-UUID").unwrap().into_owned();
    let e = event(&f[4]);
    assert_eq!(e.event_name().unwrap(), "BACKGROUND_JOB");
    assert_eq!(e.job_uuid().unwrap(), job);
    assert_eq!(e.body_text().unwrap(), "-ERR RECOVERY_ON_TIMER_EXPIRE\n");
    assert!(e.get("Job-Command-Arg").unwrap().contains("&playback("));
    let e = event(&frames(&dir, "background_job_reloadxml_ok.plain")[0]);
    assert_eq!(e.body_text().unwrap(), "+OK [Success]\n");
    let e = event(&frames(&dir, "background_job_originate_ok_2008.plain")[0]);
    assert!(e.body_text().unwrap().starts_with("+OK "));
}

#[test]
fn outbound_connect_reply_has_content_type_last() {
    let Some(dir) = captures() else { return };
    for name in [
        "outbound_connect_reply.plain",
        "outbound_connect_reply_2017.plain",
        "outbound_connect_reply_2023.plain",
    ] {
        let f = &frames(&dir, name)[0];
        assert_eq!(f.kind(), FrameKind::CommandReply, "{name}");
        assert!(f.body.is_none(), "{name}");
        assert!(f.headers.len() > 50, "{name}");
        assert!(f.headers.position("Content-Type").unwrap() > 50, "{name}");
        assert!(f.headers.get("Unique-ID").is_some(), "{name}");
        assert!(
            f.headers.get("Channel-Name").unwrap().contains('/'),
            "{name}"
        );
    }
}

#[test]
fn api_responses_and_notices() {
    let Some(dir) = captures() else { return };
    let f = &frames(&dir, "api_response_reloadxml_ok.api")[0];
    assert_eq!(f.body_text().unwrap(), "+OK [Success]\n");
    let f = &frames(&dir, "api_response_err_subscriber_absent.api")[0];
    assert!(f.body_text().unwrap().starts_with("-ERR SUBSCRIBER_ABSENT"));
    let f = &frames(&dir, "disconnect_notice_linger.txt")[0];
    assert_eq!(f.kind(), FrameKind::DisconnectNotice);
    assert_eq!(f.body.as_deref(), Some(&b""[..]));
    assert_eq!(f.headers.get("Content-Disposition").unwrap(), "linger");
    assert_eq!(
        f.headers.get("Channel-Name").unwrap(),
        "sofia/internal/1001@172.16.50.134"
    );
    let f = &frames(&dir, "disconnect_notice_goodbye.txt")[0];
    assert!(f.body_text().unwrap().starts_with("Disconnected, goodbye."));
    let f = &frames(&dir, "log_data.txt")[0];
    assert_eq!(f.kind(), FrameKind::LogData);
    assert!(f
        .body_text()
        .unwrap()
        .contains("State DESTROY going to sleep"));
}

#[test]
fn json_and_xml_events() {
    let Some(dir) = captures() else { return };
    let e = event(&frames(&dir, "channel_destroy.json")[0]);
    assert_eq!(e.event_name().unwrap(), "CHANNEL_DESTROY");
    assert_eq!(e.get("FreeSWITCH-IPv6").unwrap(), "::1");
    let e = event(&frames(&dir, "api_event_sofia_status.json")[0]);
    assert_eq!(e.get("API-Command-Argument").unwrap(), "status");
    let e = event(&frames(&dir, "channel_destroy.xml")[0]);
    assert_eq!(e.event_name().unwrap(), "CHANNEL_DESTROY");
    assert_eq!(
        e.unique_id().unwrap(),
        "aed541be-c2c2-4f5d-94b6-3fe57ca4c8e9"
    );
    assert_eq!(e.get("FreeSWITCH-IPv6").unwrap(), "::1");
    assert_eq!(e.get("Event-Date-Local").unwrap(), "2017-08-03 14:40:13");
    let plain = event(&frames(&dir, "channel_destroy_2017.plain")[0]);
    assert_eq!(plain.event_name().unwrap(), "CHANNEL_DESTROY");
}

#[test]
fn unencoded_2009_event_and_its_xml_body() {
    let Some(dir) = captures() else { return };
    let e = event(&frames(&dir, "detected_speech_2009.plain")[0]);
    assert_eq!(e.event_name().unwrap(), "DETECTED_SPEECH");
    assert_eq!(e.get("FreeSWITCH-IPv6").unwrap(), "::1");
    assert_eq!(e.body().unwrap().len(), 421);
    assert!(e.body_text().unwrap().starts_with("<result grammar="));
}

#[test]
fn server_codec_reencodes_capture_frames() {
    use tokio_util::codec::Encoder;
    let Some(dir) = captures() else { return };
    let original = frames(&dir, "outbound_session_answered_bridged_linger.stream");
    let mut buf = bytes::BytesMut::new();
    let mut codec = ServerCodec::default();
    for f in &original {
        codec.encode(f, &mut buf).unwrap();
    }
    let (again, err) = support::whole(&buf);
    assert!(err.is_none());
    assert_eq!(again, original);
}
