//! Bridging: the `bridge` application (ring B legs from a parked A leg, CHANNEL_BRIDGE, then
//! CHANNEL_UNBRIDGE when a side hangs up; the A leg stays parked) and `uuid_bridge` joins.

use std::time::Duration;

use tokio::sync::oneshot;

use super::causes;
use super::channel::OtherLeg;
use super::dialstring::parse_dial_string;
use super::leg::{origin, Actor, Go, Peer, Wake};
use super::originate::{spawn_ring, RingOpts, RingResult};

fn far() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400 * 365)
}

/// The `bridge <dialstring>` application on this (A) leg.
pub async fn bridge_app(a: &mut Actor, arg: &str) {
    let dial = match parse_dial_string(arg) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(%e, "bridge: bad dial string");
            set_failure(a, "INVALID_NUMBER_FORMAT");
            return;
        }
    };
    let (a_profile, cid) = {
        let c = a.ch();
        (
            (*c.profile).clone(),
            (c.profile.cid_name.clone(), c.profile.cid_num.clone()),
        )
    };
    if let Some(first) = dial.groups.first().and_then(|g| g.first()) {
        // The originate sets the caller's callee id at once, whatever the outcome.
        let mut c = a.ch();
        c.profile.get_mut().callee_name = "Outbound Call".into();
        c.profile.get_mut().callee_num = first.destination.clone();
    }
    let opts = RingOpts {
        timeout: None,
        cid_name: Some(cid.0),
        cid_num: Some(cid.1),
        originator: Some((a.uuid.clone(), a_profile.clone())),
    };
    let (cancel_tx, cancel_rx) = oneshot::channel();
    let mut cancel_tx = Some(cancel_tx);
    let mut res = spawn_ring(a.core.clone(), dial, opts, cancel_rx);
    let result = loop {
        tokio::select! {
            r = &mut res => break r,
            w = a.wait(Some(far()), false) => {
                if w == Wake::Hangup {
                    if let Some(c) = cancel_tx.take() {
                        let _ = c.send("ORIGINATOR_CANCEL");
                    }
                    break (&mut res).await;
                }
            }
        }
    };
    match result {
        Ok(RingResult::Won { uuid, go }) => {
            let Some(b) = a.core.channel(&uuid) else {
                let _ = go.send(Go::LoseRace);
                set_failure(a, "NORMAL_CLEARING");
                return;
            };
            let b_profile = b
                .data
                .lock()
                .map(|c| (*c.profile).clone())
                .unwrap_or_default();
            let me = Peer {
                uuid: a.uuid.clone(),
                tx: a.entry.tx.clone(),
                profile: (*a.ch().profile).clone(),
            };
            if a.hangup.is_some() {
                let _ = go.send(Go::LoseRace);
                return;
            }
            let _ = go.send(Go::Bridged(me));
            join(
                a,
                Peer {
                    uuid,
                    tx: b.tx,
                    profile: b_profile,
                },
                true,
            );
            stay_bridged(a).await;
            let hab = a.ch().var("hangup_after_bridge") == Some("true");
            if hab && a.hangup.is_none() {
                a.begin_hangup("NORMAL_CLEARING");
            }
        }
        Ok(RingResult::Failed { cause, ack }) => {
            set_failure(a, cause);
            if let Some(ack) = ack {
                let _ = ack.send(());
            }
        }
        Err(_) => set_failure(a, "NORMAL_TEMPORARY_FAILURE"),
    }
}

pub(super) fn set_failure(a: &Actor, cause: &str) {
    let mut c = a.ch();
    c.set_var("originate_disposition", Some(cause));
    c.set_var("originate_failed_cause", Some(cause));
    c.set_var("DIALSTATUS", Some(causes::dialstatus(cause)));
}

/// Waits while bridged; ends when the peer leaves (after this leg hung up, too).
async fn stay_bridged(a: &mut Actor) {
    loop {
        match a.wait(Some(far()), false).await {
            Wake::PeerGone => break,
            Wake::Hangup => {
                a.await_peer_gone(Duration::from_secs(5)).await;
                break;
            }
            _ => {}
        }
    }
    peer_left(a);
}

/// Joins a peer: this leg now talks to it; the A side fires CHANNEL_BRIDGE.
pub fn join(a: &mut Actor, peer: Peer, a_side: bool) {
    let now = a.now();
    let from_park = a.ch().current_app.is_none();
    if from_park {
        if let Some((app, arg, app_uuid)) = a.holding.take() {
            // uuid_bridge takes a parked channel out of park.
            a.fire("CHANNEL_UNPARK", origin::UNPARK, &[], &[]);
            super::apps::complete(a, &app, &arg, &app_uuid, "_none_");
        }
    }
    {
        let mut c = a.ch();
        let (pname, puuid) = (peer.profile.chan_name.clone(), peer.uuid.clone());
        c.other.set(Some(OtherLeg {
            kind: if a_side { "originatee" } else { "originator" },
            profile: peer.profile.clone(),
        }));
        c.profile.get_mut().times.bridged = now;
        c.profile.get_mut().callee_name = if peer.profile.cid_name.is_empty() {
            "Outbound Call".into()
        } else {
            peer.profile.cid_name.clone()
        };
        c.profile.get_mut().callee_num = peer.profile.destination.clone();
        for (k, v) in [
            ("bridge_channel", pname.as_str()),
            ("bridge_uuid", puuid.as_str()),
            ("signal_bond", puuid.as_str()),
            ("last_bridge_to", puuid.as_str()),
        ] {
            c.set_var(k, Some(v));
        }
        if a_side {
            c.set_var("originate_disposition", Some("SUCCESS"));
            c.set_var("DIALSTATUS", Some("SUCCESS"));
            c.set_var("last_bridge_role", Some("originator"));
        } else {
            c.set_var("last_bridge_role", Some("originatee"));
        }
    }
    a.a_side = a_side;
    let pre = bridge_ids(a, &peer.uuid);
    a.peer = Some(peer);
    if a_side {
        a.fire("CHANNEL_BRIDGE", origin::BRIDGE, &pre, &[]);
    }
}

fn bridge_ids(a: &Actor, peer: &str) -> Vec<(&'static str, String)> {
    let (x, y) = if a.a_side {
        (a.uuid.clone(), peer.to_string())
    } else {
        (peer.to_string(), a.uuid.clone())
    };
    vec![("Bridge-A-Unique-ID", x), ("Bridge-B-Unique-ID", y)]
}

/// The peer hung up: CHANNEL_UNBRIDGE on the A side and the bridge result variables.
/// Returns the peer that left.
pub fn peer_left(a: &mut Actor) -> Option<Peer> {
    let cause = a.peer_gone.take().unwrap_or("NORMAL_CLEARING");
    let peer = a.peer.take()?;
    {
        let mut c = a.ch();
        c.set_var("bridge_hangup_cause", Some(cause));
        c.set_var("last_bridge_hangup_cause", Some(cause));
    }
    if a.a_side {
        let pre = bridge_ids(a, &peer.uuid);
        a.fire("CHANNEL_UNBRIDGE", origin::UNBRIDGE, &pre, &[]);
    }
    Some(peer)
}
