//! Store faults for the engine tests: SQL triggers that make the engine's writes fail while a
//! switch is on, then let them through again (a full disk that is freed, a write that keeps
//! failing), on SQLite and PostgreSQL. The triggers live in the database, so they act on every
//! pooled connection of every engine, which a per-connection `PRAGMA max_page_count` cannot.

use outcall::store::hold_time;

/// How the injected failure behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    /// The failing statement is refused; the transaction stays open (a constraint error).
    Statement,
    /// The whole transaction is rolled back by the database itself, as SQLite does on a full
    /// disk (SQLITE_FULL): the client's own ROLLBACK then finds no transaction.
    Transaction,
}

/// Statements that fail while the switch is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Recording a result (`UPDATE attempts SET ended_at ...`).
    Finish,
    /// Opening an attempt (`INSERT INTO attempts`).
    Start,
    /// Every write of contacts and attempts (claims, starts, finishes, leases).
    AllWrites,
}

/// Triggers installed in one database, off until [`StoreFault::set`].
pub struct StoreFault {
    url: String,
}

impl StoreFault {
    /// Installs the triggers (off) in the database at `url`.
    pub async fn install(url: &str, target: Target, fail: Fail) -> StoreFault {
        let _held = hold_time();
        if url.starts_with("postgres") {
            install_postgres(url, target, fail).await;
        } else {
            install_sqlite(url, target, fail).await;
        }
        StoreFault { url: url.into() }
    }

    /// Turns the failure on or off.
    pub async fn set(&self, on: bool) {
        let _held = hold_time();
        let sql = format!("UPDATE test_fault SET on_ = {}", i32::from(on));
        if self.url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            sqlx::query(&sql).execute(&pool).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            sqlx::query(&sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

fn events(target: Target) -> Vec<&'static str> {
    match target {
        Target::Finish => vec!["UPDATE OF ended_at ON attempts"],
        Target::Start => vec!["INSERT ON attempts"],
        Target::AllWrites => vec![
            "UPDATE ON contacts",
            "INSERT ON attempts",
            "UPDATE ON attempts",
        ],
    }
}

async fn install_sqlite(url: &str, target: Target, fail: Fail) {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let raise = match fail {
        Fail::Statement => "ABORT",
        Fail::Transaction => "ROLLBACK",
    };
    let mut script = vec![
        "CREATE TABLE test_fault (on_ INTEGER NOT NULL)".to_string(),
        "INSERT INTO test_fault VALUES (0)".to_string(),
    ];
    for (i, on) in events(target).into_iter().enumerate() {
        script.push(format!(
            "CREATE TRIGGER test_fault_{i} BEFORE {on} WHEN (SELECT on_ FROM test_fault) = 1 \
             BEGIN SELECT RAISE({raise}, 'database or disk is full (injected)'); END"
        ));
    }
    for sql in script {
        sqlx::query(&sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

async fn install_postgres(url: &str, target: Target, _fail: Fail) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let mut script = vec![
        "CREATE TABLE test_fault (on_ INTEGER NOT NULL)".to_string(),
        "INSERT INTO test_fault VALUES (0)".to_string(),
        "CREATE FUNCTION test_fault_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF (SELECT on_ FROM test_fault) = 1 THEN \
         RAISE EXCEPTION 'could not extend file: No space left on device (injected)'; END IF; \
         RETURN NEW; END $$"
            .to_string(),
    ];
    for (i, on) in events(target).into_iter().enumerate() {
        script.push(format!(
            "CREATE TRIGGER test_fault_{i} BEFORE {on} FOR EACH ROW EXECUTE FUNCTION test_fault_fn()"
        ));
    }
    for sql in script {
        sqlx::query(&sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
}
