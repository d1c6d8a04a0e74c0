//! The store's contract suite: the same test bodies run against SQLite (always, a temp file) and
//! PostgreSQL (when OUTCALL_TEST_POSTGRES_URL is set; each test in its own schema).

mod store_support;

use std::collections::HashSet;

use outcall::campaign::definition::CampaignDef;
use outcall::model::{CampaignStatus, ContactStatus, ContactUpdate, Disposition, StreakStep};
use outcall::store::{Store, StoreError};
use store_support::*;

contract!(campaign_lifecycle, |s: Store| async move {
    let c = s.create_campaign(&def("life"), t(0)).await.unwrap();
    assert_eq!(c.status, CampaignStatus::Draft);
    assert!(matches!(
        s.create_campaign(&def("life"), t(0)).await,
        Err(StoreError::CampaignExists(_))
    ));
    assert_eq!(s.campaign_by_name("life").await.unwrap().id, c.id);
    assert!(matches!(
        s.campaign_by_name("nope").await,
        Err(StoreError::NoSuchCampaign(_))
    ));
    s.set_campaign_status(c.id, CampaignStatus::Running, None, t(1))
        .await
        .unwrap();
    let e = s
        .set_campaign_status(c.id, CampaignStatus::Draft, None, t(2))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::BadTransition {
                from: CampaignStatus::Running,
                ..
            }
        ),
        "{e}"
    );
    s.set_campaign_status(
        c.id,
        CampaignStatus::Paused,
        Some("20 technical errors in a row"),
        t(3),
    )
    .await
    .unwrap();
    let (st, reason) = s.campaign_status(c.id).await.unwrap();
    assert_eq!(
        (st, reason.as_deref()),
        (CampaignStatus::Paused, Some("20 technical errors in a row"))
    );
    s.set_campaign_status(c.id, CampaignStatus::Running, None, t(4))
        .await
        .unwrap();
    assert_eq!(s.campaign_status(c.id).await.unwrap().1, None);
    assert_eq!(
        s.pause_all("pause-all", t(5)).await.unwrap(),
        vec!["life".to_string()]
    );
    s.set_campaign_status(c.id, CampaignStatus::Cancelled, None, t(6))
        .await
        .unwrap();
    assert!(s
        .set_campaign_status(c.id, CampaignStatus::Running, None, t(7))
        .await
        .is_err());
    let heads = s.campaign_heads().await.unwrap();
    assert_eq!(
        heads
            .iter()
            .filter(|c| c.status == CampaignStatus::Cancelled)
            .count(),
        1
    );
});

contract!(duplicates_merge_and_reopen, |s: Store| async move {
    let id = running(&s, "dups", 2).await;
    let mut again = contact("+79001000001", Some("Asia/Yekaterinburg"));
    again.vars.insert("BALANCE".into(), "-1.00".into());
    again.phones.push("+79001112233".into());
    let existed = s
        .add_contacts(
            id,
            "Europe/Moscow",
            &[again, contact("+79001000009", None)],
            t(0),
            t(1),
        )
        .await
        .unwrap();
    assert_eq!(existed, vec![true, false]);
    let page = s.contacts_page(id, 0, 10).await.unwrap();
    assert_eq!(page.len(), 3);
    let merged = page.iter().find(|c| c.phones[0] == "+79001000001").unwrap();
    assert_eq!(merged.vars["BALANCE"], "-1.00");
    assert_eq!(merged.phones, vec!["+79001000001", "+79001112233"]);
    assert_eq!(
        merged.timezone, "Europe/Moscow",
        "a merge never moves a contact's zone"
    );
    let known = s
        .existing_names(id, &["+79001000009".into(), "+70000000000".into()])
        .await
        .unwrap();
    assert_eq!(known.len(), 1, "{known:?}");
    assert!(known.contains_key("+79001000009"));
    // Finish everyone: the campaign completes; adding a contact reopens it.
    let claimed = s
        .claim_due(id, t(10), &zones(), 10, "w1", t(100))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    for c in &claimed {
        s.release_contact(c.id, "w1", ContactStatus::Done, t(11))
            .await
            .unwrap();
    }
    assert!(s.complete_if_done(id, t(12)).await.unwrap());
    assert_eq!(
        s.campaign_status(id).await.unwrap().0,
        CampaignStatus::Completed
    );
    s.add_contacts(
        id,
        "Europe/Moscow",
        &[contact("+79001000010", None)],
        t(13),
        t(13),
    )
    .await
    .unwrap();
    assert_eq!(
        s.campaign_status(id).await.unwrap().0,
        CampaignStatus::Running
    );
});

contract!(claim_respects_zone_due_and_status, |s: Store| async move {
    let c = s.create_campaign(&def("zones"), t(0)).await.unwrap();
    let rows = vec![
        contact("+79001000001", None),
        contact("+79001000002", Some("Asia/Vladivostok")),
        contact("+79001000003", None),
    ];
    s.add_contacts(c.id, "Europe/Moscow", &rows, t(0), t(0))
        .await
        .unwrap();
    s.add_contacts(
        c.id,
        "Europe/Moscow",
        &[contact("+79001000004", None)],
        t(500),
        t(0),
    )
    .await
    .unwrap();
    assert!(
        s.claim_due(c.id, t(10), &zones(), 10, "w", t(60))
            .await
            .unwrap()
            .is_empty(),
        "draft: nothing"
    );
    s.set_campaign_status(c.id, CampaignStatus::Running, None, t(0))
        .await
        .unwrap();
    assert_eq!(
        s.campaign_zones(c.id).await.unwrap(),
        vec!["Asia/Vladivostok", "Europe/Moscow"]
    );
    let got = s
        .claim_due(c.id, t(10), &zones(), 1, "w", t(60))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].vars["BALANCE"], "-68.27");
    assert_eq!(got[0].lease_until, t(60));
    let more = s
        .claim_due(c.id, t(10), &zones(), 10, "w", t(60))
        .await
        .unwrap();
    assert_eq!(more.len(), 1, "the not-yet-due and the other zone stay");
    assert_eq!(
        s.next_due_at(c.id, "Europe/Moscow").await.unwrap(),
        Some(t(500))
    );
    let all = vec!["Asia/Vladivostok".to_string(), "Europe/Moscow".to_string()];
    let rest = s
        .claim_due(c.id, t(1000), &all, 10, "w", t(1060))
        .await
        .unwrap();
    assert_eq!(rest.len(), 2);
    let counts = s.contact_counts(c.id).await.unwrap();
    assert!(counts.contains(&(ContactStatus::Dialing, 4)), "{counts:?}");
});

contract!(two_owners_never_share_a_contact, |s: Store| async move {
    let id = running(&s, "race", 300).await;
    let claim = |owner: &'static str| {
        let s = s.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = s
                    .claim_due(id, t(10), &zones(), 7, owner, t(600))
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|c| c.id));
            }
        })
    };
    let (a, b) = (claim("a"), claim("b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let all: HashSet<i64> = a.iter().chain(b.iter()).copied().collect();
    assert_eq!(all.len(), a.len() + b.len(), "a contact was leased twice");
    assert_eq!(all.len(), 300);
});

contract!(phone_busy_across_campaigns, |s: Store| async move {
    let one = running(&s, "one", 1).await;
    let two = running(&s, "two", 1).await;
    let a = s
        .claim_due(one, t(10), &zones(), 1, "a", t(600))
        .await
        .unwrap()
        .remove(0);
    let b = s
        .claim_due(two, t(10), &zones(), 1, "b", t(600))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(a.phones, b.phones);
    let phone = a.phones[0].clone();
    let first = s
        .start_attempt(a.id, "a", &attempt("u-1", &phone, t(11)), &[])
        .await
        .unwrap();
    let busy = s
        .start_attempt(b.id, "b", &attempt("u-2", &phone, t(12)), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(busy, StoreError::PhoneBusy(ref p) if *p == phone),
        "{busy}"
    );
    let dup = s
        .start_attempt(a.id, "a", &attempt("u-1", "+79990000000", t(12)), &[])
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::DuplicateUuid(_)), "{dup}");
    s.finish_attempt(
        first,
        "a",
        &result(Disposition::Answered, t(13)),
        &done(1),
        &[],
    )
    .await
    .unwrap();
    s.start_attempt(b.id, "b", &attempt("u-2", &phone, t(50)), &[])
        .await
        .unwrap();
});

contract!(stale_owner_cannot_finish, |s: Store| async move {
    let id = running(&s, "stale", 1).await;
    let c = s
        .claim_due(id, t(10), &zones(), 1, "old", t(20))
        .await
        .unwrap()
        .remove(0);
    let aid = s
        .start_attempt(c.id, "old", &attempt("u-s", &c.phones[0], t(11)), &[])
        .await
        .unwrap();
    // The old dialer stops renewing; its lease expires. Expiry does not free a contact whose
    // call may still be live; reconciliation adopts it instead.
    assert_eq!(s.release_expired_leases(t(30)).await.unwrap(), 0);
    let open = s.open_attempts().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].uuid.as_str(), open[0].owner.as_str()),
        ("u-s", "old")
    );
    assert!(
        s.adopt_attempt(aid, "new", t(15), t(90)).await.is_err(),
        "lease not expired yet"
    );
    s.adopt_attempt(aid, "new", t(30), t(90)).await.unwrap();
    let e = s
        .finish_attempt(
            aid,
            "old",
            &result(Disposition::Answered, t(31)),
            &done(1),
            &[],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::LeaseLost { contact_id } if contact_id == c.id),
        "{e}"
    );
    let still = s.contact(c.id).await.unwrap().unwrap();
    assert_eq!(
        (still.status, still.lease_owner.as_deref()),
        (ContactStatus::Dialing, Some("new"))
    );
    assert_eq!(
        s.open_attempts().await.unwrap().len(),
        1,
        "the stale finish changed nothing"
    );
    s.finish_attempt(
        aid,
        "new",
        &result(Disposition::NoAnswer, t(32)),
        &done(1),
        &[],
    )
    .await
    .unwrap();
    let e = s
        .finish_attempt(
            aid,
            "new",
            &result(Disposition::NoAnswer, t(33)),
            &done(1),
            &[],
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::AttemptNotOpen(_)), "{e}");
});

contract!(
    finish_writes_cdr_contact_and_streak,
    |s: Store| async move {
        let id = running(&s, "cdr", 4).await;
        let cs = s
            .claim_due(id, t(10), &zones(), 4, "w", t(600))
            .await
            .unwrap();
        let mut streak = 0;
        for (i, c) in cs.iter().enumerate() {
            let aid = s
                .start_attempt(
                    c.id,
                    "w",
                    &attempt(&format!("u{i}"), &c.phones[0], t(20)),
                    &[],
                )
                .await
                .unwrap();
            // Two technical errors count; a node's death (technical, kept) leaves the run as
            // it was; then a busy ends it.
            let d = if i < 3 {
                Disposition::Technical
            } else {
                Disposition::Busy
            };
            let mut r = result(d, t(21));
            if i == 2 {
                r.campaign_streak = StreakStep::Keep;
            }
            let upd = ContactUpdate {
                status: ContactStatus::Pending,
                attempts: 0,
                technical_streak: 1,
                next_attempt_at: Some(t(80)),
            };
            streak = s
                .finish_attempt(aid, "w", &r, &upd, &[])
                .await
                .unwrap()
                .campaign_technical_streak;
            if i == 1 || i == 2 {
                assert_eq!(streak, 2, "after result {i}");
            }
        }
        assert_eq!(
            streak, 0,
            "a non-technical result resets the campaign streak"
        );
        let c = s.contact(cs[0].id).await.unwrap().unwrap();
        assert_eq!(
            (c.status, c.next_attempt_at, c.last_disposition),
            (ContactStatus::Pending, t(80), Some(Disposition::Technical))
        );
        assert_eq!((c.technical_streak, c.lease_owner), (1, None));
        let cdr = s.campaign_attempts(id).await.unwrap();
        assert_eq!(cdr.len(), 4);
        assert_eq!(cdr[0].hangup_cause.as_deref(), Some("NORMAL_CLEARING"));
        assert_eq!(
            (cdr[0].sip_code, cdr[0].billsec, cdr[0].tags.clone()),
            (Some(200), Some(30), vec!["paid".to_string()])
        );
        assert_eq!(
            cdr[0].trace,
            ["[greeting]", "speak: hello"],
            "the call's trace is kept"
        );
        assert!(cdr[0].contact_name.starts_with("Name "));
        let by = s.disposition_counts(id).await.unwrap();
        assert_eq!(
            by,
            vec![(Disposition::Technical, 3), (Disposition::Busy, 1)]
        );
        let both = s.campaign_counts(id).await.unwrap();
        assert_eq!(both.attempts, by, "one round trip gives the same counts");
        assert_eq!(both.contacts, s.contact_counts(id).await.unwrap());
        assert_eq!(
            s.claim_due(id, t(79), &zones(), 9, "w", t(600))
                .await
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            s.claim_due(id, t(80), &zones(), 9, "w", t(600))
                .await
                .unwrap()
                .len(),
            4
        );
    }
);

contract!(leases_extend_expire_and_release, |s: Store| async move {
    let id = running(&s, "leases", 3).await;
    let cs = s
        .claim_due(id, t(10), &zones(), 3, "w", t(20))
        .await
        .unwrap();
    let ids: Vec<i64> = cs.iter().map(|c| c.id).collect();
    assert_eq!(s.extend_leases("w", &ids[..2], t(100)).await.unwrap(), 2);
    assert_eq!(s.extend_leases("other", &ids, t(100)).await.unwrap(), 0);
    assert_eq!(s.release_expired_leases(t(50)).await.unwrap(), 1);
    let back = s.contact(ids[2]).await.unwrap().unwrap();
    assert_eq!(
        (back.status, back.lease_owner),
        (ContactStatus::Pending, None)
    );
    let e = s
        .start_attempt(ids[2], "w", &attempt("late", &back.phones[0], t(51)), &[])
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::LeaseLost { .. }), "{e}");
    assert!(matches!(
        s.release_contact(ids[2], "w", ContactStatus::Pending, t(60))
            .await,
        Err(StoreError::LeaseLost { .. })
    ));
    s.release_contact(ids[0], "w", ContactStatus::Pending, t(70))
        .await
        .unwrap();
    assert_eq!(
        s.contact(ids[0]).await.unwrap().unwrap().next_attempt_at,
        t(70)
    );
});

contract!(
    a_restart_releases_its_unstarted_leases,
    |s: Store| async move {
        let id = running(&s, "restart", 4).await;
        let mine = s
            .claim_due(id, t(10), &zones(), 3, "w", t(600))
            .await
            .unwrap();
        let theirs = s
            .claim_due(id, t(10), &zones(), 1, "other", t(600))
            .await
            .unwrap();
        // One of mine has its call under way: it stays for reconciliation.
        let a = attempt("live", &mine[0].phones[0], t(11));
        s.start_attempt(mine[0].id, "w", &a, &[]).await.unwrap();
        assert_eq!(s.release_own_leases("w", t(12)).await.unwrap(), 2);
        let status = |c: Option<_>| c.map(|c: outcall::model::ContactRecord| c.status);
        for (c, want) in [
            (mine[0].id, ContactStatus::Dialing),
            (mine[1].id, ContactStatus::Pending),
            (mine[2].id, ContactStatus::Pending),
            (theirs[0].id, ContactStatus::Dialing),
        ] {
            assert_eq!(
                status(s.contact(c).await.unwrap()),
                Some(want),
                "contact {c}"
            );
        }
    }
);

contract!(defer_closed_zone, |s: Store| async move {
    let id = running(&s, "defer", 3).await;
    let text = s.campaign(id).await.unwrap().definition.source.clone();
    let stale = text.replace("defer", "defer-before");
    let tz = "Europe/Moscow";
    assert_eq!(s.defer_zone(id, tz, t(3600), &stale).await.unwrap(), 0);
    assert_eq!(s.defer_zone(id, tz, t(3600), &text).await.unwrap(), 3);
    assert_eq!(s.defer_zone(id, tz, t(3600), &text).await.unwrap(), 0);
    assert!(s
        .claim_due(id, t(3599), &zones(), 9, "w", t(4000))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.next_due_at(id, "Europe/Moscow").await.unwrap(),
        Some(t(3600))
    );
});

contract!(do_not_call_list, |s: Store| async move {
    assert!(s.dnc_add("+79001000000", "asked", t(0)).await.unwrap());
    assert!(!s.dnc_add("+79001000000", "again", t(1)).await.unwrap());
    assert_eq!(
        s.dnc_add_many(
            &["+79001000000".into(), "+79002000000".into()],
            "file",
            t(2)
        )
        .await
        .unwrap(),
        1
    );
    let list = s.dnc_list().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].reason, "asked");
    let id = running(&s, "dnc", 1).await;
    let c = s
        .claim_due(id, t(10), &zones(), 1, "w", t(600))
        .await
        .unwrap()
        .remove(0);
    let e = s
        .start_attempt(c.id, "w", &attempt("u", &c.phones[0], t(11)), &[])
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::DoNotCall(_)), "{e}");
    let mut change = s.change(t(12)).await.unwrap();
    assert!(change.dnc_remove("+79001000000").await.unwrap());
    change.commit().await.unwrap();
    assert!(!s.dnc_contains("+79001000000").await.unwrap());
    s.start_attempt(c.id, "w", &attempt("u", &c.phones[0], t(12)), &[])
        .await
        .unwrap();
});

contract!(definition_edits_follow_status, |s: Store| async move {
    let id = running(&s, "edit", 0).await;
    let wider =
        CampaignDef::from_toml_str(&def("edit").source.replace("lines = 3", "lines = 10"), "x")
            .unwrap();
    assert!(matches!(
        s.update_definition(id, &wider, t(1)).await,
        Err(StoreError::NotEditable { .. })
    ));
    let script_only = CampaignDef::from_toml_str(
        &def("edit")
            .source
            .replace("Спасибо. До свидания.", "Всего доброго."),
        "x",
    )
    .unwrap();
    s.update_definition(id, &script_only, t(2)).await.unwrap();
    assert!(s
        .campaign(id)
        .await
        .unwrap()
        .definition
        .source
        .contains("Всего доброго"));
    s.set_campaign_status(id, CampaignStatus::Paused, Some("edit"), t(3))
        .await
        .unwrap();
    s.update_definition(id, &wider, t(4)).await.unwrap();
    assert_eq!(s.campaign(id).await.unwrap().definition.limits.lines, 10);
});

contract!(rerun_resets_final_contacts, |s: Store| async move {
    let id = running(&s, "rerun", 2).await;
    for c in s
        .claim_due(id, t(10), &zones(), 2, "w", t(600))
        .await
        .unwrap()
    {
        s.release_contact(c.id, "w", ContactStatus::Exhausted, t(11))
            .await
            .unwrap();
    }
    assert!(s.complete_if_done(id, t(12)).await.unwrap());
    assert_eq!(s.rerun_campaign(id, t(100)).await.unwrap(), 2);
    assert_eq!(
        s.campaign_status(id).await.unwrap().0,
        CampaignStatus::Running
    );
    assert_eq!(
        s.claim_due(id, t(100), &zones(), 5, "w", t(600))
            .await
            .unwrap()
            .len(),
        2
    );
});

contract!(
    writer_tells_new_from_known_rows_in_any_order,
    |s: Store| async move {
        // +79001000000 and +79001000001 exist; new and known rows alternate in one batch.
        let id = running(&s, "mixed", 2).await;
        let mut w = s
            .contact_writer(id, "Europe/Moscow", t(0), t(1))
            .await
            .unwrap();
        let mut known = contact("+79001000001", None);
        known.vars.insert("NOTE".into(), "later".into());
        let batch = [
            contact("+79001000100", None),
            contact("+79001000000", None),
            contact("+79001000101", None),
            known,
            contact("+79001000102", None),
        ];
        assert_eq!(
            w.add(&batch).await.unwrap(),
            vec![false, true, false, true, false]
        );
        // A later batch of the same transaction: one row repeats a key the first batch inserted,
        // and a batch of known rows only.
        let again = [contact("+79001000103", None), contact("+79001000101", None)];
        assert_eq!(w.add(&again).await.unwrap(), vec![false, true]);
        let all_known = [contact("+79001000100", None), contact("+79001000000", None)];
        assert_eq!(w.add(&all_known).await.unwrap(), vec![true, true]);
        assert_eq!(w.inserted(), 4);
        w.commit().await.unwrap();
        let page = s.contacts_page(id, 0, 20).await.unwrap();
        assert_eq!(page.len(), 6, "2 before + 4 new, nothing twice");
        let merged = page.iter().find(|c| c.phones[0] == "+79001000001").unwrap();
        assert_eq!(merged.vars["NOTE"], "later");
    }
);

contract!(dropped_writer_rolls_back, |s: Store| async move {
    let id = running(&s, "rollback", 1).await;
    let mut w = s
        .contact_writer(id, "Europe/Moscow", t(0), t(1))
        .await
        .unwrap();
    w.add(&[contact("+79001000200", None)]).await.unwrap();
    drop(w);
    assert_eq!(s.contacts_page(id, 0, 20).await.unwrap().len(), 1);
});

contract!(
    a_kept_writer_commits_lets_others_write_and_goes_on,
    |s: Store| async move {
        // An import's writer commits about once a second and keeps its connection
        // (`commit_and_keep`): what it committed is visible, it holds no lock between batches
        // (another writer gets through), and its next batches and final commit still work.
        let id = running(&s, "kept", 1).await;
        let other = running(&s, "other", 0).await;
        let mut w = s
            .contact_writer(id, "Europe/Moscow", t(0), t(1))
            .await
            .unwrap();
        w.add(&[contact("+79001000300", None)]).await.unwrap();
        w.commit_and_keep().await.unwrap();
        assert_eq!(s.contacts_page(id, 0, 20).await.unwrap().len(), 2);
        let mut o = s
            .contact_writer(other, "Europe/Moscow", t(0), t(1))
            .await
            .unwrap();
        o.add(&[contact("+79001000400", None)]).await.unwrap();
        o.commit().await.unwrap();
        let known = contact("+79001000300", None);
        assert_eq!(
            w.add(&[known, contact("+79001000301", None)])
                .await
                .unwrap(),
            vec![true, false],
            "the committed row is known to the next batch"
        );
        w.commit_and_keep().await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(s.contacts_page(id, 0, 20).await.unwrap().len(), 3);
        assert_eq!(s.contacts_page(other, 0, 20).await.unwrap().len(), 1);
    }
);

/// A schema left by a test process that is gone is dropped when the same test runs again, so
/// the test database does not grow run after run (a live process's schema is left alone).
#[tokio::test]
async fn schemas_of_finished_runs_are_dropped() {
    let Ok(base) = std::env::var("OUTCALL_TEST_POSTGRES_URL") else {
        return;
    };
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    // Above Linux's largest pid: no such process.
    let dead = "t_stale_probe_4194399";
    let live = format!("t_stale_probe_{}", std::process::id());
    let parent = format!("t_stale_probe_{}", std::os::unix::process::parent_id());
    for s in [dead, parent.as_str()] {
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))
            .execute(&admin)
            .await
            .unwrap();
    }
    store_support::postgres("stale_probe")
        .await
        .expect("a schema");
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, 't_stale_probe_')",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    let names: Vec<String> = names.into_iter().map(|(n,)| n).collect();
    assert!(!names.contains(&dead.to_string()), "{names:?}");
    assert!(names.contains(&live), "this run's own schema: {names:?}");
    assert!(
        names.contains(&parent),
        "a live process's schema stays: {names:?}"
    );
    sqlx::query(&format!("DROP SCHEMA \"{parent}\""))
        .execute(&admin)
        .await
        .unwrap();
}
