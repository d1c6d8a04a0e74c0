use super::*;

#[test]
fn names_round_trip() {
    for d in Disposition::ALL {
        assert_eq!(d.as_str().parse::<Disposition>().unwrap(), d);
    }
    assert_eq!(
        "paused".parse::<CampaignStatus>().unwrap(),
        CampaignStatus::Paused
    );
    assert_eq!(
        "dialing".parse::<ContactStatus>().unwrap(),
        ContactStatus::Dialing
    );
    assert!("nope".parse::<Disposition>().is_err());
}

#[test]
fn campaign_transitions() {
    use CampaignStatus::*;
    assert!(Draft.can_become(Running));
    assert!(Running.can_become(Paused) && Paused.can_become(Running));
    assert!(Completed.can_become(Running));
    assert!(!Cancelled.can_become(Running));
    assert!(!Draft.can_become(Completed));
    assert!(Paused.can_become(Paused));
    assert_eq!(
        CampaignStatus::sources_of(Completed),
        vec![Running, Completed]
    );
}

#[test]
fn durations_parse_as_written() {
    use duration_text::{format, parse};
    assert_eq!(parse("90").unwrap(), Duration::from_secs(90));
    assert_eq!(parse("30m").unwrap(), Duration::from_secs(1800));
    assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
    assert!(parse("5x").unwrap_err().contains("unknown unit"));
    assert!(parse("5m3").is_err());
    assert_eq!(format(Duration::from_secs(1800)), "30m");
}

#[test]
fn retry_policy_defaults_and_toml() {
    let p: RetryPolicy = toml::from_str("max_attempts = 3\nrecall_interval = \"10s\"").unwrap();
    assert_eq!(p.max_attempts, 3);
    assert_eq!(p.recall_interval, Duration::from_secs(10));
    assert_eq!(p.min_success_seconds, 10);
    assert_eq!(p.technical_errors_per_attempt, 9);
}
