//! `campaign why` and `contact why` for the CLI and the API: reads the snapshot from the store
//! (and what the front end knows of the switches and caps) and explains it with the pure
//! functions of `ops::explain`.

use chrono::{DateTime, Utc};

use super::explain::{
    explain_campaign, explain_contact, CampaignSnapshot, CampaignWhy, CapUse, ContactSnapshot,
    ContactWhy, OpenCall, SwitchState,
};
use super::{OpsError, Result};
use crate::config::GatewayLimits;
use crate::esl::command::app::gateway_of;
use crate::import::phone::PhoneNormalizer;
use crate::model::{ContactStatus, OpenAttempt};
use crate::store::Store;

/// What the front end knows beyond the store: the caps of outcall.toml and the switches.
#[derive(Debug, Clone, Default)]
pub struct WhyEnv {
    pub gateways: Vec<GatewayLimits>,
    /// Each node's name and `max_sessions`.
    pub nodes: Vec<(String, u32)>,
    /// `max_concurrent_calls` of the dialer; None: not known here.
    pub max_concurrent_calls: Option<u32>,
    pub switches: Vec<SwitchState>,
    /// Country of a phone asked about without `+`.
    pub default_country: String,
}

/// The facts of the campaign named `name` at `now`.
pub async fn campaign(
    store: &Store,
    env: &WhyEnv,
    name: &str,
    now: DateTime<Utc>,
) -> Result<CampaignWhy> {
    let c = store.campaign_by_name(name).await?;
    let counts = store.contact_counts(c.id).await?;
    let count = |s: ContactStatus| {
        counts
            .iter()
            .filter(|(k, _)| *k == s)
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    let open = store.open_attempts().await?;
    let snapshot = CampaignSnapshot {
        def: &c.definition,
        status: c.status,
        status_reason: c.status_reason.clone(),
        technical_streak: c.technical_streak,
        last_technical: store.last_technical_cause(c.id).await?,
        zones: store.due_by_zone(c.id, now).await?,
        finished: count(ContactStatus::Done) + count(ContactStatus::Exhausted),
        dialing: count(ContactStatus::Dialing),
        caps: caps(
            env,
            c.id,
            &c.definition.dial,
            c.definition.limits.lines,
            &open,
        ),
        switches: env.switches.clone(),
        now,
    };
    Ok(explain_campaign(&snapshot))
}

/// Every level a call of this campaign is counted against, with its live calls as the
/// database shows them (open attempts of every dialer).
fn caps(env: &WhyEnv, id: i64, dial: &str, lines: u32, open: &[OpenAttempt]) -> Vec<CapUse> {
    let n = |f: &dyn Fn(&OpenAttempt) -> bool| open.iter().filter(|a| f(a)).count() as u32;
    let mut out = vec![CapUse {
        level: "campaign lines".into(),
        in_use: n(&|a| a.campaign_id == id),
        limit: Some(lines),
        binds: false,
    }];
    if let Some(g) = gateway_of(dial) {
        out.push(CapUse {
            level: format!("gateway {g} lines"),
            in_use: n(&|a| a.gateway == g),
            limit: env.gateways.iter().find(|x| x.name == g).map(|x| x.lines),
            binds: false,
        });
    }
    for (node, max) in &env.nodes {
        out.push(CapUse {
            level: format!("node {node} sessions"),
            in_use: n(&|a| &a.node == node),
            limit: Some(*max),
            binds: false,
        });
    }
    if let Some(max) = env.max_concurrent_calls {
        out.push(CapUse {
            level: "all calls of a dialer (max_concurrent_calls)".into(),
            in_use: open.len() as u32,
            limit: Some(max),
            binds: false,
        });
    }
    out
}

/// The facts of every contact whose first phone is `phone` (in `campaign` only, when given).
pub async fn contact(
    store: &Store,
    env: &WhyEnv,
    phone: &str,
    campaign: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<ContactWhy>> {
    let normalizer = PhoneNormalizer::new(&env.default_country).map_err(OpsError::Invalid)?;
    let e164 = normalizer.normalize(phone).map_err(OpsError::Invalid)?;
    let only = match campaign {
        Some(name) => Some(store.campaign_by_name(name).await?.id),
        None => None,
    };
    let contacts = store.contacts_by_phone(&e164, only).await?;
    if contacts.is_empty() {
        let place = campaign.map_or("any campaign".to_string(), |c| format!("campaign `{c}`"));
        return Err(OpsError::NotFound(format!(
            "no contact of {place} has {e164} as its first phone"
        )));
    }
    let open = store.open_attempts().await?;
    let mut out = Vec::with_capacity(contacts.len());
    for c in &contacts {
        let rec = store.campaign(c.campaign_id).await?;
        let listed = store.dnc_among(&c.phones).await?;
        let open_call = open
            .iter()
            .find(|a| a.contact_id == c.id)
            .map(|a| OpenCall {
                uuid: a.uuid.clone(),
                node: a.node.clone(),
                owner: a.owner.clone(),
                started_at: a.started_at,
            });
        let snapshot = ContactSnapshot {
            def: &rec.definition,
            campaign_status: rec.status,
            contact: c,
            open_call,
            do_not_call: c
                .phones
                .iter()
                .filter(|p| listed.contains(*p))
                .cloned()
                .collect(),
            now,
        };
        out.push(explain_contact(&snapshot));
    }
    Ok(out)
}
