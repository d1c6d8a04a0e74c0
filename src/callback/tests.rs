//! The request's checks (each error names its field) and the recall rule.

use super::spec::*;
use super::status::*;

fn phone(s: &str) -> Result<String, String> {
    let d: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    if d.len() >= 10 && s.chars().all(|c| c.is_ascii_digit() || c == '+') {
        Ok(format!("+{d}"))
    } else {
        Err(format!("`{s}` is not a phone number"))
    }
}

fn base() -> CallbackRequest {
    CallbackRequest {
        managers: Some(Managers::Joined(
            "+79161110001_+79161110002^79161110003".into(),
        )),
        client: Some("+77011112233".into()),
        manager_trunks: vec!["sofia/gateway/t1/{number}".into()],
        ..CallbackRequest::default()
    }
}

#[test]
fn defaults_and_separators() {
    let s = base().check(&phone).unwrap();
    assert_eq!(s.managers, ["+79161110001", "+79161110002", "+79161110003"]);
    assert_eq!(s.text, DEFAULT_TEXT);
    assert_eq!(s.client_phrase, "Звонок клиенту");
    assert_eq!(s.client_delay_ms, 3000);
    assert_eq!(s.client_trunks, s.manager_trunks);
    assert_eq!(
        (s.repeats, s.attempt, s.dial_mode),
        (1, 1, DialMode::Sequential)
    );
    assert!(s.auto_connect());
    let list = CallbackRequest {
        managers: Some(Managers::List(vec!["+79161110001".into(), " ".into()])),
        ..base()
    };
    assert_eq!(list.check(&phone).unwrap().managers, ["+79161110001"]);
}

#[test]
fn every_error_names_its_field() {
    let cases: Vec<(CallbackRequest, &str)> = vec![
        (
            CallbackRequest {
                managers: None,
                ..base()
            },
            "managers:",
        ),
        (
            CallbackRequest {
                managers: Some(Managers::Joined("+7916_x".into())),
                ..base()
            },
            "managers[0]:",
        ),
        (
            CallbackRequest {
                client: None,
                ..base()
            },
            "client:",
        ),
        (
            CallbackRequest {
                client: Some("abc".into()),
                ..base()
            },
            "client:",
        ),
        (
            CallbackRequest {
                connect_digit: Some("55".into()),
                ..base()
            },
            "connect_digit:",
        ),
        (
            CallbackRequest {
                cancel_digit: Some("#".into()),
                ..base()
            },
            "cancel_digit:",
        ),
        (
            CallbackRequest {
                connect_digit: Some("5".into()),
                postpone_digit: Some("5".into()),
                ..base()
            },
            "postpone_digit: the same key as connect_digit",
        ),
        (
            CallbackRequest {
                repeats: Some(25),
                ..base()
            },
            "repeats:",
        ),
        (
            CallbackRequest {
                repeats: Some(0),
                ..base()
            },
            "repeats:",
        ),
        (
            CallbackRequest {
                manager_trunks: vec![],
                ..base()
            },
            "manager_trunks:",
        ),
        (
            CallbackRequest {
                manager_trunks: vec!["sofia/gateway/a b/{number}".into()],
                ..base()
            },
            "manager_trunks[0]:",
        ),
        (
            CallbackRequest {
                client_trunks: vec!["sofia/gateway/x/123".into()],
                ..base()
            },
            "client_trunks[0]:",
        ),
        (
            CallbackRequest {
                client_trunks: vec!["sofia/gateway/${x}/{number}".into()],
                ..base()
            },
            "client_trunks[0]:",
        ),
        (
            CallbackRequest {
                text: Some("a\nb".into()),
                ..base()
            },
            "text:",
        ),
        (
            CallbackRequest {
                info: Some("x\ry".into()),
                ..base()
            },
            "info:",
        ),
        (
            CallbackRequest {
                client_caller_id: Some("${system(id)}".into()),
                ..base()
            },
            "client_caller_id:",
        ),
        (
            CallbackRequest {
                extension: Some("12a".into()),
                ..base()
            },
            "extension:",
        ),
        (
            CallbackRequest {
                client_delay_ms: Some(700_000),
                ..base()
            },
            "client_delay_ms:",
        ),
        (
            CallbackRequest {
                recall_intervals: vec![0],
                ..base()
            },
            "recall_intervals[0]:",
        ),
        (
            CallbackRequest {
                ring_timeout: Some(1),
                ..base()
            },
            "ring_timeout:",
        ),
        (
            CallbackRequest {
                status_url: Some("ftp://x".into()),
                ..base()
            },
            "status_url:",
        ),
        (
            CallbackRequest {
                log_url: Some("http://u:p@x/".into()),
                ..base()
            },
            "log_url:",
        ),
        (
            CallbackRequest {
                language: Some("r u".into()),
                ..base()
            },
            "language:",
        ),
        (
            CallbackRequest {
                idempotency_key: Some(String::new()),
                ..base()
            },
            "idempotency_key:",
        ),
        (
            CallbackRequest {
                working_hours: Some(WorkingHours {
                    timezone: "Mars/Base".into(),
                    windows: vec![],
                }),
                ..base()
            },
            "working_hours.timezone:",
        ),
    ];
    for (req, want) in cases {
        let e = req.check(&phone).unwrap_err();
        assert!(e.starts_with(want), "want `{want}`, got `{e}`");
    }
}

#[test]
fn info_digit_may_be_hash_and_repeats_rule() {
    let s = CallbackRequest {
        info_digit: Some("#".into()),
        repeats: Some(16),
        ..base()
    }
    .check(&phone)
    .unwrap();
    assert_eq!(s.info_digit, Some('#'));
    assert!(!s.auto_connect(), "16 and more: hang up without a digit");
    let s = CallbackRequest {
        repeats: Some(15),
        ..base()
    }
    .check(&phone)
    .unwrap();
    assert!(s.auto_connect());
}

#[test]
fn statuses_have_unique_codes_and_parse_back() {
    let mut codes: Vec<u16> = ALL.iter().map(|s| s.code()).collect();
    codes.dedup();
    assert_eq!(codes.len(), ALL.len(), "codes are unique and in order");
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(CallbackStatus::CancelledByManager.code(), 708);
    for &s in ALL {
        assert_eq!(s.as_str().parse::<CallbackStatus>(), Ok(s));
    }
}

#[test]
fn recall_rule() {
    let s = CallbackRequest {
        recall_intervals: vec![60, 300],
        ..base()
    }
    .check(&phone)
    .unwrap();
    use CallbackStatus::*;
    assert_eq!(next_step(&s, ClientNoAnswer, 1, false), Next::RecallIn(60));
    assert_eq!(next_step(&s, ManagerBusy, 2, false), Next::RecallIn(300));
    assert_eq!(
        next_step(&s, ManagerBusy, 3, false),
        Next::Done,
        "intervals used up"
    );
    assert_eq!(
        next_step(&s, ClientNoAnswer, 1, true),
        Next::Done,
        "recalls cancelled"
    );
    assert_eq!(next_step(&s, CancelledByManager, 1, false), Next::Done);
    assert_eq!(next_step(&s, Completed, 1, false), Next::Done);
    assert_eq!(next_step(&s, Postponed, 1, false), Next::RecallIn(60));
    assert_eq!(
        next_step(&s, Postponed, 5, false),
        Next::RecallIn(300),
        "the last interval"
    );
    let none = base().check(&phone).unwrap();
    assert_eq!(
        next_step(&none, Postponed, 1, false),
        Next::RecallIn(DEFAULT_POSTPONE_SECS)
    );
    assert_eq!(next_step(&none, ClientNoAnswer, 1, false), Next::Done);
}

#[test]
fn working_hours_move_the_due_time_into_them() {
    use chrono::TimeZone;
    let w: WorkingHours = serde_json::from_value(serde_json::json!({
        "timezone": "Europe/Moscow",
        "windows": [{ "days": "mon-fri", "hours": ["09:00-18:00"] }]
    }))
    .unwrap();
    let s = CallbackRequest {
        working_hours: Some(w),
        ..base()
    }
    .check(&phone)
    .unwrap();
    // Saturday 2026-11-28 12:00 Moscow -> Monday 09:00 Moscow (06:00 UTC).
    let sat = chrono::Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
    assert_eq!(
        s.due_at(sat),
        Some(chrono::Utc.with_ymd_and_hms(2026, 11, 30, 6, 0, 0).unwrap())
    );
    let mon = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap();
    assert_eq!(s.due_at(mon), Some(mon), "inside the hours: unchanged");
    assert_eq!(
        base().check(&phone).unwrap().due_at(sat),
        Some(sat),
        "no hours: unchanged"
    );
}
