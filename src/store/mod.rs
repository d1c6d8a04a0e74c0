//! The store: campaigns, contacts, attempts (the CDR), the do-not-call list and the webhook outbox, in SQLite (a file,
//! the default) or PostgreSQL (`postgres://`), with sqlx runtime queries (no `DATABASE_URL` at
//! compile time) and embedded migrations (`migrations/sqlite`, `migrations/postgres`) applied on
//! connect. [`Store`] is a cheap `Clone` handle over a connection pool.
//!
//! Conventions: instants are stored as integer milliseconds since the epoch (UTC) in both backends;
//! phones, vars and tags are JSON text; ids are `i64`.
//!
//! The dialer's contract (TEAM.md "campaign + store"):
//! - [`Store::claim_due`] leases due pending contacts of a running campaign in the given open
//!   zones, earliest first (SQLite: one `UPDATE ... RETURNING` per zone inside one write
//!   transaction; PostgreSQL: `FOR UPDATE SKIP LOCKED`), so two owners never get one contact.
//! - [`Store::start_attempt`] commits the attempt row before the originate; it fails with
//!   [`StoreError::PhoneBusy`] when the number has another open attempt (any campaign),
//!   [`StoreError::DoNotCall`] when the number is on the do-not-call list, and
//!   [`StoreError::LeaseLost`] when the caller no longer holds the contact.
//! - [`Store::finish_attempt`] closes the attempt and updates the contact in one transaction,
//!   fenced on the lease owner ([`StoreError::LeaseLost`]: nothing changed).
//! - Both write the call's webhook deliveries (call_start, call_end) into the outbox in the same
//!   transaction as the attempt row they report; [`Store::claim_deliveries`] leases them to a
//!   delivery worker and [`Store::settle_deliveries`] records what became of them.
//! - Leases: [`Store::extend_leases`]; [`Store::release_expired_leases`] returns expired contacts
//!   WITHOUT an open attempt to pending; contacts with an open attempt wait for reconciliation
//!   ([`Store::open_attempts`], then [`Store::adopt_attempt`] once their lease has expired).

mod access;
mod attempts;
mod busy;
mod callback_legs;
mod callback_run;
mod callbacks;
mod campaigns;
pub mod caps;
mod change;
mod checkpoint;
mod commits;
mod contact_writer;
mod contacts;
mod direct;
mod dnc;
mod group;
pub mod health;
mod in_call;
mod known_zones;
mod leases;
mod open;
mod outbox;
mod paused;
pub mod retry;
mod txn;
mod why;

pub use paused::{hold_time, TimeGuard};

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

pub use access::{AuditQuery, NewAudit};
pub use callback_run::{CallbacksDue, HooksFn, Recall, RunningCallback};
pub use callbacks::NewCallback;
pub use campaigns::CampaignCounts;
pub use change::Change;
pub use contact_writer::{ContactAdder, ContactWriter, RowFate};
pub use contacts::ContactQuery;
pub(crate) use direct::DirectChange;
use txn::Txn;
pub use why::ZoneDue;

use crate::model::CampaignStatus;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Page cache of each SQLite connection, in KiB.
pub(crate) const CACHE_KIB: u32 = 8192;
/// Page cache of a connection while an import's transaction holds it, in KiB (imports write
/// random pages of the phone index).
pub(crate) const IMPORT_CACHE_KIB: u32 = 32768;

/// Everything that can go wrong in the store. The database URL never appears in a message.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// The PostgreSQL server could not be reached or refused the login.
    #[error("cannot connect to postgres at {at}: {reason}")]
    Unreachable { at: String, reason: String },
    #[error("database URL not understood: use sqlite://FILE (or a file path) or postgres://...")]
    BadUrl,
    #[error("applying database migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("no campaign named `{0}` (see `outcall campaign list`)")]
    NoSuchCampaign(String),
    #[error("campaign #{0} does not exist")]
    NoCampaignId(i64),
    #[error("a campaign named `{0}` already exists")]
    CampaignExists(String),
    #[error("campaign `{name}` is {from}; it cannot become {to}")]
    BadTransition {
        name: String,
        from: CampaignStatus,
        to: CampaignStatus,
    },
    #[error("campaign `{name}` is {status}: schedule, limits and retry rules can be edited only while draft, scheduled or paused (the script may change any time)")]
    NotEditable {
        name: String,
        status: CampaignStatus,
    },
    /// A campaign's or gateway's cap, counted across every dialer, is reached (nothing written).
    #[error("{0} cap is reached across the dialers sharing this database")]
    CapFull(String),
    #[error("phone {0} already has a call in progress")]
    PhoneBusy(String),
    #[error("phone {0} is on the do-not-call list")]
    DoNotCall(String),
    #[error("lease lost on contact {contact_id}: it was released or another dialer holds it")]
    LeaseLost { contact_id: i64 },
    #[error("attempt {0} does not exist or is already finished")]
    AttemptNotOpen(i64),
    #[error("attempt uuid {0} is already used")]
    DuplicateUuid(String),
    #[error("invalid request to the store: {0}")]
    Invalid(String),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// A change shared its transaction with others ([`Store::write`]) and that transaction
    /// could not be committed (nothing of the change was written).
    #[error("the change was not written: {0}")]
    NotCommitted(String),
}

/// Result of store calls.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the backend's pool (the body is compiled once per backend).
macro_rules! with_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A transaction that will write: SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so
/// a read-then-write transaction never fails on lock upgrade; PostgreSQL begins normally.
pub(crate) trait WriteTx {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send;
}

impl WriteTx for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl WriteTx for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// The handle every part uses. Clone it freely.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
    /// Commits made on this store's SQLite connections (see `commits::Commits`).
    pub(crate) commits: std::sync::Arc<commits::Commits>,
    /// Whether writes are failing, shared by every clone.
    pub(crate) health: std::sync::Arc<health::Health>,
    /// The way to the writer task of [`Store::write`] (group commit on SQLite).
    pub(crate) group: std::sync::Arc<group::Group>,
    /// Campaign definitions parsed lately (see `campaigns::Parsed`).
    pub(crate) parsed: std::sync::Arc<campaigns::Parsed>,
    /// Zones known to be recorded per campaign (see `known_zones::KnownZones`).
    pub(crate) zones: std::sync::Arc<known_zones::KnownZones>,
    /// A SQLite file store's statements on the calling thread (see `direct`).
    pub(crate) direct: Option<std::sync::Arc<direct::Direct>>,
    /// Ends the SQLite store's checkpointing task with the last handle (see `checkpoint`):
    /// held for its `Drop`.
    #[allow(dead_code)]
    pub(crate) checkpoints: std::sync::Arc<checkpoint::Guard>,
}

impl Store {
    /// Applies pending migrations (connect does this already); returns the latest version.
    pub async fn migrate(&self) -> Result<i64> {
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        let migrator = match &self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        Ok(migrator.iter().map(|m| m.version).max().unwrap_or(0))
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match &self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Whether writes are failing (shared by every clone of this store).
    pub fn health(&self) -> &health::Health {
        &self.health
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// Closes every pooled connection (waits for checked-out ones).
    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }
}

/// Milliseconds since the epoch, the stored form of an instant.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant of stored milliseconds.
pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl Store {
    /// Placeholders for `n` values bound in order, numbered from `first` on PostgreSQL and bare
    /// `?` on SQLite: SQLite looks each numbered or named parameter up in a list, which makes
    /// statements with thousands of them quadratic. sqlx on SQLite
    /// numbers bare `?` separately from `$N`, so a statement that uses this must use bare
    /// placeholders throughout (see [`Store::param`]).
    pub(crate) fn params(&self, first: usize, n: usize) -> String {
        if self.is_postgres() {
            placeholders(first, n)
        } else {
            vec!["?"; n].join(", ")
        }
    }
}

impl Store {
    /// One placeholder, `$n` on PostgreSQL, bare `?` on SQLite (bind in order of appearance).
    pub(crate) fn param(&self, n: usize) -> String {
        self.params(n, 1)
    }
}

/// `$first, $first+1, ...` placeholders for an `IN (...)` list of `n` values.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Does this error come from a unique index whose name or message mentions `what`?
pub(crate) fn is_unique_violation(e: &sqlx::Error, what: &str) -> bool {
    match e.as_database_error() {
        Some(db) if db.is_unique_violation() => {
            db.constraint().is_some_and(|c| c.contains(what)) || db.message().contains(what)
        }
        _ => false,
    }
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn parse_enum<T: FromStr<Err = String>>(text: &str) -> Result<T> {
    text.parse().map_err(StoreError::Corrupt)
}
