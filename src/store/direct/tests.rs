//! Direct changes beside sqlx ones in the group writer: order kept, one transaction per run of
//! one kind, each change undone alone (an `Err`, a decline, a panic); a change that finds the
//! write lock taken waits for it off the runtime's thread; direct reads see what was committed;
//! a lone change runs at once on its requester's thread, and never ahead of one sent before it.

use crate::model::NewContact;
use crate::store::group::tests::{first_phones, sqlite, t, CAMPAIGN};
use crate::store::{Store, StoreError};

#[derive(Clone, Copy, PartialEq)]
enum Ends {
    Written,
    Failed,
    Declined,
    Panicked,
}

/// One do-not-call number written directly, then ending as `ends` says.
async fn direct_number(
    store: &Store,
    phone: &'static str,
    ends: Ends,
) -> Result<Option<()>, StoreError> {
    store
        .write_direct(t(1), move |c| {
            c.conn().execute(
                "INSERT INTO dnc (phone, reason, added_at) VALUES (?1, 'test', ?2)",
                rusqlite::params![phone, c.now().timestamp_millis()],
            )?;
            match ends {
                Ends::Written => Ok(Some(())),
                Ends::Failed => Err(StoreError::Invalid(format!("{phone} refused"))),
                Ends::Declined => Ok(None),
                Ends::Panicked => panic!("a direct change panics"),
            }
        })
        .await
}

/// One do-not-call number written through sqlx.
async fn sqlx_number(store: &Store, phone: &'static str) -> Result<u64, StoreError> {
    store
        .write(t(2), move |c| {
            Box::pin(async move { c.dnc_add_many(&[phone.to_string()], "test").await })
        })
        .await
}

async fn listed(store: &Store) -> Vec<String> {
    let rows = store.dnc_list().await.unwrap();
    rows.into_iter().map(|e| e.phone).collect()
}

async fn kinds_keep_their_order(paused: bool) {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, paused).await;
    // The direct connection is open and idle: a lone change could run at once.
    warm(&store).await;
    let before = store.group.commits();
    // Queued together (one thread), in this order: none runs ahead of one sent before it.
    let (a, b, c, d, e, f, g) = tokio::join!(
        sqlx_number(&store, "+79000000501"),
        direct_number(&store, "+79000000502", Ends::Written),
        direct_number(&store, "+79000000503", Ends::Failed),
        direct_number(&store, "+79000000504", Ends::Declined),
        sqlx_number(&store, "+79000000505"),
        direct_number(&store, "+79000000506", Ends::Panicked),
        direct_number(&store, "+79000000507", Ends::Written),
    );
    assert_eq!(a.unwrap(), 1);
    assert_eq!(b.unwrap(), Some(()));
    assert!(matches!(c, Err(StoreError::Invalid(m)) if m.contains("503")));
    assert_eq!(d.unwrap(), None, "a declined change says so");
    assert_eq!(e.unwrap(), 1);
    assert!(
        matches!(f, Err(StoreError::Invalid(m)) if m.contains("internal error")),
        "a panicking change fails alone"
    );
    assert_eq!(g.unwrap(), Some(()));
    assert_eq!(
        store.group.commits() - before,
        4,
        "one transaction per run of one kind: a | b c d | e | f g"
    );
    assert_eq!(
        listed(&store).await,
        [
            "+79000000500",
            "+79000000501",
            "+79000000502",
            "+79000000505",
            "+79000000507"
        ]
    );
}

#[tokio::test]
async fn direct_and_sqlx_changes_keep_their_order_and_each_fails_alone() {
    kinds_keep_their_order(false).await;
}

#[tokio::test(start_paused = true)]
async fn direct_changes_work_under_a_paused_clock() {
    kinds_keep_their_order(true).await;
}

#[tokio::test]
async fn a_direct_change_waits_for_the_write_lock_off_the_runtime_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, false).await;
    warm(&store).await;
    let crate::store::Pool::Sqlite(pool) = &store.pool else {
        unreachable!()
    };
    // Another connection (an import's batch, the CLI) holds the write lock.
    let mut holder = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("INSERT INTO dnc (phone, reason, added_at) VALUES ('+79000000601', 'held', 0)")
        .execute(&mut *holder)
        .await
        .unwrap();
    let s = store.clone();
    let waiting =
        tokio::spawn(async move { direct_number(&s, "+79000000602", Ends::Written).await });
    // This test runs on one thread: had the writer waited on it, nothing below would run.
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert!(!waiting.is_finished(), "no write while the lock is held");
    holder.commit().await.unwrap();
    assert_eq!(waiting.await.unwrap().unwrap(), Some(()));
    assert_eq!(
        listed(&store).await,
        ["+79000000500", "+79000000601", "+79000000602"]
    );
}

/// Opens the writer's direct connection (the first direct change goes through the writer task,
/// which opens it) with one number written.
async fn warm(store: &Store) {
    let first = direct_number(store, "+79000000500", Ends::Written).await;
    assert_eq!(first.unwrap(), Some(()));
}

#[tokio::test]
async fn a_lone_direct_change_runs_at_once_and_still_fails_alone() {
    use futures::FutureExt;
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, false).await;
    warm(&store).await;
    let before = store.group.commits();
    // Done on its first poll: no hand-off to the writer task and back.
    let at_once = |phone, ends| direct_number(&store, phone, ends).now_or_never();
    let written = at_once("+79000000801", Ends::Written).expect("ran at once");
    assert_eq!(written.unwrap(), Some(()));
    let declined = at_once("+79000000802", Ends::Declined).expect("ran at once");
    assert_eq!(declined.unwrap(), None, "a declined change says so");
    let failed = at_once("+79000000803", Ends::Failed).expect("ran at once");
    assert!(matches!(failed, Err(StoreError::Invalid(m)) if m.contains("803")));
    let panicked = at_once("+79000000804", Ends::Panicked).expect("ran at once");
    assert!(matches!(panicked, Err(StoreError::Invalid(m)) if m.contains("internal error")));
    assert_eq!(
        store.group.commits() - before,
        1,
        "only the change that stood committed"
    );
    assert_eq!(listed(&store).await, ["+79000000500", "+79000000801"]);
    // The connection went back for the next: the writer task takes it when changes queue.
    let (a, b) = tokio::join!(
        sqlx_number(&store, "+79000000805"),
        direct_number(&store, "+79000000806", Ends::Written),
    );
    assert_eq!((a.unwrap(), b.unwrap()), (1, Some(())));
    assert_eq!(
        listed(&store).await,
        [
            "+79000000500",
            "+79000000801",
            "+79000000805",
            "+79000000806"
        ]
    );
}

#[tokio::test]
async fn new_contacts_go_direct_and_a_known_phone_declines_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, false).await;
    let def = crate::campaign::definition::CampaignDef::from_toml_str(CAMPAIGN, "g").unwrap();
    let id = store.create_campaign(&def, t(0)).await.unwrap().id;
    let contact = |phone: &str, zone: &str| NewContact {
        name: "Ivan".into(),
        phones: vec![phone.to_string()],
        vars: Default::default(),
        timezone: Some(zone.to_string()),
    };
    let add = |rows: Vec<NewContact>| {
        let adder = store.contact_adder(id, "Europe/Moscow", t(0), t(0));
        store.write_direct(t(3), move |c| {
            let mut adder = adder;
            if !adder.add_new_direct(c, &rows)? {
                return Ok::<_, StoreError>(None);
            }
            adder.finish_direct(c, None)?;
            Ok(Some(adder))
        })
    };
    let first = add(vec![contact("+79000000701", "Asia/Omsk")])
        .await
        .unwrap();
    first.expect("a new contact is written").committed();
    // The second row's phone is known: the first row of this change is undone with it.
    let second = add(vec![
        contact("+79000000702", "Asia/Tokyo"),
        contact("+79000000701", "Asia/Omsk"),
    ])
    .await
    .unwrap();
    assert!(second.is_none(), "declined");
    let phones = first_phones(&store, id).await;
    assert_eq!(phones, ["+79000000701"]);
    // The first change's zone was recorded; the declined change's was not.
    let zones: Vec<String> = sqlx::query_scalar(
        "SELECT timezone FROM campaign_zones WHERE campaign_id = $1 ORDER BY timezone",
    )
    .bind(id)
    .fetch_all(match &store.pool {
        crate::store::Pool::Sqlite(p) => p,
        _ => unreachable!(),
    })
    .await
    .unwrap();
    assert_eq!(zones, ["Asia/Omsk"]);
    // A direct read sees the committed head.
    let head = store.campaign_head_by_name("g").await.unwrap();
    assert_eq!(head.id, id);
    let listed = store.dnc_among(&["+79000000701".into()]).await.unwrap();
    assert!(listed.is_empty());
}

/// SQLite's plan for `sql` (as sqlx runs it: `$N` parameters, `n` distinct ones), one line per
/// step.
fn plan(store: &Store, sql: &str, n: usize) -> Vec<String> {
    store
        .read_direct(|c| {
            let mut q = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let none = vec![None::<i64>; n];
            let rows = q.query_map(rusqlite::params_from_iter(none), |r| r.get::<_, String>(3))?;
            rows.collect()
        })
        .expect("a file store reads directly")
        .unwrap()
}

#[tokio::test]
async fn live_calls_are_looked_up_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, false).await;
    // A leg's insert: the open legs of its numbers.
    let leg = plan(&store, &crate::store::callback_legs::SQLITE_LEG_INSERT, 12);
    let legs: Vec<&String> = leg.iter().filter(|s| s.contains("callback_legs")).collect();
    assert_eq!(legs.len(), 1, "{leg:?}");
    assert!(
        legs[0].contains("callback_legs_open_number (number=?)"),
        "every open leg would be scanned: {leg:?}"
    );
    // A campaign attempt: the running jobs whose client it would call.
    let attempt = plan(&store, crate::store::in_call::attempt_sql(false), 1);
    assert!(
        attempt
            .iter()
            .any(|s| s.contains("SEARCH callbacks USING INDEX callbacks_running_client (<expr>=?)")),
        "every running job's spec would be read: {attempt:?}"
    );
}
