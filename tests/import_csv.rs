//! CSV import, rule by rule, with hand-written files; every test runs on SQLite and (when
//! OUTCALL_TEST_POSTGRES_URL is set) on PostgreSQL in its own schema. Every import is also made
//! from memory (`import_bytes`, the API's path for small inputs) into a twin campaign, which
//! must give the same report (or error) and the same contacts.

mod db_support;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};

use chrono::Utc;
use outcall::campaign::definition::CampaignDef;
use outcall::campaign::record::CampaignRecord;
use outcall::import::{
    import_bytes, import_file, ImportError, ImportOptions, ImportReport, Merge, SMALL_IMPORT_BYTES,
};
use outcall::model::ContactRecord;
use outcall::model::{CampaignStatus, ContactStatus};
use outcall::store::Store;

const DEMO: &str = include_str!("../campaigns/demo.toml");

struct Env {
    store: Store,
    dir: tempfile::TempDir,
    /// Each campaign's twin, imported into from memory.
    twins: std::sync::Mutex<std::collections::HashMap<i64, CampaignRecord>>,
}

async fn sqlite() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    Env {
        store: Store::connect(&url).await.unwrap(),
        dir,
        twins: Default::default(),
    }
}

async fn postgres(test: &str) -> Option<Env> {
    let url = db_support::fresh_postgres_url("i", test).await?;
    Some(Env {
        store: Store::connect(&url).await.unwrap(),
        dir: tempfile::tempdir().unwrap(),
        twins: Default::default(),
    })
}

macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let env = super::sqlite().await;
                run($body, env).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(env) = super::postgres(stringify!($name)).await {
                    run($body, env).await;
                }
            }
        }
    };
}

async fn run<F, Fut>(body: F, env: Env)
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    body(env).await
}

impl Env {
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    async fn campaign(&self, toml_text: &str) -> CampaignRecord {
        let def = CampaignDef::from_toml_str(toml_text, "test").unwrap();
        self.store.create_campaign(&def, Utc::now()).await.unwrap()
    }

    async fn demo(&self) -> CampaignRecord {
        self.campaign(DEMO).await
    }

    async fn import(
        &self,
        c: &CampaignRecord,
        path: &Path,
        dry_run: bool,
    ) -> Result<ImportReport, ImportError> {
        let opts = ImportOptions {
            dry_run,
            ..ImportOptions::new("RU")
        };
        let r = import_file(&self.store, c, path, &opts, Utc::now(), None).await;
        if let Ok(r) = &r {
            assert_eq!(
                r.rows,
                r.accepted + r.duplicates + r.rejected.len() as u64,
                "{r:?}"
            );
        }
        let small = std::fs::read(path)
            .ok()
            .filter(|b| b.len() <= SMALL_IMPORT_BYTES);
        if let Some(bytes) = small {
            let twin = self.twin(c).await;
            let m = import_bytes(&self.store, &twin, &bytes, path, &opts, Utc::now(), None).await;
            match (&r, &m) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "from memory"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "from memory"),
                _ => panic!("from a file {r:?}, from memory {m:?}"),
            }
            let view = |cs: Vec<ContactRecord>| {
                let mut v: Vec<_> = cs
                    .into_iter()
                    .map(|c| (c.phones, c.name, c.vars, c.timezone))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(
                view(self.contacts(c).await),
                view(self.contacts(&twin).await),
                "the same contacts from memory"
            );
        }
        r
    }

    /// The campaign's twin: the same definition under another name.
    async fn twin(&self, c: &CampaignRecord) -> CampaignRecord {
        if let Some(t) = self.twins.lock().unwrap().get(&c.id) {
            return t.clone();
        }
        let mut def = (*c.definition).clone();
        def.name = format!("{}-twin", c.name);
        let t = self.store.create_campaign(&def, Utc::now()).await.unwrap();
        self.twins.lock().unwrap().insert(c.id, t.clone());
        t
    }

    async fn contacts(&self, c: &CampaignRecord) -> Vec<ContactRecord> {
        self.store.contacts_page(c.id, 0, 100_000).await.unwrap()
    }
}

fn by_phone<'a>(cs: &'a [ContactRecord], phone: &str) -> &'a ContactRecord {
    cs.iter()
        .find(|c| c.phones[0] == phone)
        .unwrap_or_else(|| panic!("no contact {phone} in {cs:?}"))
}

fn lines(r: &ImportReport) -> Vec<u64> {
    r.rejected.iter().map(|x| x.line).collect()
}

const SEED: &str = "\"NAME\",\"PHONE_NUMBER\",\"USER_VARS\"\n\"Igor Lipko\",\"17605632123;79508881234\",\"BALANCE=-68.27\"\n\"Ilya mihailov\",\"7760569623\",\"BALANCE=-525.19\"\n";

both!(seed_layout, |e: Env| async move {
    let c = e.demo().await;
    let r = e
        .import(&c, &e.file("seed.csv", SEED.as_bytes()), false)
        .await
        .unwrap();
    assert_eq!(
        (r.rows, r.accepted, r.duplicates, r.rejected.len()),
        (2, 2, 0, 0),
        "{r:?}"
    );
    let cs = e.contacts(&c).await;
    let igor = by_phone(&cs, "+17605632123");
    assert_eq!(igor.phones, vec!["+17605632123", "+79508881234"]);
    assert_eq!(igor.name, "Igor Lipko");
    assert_eq!(
        igor.vars,
        BTreeMap::from([("BALANCE".to_string(), "-68.27".to_string())])
    );
    assert_eq!(igor.status, ContactStatus::Pending);
    // No TIMEZONE column: the first phone's area code (760, southern California) tells the
    // zone; Kazakh mobiles get Kazakhstan's zones, which keep one clock.
    assert_eq!(igor.timezone, "America/Los_Angeles");
    let ilya = by_phone(&cs, "+77760569623");
    assert_eq!(ilya.vars["BALANCE"], "-525.19");
    assert!(ilya.timezone.starts_with("Asia/Almaty,"), "{ilya:?}");
    let json = serde_json::to_value(&r).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "rows",
            "accepted",
            "duplicates",
            "rejected",
            "merged",
            "zones"
        ]
    );
});

both!(windows_1251_semicolons_and_bom_utf8, |e: Env| async move {
    let c = e.demo().await;
    let text = "Имя;Телефон;BALANCE;Договор\r\nИван Петров;8 916 123-45-67;-68,27;Д-1\r\n\"Анна; Смирнова\";9161234568;-1,00;Д-2\r\n";
    let cp = encoding_rs::WINDOWS_1251.encode(text).0;
    let r = e.import(&c, &e.file("cp.csv", &cp), false).await.unwrap();
    assert_eq!((r.accepted, r.rejected.len()), (2, 0), "{r:?}");
    let cs = e.contacts(&c).await;
    let ivan = by_phone(&cs, "+79161234567");
    assert_eq!(ivan.name, "Иван Петров");
    assert_eq!(ivan.vars["BALANCE"], "-68,27");
    assert_eq!(ivan.vars["ДОГОВОР"], "Д-1");
    assert_eq!(by_phone(&cs, "+79161234568").name, "Анна; Смирнова");
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice("phone\tИмя\tbalance\n9161234569\tЁжик\t5\n".as_bytes());
    let r = e.import(&c, &e.file("bom.tsv", &bom), false).await.unwrap();
    assert_eq!(r.accepted, 1, "{r:?}");
    let cs = e.contacts(&c).await;
    assert_eq!(by_phone(&cs, "+79161234569").name, "Ёжик");
    assert_eq!(by_phone(&cs, "+79161234569").vars["BALANCE"], "5");
});

both!(quoting_newlines_and_line_numbers, |e: Env| async move {
    let c = e.demo().await;
    let text = "Phone_Number,NAME,Balance,Note\r\n\
                9161230001,\"Multi\r\nLine, Name\",1,\"a \"\"quoted\"\" note\"\r\n\
                ,Nobody,2,x\r\n\
                \r\n\
                not-a-phone,Bad,3,y\r\n\
                9161230002,Ok,4,\"ends, here\"\r\n\
                9161230003,Extra,5,z,surplus\r\n";
    let r = e
        .import(&c, &e.file("q.csv", text.as_bytes()), false)
        .await
        .unwrap();
    assert_eq!(r.rows, 5, "blank lines are not rows: {r:?}");
    assert_eq!(lines(&r), vec![4, 6, 8], "{r:?}");
    assert!(r.rejected[0].reason.contains("no phone"), "{r:?}");
    assert!(r.rejected[1].reason.contains("not-a-phone"), "{r:?}");
    assert!(r.rejected[2].reason.contains("header has 4"), "{r:?}");
    let cs = e.contacts(&c).await;
    let multi = by_phone(&cs, "+79161230001");
    assert_eq!(multi.name, "Multi Line, Name");
    assert_eq!(multi.vars["NOTE"], "a \"quoted\" note");
    assert_eq!(by_phone(&cs, "+79161230002").vars["NOTE"], "ends, here");
});

both!(
    duplicates_of_one_person_merge_and_reimport_adds_nothing,
    |e: Env| async move {
        let c = e.demo().await;
        let text = "phone,balance,city\n8 916 123-45-67,1,Moscow\n9161234567,1,Moscow\n+7 916 123 45 68,3,Tver\n";
        let path = e.file("d.csv", text.as_bytes());
        let r = e.import(&c, &path, false).await.unwrap();
        assert_eq!((r.rows, r.accepted, r.duplicates), (3, 2, 1), "{r:?}");
        let into = |line, into_line| Merge { line, into_line };
        assert_eq!(r.merged, vec![into(3, Some(2))]);
        let again = e.import(&c, &path, false).await.unwrap();
        assert_eq!(
            (again.rows, again.accepted, again.duplicates),
            (3, 0, 3),
            "{again:?}"
        );
        assert_eq!(
            again.merged,
            vec![into(2, None), into(3, Some(2)), into(4, None)]
        );
        assert_eq!(e.contacts(&c).await.len(), 2);
    }
);

both!(
    rows_of_different_people_are_never_merged,
    |e: Env| async move {
        let c = e.demo().await;
        let mut text = String::from(
        "name,phone,balance\nИванов,89161001001,1234.56\nПопов,89161001001,200.00\n иванов ,8 916 100-10-01,1234.56\nСидоров,89161001002,5\nСидоров,89161001002,6\n",
    );
        // Past the first batch (2048 rows): the same checks against rows of earlier batches.
        for i in 0..2100 {
            text.push_str(&format!("Filler {i},7917{i:07},1\n"));
        }
        text.push_str("Попов,89161001001,200.00\nИванов,89161001001,1234.56\n");
        let path = e.file("people.csv", text.as_bytes());
        let r = e.import(&c, &path, false).await.unwrap();
        let (late_popov, late_ivanov) = (2107, 2108);
        assert_eq!(
            (r.rows, r.accepted, r.duplicates, lines(&r)),
            (2107, 2102, 2, vec![3, 6, late_popov]),
            "{r:?}"
        );
        let reasons: Vec<&str> = r.rejected.iter().map(|x| x.reason.as_str()).collect();
        assert!(
            reasons[0].contains("the phone of line 2 but another name (Попов, not Иванов)"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].contains("the phone of line 5 but another BALANCE (6, not 5)"),
            "{reasons:?}"
        );
        assert!(
            reasons[2].contains("the phone of line 2 but another name or other values"),
            "{reasons:?}"
        );
        let into = |line, into_line| Merge { line, into_line };
        assert_eq!(r.merged, vec![into(4, Some(2)), into(late_ivanov, Some(2))]);
        let cs = e.contacts(&c).await;
        let ivanov = by_phone(&cs, "+79161001001");
        assert_eq!(
            (ivanov.name.as_str(), ivanov.vars["BALANCE"].as_str()),
            ("Иванов", "1234.56")
        );
        // Later lists: another person with a stored contact's phone is refused; the same person's
        // new values are taken.
        let popov = "name,phone,balance\nПопов,89161001001,1\n";
        let r = e
            .import(&c, &e.file("popov.csv", popov.as_bytes()), false)
            .await
            .unwrap();
        assert_eq!(
            (r.accepted, r.duplicates, lines(&r)),
            (0, 0, vec![2]),
            "{r:?}"
        );
        assert!(
        r.rejected[0].reason.contains("the campaign already has +79161001001 for Иванов, and this row is another name (Попов, not Иванов)"),
        "{r:?}"
    );
        let ivanov = "name,phone,balance\nИванов,89161001001,99\n";
        let r = e
            .import(&c, &e.file("ivanov.csv", ivanov.as_bytes()), false)
            .await
            .unwrap();
        assert_eq!(
            (r.accepted, r.duplicates, r.merged.clone()),
            (0, 1, vec![into(2, None)]),
            "{r:?}"
        );
        let cs = e.contacts(&c).await;
        assert_eq!(by_phone(&cs, "+79161001001").vars["BALANCE"], "99");
    }
);

both!(duplicates_across_batches, |e: Env| async move {
    let c = e.demo().await;
    let mut text = String::from("phone,balance\n");
    for i in 0..9000 {
        text.push_str(&format!("7916{:07},{}\n", i % 6000, i % 6000));
    }
    let path = e.file("big.csv", text.as_bytes());
    let dry = e.import(&c, &path, true).await.unwrap();
    assert_eq!(
        (dry.rows, dry.accepted, dry.duplicates),
        (9000, 6000, 3000),
        "{dry:?}"
    );
    assert!(e.contacts(&c).await.is_empty(), "dry run wrote nothing");
    let r = e.import(&c, &path, false).await.unwrap();
    assert_eq!(
        (r.rows, r.accepted, r.duplicates),
        (dry.rows, dry.accepted, dry.duplicates)
    );
    let cs = e.contacts(&c).await;
    assert_eq!(cs.len(), 6000);
    assert_eq!(r.merged.len(), 3000);
    assert_eq!(
        r.merged[5],
        Merge {
            line: 6007,
            into_line: Some(7)
        },
        "row 6005 (line 6007) merged into row 5 (line 7)"
    );
});

both!(do_not_call_numbers_are_dropped, |e: Env| async move {
    let c = e.demo().await;
    e.store
        .dnc_add("+79161234567", "asked", Utc::now())
        .await
        .unwrap();
    let text = "name,phone,balance\nA,9161234567,1\nB,9161234567;9161234568,2\n";
    let r = e
        .import(&c, &e.file("dnc.csv", text.as_bytes()), false)
        .await
        .unwrap();
    assert_eq!((r.accepted, lines(&r)), (1, vec![2]), "{r:?}");
    assert!(r.rejected[0].reason.contains("do-not-call"), "{r:?}");
    assert_eq!(r.warnings.len(), 1, "the dropped phone is reported: {r:?}");
    assert_eq!(e.contacts(&c).await[0].phones, vec!["+79161234568"]);
});

both!(
    script_variables_and_timezones_are_checked,
    |e: Env| async move {
        let c = e.demo().await;
        let text = "phone,timezone,other\n9161230001,Asia/Yekaterinburg,1\n9161230002,,2\n9161230003,Mars/Base,3\n375291234567,,4\n";
        let r = e
            .import(&c, &e.file("v.csv", text.as_bytes()), false)
            .await
            .unwrap();
        assert_eq!(r.accepted, 0, "every row lacks BALANCE: {r:?}");
        assert!(
            r.rejected
                .iter()
                .all(|x| x.reason.contains("BALANCE") && x.reason.contains("script.nodes")),
            "{r:?}"
        );
        let text = text.replace("other", "balance");
        let r = e
            .import(&c, &e.file("v2.csv", text.as_bytes()), false)
            .await
            .unwrap();
        assert_eq!((r.accepted, lines(&r)), (3, vec![4]), "{r:?}");
        assert!(r.rejected[0].reason.contains("Mars/Base"), "{r:?}");
        // Yekaterinburg from the column; +7916 (a Moscow range) from the built-in table,
        // Belarus from its country's one zone.
        let z = r.zones;
        assert_eq!(
            (z.column, z.builtin, z.country, z.campaign),
            (1, 1, 1, 0),
            "{r:?}"
        );
        let cs = e.contacts(&c).await;
        assert_eq!(by_phone(&cs, "+79161230001").timezone, "Asia/Yekaterinburg");
        assert_eq!(by_phone(&cs, "+79161230002").timezone, "Europe/Moscow");
        assert_eq!(by_phone(&cs, "+375291234567").timezone, "Europe/Minsk");
        let zones = e.store.campaign_zones(c.id).await.unwrap();
        assert_eq!(
            zones,
            vec!["Asia/Yekaterinburg", "Europe/Minsk", "Europe/Moscow"]
        );
    }
);

both!(bad_files_change_nothing, |e: Env| async move {
    let c = e.demo().await;
    let good_then_broken = "phone,balance\n9161230001,1\n9161230002,\"2\n9161230003,3\n";
    let mut huge = b"phone,balance\n9161230001,1\n9161230002,".to_vec();
    huge.extend(std::iter::repeat_n(b'9', 100 * 1024 * 1024));
    huge.push(b'\n');
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01".to_vec(),
            "not a CSV",
        ),
        (
            "nul",
            b"phone,balance\n9161230001,1\n9161\x0030002,2\n".to_vec(),
            "line 3",
        ),
        (
            "quote",
            good_then_broken.as_bytes().to_vec(),
            "starts on line 3 is never closed",
        ),
        ("huge", huge, "longer than"),
        (
            "nophone",
            b"name,balance\nA,1\n".to_vec(),
            "no phone column",
        ),
        ("empty", b"\n\n".to_vec(), "empty"),
    ];
    for (name, bytes, expect) in cases {
        let err = e
            .import(&c, &e.file(name, &bytes), false)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect), "{name}: `{err}` lacks `{expect}`");
        assert!(err.contains("nothing was imported"), "{name}: {err}");
    }
    assert!(e.contacts(&c).await.is_empty());
    let missing = e
        .import(&c, Path::new("/nonexistent/x.csv"), false)
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
});

both!(
    importing_into_running_and_completed_campaigns,
    |e: Env| async move {
        let c = e.demo().await;
        e.store
            .set_campaign_status(c.id, CampaignStatus::Running, None, Utc::now())
            .await
            .unwrap();
        let r = e
            .import(
                &c,
                &e.file("a.csv", b"phone,balance\n9161230001,1\n"),
                false,
            )
            .await
            .unwrap();
        assert_eq!(r.accepted, 1);
        let now = Utc::now();
        let zones = vec!["Europe/Moscow".to_string()];
        let got = e
            .store
            .claim_due(
                c.id,
                now,
                &zones,
                10,
                "w",
                now + chrono::Duration::seconds(60),
            )
            .await
            .unwrap();
        e.store
            .release_contact(got[0].id, "w", ContactStatus::Done, now)
            .await
            .unwrap();
        assert!(e.store.complete_if_done(c.id, now).await.unwrap());
        let r = e
            .import(
                &c,
                &e.file("b.csv", b"phone,balance\n9161230002,1\n"),
                false,
            )
            .await
            .unwrap();
        assert_eq!(r.accepted, 1);
        assert_eq!(
            e.store.campaign_status(c.id).await.unwrap().0,
            CampaignStatus::Running,
            "reopened"
        );
    }
);

#[tokio::test]
async fn cli_json_and_exit_codes() {
    let env = sqlite().await;
    let db = format!("sqlite://{}", env.dir.path().join("t.db").display());
    let csv = env.file("seed.csv", SEED.as_bytes());
    let bin = env!("CARGO_BIN_EXE_outcall");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .env("OUTCALL_DATABASE_URL", &db)
            .env_remove("OUTCALL_CONFIG")
            .current_dir(env.dir.path())
            .output()
            .unwrap()
    };
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/campaigns/demo.toml");
    assert!(run(&["campaign", "create", demo]).status.success());
    let out = run(&[
        "import",
        csv.to_str().unwrap(),
        "--campaign",
        "demo",
        "--json",
        "--dry-run",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim(),
        r#"{"rows":2,"accepted":2,"duplicates":0,"rejected":[],"merged":[],"zones":{"column":0,"user_table":0,"builtin":1,"country":1,"campaign":0}}"#
    );
    assert_eq!(text.lines().count(), 1, "exactly one object");
    let bad = env.file("bad.csv", b"phone\n\"123\n");
    let out = run(&[
        "import",
        bad.to_str().unwrap(),
        "--campaign",
        "demo",
        "--json",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("never closed"));
    let out = run(&["import", csv.to_str().unwrap(), "--campaign", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no campaign named `nope`"));
    let out = run(&["campaign", "list"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("pending 0"),
        "dry run wrote nothing"
    );
}

/// An import and its audit entry are one transaction: while the audit log refuses writes (a
/// trigger), neither a file import nor contacts added as data leave a contact behind; once it
/// takes them, each import leaves exactly one entry with its counts.
#[tokio::test]
async fn the_audit_entry_stands_or_falls_with_the_contacts() {
    use outcall::model::Actor;
    use outcall::ops::contacts::{add, import, ContactInput};
    use outcall::store::AuditQuery;
    let e = sqlite().await;
    let c = e.demo().await;
    let url = format!("sqlite://{}", e.dir.path().join("t.db").display());
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log \
         BEGIN SELECT RAISE(ABORT, 'the audit log is down'); END",
    )
    .execute(&raw)
    .await
    .unwrap();
    let actor = Actor::cli();
    let opts = ImportOptions::new("RU");
    let file = e.file("a.csv", b"phone,balance\n9161230001,1\n9161230002,2\n");
    let one = vec![ContactInput {
        phones: vec!["9161230003".into()],
        vars: BTreeMap::from([("BALANCE".to_string(), "3".to_string())]),
        ..ContactInput::default()
    }];
    let now = Utc::now();
    let err = import(&e.store, &actor, &c.name, &file, &opts, now, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("audit log is down"), "{err}");
    let err = add(&e.store, &actor, &c.name, &one, &opts, now)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("audit log is down"), "{err}");
    assert!(
        e.contacts(&c).await.is_empty(),
        "no contact without its entry"
    );
    sqlx::query("DROP TRIGGER audit_down")
        .execute(&raw)
        .await
        .unwrap();
    import(&e.store, &actor, &c.name, &file, &opts, now, None)
        .await
        .unwrap();
    add(&e.store, &actor, &c.name, &one, &opts, now)
        .await
        .unwrap();
    assert_eq!(e.contacts(&c).await.len(), 3);
    let q = AuditQuery {
        before_id: None,
        newest_first: false,
        limit: 10,
        ..AuditQuery::default()
    };
    let log = e.store.audit_page(&q).await.unwrap();
    let accepted: Vec<_> = log
        .iter()
        .map(|a| {
            (
                a.action.as_str(),
                a.after.as_ref().unwrap()["accepted"].clone(),
            )
        })
        .collect();
    assert_eq!(
        accepted,
        vec![("contacts.import", 2.into()), ("contacts.import", 1.into())]
    );
}
