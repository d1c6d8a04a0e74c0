//! An open write transaction of either backend ([`Txn`]) and [`with_txn!`], which runs one body
//! against its connection, compiled once per backend.

use sqlx::{Postgres, Sqlite, Transaction};

/// An open write transaction of either backend.
pub(crate) enum Txn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$c` bound to the transaction's connection (compiled once per backend).
macro_rules! with_txn {
    ($txn:expr, $c:ident => $body:expr) => {
        match $txn {
            Txn::Sqlite(t) => {
                let $c = &mut **t;
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
