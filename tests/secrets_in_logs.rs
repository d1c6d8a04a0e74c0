//! Secrets never reach a log or an error message: `outcall serve` at `OUTCALL_LOG=trace`
//! against the simulator, with a wrong and then the right ESL password, and commands given a
//! database URL with credentials that cannot connect. The whole stdout and stderr of each run
//! is searched for the secrets.

use std::process::{Command, Stdio};
use std::time::Duration;

const RIGHT_PW: &str = "RightEslPw7731";
const WRONG_PW: &str = "WrongEslPw4410";
const DB_PW: &str = "DbSecretPw9902";

fn outcall() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_outcall"));
    c.env_remove("OUTCALL_CONFIG")
        .env_remove("RUST_LOG")
        .env("OUTCALL_LOG", "trace");
    c
}

/// Runs `serve` for a few seconds, then kills it; returns everything it printed.
fn serve_for(dir: &std::path::Path, addr: &str, password: &str, secs: u64) -> String {
    let db = format!("sqlite://{}", dir.join("s.db").display());
    let mut child = outcall()
        .args(["serve", "--drain", "0"])
        .env("OUTCALL_DATABASE_URL", db)
        .env("OUTCALL_FREESWITCH__0__ADDRESS", addr)
        .env("OUTCALL_FREESWITCH__0__PASSWORD", password)
        .env("OUTCALL_HTTP__LISTEN", "127.0.0.1:0")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("outcall serve starts");
    std::thread::sleep(Duration::from_secs(secs));
    let _ = child.kill();
    let out = child.wait_with_output().expect("serve output");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[track_caller]
fn assert_clean(output: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !output.contains(s),
            "secret {s:?} appears in the output:\n{output}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn esl_password_is_never_logged() {
    let cfg = outcall::sim::SimConfig {
        password: RIGHT_PW.into(),
        ..outcall::sim::SimConfig::default()
    };
    let sim = outcall::sim::start(cfg).await.expect("sim starts");
    let addr = sim.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let migrate = outcall()
        .arg("migrate")
        .env(
            "OUTCALL_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("s.db").display()),
        )
        .output()
        .unwrap();
    assert!(migrate.status.success());

    let (dir_path, a) = (dir.path().to_path_buf(), addr.clone());
    let wrong = tokio::task::spawn_blocking(move || serve_for(&dir_path, &a, WRONG_PW, 3))
        .await
        .unwrap();
    // The run did reach the switch and was refused: the test would be empty otherwise.
    assert!(
        wrong.contains("refused the ESL password"),
        "no sign of the refused login:\n{wrong}"
    );
    assert_clean(&wrong, &[WRONG_PW, RIGHT_PW]);

    let (dir_path, a) = (dir.path().to_path_buf(), addr.clone());
    let right = tokio::task::spawn_blocking(move || serve_for(&dir_path, &a, RIGHT_PW, 3))
        .await
        .unwrap();
    assert!(
        right.contains("connected to FreeSWITCH"),
        "serve did not connect:\n{right}"
    );
    assert_clean(&right, &[RIGHT_PW]);
}

#[test]
fn database_url_credentials_are_never_printed() {
    let url = format!("postgres://outcall:{DB_PW}@127.0.0.1:1/outcall");
    for args in [
        vec!["campaign", "list"],
        vec!["migrate"],
        vec!["report", "x"],
    ] {
        let out = outcall()
            .args(&args)
            .env("OUTCALL_DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{args:?} succeeded without a database"
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.trim().is_empty(), "{args:?} printed nothing");
        assert_clean(&text, &[DB_PW]);
    }
}

/// Sends one HTTP/1.1 GET with a bearer token; the status line.
fn get_with_token(port: u16, path: &str, token: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().next().unwrap_or_default().to_string()
}

#[test]
fn api_tokens_are_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let made = outcall()
        .args(["token", "create", "--name", "t1", "--role", "admin"])
        .env("OUTCALL_DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(made.status.success());
    let token = String::from_utf8(made.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("oc_"), "{token}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = outcall()
        .args(["serve", "--drain", "0"])
        .env("OUTCALL_DATABASE_URL", &db)
        .env("OUTCALL_FREESWITCH__0__ADDRESS", "127.0.0.1:1")
        .env("OUTCALL_HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("OUTCALL_LOG", "trace")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the API never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let forged = "oc_forged0123456789";
    let ok = get_with_token(port, "/campaigns", &token);
    let refused = get_with_token(port, "/campaigns", forged);
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ok.contains("200"), "{ok}");
    assert!(refused.contains("401"), "{refused}");
    assert!(text.contains("HTTP API on"), "{text}");
    assert_clean(&text, &[&token, forged, &token[3..]]);
}
