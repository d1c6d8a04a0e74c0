//! The `outcall campaign`, `pause-all`, `dnc` and `migrate` commands end to end, on a temporary
//! SQLite database (the store contract suite covers PostgreSQL).

use std::path::Path;
use std::process::Output;

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let db = format!("sqlite://{}", self.dir.path().join("cli.db").display());
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_outcall"));
        c.args(args)
            .env("OUTCALL_DATABASE_URL", db)
            .env_remove("OUTCALL_CONFIG")
            .current_dir(self.dir.path());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs and expects success; returns stdout.
    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects failure; returns stderr.
    #[track_caller]
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "{args:?} succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("campaigns")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn campaign_lifecycle_through_the_cli() {
    let cli = Cli::new();
    assert!(cli
        .ok(&["migrate"])
        .contains("sqlite database is up to date"));
    assert!(cli
        .ok(&["campaign", "check", &example("marketing.toml")])
        .contains("is valid"));
    assert!(cli
        .ok(&["campaign", "create", &example("demo.toml")])
        .contains("created campaign `demo`"));
    assert!(cli
        .fails(&["campaign", "create", &example("demo.toml")])
        .contains("already exists"));
    let out = cli.ok(&[
        "import",
        &example("demo-debtors.csv"),
        "--campaign",
        "demo",
        "--json",
    ]);
    assert_eq!(
        out.trim(),
        r#"{"rows":20,"accepted":20,"duplicates":0,"rejected":[],"merged":[],"zones":{"column":0,"user_table":0,"builtin":20,"country":0,"campaign":0}}"#
    );
    let list = cli.ok(&["campaign", "list"]);
    assert!(
        list.contains("demo") && list.contains("draft") && list.contains("pending 20"),
        "{list}"
    );
    assert!(cli
        .fails(&["campaign", "resume", "demo"])
        .contains("only a paused campaign"));
    assert!(cli
        .ok(&["campaign", "start", "demo"])
        .contains("draft -> running"));
    assert!(cli
        .ok(&["campaign", "pause", "demo", "--reason", "lunch"])
        .contains("running -> paused"));
    let show = cli.ok(&["campaign", "show", "demo"]);
    assert!(
        show.contains("paused (lunch)") && show.contains("3 lines"),
        "{show}"
    );
    assert!(cli
        .ok(&["campaign", "resume", "demo"])
        .contains("paused -> running"));
    assert!(cli
        .ok(&["pause-all"])
        .contains("paused 1 campaign(s): demo"));
    assert!(cli.ok(&["campaign", "list"]).contains("pause-all"));
    assert!(cli
        .ok(&["campaign", "stop", "demo"])
        .contains("paused -> cancelled"));
    let err = cli.fails(&["campaign", "start", "demo"]);
    assert!(err.contains("cancelled; it cannot become running"), "{err}");
    assert!(cli
        .fails(&["campaign", "show", "nope"])
        .contains("no campaign named `nope`"));
    let err = cli.fails(&["import", &example("demo-debtors.csv"), "--campaign", "demo"]);
    assert!(err.contains("cancelled"), "{err}");
}

#[test]
fn definition_errors_name_file_and_place() {
    let cli = Cli::new();
    let bad = cli.dir.path().join("bad.toml");
    let text = std::fs::read_to_string(example("debtors.toml"))
        .unwrap()
        .replace("next = \"pay\"", "next = \"nowhere\"");
    std::fs::write(&bad, text).unwrap();
    let err = cli.fails(&["campaign", "check", bad.to_str().unwrap()]);
    assert!(
        err.contains("bad.toml")
            && err.contains("script.nodes.greeting.next")
            && err.contains("nowhere"),
        "{err}"
    );
    let err = cli.fails(&["campaign", "create", "/nonexistent.toml"]);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn editing_follows_the_status() {
    let cli = Cli::new();
    cli.ok(&["campaign", "create", &example("debtors.toml")]);
    cli.ok(&["campaign", "start", "debtors"]);
    let wider = cli.dir.path().join("debtors.toml");
    let text = std::fs::read_to_string(example("debtors.toml")).unwrap();
    std::fs::write(&wider, text.replace("lines = 3 ", "lines = 5 ")).unwrap();
    let err = cli.fails(&["campaign", "update", wider.to_str().unwrap()]);
    assert!(
        err.contains("only while draft, scheduled or paused"),
        "{err}"
    );
    cli.ok(&["campaign", "pause", "debtors"]);
    cli.ok(&["campaign", "update", wider.to_str().unwrap()]);
    assert!(cli.ok(&["campaign", "show", "debtors"]).contains("5 lines"));
}

#[test]
fn do_not_call_list_commands() {
    let cli = Cli::new();
    assert!(cli
        .ok(&["dnc", "add", "8 916 123-45-67", "+79161234568"])
        .contains("2 added, 0 already listed"));
    assert!(cli
        .ok(&["dnc", "add", "9161234567"])
        .contains("0 added, 1 already listed"));
    let list = cli.dir.path().join("dnc.txt");
    std::fs::write(&list, "phone\n9161234569\nnonsense\n+79161234567\n").unwrap();
    let out = cli.run(&["dnc", "import", list.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("1 added, 1 already listed, 1 lines not understood"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"));
    let json: serde_json::Value =
        serde_json::from_str(&cli.ok(&["dnc", "list", "--json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert!(cli
        .ok(&["dnc", "remove", "89161234567"])
        .contains("+79161234567: removed"));
    assert!(!cli.ok(&["dnc", "list"]).contains("+79161234567"));
    assert!(cli
        .fails(&["dnc", "add", "not a phone"])
        .contains("not a phone number"));
    // A listed number is dropped at import.
    cli.ok(&["campaign", "create", &example("demo.toml")]);
    let csv = cli.dir.path().join("c.csv");
    std::fs::write(&csv, "phone,balance\n9161234568,1\n9161234570,2\n").unwrap();
    let out = cli.ok(&[
        "import",
        csv.to_str().unwrap(),
        "--campaign",
        "demo",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["rejected"][0]["line"], 2);
}

/// `outcall campaign show X | head -1`: output to a reader that is gone ends the command
/// quietly (killed by SIGPIPE as Unix tools are), never a panic with exit 101.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let cli = Cli::new();
    cli.ok(&["campaign", "create", &example("demo.toml")]);
    let commands: [&[&str]; 3] = [
        &["campaign", "show", "demo"],
        &["campaign", "list"],
        &["report", "demo"],
    ];
    for args in commands {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = cli
            .command(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGPIPE),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn callback_add_list_show_cancel() {
    let cli = Cli::new();
    let trunk = "sofia/gateway/t1/{number}";
    let add = [
        "callback",
        "add",
        "--manager",
        "+79161110001^+79161110002",
        "--client",
        "8 701 111 22 33",
        "--trunk",
        trunk,
        "--connect-digit",
        "5",
        "--key",
        "k-1",
        "--default-country",
        "KZ",
    ];
    let out = cli.ok(&add);
    assert!(out.starts_with("callback #1 queued"), "{out}");
    let again = cli.ok(&add);
    assert!(again.contains("#1 already queued (same key)"), "{again}");
    // Options over a JSON file; errors name the field and exit non-zero.
    let file = cli.dir.path().join("job.json");
    std::fs::write(&file, r#"{"managers":["+79161110003"],"client":"+77011112233","manager_trunks":["sofia/gateway/t1/{number}"],"repeats":3}"#).unwrap();
    let f = file.display().to_string();
    let out = cli.ok(&["callback", "add", "--file", &f, "--parallel"]);
    assert!(out.starts_with("callback #2 queued"), "{out}");
    let e = cli.fails(&["callback", "add", "--file", &f, "--repeats", "40"]);
    assert!(e.contains("repeats: 40 is not between 1 and 24"), "{e}");
    let e = cli.fails(&[
        "callback",
        "add",
        "--manager",
        "+79161110001",
        "--client",
        "+77011112233",
    ]);
    assert!(e.contains("manager_trunks:"), "{e}");
    let list = cli.ok(&["callback", "list"]);
    assert!(
        list.contains("queued") && list.contains("+77011112233") && list.lines().count() == 3,
        "{list}"
    );
    let show = cli.ok(&["callback", "show", "1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(
        v["callback"]["spec"]["managers"],
        serde_json::json!(["+79161110001", "+79161110002"])
    );
    assert_eq!(v["callback"]["spec"]["connect_digit"], "5");
    assert_eq!(v["legs"], serde_json::json!([]));
    assert!(cli.ok(&["callback", "cancel", "1"]).contains("cancelled"));
    let e = cli.fails(&["callback", "cancel", "1"]);
    assert!(e.contains("already over"), "{e}");
    assert!(cli
        .fails(&["callback", "show", "99"])
        .contains("no callback #99"));
    let pending = cli.ok(&["callback", "list", "--state", "pending"]);
    assert_eq!(pending.lines().count(), 2, "{pending}");
}

/// Each cause of an error is printed once ("(os error 2)" not twice), and a refused PostgreSQL
/// connection says so at once, with where (issue 16, item 8).
#[test]
fn each_cause_is_printed_once() {
    let cli = Cli::new();
    cli.ok(&["campaign", "create", &example("debtors.toml")]);
    let cases: [&[&str]; 3] = [
        &["--config", "missing.toml", "campaign", "list"],
        &["campaign", "check", "missing.toml"],
        &["import", "missing.csv", "--campaign", "debtors"],
    ];
    for args in cases {
        let err = cli.fails(args);
        assert_eq!(err.matches("os error 2").count(), 1, "{args:?}: {err}");
        assert_eq!(err.matches("No such file").count(), 1, "{args:?}: {err}");
    }
    let out = cli
        .command(&["campaign", "list"])
        .env(
            "OUTCALL_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/test",
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("cannot connect to postgres at 127.0.0.1:1: connection refused"),
        "{err}"
    );
    assert_eq!(err.matches("connection refused").count(), 1, "{err}");
}

#[test]
fn import_takes_a_zone_table_and_refuses_a_bad_one() {
    let cli = Cli::new();
    cli.ok(&["campaign", "create", &example("demo.toml")]);
    let bad = cli.dir.path().join("bad-zones.csv");
    std::fs::write(&bad, "prefix,zone\n7900,Mars/Base\n").unwrap();
    let csv = example("demo-debtors.csv");
    let args = ["import", &csv, "--campaign", "demo", "--zones"];
    let err = cli.fails(&[&args[..], &[bad.to_str().unwrap()]].concat());
    assert!(
        err.contains("bad-zones.csv") && err.contains("line 2") && err.contains("Mars/Base"),
        "{err}"
    );
    let list = cli.ok(&["campaign", "list"]);
    assert!(!list.contains("pending 20"), "nothing imported: {list}");
    let good = cli.dir.path().join("zones.csv");
    std::fs::write(&good, "prefix,zone\n7900,Asia/Omsk\n").unwrap();
    let out = cli.ok(&[&args[..], &[good.to_str().unwrap()]].concat());
    assert!(
        out.contains("20 from the zone table, 0 from the number"),
        "{out}"
    );
}

#[test]
fn why_a_campaign_and_a_contact_are_not_dialling() {
    let cli = Cli::new();
    // A switch address nothing listens on (port 1), so the probe's answer is known.
    let toml = "[[freeswitch]]\nname = \"fs1\"\naddress = \"127.0.0.1:1\"\n";
    std::fs::write(cli.dir.path().join("outcall.toml"), toml).unwrap();
    cli.ok(&["campaign", "create", &example("demo.toml")]);
    cli.ok(&["import", &example("demo-debtors.csv"), "--campaign", "demo"]);
    let out = cli.ok(&["campaign", "why", "demo"]);
    assert!(
        out.contains("campaign `demo`: draft")
            && out.contains("not dialling now, because:")
            && out.contains("draft: not started; start it with `outcall campaign start demo`")
            && out.contains("campaign lines: 0 of 3"),
        "{out}"
    );
    cli.ok(&["campaign", "start", "demo"]);
    let json: serde_json::Value =
        serde_json::from_str(&cli.ok(&["campaign", "why", "demo", "--json"])).unwrap();
    // Running, window always open, 20 contacts due: only the switch (none listening) is down.
    assert_eq!(json["status"], "running");
    assert_eq!(json["callable_now"], 20, "{json}");
    assert_eq!(json["switches"][0]["name"], "fs1", "{json}");
    assert_eq!(json["switches"][0]["up"], false, "{json}");
    assert_eq!(json["blockers"].as_array().unwrap().len(), 1, "{json}");
    cli.ok(&["dnc", "add", "+79001000001"]);
    let out = cli.ok(&["contact", "why", "9001000001", "--campaign", "demo"]);
    assert!(
        out.contains("+79001000001")
            && out.contains("on the do-not-call list: +79001000001")
            && out.contains("rule: first attempt")
            && out.contains("attempts used: 0 of 3"),
        "{out}"
    );
    let err = cli.fails(&["contact", "why", "+79990000000"]);
    assert!(
        err.contains("no contact of any campaign has +79990000000"),
        "{err}"
    );
}
