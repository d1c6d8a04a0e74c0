//! `Store::write` (group commit on SQLite, a transaction per change on PostgreSQL), on both
//! backends: changes sent together all land but one that fails, which writes nothing (its
//! audit entry neither); each change's audit entry is in its transaction; concurrent callback
//! requests with one idempotency key store one job, and a repeated key uses up no id; contacts
//! posted one at a time, together, into a completed campaign reopen it, each with its audit entry.

mod store_support;

use futures::future::join_all;
use outcall::callback::CallbackRequest;
use outcall::import::ImportOptions;
use outcall::model::{Actor, CampaignStatus, ContactStatus, Role};
use outcall::ops::callbacks;
use outcall::ops::contacts::{self, ContactInput};
use outcall::store::{AuditQuery, NewAudit, Store, StoreError};
use store_support::*;

async fn add_number(s: &Store, phone: String, fail: bool) -> Result<u64, StoreError> {
    s.write(t(0), move |c| {
        Box::pin(async move {
            let added = c.dnc_add_many(std::slice::from_ref(&phone), "test").await?;
            let object = format!("dnc:{phone}");
            let entry = NewAudit {
                actor: "test",
                role: Role::Admin,
                action: "dnc.add",
                object: &object,
                before: None,
                after: None,
            };
            c.audit(&entry).await?;
            match fail {
                true => Err(StoreError::Invalid(format!("{phone} refused"))),
                false => Ok(added),
            }
        })
    })
    .await
}

async fn audited(s: &Store) -> Vec<String> {
    let q = AuditQuery {
        before_id: None,
        newest_first: false,
        limit: 1000,
        ..AuditQuery::default()
    };
    let page = s.audit_page(&q).await.unwrap();
    page.into_iter().map(|e| e.object).collect()
}

contract!(a_failing_change_fails_alone, |s: Store| async move {
    let phones: Vec<String> = (0..10).map(|i| format!("+7900555000{i}")).collect();
    let writes = phones
        .iter()
        .enumerate()
        .map(|(i, p)| add_number(&s, p.clone(), i % 4 == 1));
    let results = join_all(writes).await;
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.is_ok(), i % 4 != 1, "change {i}: {r:?}");
    }
    let listed: Vec<String> = s
        .dnc_list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.phone)
        .collect();
    let kept: Vec<String> = phones
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 != 1)
        .map(|(_, p)| p.clone())
        .collect();
    assert_eq!(listed, kept);
    let mut objects = audited(&s).await;
    objects.sort();
    let expected: Vec<String> = kept.iter().map(|p| format!("dnc:{p}")).collect();
    assert_eq!(
        objects, expected,
        "an audit entry for each change that stands, only"
    );
});

contract!(
    one_key_posted_at_once_stores_one_job,
    |s: Store| async move {
        let req: CallbackRequest = serde_json::from_value(serde_json::json!({
            "idempotency_key": "same",
            "managers": "+79161234567",
            "client": "+77011234567",
            "manager_trunks": ["sofia/gateway/gw/{number}"],
        }))
        .unwrap();
        let actor = Actor {
            name: "site".into(),
            role: Role::Backend,
        };
        let adds = (0..6).map(|_| callbacks::add(&s, &actor, "RU", &req, t(0)));
        let results = join_all(adds).await;
        let ids: Vec<i64> = results.iter().map(|r| r.as_ref().unwrap().0.id).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        let created = results.iter().filter(|r| r.as_ref().unwrap().1).count();
        assert_eq!(created, 1, "one request created it, the others found it");
        assert_eq!(s.callbacks_page(0, 100, None).await.unwrap().len(), 1);
        assert_eq!(audited(&s).await, vec![format!("callback:{}", ids[0])]);
    }
);

contract!(
    contacts_posted_together_reopen_a_completed_campaign,
    |s: Store| async move {
        // One contact, called and done: the campaign completes (its zone is recorded, so the
        // next posts write their audit entry and the reopening in one statement string on
        // SQLite).
        let id = running(&s, "posted", 1).await;
        let claimed = s
            .claim_due(id, t(10), &zones(), 10, "w1", t(100))
            .await
            .unwrap();
        s.release_contact(claimed[0].id, "w1", ContactStatus::Done, t(11))
            .await
            .unwrap();
        assert!(s.complete_if_done(id, t(12)).await.unwrap());
        let actor = Actor {
            name: "site".into(),
            role: Role::Backend,
        };
        let options = ImportOptions::new("RU");
        let inputs: Vec<Vec<ContactInput>> = (0..5)
            .map(|i| {
                vec![ContactInput {
                    phones: vec![format!("+7916000000{i}")],
                    name: format!("Posted {i}"),
                    vars: [("BALANCE".to_string(), "10".to_string())].into(),
                    timezone: None,
                }]
            })
            .collect();
        let posts = inputs
            .iter()
            .map(|list| contacts::add(&s, &actor, "posted", list, &options, t(20)));
        for r in join_all(posts).await {
            assert_eq!(r.unwrap().accepted, 1);
        }
        assert_eq!(
            s.campaign_status(id).await.unwrap().0,
            CampaignStatus::Running,
            "reopened by the new contacts"
        );
        assert_eq!(s.contacts_page(id, 0, 100).await.unwrap().len(), 6);
        let imports = audited(&s)
            .await
            .into_iter()
            .filter(|o| o == "campaign:posted")
            .count();
        assert_eq!(imports, 5, "one audit entry per post");
    }
);

contract!(a_repeated_key_uses_up_no_id, |s: Store| async move {
    let req = |key: &str| -> CallbackRequest {
        serde_json::from_value(serde_json::json!({
            "idempotency_key": key,
            "managers": "+79161234567",
            "client": "+77011234567",
            "manager_trunks": ["sofia/gateway/gw/{number}"],
        }))
        .unwrap()
    };
    let actor = Actor::cli();
    let (first, created) = callbacks::add(&s, &actor, "RU", &req("a"), t(0))
        .await
        .unwrap();
    assert!(created);
    let (again, created) = callbacks::add(&s, &actor, "RU", &req("a"), t(1))
        .await
        .unwrap();
    assert_eq!((again.id, created), (first.id, false), "the stored job");
    let (next, created) = callbacks::add(&s, &actor, "RU", &req("b"), t(2))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(next.id, first.id + 1, "the repeat took no id");
});
