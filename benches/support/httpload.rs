//! The HTTP benchmarks' load generator: keep-alive connections sending requests back to back
//! (closed loop) or at a fixed offered rate (open loop), each request's latency kept; and how
//! a load is printed beside a floor's.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const CONNECTIONS: usize = 16;

pub struct Load {
    pub requests: u64,
    pub secs: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: u64,
}

impl Load {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.secs
    }
}

/// Reads one HTTP/1.1 response (Content-Length bodies) from `buf`/`s`; its status and body.
pub async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(u16, Vec<u8>)> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).ok()?;
            let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
            // This client reads bodies by their Content-Length only.
            assert!(
                !head
                    .to_ascii_lowercase()
                    .contains("transfer-encoding: chunked"),
                "a chunked response, which this load generator does not read: {head}"
            );
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            let total = end + 4 + len;
            while buf.len() < total {
                let mut chunk = [0u8; 16384];
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end + 4..total].to_vec();
            buf.drain(..total);
            return Some((status, body));
        }
        let mut chunk = [0u8; 16384];
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// How a load offers its requests.
#[derive(Clone, Copy)]
pub enum Pace {
    /// Closed loop: each connection sends its next request as soon as the last one is answered.
    BackToBack,
    /// Open loop: this many requests per second in all, request `i` due at `i / rate` after the
    /// start on connection `i % CONNECTIONS`. A request sent on time counts from its send; one
    /// whose connection was still busy when it fell due counts from when it was due (the wait
    /// behind a slow reply is latency too, and tokio's 1 ms timer slop is not).
    Rate(f64),
}

/// `CONNECTIONS` keep-alive connections sending `request(i)` for `secs`, paced by `pace`.
pub async fn load<F>(addr: SocketAddr, secs: f64, pace: Pace, request: F) -> Load
where
    F: Fn(u64) -> Vec<u8> + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let mut conns = Vec::new();
    for _ in 0..CONNECTIONS {
        let s = TcpStream::connect(addr).await.expect("connect");
        s.set_nodelay(true).ok();
        conns.push(s);
    }
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for (c, mut s) in conns.into_iter().enumerate() {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut i = c as u64;
            let mut free_at = start;
            loop {
                let t = match pace {
                    Pace::BackToBack => Instant::now(),
                    Pace::Rate(rate) => {
                        let due = start + Duration::from_secs_f64(i as f64 / rate);
                        if due >= until {
                            break;
                        }
                        if free_at <= due {
                            tokio::time::sleep_until(due.into()).await;
                            Instant::now()
                        } else {
                            due
                        }
                    }
                };
                if t >= until {
                    break;
                }
                s.write_all(&request(i)).await.expect("write");
                match read_response(&mut s, &mut buf).await {
                    Some((st, _)) if st < 300 => {}
                    Some(_) => errors += 1,
                    None => panic!("the server closed the connection"),
                }
                free_at = Instant::now();
                lat.push(free_at - t);
                i += CONNECTIONS as u64;
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("load task");
        all.extend(lat);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort();
    let q = |f: f64| all[((all.len() - 1) as f64 * f) as usize];
    Load {
        requests: all.len() as u64,
        secs,
        p50: q(0.5),
        p99: q(0.99),
        errors,
    }
}

/// Rate, p50 and p99 of a load.
pub fn figures(l: &Load) -> String {
    format!(
        "{:>8.0} req/s  p50 {:.2} ms  p99 {:.2} ms",
        l.rate(),
        ms(l.p50),
        ms(l.p99)
    )
}

/// A load's errors and its p99 beside the floor's, with the goal's verdict.
pub fn beside(l: &Load, floor: &Load) -> String {
    format!(
        "{} errors; p99 / floor p99 = {:.2}, goal <= 2: {}",
        l.errors,
        ms(l.p99) / ms(floor.p99),
        verdict(l.p99 <= floor.p99 * 2)
    )
}

/// "met" or "MISSED".
pub fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

pub async fn serve(app: axum::Router) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(l, app).await.expect("serve") });
    addr
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The durable-write floor: a bare axum handler for `POST /campaigns/debtors/contacts` that
/// inserts the request's body as one row of a SQLite table at `db` (its own transaction,
/// committed before the reply) and returns `reply`. The store's settings (WAL, synchronous
/// NORMAL, foreign keys, an 8 MiB page cache, a busy timeout) through sqlx, and no checkpoint
/// at all; one connection, as SQLite has one writer and more would only wait for its lock.
pub async fn durable_floor(db: &std::path::Path, reply: Vec<u8>) -> (SocketAddr, sqlx::SqlitePool) {
    use sqlx::sqlite::SqliteSynchronous;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    let options = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        .pragma("cache_size", "-8192")
        // At best: no checkpoint (the log grows for the few seconds of the load).
        .pragma("wal_autocheckpoint", "0");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("the floor's database");
    sqlx::query("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&pool)
        .await
        .expect("the floor's table");
    let reply = Arc::new(reply);
    let writer = pool.clone();
    let addr = serve(axum::Router::new().route(
        "/campaigns/debtors/contacts",
        axum::routing::post(move |body: axum::body::Bytes| {
            let (pool, reply) = (writer.clone(), reply.clone());
            async move {
                sqlx::query("INSERT INTO rows (body) VALUES ($1)")
                    .bind(String::from_utf8_lossy(&body).into_owned())
                    .execute(&pool)
                    .await
                    .expect("insert");
                ([("content-type", "application/json")], reply.to_vec())
            }
        }),
    ))
    .await;
    (addr, pool)
}

/// Puts the durable-write floor's log into its database and on disk now (a checkpoint that
/// truncates it), so that the kernel's writeback of what its load wrote does not fall into the
/// next load.
pub async fn settle(pool: &sqlx::SqlitePool) {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
        .expect("the floor's checkpoint");
}

/// The thinnest durable write there is: a bare axum handler for `POST
/// /campaigns/debtors/contacts` that inserts the request's body as one row through rusqlite on
/// the handler's own thread (autocommit: its own transaction, committed before the reply) and
/// returns `reply`. WAL, synchronous NORMAL, no checkpoint, no thread hop, no validation, no
/// audit: what a handler that commits each request before its 200 costs here at the least.
pub async fn thinnest_write(db: &std::path::Path, reply: Vec<u8>) -> (SocketAddr, Thinnest) {
    let conn = rusqlite::Connection::open(db).expect("the thinnest write's database");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;
         CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    )
    .expect("the thinnest write's table");
    let conn = Thinnest(Arc::new(std::sync::Mutex::new(conn)));
    let (writer, reply) = (conn.clone(), Arc::new(reply));
    let addr = serve(axum::Router::new().route(
        "/campaigns/debtors/contacts",
        axum::routing::post(move |body: axum::body::Bytes| {
            let (writer, reply) = (writer.clone(), reply.clone());
            async move {
                let body = String::from_utf8_lossy(&body);
                let c = writer.0.lock().expect("the connection");
                c.prepare_cached("INSERT INTO rows (body) VALUES (?1)")
                    .and_then(|mut s| s.execute([body.as_ref()]))
                    .expect("insert");
                drop(c);
                ([("content-type", "application/json")], reply.to_vec())
            }
        }),
    ))
    .await;
    (addr, conn)
}

/// The thinnest write's connection.
#[derive(Clone)]
pub struct Thinnest(Arc<std::sync::Mutex<rusqlite::Connection>>);

impl Thinnest {
    /// Puts its log into its database and on disk now (as [`settle`] does).
    pub fn settle(&self) {
        let c = self.0.lock().expect("the connection");
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("the thinnest write's checkpoint");
    }
}
