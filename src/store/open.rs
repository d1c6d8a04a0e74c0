//! Opening a store: the URL's backend, its pool and the setup of each new connection (SQLite's
//! pragmas, busy handler, commit count and WAL hook; a paused test clock's hold), then the
//! migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{
    busy, checkpoint, commits, direct, health, paused, Pool, Result, Store, StoreError, CACHE_KIB,
};

impl Store {
    /// Opens the database named by `url` and applies pending migrations. `sqlite://FILE`,
    /// `sqlite::memory:` or a bare path give SQLite (file created if missing, WAL, busy timeout,
    /// foreign keys); `postgres://...` gives PostgreSQL.
    pub async fn connect(url: &str) -> Result<Store> {
        Store::open(url, None).await
    }

    /// Like [`Store::connect`], for a runtime whose clock is paused (engine tests under
    /// `start_paused`): simulated time stands still while a query is in flight, instead of
    /// jumping to the next timer because the runtime looks idle (see `store/paused.rs`).
    pub async fn connect_paused(url: &str) -> Result<Store> {
        Store::open(url, Some(std::sync::Arc::new(paused::TimeHold::default()))).await
    }

    pub(super) async fn open(
        url: &str,
        hold: Option<std::sync::Arc<paused::TimeHold>>,
    ) -> Result<Store> {
        // Opening and migrating happen outside any checked-out connection: hold a paused clock
        // through them too, or the pool's acquire timeout would fire at once.
        let _held = hold.as_ref().map(|_| paused::hold_time());
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Store::connect_postgres(url, hold).await?
        } else {
            Store::connect_sqlite(url, hold).await?
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn connect_sqlite(
        url: &str,
        hold: Option<std::sync::Arc<paused::TimeHold>>,
    ) -> Result<Store> {
        let url = if url.starts_with("sqlite:") {
            url.to_string()
        } else if url.contains("://") {
            return Err(StoreError::BadUrl);
        } else {
            format!("sqlite://{url}")
        };
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|_| StoreError::BadUrl)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // 8 MiB of page cache per connection (default 2 MiB): claims touch random pages of
            // the phone index. Not more: the pool hands its connections out in turn, so each
            // of the 8 can fill its own cache; an import's transactions take IMPORT_CACHE_KIB
            // for their time.
            .pragma("cache_size", format!("-{CACHE_KIB}"));
        let max = if memory { 1 } else { 8 };
        let commits = std::sync::Arc::new(commits::Commits::default());
        let counted = commits.clone();
        let on_new = hold.clone();
        let checkpoints = std::sync::Arc::new(checkpoint::Checkpoints::default());
        let cp = checkpoints.clone();
        let own_checkpoints = !memory;
        let opts = SqlitePoolOptions::new()
            // A SQLite connection is a file handle in this process: it cannot have gone away
            // the way a server's can, and the ping would be one more hand-off to its thread on
            // every checkout (two per POSTed contact).
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                if let Some(h) = &on_new {
                    h.connected();
                }
                let commits = counted.clone();
                let cp = cp.clone();
                Box::pin(async move {
                    busy::install(conn).await?;
                    if own_checkpoints {
                        checkpoint::install(conn, &cp).await?;
                    }
                    commits::install(conn, commits).await
                })
            })
            // An in-memory database exists per connection: keep exactly one.
            .max_connections(max)
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if memory {
                None
            } else {
                Some(Duration::from_secs(1800))
            });
        let path = options.get_filename().to_path_buf();
        let pool = pooled(opts, options, &hold, max).await?;
        if own_checkpoints {
            tokio::spawn(checkpoint::run(pool.clone(), checkpoints.clone()));
        }
        let direct = (!memory).then(|| {
            let cp = own_checkpoints.then(|| checkpoints.clone());
            std::sync::Arc::new(direct::Direct::new(path, commits.clone(), cp))
        });
        let guard = checkpoint::Guard(checkpoints);
        let mut store = Store::over(Pool::Sqlite(pool), commits, guard);
        store.direct = direct;
        Ok(store)
    }

    async fn connect_postgres(
        url: &str,
        hold: Option<std::sync::Arc<paused::TimeHold>>,
    ) -> Result<Store> {
        let options = PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl)?;
        // One direct connection first: a refused or unknown server is said at once, naming
        // host and port only (never the URL, which may hold a password), instead of the
        // pool's "timed out" after its acquire timeout.
        let at = format!("{}:{}", options.get_host(), options.get_port());
        match <sqlx::postgres::PgConnection as sqlx::Connection>::connect_with(&options).await {
            Ok(c) => {
                let _ = sqlx::Connection::close(c).await;
            }
            Err(e) => {
                return Err(StoreError::Unreachable {
                    at,
                    reason: connect_reason(&e),
                })
            }
        }
        let on_new = hold.clone();
        let opts = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(15))
            .after_connect(move |_, _| {
                if let Some(h) = &on_new {
                    h.connected();
                }
                Box::pin(async { Ok(()) })
            });
        let pool = pooled(opts, options, &hold, 16).await?;
        Ok(Store::over(
            Pool::Postgres(pool),
            Default::default(),
            Default::default(),
        ))
    }
}

impl Store {
    /// A store over `pool`, its caches empty.
    fn over(
        pool: Pool,
        commits: std::sync::Arc<commits::Commits>,
        checkpoints: checkpoint::Guard,
    ) -> Store {
        Store {
            pool,
            commits,
            checkpoints: std::sync::Arc::new(checkpoints),
            health: Default::default(),
            group: Default::default(),
            parsed: Default::default(),
            zones: Default::default(),
            direct: None,
        }
    }
}

/// The pool of `opts` over `options`: under a paused test clock with its hold (and `n`
/// connections opened at once), otherwise discarding connections left in a transaction.
async fn pooled<DB: sqlx::Database>(
    opts: sqlx::pool::PoolOptions<DB>,
    options: <DB::Connection as sqlx::Connection>::Options,
    hold: &Option<std::sync::Arc<paused::TimeHold>>,
    n: u32,
) -> Result<sqlx::Pool<DB>> {
    let opts = match hold {
        Some(h) => h.hook(opts),
        None => health::discard_stuck(opts),
    };
    let pool = opts
        .connect_with(options)
        .await
        .map_err(StoreError::Connect)?;
    if hold.is_some() {
        paused::warm(&pool, n).await;
    }
    Ok(pool)
}

/// The cause of a failed connection, said once: the I/O error's own text without sqlx's
/// prefix and without the repeated OS code, or the server's message.
fn connect_reason(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            std::io::ErrorKind::TimedOut => "timed out".into(),
            _ => io.to_string(),
        },
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    }
}
