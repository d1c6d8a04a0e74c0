//! `outcall serve` as a child process for the tests that stop it with a signal (SIGKILL,
//! SIGTERM) and so run in real time, and the `outcall.toml` it reads.

use super::World;

/// `outcall serve` (the built binary) as a child process, for the crash tests; killed with
/// SIGKILL when dropped.
pub struct ServeProcess(pub std::process::Child);

impl ServeProcess {
    /// Sends SIGTERM (what `kill` and service managers send to stop it gracefully).
    pub fn terminate(&self) {
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -TERM failed");
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `outcall serve --owner OWNER --config CONFIG` at log level `level`, writing what it
/// prints to `log` (or nowhere).
pub fn serve_process(
    config: &std::path::Path,
    owner: &str,
    level: &str,
    log: Option<&std::path::Path>,
) -> ServeProcess {
    serve_process_with(config, owner, level, log, &[])
}

/// [`serve_process`] with more arguments to `serve` (`--drain 5`).
pub fn serve_process_with(
    config: &std::path::Path,
    owner: &str,
    level: &str,
    log: Option<&std::path::Path>,
    more: &[&str],
) -> ServeProcess {
    use std::process::Stdio;
    let (out, err) = match log {
        Some(path) => {
            let f = std::fs::File::create(path).unwrap();
            (Stdio::from(f.try_clone().unwrap()), Stdio::from(f))
        }
        None => (Stdio::null(), Stdio::null()),
    };
    ServeProcess(
        std::process::Command::new(env!("CARGO_BIN_EXE_outcall"))
            .args(["serve", "--owner", owner, "--config"])
            .arg(config)
            .args(more)
            .env_remove("RUST_LOG")
            .env("OUTCALL_LOG", level)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn outcall serve"),
    )
}

impl World {
    /// An `outcall.toml` for `outcall serve` on this world's database and simulator, plus
    /// `extra` lines; returns its path.
    pub fn serve_config(&self, extra: &str) -> std::path::PathBuf {
        self.serve_config_for(&[("sim", self.sim.addr())], extra)
    }

    /// [`World::serve_config`] with these FreeSWITCH nodes (name, address) instead.
    pub fn serve_config_for(
        &self,
        nodes: &[(&str, std::net::SocketAddr)],
        extra: &str,
    ) -> std::path::PathBuf {
        let config = self.dir.path().join("outcall.toml");
        let mut text = format!("database_url = \"{}\"\n", self.url);
        for (name, addr) in nodes {
            text.push_str(&format!(
                "[[freeswitch]]\nname = \"{name}\"\naddress = \"{addr}\"\npassword = \"ClueCon\"\nmax_sessions = 1000\ncps = 1000\n"
            ));
        }
        text.push_str("[http]\nlisten = \"127.0.0.1:0\"\n");
        text.push_str(extra);
        std::fs::write(&config, text).unwrap();
        config
    }
}
