//! Ringing a dial string: sequential groups of simultaneous legs, originate_timeout, the
//! first answer wins and the others end with LOSE_RACE. Used by the `originate` API and the
//! `bridge` application.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::channel::Profile;
use super::core::Core;
use super::dialstring::{DialString, Leg};
use super::leg::{spawn_leg, Go, LegCmd, LegSpec, Report};
use super::simtime::secs;

/// How to ring.
pub struct RingOpts {
    /// Seconds before ringing legs get NO_ANSWER (a leg's originate_timeout/leg_timeout wins).
    pub timeout: Option<u32>,
    pub cid_name: Option<String>,
    pub cid_num: Option<String>,
    /// For bridge: the A leg's uuid and profile.
    pub originator: Option<(String, Profile)>,
}

/// The result of ringing.
pub enum RingResult {
    /// A leg answered; tell it what to do next.
    Won {
        uuid: String,
        go: oneshot::Sender<Go>,
    },
    /// Every leg failed; ack lets the last failed leg finish its teardown.
    Failed {
        cause: &'static str,
        ack: Option<oneshot::Sender<()>>,
    },
}

/// Runs the ringing in its own task; `cancel` hangs up every ringing leg with that cause.
pub fn spawn_ring(
    core: Arc<Core>,
    dial: DialString,
    opts: RingOpts,
    cancel: oneshot::Receiver<&'static str>,
) -> oneshot::Receiver<RingResult> {
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let r = ring(&core, &dial, &opts, cancel).await;
        let _ = tx.send(r);
    });
    rx
}

fn leg_spec(core: &Core, leg: &Leg, opts: &RingOpts) -> LegSpec {
    let uuid = leg
        .var("origination_uuid")
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let outcome = {
        let mut st = core.rule_state.lock().unwrap_or_else(|e| e.into_inner());
        let gateway = leg
            .endpoint
            .split_once("sofia/gateway/")
            .and_then(|(_, rest)| rest.split('/').next());
        core.rules.pick_on(&leg.destination, gateway, &mut st)
    };
    let cid_name = leg
        .var("origination_caller_id_name")
        .map(str::to_string)
        .or_else(|| opts.cid_name.clone())
        .unwrap_or_else(|| "Outbound Call".into());
    let cid_num = leg
        .var("origination_caller_id_number")
        .map(str::to_string)
        .or_else(|| opts.cid_num.clone())
        .unwrap_or_else(|| "0000000000".into());
    LegSpec {
        uuid,
        endpoint: leg.endpoint.clone(),
        dest: leg.destination.clone(),
        vars: leg.vars.clone(),
        cid: (cid_name, cid_num),
        outcome,
        originator: opts.originator.clone(),
        inbound: false,
        initial: Vec::new(),
    }
}

fn leg_timeout(leg: &Leg, opts: &RingOpts) -> u32 {
    leg.var("originate_timeout")
        .or_else(|| leg.var("leg_timeout"))
        .and_then(|t| t.parse().ok())
        .or(opts.timeout)
        .unwrap_or(60)
}

async fn ring(
    core: &Arc<Core>,
    dial: &DialString,
    opts: &RingOpts,
    mut cancel: oneshot::Receiver<&'static str>,
) -> RingResult {
    let mut last_cause: &'static str = "NORMAL_CLEARING";
    let mut cancelled: Option<&'static str> = None;
    let ngroups = dial.groups.len();
    for (gi, group) in dial.groups.iter().enumerate() {
        if let Some(c) = cancelled {
            return RingResult::Failed {
                cause: c,
                ack: None,
            };
        }
        let (rep_tx, mut rep_rx) = mpsc::unbounded_channel::<Report>();
        let mut live: Vec<(String, mpsc::UnboundedSender<LegCmd>)> = Vec::new();
        let timeout = group
            .iter()
            .map(|l| leg_timeout(l, opts))
            .max()
            .unwrap_or(60);
        for leg in group {
            let spec = leg_spec(core, leg, opts);
            let uuid = spec.uuid.clone();
            match spawn_leg(core, spec, Some(rep_tx.clone())) {
                Ok(e) => live.push((uuid, e.tx)),
                Err(c) => last_cause = c,
            }
        }
        drop(rep_tx);
        let mut pending = live.len();
        let deadline = core.id.clock.deadline(secs(f64::from(timeout)));
        let mut timed_out = false;
        let mut last_ack = None;
        while pending > 0 {
            tokio::select! {
                rep = rep_rx.recv() => match rep {
                    Some(Report::Answered { uuid, go }) => {
                        for (u, tx) in &live {
                            if *u != uuid {
                                let _ = tx.send(LegCmd::Hangup("LOSE_RACE"));
                            }
                        }
                        return RingResult::Won { uuid, go };
                    }
                    Some(Report::Failed { cause, ack }) => {
                        last_cause = cause;
                        pending -= 1;
                        if pending == 0 {
                            last_ack = Some(ack);
                        } else {
                            let _ = ack.send(());
                        }
                    }
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline), if !timed_out => {
                    timed_out = true;
                    for (_, tx) in &live {
                        let _ = tx.send(LegCmd::Hangup("NO_ANSWER"));
                    }
                }
                c = &mut cancel, if cancelled.is_none() => {
                    let c = c.unwrap_or("ORIGINATOR_CANCEL");
                    cancelled = Some(c);
                    for (_, tx) in &live {
                        let _ = tx.send(LegCmd::Hangup(c));
                    }
                }
            }
        }
        if gi + 1 < ngroups && cancelled.is_none() {
            if let Some(a) = last_ack {
                let _ = a.send(());
            }
            continue;
        }
        return RingResult::Failed {
            cause: cancelled.unwrap_or(last_cause),
            ack: last_ack,
        };
    }
    RingResult::Failed {
        cause: cancelled.unwrap_or(last_cause),
        ack: None,
    }
}
