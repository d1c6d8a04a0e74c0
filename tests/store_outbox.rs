//! The webhook outbox's contract, on SQLite and PostgreSQL: deliveries are written with the
//! attempt row they report or not at all; leases never give one row to two workers; results are
//! fenced on the lease owner; a restarted owner takes its leases back.

mod store_support;

use std::collections::HashSet;

use outcall::model::{
    Delivery, DeliveryResult, DeliveryStatus, Disposition, NewDelivery, OutboxCounts, WebhookKind,
};
use outcall::store::{Store, StoreError};
use store_support::*;

async fn all(s: &Store) -> Vec<Delivery> {
    s.deliveries_page(0, 1000).await.unwrap()
}

contract!(rows_are_written_with_their_attempt, |s: Store| async move {
    let start = [
        hook("a", WebhookKind::CallStart, "http://crm/start"),
        hook("a", WebhookKind::CallStart, "http://crm/start"),
    ];
    let (_, aid) = started(&s, "rows", &start).await;
    let rows = s.attempt_deliveries(aid).await.unwrap();
    assert_eq!(rows.len(), 1, "a receiver listed twice gets an event once");
    let d = &rows[0];
    assert_eq!(
        (d.kind, d.status, d.attempts),
        (WebhookKind::CallStart, DeliveryStatus::Pending, 0)
    );
    assert_eq!((d.next_try_at, d.created_at), (t(11), t(11)), "due at once");
    assert_eq!(d.body, start[0].body, "the body is kept byte for byte");

    let end = [
        hook("a", WebhookKind::CallEnd, "http://crm/end"),
        hook("a", WebhookKind::CallEnd, "https://partner/end"),
    ];
    let r = result(Disposition::Answered, t(20));
    // A stale owner's result is refused, and so are its webhooks.
    let e = s
        .finish_attempt(aid, "other", &r, &done(1), &end)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::LeaseLost { .. }), "{e}");
    assert_eq!(s.attempt_deliveries(aid).await.unwrap().len(), 1);
    s.finish_attempt(aid, "w", &r, &done(1), &end)
        .await
        .unwrap();
    let rows = s.attempt_deliveries(aid).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows[1..]
        .iter()
        .all(|d| d.kind == WebhookKind::CallEnd && d.next_try_at == r.ended_at));
    // Finishing twice is refused and writes nothing more.
    assert!(s
        .finish_attempt(aid, "w", &r, &done(1), &end)
        .await
        .is_err());
    assert_eq!(all(&s).await.len(), 3);
});

contract!(a_refused_attempt_enqueues_nothing, |s: Store| async move {
    let id = running(&s, "refused", 2).await;
    let claimed = s
        .claim_due(id, t(10), &zones(), 2, "w", t(100))
        .await
        .unwrap();
    s.dnc_add(&claimed[0].phones[0], "asked", t(5))
        .await
        .unwrap();
    let hooks = [hook("x", WebhookKind::CallStart, "http://crm/start")];
    let e = s
        .start_attempt(
            claimed[0].id,
            "w",
            &attempt("x", &claimed[0].phones[0], t(11)),
            &hooks,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::DoNotCall(_)), "{e}");
    let e = s
        .start_attempt(
            claimed[1].id,
            "nobody",
            &attempt("y", &claimed[1].phones[0], t(11)),
            &hooks,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::LeaseLost { .. }), "{e}");
    assert!(all(&s).await.is_empty(), "no row for a call never recorded");
});

contract!(claims_lease_settle_and_take_back, |s: Store| async move {
    let hooks: Vec<NewDelivery> = (0..5)
        .map(|i| hook(&format!("e{i}"), WebhookKind::CallStart, "http://crm/h"))
        .collect();
    started(&s, "claims", &hooks).await;
    // Not due before its time; then leased to one worker only.
    assert!(s
        .claim_deliveries("w1", t(10), t(70), 10)
        .await
        .unwrap()
        .is_empty());
    let first = s.claim_deliveries("w1", t(12), t(70), 3).await.unwrap();
    let second = s.claim_deliveries("w2", t(12), t(70), 10).await.unwrap();
    assert_eq!((first.len(), second.len()), (3, 2));
    assert!(s
        .claim_deliveries("w3", t(13), t(70), 10)
        .await
        .unwrap()
        .is_empty());
    let ids = |v: &[Delivery]| v.iter().map(|d| d.id).collect::<HashSet<_>>();
    assert!(ids(&first).is_disjoint(&ids(&second)));
    assert_eq!(
        s.next_delivery_at().await.unwrap(),
        Some(t(70)),
        "leased rows wait for their lease"
    );

    let results = vec![
        (first[0].id, DeliveryResult::Delivered { at: t(14) }),
        (
            first[1].id,
            DeliveryResult::Retry {
                at: t(40),
                error: "HTTP 500".into(),
            },
        ),
        (
            first[2].id,
            DeliveryResult::Dead {
                at: t(14),
                error: "HTTP 410".into(),
            },
        ),
    ];
    // Only the holder of the lease may record a result.
    assert_eq!(s.settle_deliveries("w2", &results).await.unwrap(), 0);
    assert_eq!(s.settle_deliveries("w1", &results).await.unwrap(), 3);
    let counts = s.outbox_counts().await.unwrap();
    assert_eq!(
        counts,
        OutboxCounts {
            pending: 3,
            delivered: 1,
            dead: 1
        }
    );
    assert_eq!(s.outbox_depth().await.unwrap(), 3);
    let by_id = |id: i64, rows: &[Delivery]| rows.iter().find(|d| d.id == id).cloned().unwrap();
    let rows = all(&s).await;
    let delivered = by_id(first[0].id, &rows);
    assert_eq!(
        (delivered.attempts, delivered.delivered_at),
        (1, Some(t(14)))
    );
    let retried = by_id(first[1].id, &rows);
    assert_eq!(
        (
            retried.status,
            retried.next_try_at,
            retried.last_error.as_deref()
        ),
        (DeliveryStatus::Pending, t(40), Some("HTTP 500"))
    );
    let dead = by_id(first[2].id, &rows);
    assert_eq!(
        (dead.status, dead.attempts, dead.last_error.as_deref()),
        (DeliveryStatus::Dead, 1, Some("HTTP 410"))
    );

    // w2 was killed: its lease runs out and another worker gets the rows; or it restarts
    // and takes them back at once.
    assert!(s
        .claim_deliveries("w3", t(39), t(200), 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(s.release_deliveries("w2").await.unwrap(), 2);
    let again = s.claim_deliveries("w2", t(20), t(80), 10).await.unwrap();
    assert_eq!(
        ids(&again),
        ids(&second),
        "the retry of first[1] is not due yet"
    );
    let later = s.claim_deliveries("w3", t(90), t(200), 10).await.unwrap();
    assert_eq!(later.len(), 3, "the retry is due and w2's lease ran out");
    assert_eq!(later[2].id, first[1].id, "earliest due first");
});

contract!(
    concurrent_workers_never_share_a_row,
    |s: Store| async move {
        let hooks: Vec<NewDelivery> = (0..200)
            .map(|i| hook(&format!("c{i}"), WebhookKind::CallEnd, "http://crm/h"))
            .collect();
        started(&s, "concurrent", &hooks).await;
        let mut tasks = Vec::new();
        for w in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let owner = format!("w{w}");
                let mut got = Vec::new();
                loop {
                    let batch = s.claim_deliveries(&owner, t(30), t(300), 7).await.unwrap();
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch.into_iter().map(|d| d.id));
                }
            }));
        }
        let mut seen = HashSet::new();
        for task in tasks {
            for id in task.await.unwrap() {
                assert!(seen.insert(id), "row {id} was leased twice");
            }
        }
        assert_eq!(seen.len(), 200);
    }
);
