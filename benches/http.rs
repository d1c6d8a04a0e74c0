//! HTTP API benchmark (the API issue), each figure beside its goal and its floor:
//! 1. `GET /campaigns/debtors` and `POST /campaigns/debtors/contacts` (one JSON contact) under a
//!    keep-alive load generator (16 connections), beside a bare axum handler that returns the
//!    same bytes as the GET (the stack's floor): req/s, p50, p99. Goal: p99 within 2x the floor,
//!    at least 5,000 GET/s. Beside them, for reference only, the durable-write floor: a bare
//!    axum handler doing one committed SQLite insert per POST through sqlx (the store's PRAGMAs)
//!    and returning the POST's bytes; and the thinnest write: the same insert through rusqlite
//!    on the handler's own thread, nothing else (no thread hop, no validation, no audit), i.e.
//!    what a handler that commits each request before its 200 costs here at the least. Then the
//!    floors and the POST again at one fixed offered rate (open loop, `OUTCALL_BENCH_RATE`,
//!    1,000 req/s) on as many connections: p50, p99 and the same ratio.
//! 2. A 1,000,000-row CSV uploaded over HTTP (streamed), beside `import_file` of the same file into
//!    a fresh campaign: time ratio (goal <= 1.25) and peak RSS (goal < 200 MB).
//!
//! `OUTCALL_BENCH_ROWS` overrides the row count, `OUTCALL_BENCH_SECS` the load duration (3 s).
//! For heaptrack: `OUTCALL_BENCH_ALLOC=system` (malloc instead of mimalloc) and
//! `OUTCALL_BENCH_UPLOAD_ONLY=1` (stop after the upload, so the profile's peak is the upload's).

#[path = "support/csvgen.rs"]
mod csvgen;
#[path = "support/httpload.rs"]
mod httpload;

use std::sync::Arc;
use std::time::Instant;

use axum::routing::get;
use chrono::Utc;
use csvgen::{generate, peak_rss_mb, status_mb, RssSampler, DEBTORS};
use httpload::{
    beside, durable_floor, figures, load, ms, read_response, serve, settle, thinnest_write,
    verdict, Pace, CONNECTIONS,
};
use outcall::campaign::definition::CampaignDef;
use outcall::clock::Clock;
use outcall::config::HttpSettings;
use outcall::http::{router, ApiState};
use outcall::import::{import_file, ImportOptions};
use outcall::model::{Actor, Role};
use outcall::ops::tokens;
use outcall::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[global_allocator]
static GLOBAL: BenchAlloc = BenchAlloc;

/// mimalloc (the product's allocator), or the system's when `OUTCALL_BENCH_ALLOC=system` (for
/// heaptrack, which sees only `malloc`). Chosen at the first allocation, then fixed.
struct BenchAlloc;

/// 0: not chosen yet, 1: mimalloc, 2: the system's.
static CHOSEN: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

impl BenchAlloc {
    fn system() -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        match CHOSEN.load(Relaxed) {
            0 => {
                // getenv allocates nothing (std::env::var would recurse into the allocator).
                // SAFETY: a NUL-terminated name; the value is only read, before any thread that
                // could set the environment exists (the first allocation).
                let v = unsafe { libc::getenv(c"OUTCALL_BENCH_ALLOC".as_ptr()) };
                let system = !v.is_null()
                    // SAFETY: getenv gave a NUL-terminated string.
                    && unsafe { std::ffi::CStr::from_ptr(v) }.to_bytes() == b"system";
                CHOSEN.store(if system { 2 } else { 1 }, Relaxed);
                system
            }
            c => c == 2,
        }
    }
}

// SAFETY: every call goes to the one allocator chosen at the first allocation.
unsafe impl std::alloc::GlobalAlloc for BenchAlloc {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        if Self::system() {
            std::alloc::System.alloc(l)
        } else {
            mimalloc::MiMalloc.alloc(l)
        }
    }
    unsafe fn alloc_zeroed(&self, l: std::alloc::Layout) -> *mut u8 {
        if Self::system() {
            std::alloc::System.alloc_zeroed(l)
        } else {
            mimalloc::MiMalloc.alloc_zeroed(l)
        }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        if Self::system() {
            std::alloc::System.dealloc(p, l)
        } else {
            mimalloc::MiMalloc.dealloc(p, l)
        }
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, n: usize) -> *mut u8 {
        if Self::system() {
            std::alloc::System.realloc(p, l, n)
        } else {
            mimalloc::MiMalloc.realloc(p, l, n)
        }
    }
}

/// Reads a response to its end (the server closes the connection), keeping none of the body:
/// its status and size. The upload's report is tens of MB at a million rows, and a client that
/// held it would add that to the peak RSS measured here, which is the server's.
async fn read_discarding(s: &mut TcpStream) -> (Option<u16>, u64) {
    let mut head = Vec::new();
    let mut total = 0u64;
    let mut chunk = vec![0u8; 65536];
    loop {
        let n = s.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        if head.len() < 64 {
            head.extend_from_slice(&chunk[..n.min(64)]);
        }
        total += n as u64;
    }
    let status = std::str::from_utf8(&head[..head.len().min(12)])
        .ok()
        .and_then(|h| h.split(' ').nth(1)?.parse().ok());
    (status, total)
}

/// A `POST /campaigns/debtors/contacts` of one JSON contact whose phone is `+7{prefix}` and 7
/// digits of `i`.
fn post_one(token: &str, prefix: &str, i: u64) -> Vec<u8> {
    let body = format!(
        "{{\"phones\":[\"+7{prefix}{:07}\"],\"name\":\"Bench {i}\",\"vars\":{{\"BALANCE\":\"1\"}}}}",
        i % 10_000_000
    );
    format!(
        "POST /campaigns/debtors/contacts HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn main() {
    let rows: u64 = std::env::var("OUTCALL_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let secs: f64 = std::env::var("OUTCALL_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3.0);
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = Store::connect(&url).await.expect("store");
        let def = CampaignDef::from_toml_str(DEBTORS, "debtors.toml").expect("definition");
        store.create_campaign(&def, Utc::now()).await.expect("campaign");
        let token = tokens::create(&store, &Actor::cli(), "bench", Role::Admin, Utc::now())
            .await
            .expect("token");
        let settings = HttpSettings {
            rate_per_token: 1_000_000,
            ..HttpSettings::default()
        };
        let state = ApiState::new(store.clone(), Clock::system(), settings, "RU");
        let api = serve(router(Arc::new(state))).await;

        // 2 (first, so its peak RSS is its own): a big upload over HTTP, then the same file
        // imported directly.
        let csv = dir.path().join("big.csv");
        let size = generate(&csv, rows).expect("write the CSV");
        for name in ["up", "direct"] {
            let d = DEBTORS.replace("name = \"debtors\"", &format!("name = \"{name}\""));
            let d = CampaignDef::from_toml_str(&d, "x").expect("def");
            store.create_campaign(&d, Utc::now()).await.expect("campaign");
        }
        let rss_before = peak_rss_mb().unwrap_or(f64::NAN);
        let rss_base = status_mb("VmRSS").unwrap_or(f64::NAN);
        let sampler = RssSampler::start();
        let t = Instant::now();
        let mut s = TcpStream::connect(api).await.expect("connect");
        let head = format!(
            "POST /campaigns/up/contacts HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.expect("write");
        let mut f = tokio::fs::File::open(&csv).await.expect("open");
        tokio::io::copy(&mut f, &mut s).await.expect("upload");
        let (status, report_bytes) = read_discarding(&mut s).await;
        let up_secs = t.elapsed().as_secs_f64();
        let rss_up = peak_rss_mb().unwrap_or(f64::NAN);
        let [top, anon, file, shmem] = sampler.stop();
        let rss_after = status_mb("VmRSS").unwrap_or(f64::NAN);
        assert_eq!(status, Some(200), "the upload was accepted");
        if std::env::var_os("OUTCALL_BENCH_UPLOAD_ONLY").is_some() {
            // For heap profiles of the upload alone (heaptrack's peak is the whole run's).
            println!("http bench: upload only: peak RSS {rss_up:.0} MB, response {report_bytes} bytes, biggest sample {top:.0} MB ({anon:.0} anonymous, {file:.0} file-backed, {shmem:.0} shared)");
            return;
        }
        let direct = store.campaign_by_name("direct").await.expect("campaign");
        let opts = ImportOptions::new("RU");
        let sampler = RssSampler::start();
        let t = Instant::now();
        import_file(&store, &direct, &csv, &opts, Utc::now(), None).await.expect("import");
        let direct_secs = t.elapsed().as_secs_f64();
        let direct_top = sampler.stop()[0];
        println!(
            "http bench: {rows}-row CSV ({:.0} MB) over HTTP {up_secs:.2} s vs import_file {direct_secs:.2} s: ratio {:.2} (goal <= 1.25)",
            size as f64 / 1e6,
            up_secs / direct_secs
        );
        println!(
            "http bench: peak RSS after the upload {rss_up:.0} MB (goal < 200 MB; {rss_before:.0} MB before it); its response {:.1} MB",
            report_bytes as f64 / 1e6
        );
        println!(
            "http bench: RSS {rss_base:.0} MB before the upload, {rss_after:.0} MB after it; at its biggest sample (20 ms) {top:.0} MB: {anon:.0} anonymous, {file:.0} file-backed, {shmem:.0} shared; import_file's biggest sample {direct_top:.0} MB"
        );

        // The floor: a bare axum handler returning the same bytes.
        let get_req = format!(
            "GET /campaigns/debtors HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .into_bytes();
        let mut s = TcpStream::connect(api).await.expect("connect");
        s.write_all(&get_req).await.expect("write");
        let (status, body) = read_response(&mut s, &mut Vec::new()).await.expect("reply");
        assert_eq!(status, 200);
        let bare_body = body.clone();
        let bare = serve(axum::Router::new().route(
            "/campaigns/debtors",
            get(move || {
                let b = bare_body.clone();
                async move { ([("content-type", "application/json")], b) }
            }),
        ))
        .await;

        let g = get_req.clone();
        let floor = load(bare, secs, Pace::BackToBack, move |_| g.clone()).await;
        let g = get_req.clone();
        let got = load(api, secs, Pace::BackToBack, move |_| g.clone()).await;
        // The durable-write floor: one committed SQLite insert per POST, returning the bytes
        // of the POST's own reply.
        let t = token.clone();
        let mut s = TcpStream::connect(api).await.expect("connect");
        s.write_all(&post_one(&t, "900", 0)).await.expect("write");
        let (status, post_body) = read_response(&mut s, &mut Vec::new()).await.expect("reply");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&post_body));
        let (durable, floor_db) =
            durable_floor(&dir.path().join("floor.db"), post_body.clone()).await;
        let (thin, thin_db) = thinnest_write(&dir.path().join("thin.db"), post_body).await;

        let t = token.clone();
        let dfloor = load(durable, secs, Pace::BackToBack, move |i| post_one(&t, "916", i)).await;
        settle(&floor_db).await;
        let t = token.clone();
        let thinnest = load(thin, secs, Pace::BackToBack, move |i| post_one(&t, "917", i)).await;
        thin_db.settle();
        let t = token.clone();
        let post = load(api, secs, Pace::BackToBack, move |i| post_one(&t, "916", i)).await;
        println!("http bench: closed loop: {CONNECTIONS} keep-alive connections back to back, {secs} s each, one process (2 cores shared by client and server)");
        println!("http bench: bare axum floor   {}", figures(&floor));
        println!("http bench: durable-write floor {}  (p99 / bare floor p99 = {:.2})", figures(&dfloor), ms(dfloor.p99) / ms(floor.p99));
        println!("http bench: thinnest write    {}  (p99 / bare floor p99 = {:.2})", figures(&thinnest), ms(thinnest.p99) / ms(floor.p99));
        println!(
            "http bench: GET one campaign  {:>8.0} req/s  p50 {:.2} ms  p99 {:.2} ms  ({} errors; goal >= 5,000 req/s: {}; p99 / floor p99 = {:.2}, goal <= 2: {})",
            got.rate(), ms(got.p50), ms(got.p99), got.errors,
            verdict(got.rate() >= 5000.0),
            ms(got.p99) / ms(floor.p99),
            verdict(got.p99 <= floor.p99 * 2)
        );
        println!("http bench: POST one contact  {}  ({})", figures(&post), beside(&post, &floor));

        // The same at a fixed offered rate (open loop): latency without the queue that 16
        // back-to-back connections build.
        let rate: f64 = std::env::var("OUTCALL_BENCH_RATE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000.0);
        let g = get_req.clone();
        let floor = load(bare, secs, Pace::Rate(rate), move |_| g.clone()).await;
        let t = token.clone();
        let dfloor = load(durable, secs, Pace::Rate(rate), move |i| post_one(&t, "936", i)).await;
        settle(&floor_db).await;
        let t = token.clone();
        let thinnest = load(thin, secs, Pace::Rate(rate), move |i| post_one(&t, "937", i)).await;
        thin_db.settle();
        let t = token.clone();
        let post = load(api, secs, Pace::Rate(rate), move |i| post_one(&t, "926", i)).await;
        println!("http bench: open loop: {rate:.0} req/s offered on the same {CONNECTIONS} connections, {secs} s each");
        println!("http bench: bare axum floor   {}", figures(&floor));
        println!("http bench: durable-write floor {}  (p99 / bare floor p99 = {:.2})", figures(&dfloor), ms(dfloor.p99) / ms(floor.p99));
        println!("http bench: thinnest write    {}  (p99 / bare floor p99 = {:.2})", figures(&thinnest), ms(thinnest.p99) / ms(floor.p99));
        println!("http bench: POST one contact  {}  ({})", figures(&post), beside(&post, &floor));
    });
}
