//! A number in a live call of either kind, checked inside the transaction that writes a
//! campaign attempt or a callback leg, so no number is dialled twice at once across the two:
//! a campaign attempt is refused ([`super::StoreError::PhoneBusy`]) while the phone has an
//! open callback leg or is the client of a running callback job; a callback leg is refused
//! while its number (and for a manager leg, the client's: [`NewLeg::numbers`]) has an open
//! attempt or an open leg of another callback job. Campaign attempts among themselves keep the
//! unique index on open attempts' phones. On PostgreSQL both sides first take a
//! transaction-scoped advisory lock per number (in sorted order), so two transactions for one
//! number are serialised; SQLite's single writer does that already.
//!
//! [`NewLeg::numbers`]: crate::callback::record::NewLeg::numbers

/// Open callback legs on `$1`, plus running callback jobs whose client is `$1` (on SQLite by the
/// index of running jobs' clients: its planner otherwise reads every running job's spec).
pub(super) fn attempt_sql(postgres: bool) -> &'static str {
    if postgres {
        "SELECT (SELECT COUNT(*) FROM callback_legs WHERE number = $1 AND ended_at IS NULL) \
         + (SELECT COUNT(*) FROM callbacks WHERE state = 'running' AND (spec::jsonb ->> 'client') = $1)"
    } else {
        "SELECT (SELECT COUNT(*) FROM callback_legs WHERE number = $1 AND ended_at IS NULL) \
         + (SELECT COUNT(*) FROM callbacks INDEXED BY callbacks_running_client \
         WHERE state = 'running' AND json_extract(spec, '$.client') = $1)"
    }
}

/// Open campaign attempts on `$1`, plus open legs on `$1` of callback jobs other than `$2`.
pub(super) const LEG_SQL: &str =
    "SELECT (SELECT COUNT(*) FROM attempts WHERE phone = $1 AND ended_at IS NULL) \
     + (SELECT COUNT(*) FROM callback_legs WHERE number = $1 AND ended_at IS NULL \
     AND callback_id <> $2)";

/// The numbers `$11` and `$12` (the same twice for one number) have no open campaign attempt
/// and no open leg of a callback job other than `$1`: [`LEG_SQL`] as a condition, for a leg's
/// insert to carry its own check (SQLite, where the single writer makes the insert and a
/// recheck after a refusal see the same rows). The legs are looked up by number: with the
/// `IN` list SQLite's planner otherwise takes the index of every open leg, and a leg's insert
/// scanned all the legs in progress (a thousand at once in the callbacks bench).
pub(super) const LEG_FREE: &str =
    "NOT EXISTS (SELECT 1 FROM attempts WHERE phone IN ($11, $12) AND ended_at IS NULL) \
     AND NOT EXISTS (SELECT 1 FROM callback_legs INDEXED BY callback_legs_open_number \
     WHERE number IN ($11, $12) AND ended_at IS NULL AND callback_id <> $1)";

/// The advisory lock on one number (PostgreSQL): `$1` the class, `$2` the number.
pub(super) const LOCK_SQL: &str = "SELECT pg_advisory_xact_lock($1, hashtext('phone:' || $2))";

/// Checks that none of `$numbers` is in a live call, inside the transaction `$c` (a
/// connection): returns `Err(StoreError::PhoneBusy)` from the enclosing function if one is.
/// `$check` is the counting statement, bound with the number, then `$extra` when given.
macro_rules! check_not_in_call {
    ($c:expr, $postgres:expr, $numbers:expr, $check:expr $(, $extra:expr)?) => {{
        let numbers: &[&str] = $numbers;
        if $postgres {
            for n in numbers {
                sqlx::query($crate::store::in_call::LOCK_SQL)
                    .bind($crate::store::caps::LOCK_CLASS)
                    .bind(*n)
                    .execute(&mut *$c)
                    .await?;
            }
        }
        for n in numbers {
            let q = sqlx::query_scalar::<_, i64>($check).bind(*n);
            $(let q = q.bind($extra);)?
            let busy: i64 = q.fetch_one(&mut *$c).await?;
            if busy > 0 {
                return Err($crate::store::StoreError::PhoneBusy(n.to_string()));
            }
        }
    }};
}

pub(crate) use check_not_in_call;
