//! Shared by the import and HTTP benchmarks: the 1,000,000-row debtors CSV generator
//! (seeds/002 layout, some rows with two phones, a few duplicates and bad rows) and the peak RSS.

#![allow(dead_code)]

use std::io::Write;

use rand::{Rng, SeedableRng};

pub const DEBTORS: &str = include_str!("../../campaigns/debtors.toml");

const FIRST: &[&str] = &[
    "Игорь",
    "Илья",
    "Анна",
    "Мария",
    "Олег",
    "Елена",
    "Сергей",
    "Ольга",
];
const LAST: &[&str] = &[
    "Липко",
    "Михайлов",
    "Смирнова",
    "Попова",
    "Кузнецов",
    "Петрова",
    "Волков",
];

/// Writes `rows` data rows; returns the file size in bytes.
pub fn generate(path: &std::path::Path, rows: u64) -> std::io::Result<u64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "\"NAME\",\"PHONE_NUMBER\",\"USER_VARS\"")?;
    for i in 0..rows {
        // Distinct mobile numbers: 79[1-6]x xxx xx xx from a multiplicative walk over 10^8.
        let n = (i * 48_271 + 12_345) % 100_000_000;
        let first = format!("79{}{:08}", 1 + (i % 6), n);
        let phones = match i % 10 {
            0 => format!(
                "{first};8 916 {:03}-{:02}-{:02}",
                n % 1000,
                n % 100,
                (n / 7) % 100
            ),
            1 if i > 0 => format!(
                "79{}{:08}",
                1 + ((i - 1) % 6),
                ((i - 1) * 48_271 + 12_345) % 100_000_000
            ),
            _ if i % 1000 == 999 => "not a phone".to_string(),
            _ => first,
        };
        let name = format!(
            "{} {}",
            FIRST[rng.gen_range(0..FIRST.len())],
            LAST[rng.gen_range(0..LAST.len())]
        );
        let balance = rng.gen_range(100..2_000_000) as f64 / -100.0;
        writeln!(
            out,
            "\"{name}\",\"{phones}\",\"BALANCE={balance:.2};CONTRACT=Д-{i}\""
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

pub fn peak_rss_mb() -> Option<f64> {
    status_mb("VmHWM")
}

/// A figure of `/proc/self/status` (`VmRSS`, `RssAnon`, `RssFile`, `RssShmem`, `VmHWM`) in MB.
pub fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Samples this process's resident memory every 20 ms until stopped; keeps the sample with the
/// most (its anonymous, file-backed and shared parts), which VmHWM alone does not split.
pub struct RssSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<[f64; 4]>,
}

impl RssSampler {
    pub fn start() -> RssSampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut top = [0.0; 4];
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let now = ["VmRSS", "RssAnon", "RssFile", "RssShmem"]
                    .map(|f| status_mb(f).unwrap_or(f64::NAN));
                if now[0] > top[0] {
                    top = now;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            top
        });
        RssSampler { stop, thread }
    }

    /// The biggest sample: [RSS, anonymous, file-backed, shared memory] in MB.
    pub fn stop(self) -> [f64; 4] {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or([f64::NAN; 4])
    }
}
