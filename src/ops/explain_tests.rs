//! Table tests of `campaign why` and `contact why` over hand-made snapshots.

use chrono::TimeZone;

use super::*;
use crate::model::ContactRecord;

/// Mon-Sun 09:00-20:00 in the contact's zone, campaign in Moscow, 3 lines, 3 attempts.
const DEF: &str = r#"
name = "c"
caller_id = "74950000000"
dial = "sofia/gateway/trunk1/{number}"
timezone = "Europe/Moscow"
[schedule]
windows = [{ days = "all", hours = ["09:00-20:00"] }]
[limits]
lines = 3
[retry]
max_attempts = 3
intervals = ["5m", "1h"]
by_disposition = { busy = "10m" }
[script]
start = "bye"
[script.nodes.bye]
type = "hangup"
"#;

fn def() -> CampaignDef {
    CampaignDef::from_toml_str(DEF, "t").unwrap()
}

/// 2026-11-23 (a Monday) at `h`:00 UTC; Moscow is UTC+3.
fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap()
}

fn zone(zone: &str, pending: u64, due: u64, next_h: u32) -> ZoneDue {
    ZoneDue {
        zone: zone.into(),
        pending,
        due,
        next_due: Some(at(next_h)),
    }
}

fn cap(level: &str, in_use: u32, limit: Option<u32>) -> CapUse {
    CapUse {
        level: level.into(),
        in_use,
        limit,
        binds: false,
    }
}

fn snapshot(d: &CampaignDef, now: DateTime<Utc>) -> CampaignSnapshot<'_> {
    CampaignSnapshot {
        def: d,
        status: CampaignStatus::Running,
        status_reason: None,
        technical_streak: 0,
        last_technical: None,
        zones: vec![zone("Europe/Moscow", 5, 5, 5)],
        finished: 0,
        dialing: 0,
        caps: vec![
            cap("campaign lines", 1, Some(3)),
            cap("gateway trunk1 lines", 0, None),
        ],
        switches: vec![SwitchState {
            name: "fs1".into(),
            up: Some(true),
        }],
        now,
    }
}

#[test]
fn campaign_blockers_by_table() {
    let d = def();
    type Edit = fn(&mut CampaignSnapshot<'_>);
    let cases: &[(&str, Edit, &[&str])] = &[
        ("dials", |_| {}, &[]),
        (
            "paused",
            |s| {
                s.status = CampaignStatus::Paused;
                s.status_reason = Some("lunch".into());
            },
            &["paused (lunch); resume it with `outcall campaign resume c`"],
        ),
        (
            "draft",
            |s| s.status = CampaignStatus::Draft,
            &["draft: not started"],
        ),
        (
            "window closed in Moscow at 05:00 UTC (08:00)",
            |s| s.now = at(5),
            &["outside the calling window: 5 due, Europe/Moscow opens 2026-11-23T06:00:00+00:00"],
        ),
        (
            "a zone group that never overlaps",
            |s| s.zones = vec![zone("Europe/Moscow,Pacific/Honolulu", 1, 1, 5)],
            &["Europe/Moscow,Pacific/Honolulu never opens"],
        ),
        (
            "nothing due",
            |s| s.zones = vec![zone("Europe/Moscow", 2, 0, 12)],
            &["nothing due now: 2 pending, the next is due at 2026-11-23T12:00:00+00:00"],
        ),
        (
            "all final",
            |s| {
                s.zones.clear();
                s.finished = 7;
            },
            &["no contact left to call (7 final)"],
        ),
        (
            "lines full",
            |s| s.caps[0].in_use = 3,
            &["no room: campaign lines in use 3 of 3"],
        ),
        (
            "switch down",
            |s| s.switches[0].up = Some(false),
            &["no switch is up"],
        ),
    ];
    for (what, edit, want) in cases {
        let mut s = snapshot(&d, at(8));
        edit(&mut s);
        let why = explain_campaign(&s);
        assert_eq!(why.blockers.len(), want.len(), "{what}: {:?}", why.blockers);
        for (got, w) in why.blockers.iter().zip(want.iter()) {
            assert!(got.contains(w), "{what}: `{got}` lacks `{w}`");
        }
        assert_eq!(why.dialling, want.is_empty(), "{what}");
    }
}

#[test]
fn the_level_with_least_room_binds() {
    let d = def();
    let mut s = snapshot(&d, at(8));
    s.caps = vec![
        cap("campaign lines", 1, Some(3)),
        cap("gateway trunk1 lines", 4, Some(5)),
        cap("node fs1 sessions", 10, Some(1000)),
    ];
    let why = explain_campaign(&s);
    let binds: Vec<&str> = why
        .caps
        .iter()
        .filter(|c| c.binds)
        .map(|c| c.level.as_str())
        .collect();
    assert_eq!(binds, ["gateway trunk1 lines"]);
    assert_eq!(why.callable_now, 5);
    assert_eq!(why.next_due, Some(at(5)));
    assert!(why.zones[0].open);
}

fn record(status: ContactStatus, last: Option<Disposition>, attempts: u32) -> ContactRecord {
    ContactRecord {
        id: 1,
        campaign_id: 1,
        name: "Ivan".into(),
        phones: vec!["+73832123456".into()],
        vars: Default::default(),
        timezone: "Asia/Novosibirsk".into(),
        status,
        attempts,
        technical_streak: u32::from(last == Some(Disposition::Technical)) * 3,
        next_attempt_at: at(1),
        last_disposition: last,
        lease_owner: None,
        lease_until: None,
    }
}

#[test]
fn contact_rules_and_next_attempt_by_table() {
    use ContactStatus::*;
    use Disposition::*;
    let d = def();
    let cases: &[(ContactRecord, &str, &str)] = &[
        (record(Pending, None, 0), "first attempt", ""),
        (
            record(Pending, Some(Busy), 1),
            "`busy`: wait 10m by retry.by_disposition.busy",
            "",
        ),
        (
            record(Pending, Some(NoAnswer), 2),
            "`no_answer`: wait 1h by retry.intervals[1]",
            "",
        ),
        (
            record(Pending, Some(Technical), 0),
            "`technical`: wait 4m by retry.technical_backoff",
            "",
        ),
        (
            record(Done, Some(Answered), 1),
            "final: `answered` is a success",
            "done: final",
        ),
        (
            record(Done, Some(Rejected), 1),
            "not in retry.retry_on",
            "done: final",
        ),
        (
            record(Exhausted, Some(Busy), 3),
            "attempts used up: 3 of retry.max_attempts = 3",
            "exhausted",
        ),
    ];
    for (c, rule, blocker) in cases {
        // 03:00 UTC: 10:00 in Novosibirsk, open.
        let s = ContactSnapshot {
            def: &d,
            campaign_status: CampaignStatus::Running,
            contact: c,
            open_call: None,
            do_not_call: vec![],
            now: at(3),
        };
        let why = explain_contact(&s);
        assert!(
            why.rule.contains(rule),
            "{:?}: `{}` lacks `{rule}`",
            c.status,
            why.rule
        );
        match *blocker {
            "" => {
                assert!(why.blockers.is_empty(), "{:?}", why.blockers);
                assert_eq!(why.next_attempt, Some(at(3)));
            }
            b => {
                assert!(why.blockers[0].starts_with(b), "{:?}", why.blockers);
                assert_eq!(why.next_attempt, None);
            }
        }
    }
}

#[test]
fn a_contact_outside_its_window_waits_for_its_own_morning() {
    let d = def();
    let c = record(ContactStatus::Pending, None, 0);
    // 15:00 UTC: 22:00 in Novosibirsk (UTC+7); it opens at 09:00 local = 02:00 UTC tomorrow.
    let s = ContactSnapshot {
        def: &d,
        campaign_status: CampaignStatus::Paused,
        contact: &c,
        open_call: None,
        do_not_call: vec!["+73832123456".into()],
        now: at(15),
    };
    let why = explain_contact(&s);
    let tomorrow = Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap();
    assert_eq!(why.next_attempt, Some(tomorrow));
    assert_eq!(
        why.next_attempt_local.as_deref(),
        Some("2026-11-24 09:00 Asia/Novosibirsk")
    );
    assert_eq!(why.blockers.len(), 3, "{:?}", why.blockers);
    assert!(why.blockers[0].contains("campaign is paused"));
    assert!(why.blockers[1].contains("do-not-call"));
    assert!(why.blockers[2].contains("outside its calling window until 2026-11-24 09:00"));
}
