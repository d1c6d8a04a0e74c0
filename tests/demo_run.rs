//! `outcall demo`, the first thing a user sees (issue 16, item 10): it ends `completed`, shows
//! every outcome of its number plan (the gateway-down numbers recover), charged attempts apart
//! from technical calls, and what the calls heard; no log line breaks into its output.

#[test]
fn the_demo_completes_and_shows_what_the_calls_heard() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outcall"))
        .args(["demo", "--timeout", "120"])
        .env_remove("OUTCALL_CONFIG")
        .env_remove("OUTCALL_LOG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\ncampaign status: completed\n"),
        "{stdout}"
    );
    assert!(stderr.trim().is_empty(), "nothing logged: {stderr}");
    for outcome in [
        "answered",
        "transferred",
        "busy",
        "no_answer",
        "invalid_number",
        "short_call",
        "technical",
    ] {
        assert!(
            stdout.contains(&format!("\n{outcome}: ")),
            "{outcome}: {stdout}"
        );
    }
    assert!(stdout.contains("attempts technical  result"), "{stdout}");
    assert!(
        stdout.contains(
            "    speak: Здравствуйте, вас беспокоит ТСЖ ХХХ. Ваша задолженность составляет"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("    bridge sofia/gateway/demo/operator: answered"),
        "{stdout}"
    );
    // The gateway-down numbers end answered after their technical errors, one attempt used.
    let line = stdout.lines().find(|l| l.contains("+79007000001")).unwrap();
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cols[3..7], ["1", "3", "answered", "done"], "{line}");
}
