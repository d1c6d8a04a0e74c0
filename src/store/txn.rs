//! An open write transaction of either backend ([`Txn`]) and [`with_txn!`], which runs one body
//! against its connection, compiled once per backend. A SQLite transaction may carry a *lead*:
//! statements its next statement must run first (the group writer's savepoint for the next
//! change). Every statement run through [`with_txn!`] runs a waiting lead first; a hot statement
//! takes it instead ([`SqliteTxn::led`]) and SQLite runs both in one round trip to the
//! connection's thread. (This leans on sqlx-sqlite 0.8 running every statement of one query
//! string with its `$N` binds, which upstream means to drop (launchbadge/sqlx#3108): an upgrade
//! must keep it or run the lead alone again.)

use std::borrow::Cow;

use futures::TryStreamExt;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteQueryResult};
use sqlx::{Either, Executor, Postgres, Sqlite, SqliteConnection, Transaction};

/// An open write transaction of either backend.
pub(crate) enum Txn {
    Sqlite(SqliteTxn),
    Postgres(Transaction<'static, Postgres>),
}

impl Txn {
    /// A SQLite transaction with no lead.
    pub(crate) fn sqlite(tx: Transaction<'static, Sqlite>) -> Txn {
        Txn::Sqlite(SqliteTxn { tx, lead: None })
    }

    /// Commits (a lead still waiting is dropped: it never had a statement to lead).
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Txn::Sqlite(t) => t.tx.commit().await,
            Txn::Postgres(t) => t.commit().await,
        }
    }

    /// Sets the SQL the next statement must run first, replacing any waiting (SQLite only;
    /// PostgreSQL has no lead).
    pub(crate) fn set_lead(&mut self, lead: &'static str) {
        if let Txn::Sqlite(t) = self {
            t.lead = Some(lead);
        }
    }

    /// Whether a lead is still waiting for a statement.
    pub(crate) fn lead_waiting(&self) -> bool {
        matches!(self, Txn::Sqlite(SqliteTxn { lead: Some(_), .. }))
    }
}

/// A SQLite transaction and its lead (see the module docs).
pub(crate) struct SqliteTxn {
    tx: Transaction<'static, Sqlite>,
    lead: Option<&'static str>,
}

impl SqliteTxn {
    /// The connection, once a waiting lead has run (its own round trip).
    pub(crate) async fn conn(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        if let Some(lead) = self.lead.take() {
            sqlx::query(lead).execute(&mut *self.tx).await?;
        }
        Ok(&mut self.tx)
    }

    /// `sql` with the waiting lead in front of it (taken: the caller must run the result next),
    /// and the connection.
    pub(crate) fn led<'a>(&mut self, sql: &'a str) -> (Cow<'a, str>, &mut SqliteConnection) {
        let sql = match self.lead.take() {
            Some(lead) => Cow::Owned(lead_sql(lead, sql)),
            None => Cow::Borrowed(sql),
        };
        (sql, &mut self.tx)
    }
}

/// Runs a string from [`SqliteTxn::led`]: the result of its last statement. (`execute` would add
/// up every statement's count, and SQLite reports a `SAVEPOINT`'s as the last change count
/// before it.)
pub(crate) async fn last_result<'q>(
    c: &mut SqliteConnection,
    q: Query<'q, Sqlite, SqliteArguments<'q>>,
) -> Result<SqliteQueryResult, sqlx::Error> {
    let mut steps = c.fetch_many(q);
    let mut last = SqliteQueryResult::default();
    while let Some(step) = steps.try_next().await? {
        if let Either::Left(done) = step {
            last = done;
        }
    }
    Ok(last)
}

/// One statement string that runs `lead`, then `sql` (SQLite binds `$N` by number across the
/// statements of one string, so `sql`'s parameters keep their numbers).
fn lead_sql(lead: &str, sql: &str) -> String {
    format!("{lead}; {sql}")
}

/// Runs `$body` with `$c` bound to the transaction's connection (compiled once per backend),
/// after the transaction's waiting lead, if any. `?` inside returns from the calling function.
macro_rules! with_txn {
    ($txn:expr, $c:ident => $body:expr) => {
        match $txn {
            Txn::Sqlite(t) => {
                let $c = t.conn().await?;
                $body
            }
            Txn::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use with_txn;

/// Like [`with_txn!`] for a change's hot statement `$sql`: binds `$led` to the string to run
/// (on SQLite with the waiting lead in front of it, [`SqliteTxn::led`]) and `$c` to the
/// connection. `$body` must run `$led` first, and read rows (not a summed `rows_affected`,
/// see [`last_result`]).
macro_rules! with_txn_led {
    ($txn:expr, $sql:expr => $led:ident, $c:ident => $body:expr) => {
        match $txn {
            Txn::Sqlite(t) => {
                let ($led, $c) = t.led($sql);
                $body
            }
            Txn::Postgres(t) => {
                let $led = std::borrow::Cow::Borrowed($sql);
                let $c = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use with_txn_led;
