//! Group commit on SQLite: changes sent together share one transaction and one commit; one that
//! fails (an `Err`, a database error, a panic) is rolled back alone; order, audit entries and
//! each change's own time are kept; it works under a paused clock; a change that ran no statement
//! undoes nothing, and one whose savepoint came with its first statement (a lead) fails alone.

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::future::join_all;

use super::super::{AuditQuery, NewAudit, Store, StoreError};
use crate::model::Role;

pub(crate) fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
}

pub(crate) async fn sqlite(dir: &tempfile::TempDir, paused: bool) -> Store {
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    match paused {
        true => Store::connect_paused(&url).await.unwrap(),
        false => Store::connect(&url).await.unwrap(),
    }
}

/// An audit entry by the test's admin.
fn entry<'a>(action: &'a str, object: &'a str) -> NewAudit<'a> {
    NewAudit {
        actor: "t",
        role: Role::Admin,
        action,
        object,
        before: None,
        after: None,
    }
}

/// One do-not-call number and its audit entry (`dnc:PHONE`); fails after writing both when
/// `fail` is set.
async fn add_number(
    store: &Store,
    at: DateTime<Utc>,
    phone: String,
    fail: bool,
) -> Result<u64, StoreError> {
    store
        .write(at, move |c| {
            Box::pin(async move {
                let added = c.dnc_add_many(std::slice::from_ref(&phone), "test").await?;
                c.audit(&entry("dnc.add", &format!("dnc:{phone}"))).await?;
                if fail {
                    return Err(StoreError::Invalid(format!("{phone} refused")));
                }
                Ok(added)
            })
        })
        .await
}

/// The first phone of each of the campaign's first ten contacts, in id order.
pub(crate) async fn first_phones(store: &Store, campaign_id: i64) -> Vec<String> {
    let page = store.contacts_page(campaign_id, 0, 10).await.unwrap();
    page.into_iter().map(|c| c.phones[0].clone()).collect()
}

async fn listed(store: &Store) -> Vec<String> {
    store
        .dnc_list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.phone)
        .collect()
}

async fn audited(store: &Store) -> Vec<(String, DateTime<Utc>)> {
    let q = AuditQuery {
        before_id: None,
        newest_first: false,
        limit: 1000,
        ..AuditQuery::default()
    };
    let page = store.audit_page(&q).await.unwrap();
    page.into_iter().map(|e| (e.object, e.at)).collect()
}

#[tokio::test]
async fn concurrent_changes_share_one_commit_and_a_failing_one_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, false).await;
    // All eight are queued before the writer runs (this runtime has one thread).
    let writes = (0..8).map(|i| add_number(&store, t(i), format!("+7900000000{i}"), i == 3));
    let results = join_all(writes).await;
    for (i, r) in results.iter().enumerate() {
        match i {
            3 => assert!(
                matches!(r, Err(StoreError::Invalid(m)) if m.contains("refused")),
                "{r:?}"
            ),
            _ => assert_eq!(r.as_ref().ok(), Some(&1), "change {i}: {r:?}"),
        }
    }
    assert_eq!(store.group.commits(), 1, "one transaction for all of them");
    let numbers = listed(&store).await;
    assert_eq!(numbers.len(), 7);
    assert!(
        !numbers.contains(&"+79000000003".to_string()),
        "the failed change wrote nothing"
    );
    // Audit entries stand exactly with their changes, in the order the changes were sent, each
    // stamped with its own change's time.
    let expected: Vec<(String, DateTime<Utc>)> = (0..8)
        .filter(|i| *i != 3)
        .map(|i| (format!("dnc:+7900000000{i}"), t(i)))
        .collect();
    assert_eq!(audited(&store).await, expected);
}

#[tokio::test]
async fn a_database_error_or_a_panic_in_one_change_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, false).await;
    let token = |name: &'static str| {
        store.write(t(0), move |c| {
            Box::pin(async move { c.token_create(name, Role::Admin, name).await })
        })
    };
    token("taken").await.unwrap();
    let panics = store.write(t(0), |c| {
        Box::pin(async move {
            c.token_create("lost", Role::Admin, "lost").await?;
            if c.now() == t(0) {
                panic!("a bug in a change");
            }
            Ok::<_, StoreError>(())
        })
    });
    let (a, dup, p, b) = tokio::join!(token("a"), token("taken"), panics, token("b"));
    a.unwrap();
    b.unwrap();
    assert!(matches!(dup, Err(StoreError::Invalid(m)) if m.contains("already exists")));
    assert!(p.is_err(), "the panicking change fails");
    let names: Vec<String> = store
        .tokens()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(
        names,
        vec!["b", "a", "taken"],
        "newest first; nothing of the failed ones"
    );
    // The writer survived the panic.
    token("c").await.unwrap();
}

#[tokio::test]
async fn changes_sent_one_after_another_are_kept_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, false).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            add_number(&s, t(i), format!("+790000001{i:02}"), false).await
        }));
        if i % 10 == 9 {
            tokio::task::yield_now().await;
        }
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let objects: Vec<String> = audited(&store).await.into_iter().map(|(o, _)| o).collect();
    let expected: Vec<String> = (0..40).map(|i| format!("dnc:+790000001{i:02}")).collect();
    assert_eq!(objects, expected);
    assert!(store.group.commits() < 40, "some changes shared a commit");
}

/// Under a paused clock (the engine tests' harness) the writer runs as it does in real time,
/// while simulated time passes between changes.
#[tokio::test(start_paused = true)]
async fn the_writer_works_under_a_paused_clock() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, true).await;
    let started = tokio::time::Instant::now();
    let waiter = {
        let store = store.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            add_number(&store, t(30), "+79000000100".into(), false).await
        })
    };
    let now =
        join_all((0..4).map(|i| add_number(&store, t(i), format!("+7900000020{i}"), false))).await;
    assert!(now.iter().all(Result::is_ok));
    assert_eq!(waiter.await.unwrap().unwrap(), 1);
    assert!(started.elapsed() >= std::time::Duration::from_secs(30));
    assert_eq!(listed(&store).await.len(), 5);
    let last = audited(&store).await.pop().unwrap();
    assert_eq!(
        last,
        ("dnc:+79000000100".to_string(), t(0) + Duration::seconds(30))
    );
}

/// A change sent while the writer runs others joins their transaction: it is answered on
/// their commit instead of waiting for a transaction of its own.
#[tokio::test]
async fn a_change_arriving_while_others_run_joins_their_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, false).await;
    let (started, running) = tokio::sync::oneshot::channel::<()>();
    let (go, proceed) = tokio::sync::oneshot::channel::<()>();
    let first = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write(t(0), move |c| {
                    Box::pin(async move {
                        let n = c
                            .dnc_add_many(&["+79000000300".to_string()], "test")
                            .await?;
                        let _ = started.send(());
                        let _ = proceed.await;
                        Ok::<_, StoreError>(n)
                    })
                })
                .await
        })
    };
    // The first change is running inside its transaction: send the second, then let the
    // first finish.
    running.await.unwrap();
    let second = {
        let store = store.clone();
        tokio::spawn(async move { add_number(&store, t(1), "+79000000301".into(), false).await })
    };
    // (One thread: the second task runs, and queues its change, while this one yields.)
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    go.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap(), 1);
    assert_eq!(second.await.unwrap().unwrap(), 1);
    assert_eq!(
        store.group.commits(),
        1,
        "the late change shared the commit"
    );
    assert_eq!(listed(&store).await.len(), 2);
}

/// A campaign for the lead tests (its definition is not dialled).
pub(crate) const CAMPAIGN: &str = r#"
name = "g"
caller_id = "74950000000"
dial = "sofia/gateway/trunk1/{number}"
timezone = "Europe/Moscow"
[schedule]
windows = [{ days = "all", hours = ["09:00-20:00"] }]
[script]
start = "bye"
[script.nodes.bye]
type = "hangup"
"#;

/// One contact added as a change whose first statement takes the writer's savepoint as its
/// lead (the contacts insert); with `write` false the change runs no statement. Fails at its end
/// when `fail` is set (after writing the contact and an audit entry, when it writes).
async fn contact_change(
    store: &Store,
    campaign_id: i64,
    phone: &'static str,
    write: bool,
    fail: bool,
) -> Result<(), StoreError> {
    let adder = store.contact_adder(campaign_id, "Europe/Moscow", t(0), t(0));
    store
        .write(t(0), move |c| {
            Box::pin(async move {
                let mut adder = adder;
                if write {
                    let row = crate::model::NewContact {
                        name: phone.into(),
                        phones: vec![phone.into()],
                        vars: Default::default(),
                        timezone: None,
                    };
                    c.add_contacts(&mut adder, &[row], &[true]).await?;
                    c.audit(&entry("contact.add", &format!("contact:{phone}")))
                        .await?;
                }
                match fail {
                    true => Err(StoreError::Invalid(format!("{phone} refused"))),
                    false => Ok(()),
                }
            })
        })
        .await
}

#[tokio::test]
async fn a_change_that_ran_no_statement_undoes_nothing_and_a_led_one_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir, false).await;
    let def = crate::campaign::definition::CampaignDef::from_toml_str(CAMPAIGN, "g").unwrap();
    let campaign = store.create_campaign(&def, t(0)).await.unwrap();
    let id = campaign.id;
    let before = store.group.commits();
    // Queued together (one thread): A writes; B fails having run nothing (the savepoint open
    // is A's: rolling back to it would undo A); C writes, then fails (undone alone, its
    // savepoint taken with its first statement); D runs nothing and succeeds; E writes.
    let (a, b, c, d, e) = tokio::join!(
        contact_change(&store, id, "+79000000401", true, false),
        contact_change(&store, id, "+79000000402", false, true),
        contact_change(&store, id, "+79000000403", true, true),
        contact_change(&store, id, "+79000000404", false, false),
        contact_change(&store, id, "+79000000405", true, false),
    );
    a.unwrap();
    assert!(matches!(b, Err(StoreError::Invalid(m)) if m.contains("402")));
    assert!(matches!(c, Err(StoreError::Invalid(m)) if m.contains("403")));
    d.unwrap();
    e.unwrap();
    assert_eq!(
        store.group.commits() - before,
        1,
        "one transaction for all five"
    );
    let phones = first_phones(&store, id).await;
    assert_eq!(phones, vec!["+79000000401", "+79000000405"]);
    let objects: Vec<String> = audited(&store).await.into_iter().map(|(o, _)| o).collect();
    assert_eq!(
        objects
            .iter()
            .filter(|o| o.starts_with("contact:"))
            .collect::<Vec<_>>(),
        vec!["contact:+79000000401", "contact:+79000000405"]
    );
}
