//! One live call per number across the two kinds of work (`store::in_call`), on SQLite and
//! PostgreSQL: a campaign attempt is refused while its phone has an open callback leg or is the
//! client of a running callback job; a callback leg is refused while its number (for a manager
//! leg, the client's too) has an open campaign attempt or an open leg of another job. Nothing is
//! written when refused; the number is free again once the other call has ended.

mod store_support;

use outcall::callback::record::{CallbackRecord, LegEnd, NewLeg, Side};
use outcall::callback::CallbackRequest;
use outcall::model::{Actor, ClaimedContact, Disposition};
use outcall::ops::callbacks;
use outcall::store::{Store, StoreError};
use serde_json::json;
use store_support::*;

/// A callback job (managers, client) stored and leased to `owner`.
async fn leased(s: &Store, managers: &str, client: &str, owner: &str) -> CallbackRecord {
    let req: CallbackRequest = serde_json::from_value(json!({
        "managers": managers,
        "client": client,
        "manager_trunks": ["sofia/gateway/t1/{number}"],
    }))
    .unwrap();
    let (rec, _) = callbacks::add(s, &Actor::cli(), "RU", &req, t(1))
        .await
        .unwrap();
    let got = s.claim_callbacks(t(2), 100, owner, t(600)).await.unwrap();
    assert!(got.iter().any(|r| r.id == rec.id), "leased");
    s.callback(rec.id).await.unwrap().unwrap()
}

/// A running campaign's one contact, leased to `a`: (campaign, contact).
async fn contact_leased(s: &Store, name: &str) -> (i64, ClaimedContact) {
    let camp = running(s, name, 1).await;
    let mut got = s
        .claim_due(camp, t(10), &zones(), 1, "a", t(600))
        .await
        .unwrap();
    (camp, got.remove(0))
}

fn leg(rec: &CallbackRecord, side: Side, number: &str, uuid: &str) -> NewLeg {
    NewLeg {
        callback_id: rec.id,
        call_no: rec.calls,
        side,
        number: number.into(),
        trunk: "sofia/gateway/t1/{number}".into(),
        uuid: uuid.into(),
        caller_id: "74950000000".into(),
        node: "fs1".into(),
        started_at: t(3),
        client: rec.spec.client.clone(),
    }
}

fn ended(at: i64) -> LegEnd {
    LegEnd {
        answered_at: None,
        ended_at: t(at),
        cause: "NORMAL_CLEARING".into(),
        sip_code: None,
    }
}

#[track_caller]
fn assert_busy<T: std::fmt::Debug>(r: Result<T, StoreError>, number: &str) {
    match r {
        Err(StoreError::PhoneBusy(n)) => assert_eq!(n, number),
        other => panic!("{number} should be busy: {other:?}"),
    }
}

contract!(campaign_waits_for_a_live_callback, |s: Store| async move {
    let (camp, c) = contact_leased(&s, "in-call").await;
    let (manager, client) = ("+79162220001", "+77011112233");
    let job = leased(&s, manager, client, "cb").await;
    // The client of a running job is reserved before its leg is dialled.
    assert_busy(
        s.start_attempt(c.id, "a", &attempt("u-1", client, t(11)), &[])
            .await,
        client,
    );
    // A manager with an open leg is in a call.
    let m = s
        .callback_leg_start(&leg(&job, Side::Manager, manager, "m-1"), "cb")
        .await
        .unwrap();
    assert_busy(
        s.start_attempt(c.id, "a", &attempt("u-2", manager, t(12)), &[])
            .await,
        manager,
    );
    assert!(
        s.campaign_attempts(camp).await.unwrap().is_empty(),
        "nothing written"
    );
    s.callback_leg_end(m, &ended(13)).await.unwrap();
    s.start_attempt(c.id, "a", &attempt("u-3", manager, t(14)), &[])
        .await
        .unwrap();
});

contract!(
    callback_waits_for_a_live_campaign_call,
    |s: Store| async move {
        let (_, c) = contact_leased(&s, "in-call-2").await;
        let (manager, client) = ("+79162220001", "+77011112233");
        let open = s
            .start_attempt(c.id, "a", &attempt("u-1", client, t(11)), &[])
            .await
            .unwrap();
        let job = leased(&s, manager, client, "cb").await;
        // A manager leg is refused while the client is in a campaign call: the manager is not rung.
        assert_busy(
            s.callback_leg_start(&leg(&job, Side::Manager, manager, "m-1"), "cb")
                .await,
            client,
        );
        assert_busy(
            s.callback_leg_start(&leg(&job, Side::Client, client, "c-1"), "cb")
                .await,
            client,
        );
        assert!(
            s.callback_legs(job.id).await.unwrap().is_empty(),
            "nothing written"
        );
        s.finish_attempt(
            open,
            "a",
            &result(Disposition::Answered, t(20)),
            &done(1),
            &[],
        )
        .await
        .unwrap();
        s.callback_leg_start(&leg(&job, Side::Manager, manager, "m-2"), "cb")
            .await
            .unwrap();
    }
);

contract!(two_callbacks_never_share_a_number, |s: Store| async move {
    let one = leased(&s, "+79162220001", "+77011112233", "cb").await;
    let two = leased(&s, "+79162220001", "+77011119999", "cb").await;
    let m = s
        .callback_leg_start(&leg(&one, Side::Manager, "+79162220001", "m-1"), "cb")
        .await
        .unwrap();
    assert_busy(
        s.callback_leg_start(&leg(&two, Side::Manager, "+79162220001", "m-2"), "cb")
            .await,
        "+79162220001",
    );
    s.callback_leg_end(m, &ended(20)).await.unwrap();
    s.callback_leg_start(&leg(&two, Side::Manager, "+79162220001", "m-3"), "cb")
        .await
        .unwrap();
});
