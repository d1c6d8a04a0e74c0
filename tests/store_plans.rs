//! The due-contacts query ("pending contacts of campaign X in zone Z, earliest first") is an
//! index range scan of `contacts_due` with no sort step, on both backends: what keeps the
//! scheduler's lookups cheap at ten million contacts.

#[path = "db_support/mod.rs"]
mod db_support;

use outcall::store::Store;

const DUE: &str = "SELECT id FROM contacts WHERE campaign_id = 1 AND status = 'pending' \
                   AND timezone = 'Europe/Moscow' AND next_attempt_at <= 5 \
                   ORDER BY next_attempt_at LIMIT 10";

#[tokio::test]
async fn sqlite_reopens_and_uses_the_due_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let url = format!("sqlite://{}", path.display());
    let first = Store::connect(&url).await.unwrap();
    let version = first.migrate().await.unwrap();
    first.close().await;
    let again = Store::connect(&url).await.unwrap();
    assert_eq!(again.migrate().await.unwrap(), version);
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {DUE}"))
        .fetch_all(&pool)
        .await
        .unwrap();
    let text: Vec<String> = plan.into_iter().map(|r| r.3).collect();
    assert!(
        text.iter().any(|l| l
            .contains("INDEX contacts_due (campaign_id=? AND timezone=? AND next_attempt_at<?)")),
        "{text:?}"
    );
    assert!(
        !text.iter().any(|l| l.contains("TEMP B-TREE")),
        "no sort step: {text:?}"
    );
    let mode: (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode.0, "wal");
}

/// PostgreSQL: with sequential scans ruled out (the test table is small; a 10-million-row one
/// would rule them out by cost), the plan is an index scan of `contacts_due` with the zone and
/// the due time as index conditions and no Sort node.
#[tokio::test]
async fn postgres_due_query_is_an_index_range_scan() {
    let Some(url) = db_support::fresh_postgres_url("p", "due_plan").await else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    let plan: Vec<(String,)> = sqlx::query_as(&format!("EXPLAIN {DUE}"))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let text: Vec<String> = plan.into_iter().map(|r| r.0).collect();
    assert!(
        text.iter()
            .any(|l| l.contains("Index") && l.contains("contacts_due")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|l| l.contains("Index Cond")
            && l.contains("timezone")
            && l.contains("next_attempt_at")),
        "{text:?}"
    );
    assert!(
        !text.iter().any(|l| l.contains("Sort")),
        "no sort step: {text:?}"
    );
}
