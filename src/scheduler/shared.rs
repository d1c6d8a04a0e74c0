//! Caps across dialers sharing one database (issue 17): a campaign's lines and calls per second
//! and its gateway's caps are checked in the store when each attempt opens
//! ([`crate::store::Store::start_attempt_capped`]), and a campaign leases no more contacts than
//! its lines leave free across every dialer, so two dialers with `lines = 100` place 100 calls
//! between them, not 100 each. Turned off with `shared_caps = false` (per-process pacing only).

use crate::campaign::definition::CampaignDef;
use crate::config::GatewayLimits;
use crate::esl::command::app::gateway_of;
use crate::store::caps::{rate_window, Cap, SharedCaps};
use crate::store::{Result, Store};

/// The caps a campaign's attempts are checked against in the store: its own lines and cps, and
/// those of the gateway its dial string names when that gateway has caps. `scale` is the
/// engine clock's (rates are per real second; attempt times are clock time).
pub fn caps_of(def: &CampaignDef, gateways: &[GatewayLimits], scale: f64) -> SharedCaps {
    let campaign = Cap {
        lines: def.limits.lines,
        rate: rate_window(def.limits.cps, scale),
    };
    let gateway = gateway_of(&def.dial).and_then(|name| {
        let g = gateways.iter().find(|g| g.name == name)?;
        let cap = Cap {
            lines: g.lines,
            rate: g.cps.and_then(|cps| rate_window(cps, scale)),
        };
        Some((name.to_string(), cap))
    });
    SharedCaps {
        campaign: Some(campaign),
        gateway,
    }
}

/// How many more contacts of the campaign may be leased given what every dialer holds (its
/// contacts now `dialing`, claimed or in a call, anywhere), at most `local` (this process's own
/// free slots). A campaign without shared caps gets `local`.
pub async fn room(store: &Store, campaign_id: i64, caps: &SharedCaps, local: u32) -> Result<u32> {
    let Some(cap) = caps.campaign else {
        return Ok(local);
    };
    if local == 0 {
        return Ok(0);
    }
    let held = store.dialing_count(campaign_id).await?;
    Ok(local.min(free_lines(cap.lines, held)))
}

/// Lines left of `lines` when `held` are taken.
pub fn free_lines(lines: u32, held: u64) -> u32 {
    u64::from(lines)
        .saturating_sub(held)
        .try_into()
        .unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(dial: &str, lines: u32, cps: f64) -> CampaignDef {
        let toml = format!(
            "name = \"c\"\ncaller_id = \"74950000000\"\ntimezone = \"Europe/Moscow\"\n\
             dial = \"{dial}\"\n[limits]\nlines = {lines}\ncps = {cps}\n\
             [script]\nstart = \"h\"\n[script.nodes.h]\ntype = \"hangup\"\n"
        );
        CampaignDef::from_toml_str(&toml, "t").unwrap()
    }

    #[test]
    fn campaign_and_gateway_caps() {
        let gws = vec![GatewayLimits {
            name: "gw1".into(),
            lines: 7,
            cps: Some(2.0),
        }];
        let c = caps_of(&def("sofia/gateway/gw1/{number}", 3, 5.0), &gws, 1.0);
        let camp = c.campaign.unwrap();
        assert_eq!(camp.lines, 3);
        assert_eq!(camp.rate.unwrap().calls, 5);
        let (name, g) = c.gateway.unwrap();
        assert_eq!(
            (name.as_str(), g.lines, g.rate.unwrap().calls),
            ("gw1", 7, 2)
        );
        let other = caps_of(&def("sofia/gateway/gw2/{number}", 3, 5.0), &gws, 1.0);
        assert!(
            other.gateway.is_none(),
            "a gateway without caps is unlimited"
        );
    }

    #[test]
    fn lines_left() {
        assert_eq!(free_lines(10, 4), 6);
        assert_eq!(free_lines(10, 12), 0);
    }
}
