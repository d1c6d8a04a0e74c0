//! The codec and event parser over every real capture in ../shared/esl-captures: frame counts,
//! kinds and decoded values, with the bytes fed whole and one at a time. Skipped, with one line
//! printed, when ../shared is absent.

use bytes::Bytes;
use outcall::esl::codec::FrameError;
use outcall::esl::{CodecError, Event, EventFormat};

#[path = "esl_support/mod.rs"]
mod support;
use support::{bytewise, captures, frames, read, whole};

/// (file, frames, events) for every framed capture: counted independently by Content-Length.
const FRAMED: &[(&str, usize, usize)] = &[
    ("api_event.plain", 1, 1),
    ("api_event_sofia_status.json", 1, 1),
    ("api_event_uptime.json", 1, 1),
    ("api_response_err_subscriber_absent.api", 1, 0),
    ("api_response_ok.api", 1, 0),
    ("api_response_reloadxml_ok.api", 1, 0),
    ("auth_accepted.reply", 1, 0),
    ("auth_request.txt", 1, 0),
    (
        "background_job_originate_err_recovery_on_timer_expire.plain",
        1,
        1,
    ),
    ("background_job_originate_ok_2008.plain", 1, 1),
    ("background_job_reloadxml_ok.plain", 1, 1),
    ("bgapi_job_uuid.reply", 1, 0),
    ("channel_answer.plain", 1, 1),
    ("channel_answer_bleg.plain", 1, 1),
    ("channel_bridge.plain", 1, 1),
    ("channel_callstate.plain", 1, 1),
    ("channel_create_bleg.plain", 1, 1),
    ("channel_create_inbound_2012.plain", 1, 1),
    ("channel_destroy.json", 1, 1),
    ("channel_destroy.plain", 1, 1),
    ("channel_destroy.xml", 1, 1),
    ("channel_destroy_2017.plain", 1, 1),
    ("channel_execute.plain", 1, 1),
    ("channel_execute_complete_2012.plain", 1, 1),
    ("channel_execute_complete_answer.plain", 1, 1),
    ("channel_execute_complete_bridge.plain", 1, 1),
    (
        "channel_execute_complete_bridge_failed_call_rejected.plain",
        1,
        1,
    ),
    ("channel_execute_complete_bridge_failed_cancel.plain", 1, 1),
    ("channel_execute_complete_playback.plain", 1, 1),
    ("channel_execute_complete_read.plain", 1, 1),
    ("channel_execute_complete_socket.plain", 1, 1),
    ("channel_hangup_bleg_call_rejected.plain", 1, 1),
    ("channel_hangup_bleg_normal_clearing.plain", 1, 1),
    ("channel_hangup_bleg_originator_cancel.plain", 1, 1),
    (
        "channel_hangup_complete_unanswered_originator_cancel.plain",
        1,
        1,
    ),
    ("channel_hangup_normal_clearing.plain", 1, 1),
    ("channel_hangup_normal_temporary_failure.plain", 1, 1),
    ("channel_hangup_originator_cancel_2012.plain", 1, 1),
    ("channel_park.plain", 1, 1),
    ("channel_progress_bleg.plain", 1, 1),
    ("channel_progress_media.plain", 1, 1),
    ("channel_state.plain", 1, 1),
    ("channel_state_2007.plain", 1, 1),
    ("channel_unbridge.plain", 1, 1),
    ("channel_unpark.plain", 1, 1),
    ("codec.plain", 1, 1),
    ("command_reply_ok.reply", 1, 0),
    (
        "command_reply_then_execute_complete_answer_2018.stream",
        2,
        1,
    ),
    ("custom_sofia_pre_register.plain", 1, 1),
    ("detected_speech_2009.plain", 1, 1),
    ("disconnect_notice_disconnect_2017.txt", 1, 0),
    ("disconnect_notice_goodbye.txt", 1, 0),
    ("disconnect_notice_linger.txt", 1, 0),
    ("dtmf_digit_7.plain", 1, 1),
    ("dtmf_hash.plain", 1, 1),
    ("event_listener_enabled_json.reply", 1, 0),
    ("event_listener_enabled_plain.reply", 1, 0),
    ("event_listener_enabled_plain_inbound.reply", 1, 0),
    ("exit_bye.reply", 1, 0),
    ("heartbeat.plain", 1, 1),
    ("inbound_session_auth_bgapi_originate_fail.stream", 5, 1),
    ("linger_will_linger.reply", 1, 0),
    ("log_data.txt", 1, 0),
    ("message_query.plain", 1, 1),
    ("message_waiting.plain", 1, 1),
    ("outbound_connect_reply.plain", 1, 0),
    ("outbound_connect_reply_2017.plain", 1, 0),
    ("outbound_connect_reply_2023.plain", 1, 0),
    (
        "outbound_session_answered_bridged_bleg_hangs_up_first.stream",
        26,
        14,
    ),
    ("outbound_session_answered_bridged_linger.stream", 27, 14),
    ("outbound_session_att_xfer_dtmf_read.stream", 114, 78),
    ("outbound_session_bridge_bleg_call_rejected.stream", 25, 12),
    (
        "outbound_session_bridge_bleg_originator_cancel.stream",
        22,
        11,
    ),
    ("outbound_session_bridged_dtmf_displace.stream", 59, 34),
    ("re_schedule.plain", 1, 1),
    ("two_events_message_query_presence_probe.stream", 2, 2),
];

/// Inner parts only, not frames.
const NOT_FRAMES: &[&str] = &[
    "api_status_body_1.10.3.txt",
    "channel_answer_2014.body",
    "channel_hangup_complete_answered_2015.body",
    "channel_park_2023.body",
    "heartbeat_2015.body",
];

const INTRUDED: &str = "event_plain_all_session_2012.stream";

#[test]
fn every_capture_file_is_covered() {
    let Some(dir) = captures() else { return };
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".md") {
            continue;
        }
        let known = FRAMED.iter().any(|(n, _, _)| *n == name)
            || NOT_FRAMES.contains(&name.as_str())
            || name == INTRUDED;
        assert!(known, "capture {name} is not covered by this test");
    }
}

#[test]
fn frame_and_event_counts_whole_and_bytewise() {
    let Some(dir) = captures() else { return };
    for &(name, n_frames, n_events) in FRAMED {
        let frames = frames(&dir, name);
        assert_eq!(frames.len(), n_frames, "{name}: frames");
        let mut events = 0;
        for f in &frames {
            if let Some(e) = Event::from_frame(f).unwrap_or_else(|e| panic!("{name}: {e}")) {
                assert!(e.event_name().is_some(), "{name}: event without a name");
                events += 1;
            }
        }
        assert_eq!(events, n_events, "{name}: events");
    }
}

/// The client's lazily indexed events read exactly as strictly parsed ones: the routing
/// getters before anything is indexed, then every header and the body.
#[test]
fn lazy_events_equal_strict_ones_on_every_capture() {
    let Some(dir) = captures() else { return };
    let mut stayed_lazy = 0;
    for &(name, _, _) in FRAMED {
        for f in &frames(&dir, name) {
            let strict = Event::from_frame(f).unwrap_or_else(|e| panic!("{name}: {e}"));
            let lazy = Event::from_frame_lazy(f).unwrap_or_else(|e| panic!("{name}: {e}"));
            let (Some(strict), Some(lazy)) = (strict, lazy) else {
                continue;
            };
            assert_eq!(lazy.event_name(), strict.event_name(), "{name}");
            assert_eq!(lazy.unique_id(), strict.unique_id(), "{name}");
            assert_eq!(lazy.job_uuid(), strict.job_uuid(), "{name}");
            assert_eq!(lazy.application_uuid(), strict.application_uuid(), "{name}");
            assert_eq!(lazy.hangup_cause(), strict.hangup_cause(), "{name}");
            stayed_lazy += usize::from(!lazy.headers().indexed());
            assert_eq!(lazy, strict, "{name}");
            assert!(lazy.headers().indexed());
        }
    }
    assert!(
        stayed_lazy > 100,
        "the lazy path was taken {stayed_lazy} times"
    );
}

#[test]
fn intrusion_in_2012_stream_is_a_clear_error() {
    let Some(dir) = captures() else { return };
    let bytes = read(&dir, INTRUDED);
    for (frames, err) in [whole(&bytes), bytewise(&bytes)] {
        assert_eq!(frames.len(), 33);
        let err = err.expect("the intrusion must be an error");
        let msg = err.to_string();
        match err {
            CodecError::Malformed {
                offset,
                reason: FrameError::BadName { at, name },
            } => {
                assert_eq!(offset, 91755);
                assert_eq!(at, 91756);
                assert_eq!(name, "uuid_transfer Content-Length");
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert!(
            msg.contains("91755") && msg.contains("uuid_transfer"),
            "{msg}"
        );
    }
}

#[test]
fn inner_bodies_parse_as_events() {
    let Some(dir) = captures() else { return };
    for (name, event_name) in [
        ("channel_answer_2014.body", "CHANNEL_ANSWER"),
        (
            "channel_hangup_complete_answered_2015.body",
            "CHANNEL_HANGUP_COMPLETE",
        ),
        ("channel_park_2023.body", "CHANNEL_PARK"),
        ("heartbeat_2015.body", "HEARTBEAT"),
    ] {
        let e = Event::parse(Bytes::from(read(&dir, name)), EventFormat::Plain).unwrap();
        assert_eq!(e.event_name().unwrap(), event_name, "{name}");
    }
    let e = Event::parse(
        Bytes::from(read(&dir, "channel_hangup_complete_answered_2015.body")),
        EventFormat::Plain,
    )
    .unwrap();
    assert_eq!(e.variable("billsec").unwrap(), "66");
    let status = read(&dir, "api_status_body_1.10.3.txt");
    let mut wire = format!(
        "Content-Type: api/response\nContent-Length: {}\n\n",
        status.len()
    )
    .into_bytes();
    wire.extend_from_slice(&status);
    let (f, err) = whole(&wire);
    assert!(err.is_none());
    assert_eq!(f[0].body.as_deref(), Some(&status[..]));
}
