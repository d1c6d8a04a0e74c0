//! Benchmark of the simulator: 5,000 concurrent channels and 1,000 originates/s on one core
//! (the goal of issue 3). Drives the sim in-process on a current-thread runtime (one core)
//! with raw sockets: one client subscribed to every channel event reads everything the sim
//! writes while another sends `bgapi originate` at a fixed rate.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GOAL_CONCURRENT: u64 = 5_000;
const GOAL_RATE: u64 = 1_000;
/// Originates offered per second: above the goal, so the figure shows what the sim keeps up with.
const OFFERED_RATE: u64 = 1_250;

async fn authed(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let mut buf = vec![0u8; 4096];
    let _ = s.read(&mut buf).await.expect("greeting");
    s.write_all(b"auth ClueCon\n\n").await.expect("auth");
    let _ = s.read(&mut buf).await.expect("auth reply");
    s
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    // Calls answer after 1 s and stay up 10 s (simulated = real here): at 1,000/s and more that
    // keeps about 10,000 channels up at once.
    let rules = r#"
[[rule]]
prefix = ""
outcome = [{ result = "answer", ring = 1.0, hangup_after = 10.0 }]
"#;
    let cfg = outcall::sim::SimConfig {
        rules: outcall::sim::Rules::from_toml_str(rules).expect("rules"),
        time_scale: 1.0,
        ..Default::default()
    };
    let sim = outcall::sim::start(cfg).await.expect("sim");
    let addr = sim.addr();
    let mut listener = authed(addr).await;
    listener
        .write_all(b"event plain ALL\n\n")
        .await
        .expect("subscribe");
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            match listener.read(&mut buf).await {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n as u64,
            }
        }
    });
    let sender = authed(addr).await;
    // Replies to the sender are read and dropped so its socket never backs up.
    let (mut rd, mut sender) = sender.into_split();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = rd.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    let seconds = 8u64;
    let start = Instant::now();
    let mut sent = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while start.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let due = (start.elapsed().as_secs_f64() * OFFERED_RATE as f64) as u64;
        let mut batch = String::new();
        while sent < due {
            batch.push_str(&format!(
                "bgapi originate sofia/gateway/bench/7900{sent:07} &park()\n\n"
            ));
            sent += 1;
        }
        sender.write_all(batch.as_bytes()).await.expect("send");
    }
    let elapsed = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stats = sim.stats();
    println!("sim benchmark (one core, current-thread runtime, one listener on ALL events)");
    println!(
        "  originates/s offered {:.0}, accepted {} in {:.1} s = {:.0}/s   (goal {GOAL_RATE}/s: {})",
        sent as f64 / elapsed,
        stats.originates,
        elapsed,
        stats.originates as f64 / elapsed,
        if stats.originates as f64 / elapsed >= GOAL_RATE as f64 {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  peak concurrent channels {}   (goal {GOAL_CONCURRENT}: {})",
        stats.max_concurrent_channels,
        if stats.max_concurrent_channels >= GOAL_CONCURRENT {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  events fired {} ({:.0}/s)",
        stats.events_fired,
        stats.events_fired as f64 / elapsed
    );
    sim.shutdown().await;
    let bytes = reader.await.unwrap_or(0);
    println!(
        "  bytes delivered to the listener {:.1} MB",
        bytes as f64 / 1e6
    );
}
