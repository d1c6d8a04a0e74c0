//! Import checks that depend on the campaign's script and on accounting exports (issue 16,
//! items 4 and 6): values a template filter cannot read reject their row with its line; column
//! mappings (`--map`, the campaign's `[import] map`); the columns found when a variable is
//! missing; toll-free numbers; a note for another country's number; exit code 3 when every row
//! was rejected; the attempts CSV for Excel.

use chrono::Utc;
use outcall::campaign::definition::CampaignDef;
use outcall::campaign::record::CampaignRecord;
use outcall::import::{import_file, ImportOptions, ImportReport};
use outcall::store::Store;

const DEMO: &str = include_str!("../campaigns/demo.toml");

struct Env {
    store: Store,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        Env {
            store: Store::connect(&url).await.unwrap(),
            dir,
        }
    }

    async fn demo(&self) -> CampaignRecord {
        let def = CampaignDef::from_toml_str(DEMO, "demo.toml").unwrap();
        self.store.create_campaign(&def, Utc::now()).await.unwrap()
    }

    async fn import(&self, c: &CampaignRecord, text: &str) -> ImportReport {
        self.import_mapped(c, text, &[]).await
    }

    async fn import_mapped(
        &self,
        c: &CampaignRecord,
        text: &str,
        map: &[(&str, &str)],
    ) -> ImportReport {
        let path = self.dir.path().join("in.csv");
        std::fs::write(&path, text).unwrap();
        let opts = ImportOptions {
            map: map
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            ..ImportOptions::new("RU")
        };
        import_file(&self.store, c, &path, &opts, Utc::now(), None)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_value_the_script_cannot_speak_rejects_its_row() {
    let e = Env::new().await;
    let c = e.demo().await;
    let r = e
        .import(
            &c,
            "NAME;PHONE;BALANCE\nИванов;89161001001;1234,56\nПопов;89161001002;abc\n",
        )
        .await;
    assert_eq!((r.accepted, r.rejected.len()), (1, 1), "{r:?}");
    assert_eq!(r.rejected[0].line, 3);
    let why = &r.rejected[0].reason;
    assert!(
        why.contains("BALANCE `abc` cannot be read by money_ru") && why.contains("script.nodes."),
        "{why}"
    );
}

/// An accounting export: its own column names.
const EXPORT: &str = "ФИО;Телефон;Сумма долга\nИванов;8 916 100-10-01;1234,56\nПетров;8 800 555-35-35;10\nСилва;+55 11 91234-5678;5\n";

#[tokio::test]
async fn columns_are_mapped_and_missing_variables_name_the_columns_found() {
    let e = Env::new().await;
    let c = e.demo().await;
    let r = e.import(&c, EXPORT).await;
    assert_eq!(r.accepted, 0, "{r:?}");
    let why = &r.rejected[0].reason;
    assert!(
        why.contains("missing variable BALANCE")
            && why.contains("columns: ФИО, Телефон, Сумма долга"),
        "{why}"
    );
    let r = e
        .import_mapped(&c, EXPORT, &[("сумма долга", "BALANCE")])
        .await;
    assert_eq!((r.accepted, r.rejected.len()), (3, 0), "{r:?}");
    let cs = e.store.contacts_page(c.id, 0, 100).await.unwrap();
    let phones: Vec<&str> = cs.iter().map(|c| c.phones[0].as_str()).collect();
    assert_eq!(
        phones,
        ["+79161001001", "+78005553535", "+5511912345678"],
        "toll-free kept"
    );
    assert_eq!(cs[0].vars["BALANCE"], "1234,56");
    // Brazil's number tells no zone (its zones keep different clocks), so its zone came from
    // the campaign: a note says so; none for the others.
    assert_eq!(r.warnings.len(), 1, "{r:?}");
    assert_eq!(r.warnings[0].line, 4);
    assert!(r.warnings[0].reason.contains("of BR"), "{r:?}");
    // The toll-free number (nation-wide) and Brazil's take the campaign's zone; Moscow's +7916
    // comes from the built-in table.
    assert_eq!((r.zones.builtin, r.zones.campaign), (1, 2), "{r:?}");
    // A mapping naming a column the file lacks refuses the file, listing what it has.
    let path = e.dir.path().join("in.csv");
    std::fs::write(&path, EXPORT).unwrap();
    let opts = ImportOptions {
        map: vec![("Долг".into(), "BALANCE".into())],
        ..ImportOptions::new("RU")
    };
    let err = import_file(&e.store, &c, &path, &opts, Utc::now(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`Долг`") && err.contains("found: ФИО"),
        "{err}"
    );
}

#[tokio::test]
async fn the_campaign_can_carry_its_column_mapping() {
    let e = Env::new().await;
    let toml = DEMO.replacen(
        "[script]",
        "[import]\nmap = { \"Сумма долга\" = \"BALANCE\" }\n\n[script]",
        1,
    );
    assert_ne!(toml, DEMO);
    let def = CampaignDef::from_toml_str(&toml, "demo.toml").unwrap();
    let c = e.store.create_campaign(&def, Utc::now()).await.unwrap();
    let r = e.import(&c, EXPORT).await;
    assert_eq!(r.accepted, 3, "{r:?}");
    let bad = DEMO.replacen(
        "[script]",
        "[import]\nmap = { \"A\" = \"B C\" }\n\n[script]",
        1,
    );
    let err = CampaignDef::from_toml_str(&bad, "demo.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("import.map"), "{err}");
}

#[test]
fn the_cli_maps_columns_and_exits_3_when_every_row_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_outcall"))
            .args(args)
            .env("OUTCALL_DATABASE_URL", &db)
            .env_remove("OUTCALL_CONFIG")
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/campaigns/demo.toml");
    assert!(run(&["campaign", "create", demo]).status.success());
    let csv = dir.path().join("export.csv");
    std::fs::write(&csv, EXPORT).unwrap();
    let csv = csv.to_str().unwrap();
    let out = run(&["import", csv, "--campaign", "demo"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("every one of the 3 rows was rejected"));
    let out = run(&[
        "import",
        csv,
        "--campaign",
        "demo",
        "--map",
        "Сумма долга=BALANCE",
    ]);
    assert!(out.status.success(), "{out:?}");
    let out = run(&["report", "demo", "--csv", "--excel"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stdout.starts_with("\u{feff}attempt_id,".as_bytes()),
        "{out:?}"
    );
    let out = run(&["report", "demo", "--csv"]);
    assert!(
        out.stdout.starts_with(b"attempt_id,"),
        "no BOM unless asked"
    );
}
