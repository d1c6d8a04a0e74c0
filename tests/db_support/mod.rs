//! Test support shared by the database suites: a fresh PostgreSQL schema per test.

/// The URL of a new, empty schema `{prefix}_{test}_{pid}` on the server named by
/// OUTCALL_TEST_POSTGRES_URL, or `None` when that variable is unset (the caller says it skipped).
/// A set URL with no server behind it is a failure, not a skip. Its connections carry the
/// schema's name as their `application_name`.
pub async fn fresh_postgres_url(prefix: &str, test: &str) -> Option<String> {
    let base = std::env::var("OUTCALL_TEST_POSTGRES_URL").ok()?;
    let schema = format!("{prefix}_{test}_{}", std::process::id());
    // The server's work is invisible to a paused clock: hold it still meanwhile.
    let _held = outcall::store::hold_time();
    let admin = sqlx::PgPool::connect(&base)
        .await
        .expect("OUTCALL_TEST_POSTGRES_URL is set but unreachable");
    for sql in [
        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
    ] {
        sqlx::query(&sql).execute(&admin).await.unwrap();
    }
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    // The schema names the test's connections too, so a test can find (and kill) its own
    // backends in pg_stat_activity.
    Some(format!(
        "{base}{sep}options[search_path]={schema}&application_name={schema}"
    ))
}
