//! Import checks that depend on the campaign's script and on accounting exports (issue 16,
//! items 4 and 6): values a template filter cannot read reject their row with its line.

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
        let path = self.dir.path().join("in.csv");
        std::fs::write(&path, text).unwrap();
        let opts = ImportOptions {
            default_country: "RU".into(),
            dry_run: false,
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
