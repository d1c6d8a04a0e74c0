//! Import benchmark: a generator writes a 1,000,000-row debtors CSV (seeds/002 layout, some rows
//! with two phones, a few duplicates and bad rows) into a temp dir, then `import_file` loads it
//! into a fresh SQLite store. Prints rows/s and peak RSS beside the goals of issue 4.
//! `OUTCALL_BENCH_ROWS` overrides the row count; `OUTCALL_BENCH_DRY_RUN=1` parses without writing.

use std::time::Instant;

use chrono::Utc;
use outcall::campaign::definition::CampaignDef;
use outcall::import::{import_file, ImportOptions};
use outcall::store::Store;

/// The allocator the `outcall` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/csvgen.rs"]
mod csvgen;

use csvgen::{generate, peak_rss_mb, DEBTORS};
fn main() {
    let rows: u64 = std::env::var("OUTCALL_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("debtors.csv");
    let t = Instant::now();
    let size = generate(&csv, rows).expect("write the CSV");
    println!(
        "import bench: generated {rows} rows ({:.1} MB) in {:.2} s",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let rss_before = peak_rss_mb().unwrap_or(0.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = Store::connect(&url).await.expect("store");
        let def = CampaignDef::from_toml_str(DEBTORS, "debtors.toml").expect("definition");
        let campaign = store.create_campaign(&def, Utc::now()).await.expect("campaign");
        let dry_run = std::env::var("OUTCALL_BENCH_DRY_RUN").is_ok_and(|v| v == "1");
        let opts = ImportOptions { dry_run, ..ImportOptions::new("RU") };
        let t = Instant::now();
        let report = import_file(&store, &campaign, &csv, &opts, Utc::now(), None).await.expect("import");
        let secs = t.elapsed().as_secs_f64();
        let rss = peak_rss_mb().unwrap_or(f64::NAN);
        println!(
            "import bench: {} rows -> {} accepted, {} duplicates, {} rejected",
            report.rows, report.accepted, report.duplicates, report.rejected.len()
        );
        println!(
            "import bench: {:.2} s, {:.0} rows/s (goal: 1,000,000 rows in under 10 s, i.e. >= 100,000 rows/s)",
            secs,
            report.rows as f64 / secs
        );
        println!(
            "import bench: peak RSS {rss:.0} MB (goal: under 200 MB; {rss_before:.0} MB before the import)"
        );
        store.close().await;
    });
}
