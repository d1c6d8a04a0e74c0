//! Contacts added as data to a campaign read before: written without reading it again, and
//! whatever changed since it was read (cancelled, definition edited, a phone listed, a contact
//! the campaign has already) found inside the write and answered as after a fresh read.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;

use super::*;
use crate::campaign::definition::CampaignDef;

const DEMO: &str = include_str!("../../campaigns/demo.toml");

async fn env() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let store = Store::connect(&url).await.unwrap();
    let def = CampaignDef::from_toml_str(DEMO, "demo.toml").unwrap();
    let c = crate::ops::campaigns::create(&store, &Actor::cli(), &def, Utc::now())
        .await
        .unwrap();
    (dir, store, c.id)
}

/// [`env`] with the campaign read once: its first contact (+79161000001) added.
async fn read_env() -> (tempfile::TempDir, Store, i64) {
    let (dir, store, id) = env().await;
    post(&store, contact("89161000001", "А", Some("10")))
        .await
        .unwrap();
    (dir, store, id)
}

fn contact(phone: &str, name: &str, balance: Option<&str>) -> ContactInput {
    ContactInput {
        phones: vec![phone.into()],
        name: name.into(),
        vars: balance
            .map(|b| BTreeMap::from([("BALANCE".to_string(), b.to_string())]))
            .unwrap_or_default(),
        timezone: None,
    }
}

async fn post(store: &Store, c: ContactInput) -> Result<ImportReport> {
    let options = ImportOptions::new("RU");
    add(store, &Actor::cli(), "demo", &[c], &options, Utc::now()).await
}

/// The campaign's contacts (read by id: a read by name would be a new last read).
async fn stored(store: &Store, id: i64) -> usize {
    store.contacts_page(id, 0, 100).await.unwrap().len()
}

/// The change built on the last read alone: `Some` when it wrote.
async fn unread(store: &Store, c: ContactInput) -> Option<ImportReport> {
    let (campaign, text) = store.campaign_as_last_read("demo").expect("read before");
    let records = to_records(&[c]).unwrap();
    let options = ImportOptions::new("RU");
    let shown = Path::new("the contacts");
    import_records_unread(
        store,
        &campaign,
        text,
        &records,
        shown,
        &options,
        Utc::now(),
        None,
    )
    .await
    .unwrap()
}

/// `c` declined by the change built on the last read (nothing written), then POSTed: the
/// answer after a fresh read.
async fn declined_then_posted(store: &Store, c: ContactInput) -> Result<ImportReport> {
    assert!(unread(store, c.clone()).await.is_none(), "declined: {c:?}");
    post(store, c).await
}

#[tokio::test]
async fn a_campaign_read_before_takes_new_contacts_without_a_read() {
    let (_dir, store, id) = env().await;
    assert!(
        store.campaign_as_last_read("demo").is_none(),
        "not read yet"
    );
    let r = post(&store, contact("89161000001", "А", Some("10")))
        .await
        .unwrap();
    assert_eq!((r.rows, r.accepted), (1, 1));
    let r = unread(&store, contact("89161000002", "Б", Some("20")))
        .await
        .expect("written on the last read");
    assert_eq!((r.rows, r.accepted), (1, 1));
    let r = unread(&store, contact("bad", "В", Some("20")))
        .await
        .expect("a report");
    assert_eq!((r.rows, r.accepted, r.rejected.len()), (1, 0, 1));
    assert_eq!(r.rejected[0].line, 2);
    assert_eq!(stored(&store, id).await, 2);
}

#[tokio::test]
async fn a_campaign_cancelled_since_its_read_takes_none() {
    let (_dir, store, id) = read_env().await;
    crate::ops::campaigns::stop(&store, &Actor::cli(), "demo", Utc::now())
        .await
        .unwrap();
    let (was, _) = store.campaign_as_last_read("demo").unwrap();
    assert_ne!(
        was.status,
        CampaignStatus::Cancelled,
        "the last read is older"
    );
    let e = declined_then_posted(&store, contact("89161000003", "В", Some("1")))
        .await
        .unwrap_err();
    assert!(matches!(e, OpsError::Conflict(_)), "{e}");
    // What is wrong is said in the order of a request after a read: the campaign first.
    let narnia = ImportOptions::new("Narnia");
    let c = [contact("89161000003", "В", Some("1"))];
    let e = add(&store, &Actor::cli(), "demo", &c, &narnia, Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(e, OpsError::Conflict(_)), "{e}");
    assert_eq!(stored(&store, id).await, 1, "nothing written");
}

#[tokio::test]
async fn a_definition_edited_since_its_read_applies_its_own_rules() {
    let (dir, store, id) = read_env().await;
    // The old definition needs BALANCE; the new one speaks no variable. It is edited by
    // another process (the CLI), whose reads this one does not see.
    let r = post(&store, contact("89161000002", "Б", None))
        .await
        .unwrap();
    assert_eq!(r.accepted, 0, "BALANCE is required");
    let edited = DEMO.replace("{{BALANCE|money_ru}}", "много");
    let def = CampaignDef::from_toml_str(&edited, "demo.toml").unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let cli = Store::connect(&url).await.unwrap();
    crate::ops::campaigns::update(&cli, &Actor::cli(), &def, Utc::now())
        .await
        .unwrap();
    let (_, text) = store.campaign_as_last_read("demo").unwrap();
    assert_ne!(text, edited, "the last read is older");
    let r = declined_then_posted(&store, contact("89161000002", "Б", None))
        .await
        .unwrap();
    assert_eq!((r.accepted, r.rejected.len()), (1, 0), "{r:?}");
    assert_eq!(stored(&store, id).await, 2);
}

#[tokio::test]
async fn a_phone_listed_since_the_read_is_dropped_and_a_known_one_merges() {
    let (_dir, store, id) = read_env().await;
    let listed = ["89161000009".to_string()];
    crate::ops::dnc::add(&store, &Actor::cli(), "RU", &listed, "asked", Utc::now())
        .await
        .unwrap();
    let r = declined_then_posted(&store, contact("89161000009", "Б", Some("1")))
        .await
        .unwrap();
    assert_eq!((r.accepted, r.rejected.len()), (0, 1));
    assert!(r.rejected[0].reason.contains("do-not-call"), "{r:?}");
    let r = declined_then_posted(&store, contact("89161000001", "А", Some("10")))
        .await
        .unwrap();
    assert_eq!((r.accepted, r.duplicates), (0, 1), "{r:?}");
    assert_eq!(stored(&store, id).await, 1);
}
