//! Test support shared by the database suites: a fresh PostgreSQL schema per test, schemas of
//! finished runs dropped, and a skip that names the test.

/// The URL of a new, empty schema `{prefix}_{test}_{pid}` on the server named by
/// OUTCALL_TEST_POSTGRES_URL, or `None` when that variable is unset: the test is then named on
/// stderr as SKIPPED (past libtest's capture), so a run without PostgreSQL cannot pass for a
/// full one. A set URL with no server behind it is a failure, not a skip. Schemas this test
/// left in earlier runs (by processes that are gone) are dropped first, so the database does
/// not grow run after run. Its connections carry the schema's name as their
/// `application_name`.
pub async fn fresh_postgres_url(prefix: &str, test: &str) -> Option<String> {
    let Ok(base) = std::env::var("OUTCALL_TEST_POSTGRES_URL") else {
        use std::io::Write;
        let bin = std::env::args().next().unwrap_or_default();
        let bin = bin.rsplit('/').next().unwrap_or_default();
        // `store_contract-1a2b3c...`: the test file's name.
        let bin = bin
            .rsplit_once('-')
            .map_or(bin, |(name, _)| name)
            .to_string();
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED on PostgreSQL (OUTCALL_TEST_POSTGRES_URL is not set): {bin} {test}"
        );
        return None;
    };
    let pid = std::process::id();
    let schema = format!("{prefix}_{test}_{pid}");
    // The server's work is invisible to a paused clock: hold it still meanwhile.
    let _held = outcall::store::hold_time();
    let admin = sqlx::PgPool::connect(&base)
        .await
        .expect("OUTCALL_TEST_POSTGRES_URL is set but unreachable");
    for old in stale_schemas(&admin, &format!("{prefix}_{test}_")).await {
        let sql = format!("DROP SCHEMA IF EXISTS \"{old}\" CASCADE");
        sqlx::query(&sql).execute(&admin).await.unwrap();
    }
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

/// Schemas named `{stem}{pid}` whose process is no longer running on this machine.
async fn stale_schemas(admin: &sqlx::PgPool, stem: &str) -> Vec<String> {
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(stem)
            .fetch_all(admin)
            .await
            .unwrap();
    names
        .into_iter()
        .map(|(n,)| n)
        .filter(|n| {
            let pid = &n[stem.len()..];
            pid.parse::<u32>().is_ok_and(|p| {
                p != std::process::id() && !std::path::Path::new(&format!("/proc/{p}")).exists()
            })
        })
        .collect()
}
