//! A contact's zone at import when its row has none: the user's prefix table, the built-in
//! numbering-plan table, the country's one zone, else the campaign's; the report counts each,
//! and the campaign's zone groups are what the scheduler plans over. Then `why` reads those
//! groups back, on SQLite and (when OUTCALL_TEST_POSTGRES_URL is set) PostgreSQL.

mod db_support;

use chrono::Utc;
use outcall::campaign::definition::CampaignDef;
use outcall::import::{import_file, ImportOptions};
use outcall::numbering::ZoneTable;
use outcall::ops::why::{self, WhyEnv};
use outcall::store::Store;

const DEMO: &str = include_str!("../campaigns/demo.toml");

#[tokio::test]
async fn zones_come_from_the_number_and_the_report_counts_them_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    zones_and_why(Store::connect(&url).await.unwrap(), dir).await;
}

#[tokio::test]
async fn zones_come_from_the_number_and_the_report_counts_them_postgres() {
    if let Some(url) = db_support::fresh_postgres_url("z", "zones_and_why").await {
        let dir = tempfile::tempdir().unwrap();
        zones_and_why(Store::connect(&url).await.unwrap(), dir).await;
    }
}

async fn zones_and_why(store: Store, dir: tempfile::TempDir) {
    let def = CampaignDef::from_toml_str(DEMO, "demo.toml").unwrap();
    let campaign = store.create_campaign(&def, Utc::now()).await.unwrap();
    let csv = "phone,timezone,balance\n\
               +79161234567,,1\n\
               +73832123456,,2\n\
               +74232123456,Asia/Tokyo,3\n\
               +74951234567,,4\n\
               +74114123456,,5\n\
               +375291234567,,6\n\
               +79541234567,,7\n\
               +12125551234,,8\n";
    let path = dir.path().join("z.csv");
    std::fs::write(&path, csv).unwrap();
    let opts = ImportOptions {
        // The operator knows +7495 123... is their Novosibirsk branch.
        zones: ZoneTable::with_user_csv("prefix,zone\n7495123,Asia/Novosibirsk\n").unwrap(),
        ..ImportOptions::new("RU")
    };
    let r = import_file(&store, &campaign, &path, &opts, Utc::now(), None)
        .await
        .unwrap();
    assert_eq!(r.accepted, 8, "{r:?}");
    let z = r.zones;
    assert_eq!(
        (z.column, z.user_table, z.builtin, z.country, z.campaign),
        (1, 1, 4, 1, 1),
        "{r:?}"
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["zones"],
        serde_json::json!({"column": 1, "user_table": 1, "builtin": 4, "country": 1, "campaign": 1})
    );
    let contacts = store.contacts_page(campaign.id, 0, 100).await.unwrap();
    let zone_of = |phone: &str| -> &str {
        let c = contacts.iter().find(|c| c.phones[0] == phone).unwrap();
        &c.timezone
    };
    assert_eq!(zone_of("+79161234567"), "Europe/Moscow");
    assert_eq!(zone_of("+73832123456"), "Asia/Novosibirsk");
    assert_eq!(zone_of("+74232123456"), "Asia/Tokyo");
    assert_eq!(zone_of("+74951234567"), "Asia/Novosibirsk");
    assert_eq!(
        zone_of("+74114123456"),
        "Asia/Khandyga,Asia/Srednekolymsk,Asia/Ust-Nera,Asia/Yakutsk"
    );
    assert_eq!(zone_of("+375291234567"), "Europe/Minsk");
    // A nation-wide range: nothing known, the campaign's zone.
    assert_eq!(zone_of("+79541234567"), "Europe/Moscow");
    assert_eq!(zone_of("+12125551234"), "America/New_York");
    let groups = store.campaign_zones(campaign.id).await.unwrap();
    assert!(
        groups.contains(&"Asia/Khandyga,Asia/Srednekolymsk,Asia/Ust-Nera,Asia/Yakutsk".to_string()),
        "{groups:?}"
    );
    // `why` over these groups a minute later; the demo window is always open.
    let now = Utc::now() + chrono::Duration::minutes(1);
    let env = WhyEnv {
        default_country: "RU".into(),
        ..WhyEnv::default()
    };
    let c = why::campaign(&store, &env, "demo", now).await.unwrap();
    assert_eq!(c.status, "draft");
    assert_eq!(c.zones.iter().map(|z| z.pending).sum::<u64>(), 8);
    assert_eq!(c.callable_now, 8, "{c:?}");
    assert_eq!(c.last_technical_cause, None);
    let k = why::contact(&store, &env, "8 383 212-34-56", None, now)
        .await
        .unwrap();
    assert_eq!(k.len(), 1);
    assert_eq!(
        (k[0].zone.as_str(), k[0].status.as_str()),
        ("Asia/Novosibirsk", "pending")
    );
    let only = why::contact(&store, &env, "+73832123456", Some("demo"), now).await;
    assert_eq!(only.unwrap().len(), 1);
}
