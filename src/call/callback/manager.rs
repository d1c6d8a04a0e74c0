//! Ringing the managers: one number at a time (sequential) or all at once in one originate
//! (parallel: FreeSWITCH's `,` legs; the first to answer wins and the switch ends the others with
//! LOSE_RACE). Each leg is written to the store before its originate. A leg that fails for a
//! technical reason (gateway down, temporary failure, ...) is tried once on each further trunk,
//! in order; busy, no answer and rejected are the manager's own answers and are not.

use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;

use super::line::{Leg, Line};
use super::{Ctx, LegRefused};
use crate::call::disposition::{cause_disposition, is_technical};
use crate::call::switch::{Events, SwitchError};
use crate::callback::record::Side;
use crate::callback::{CallbackStatus, DialMode};
use crate::esl::command::{app::dial_target, leg_group};
use crate::model::Disposition;

/// The cause on a leg written but never dialled (a later leg of its round was refused).
const NOT_DIALLED: &str = "NOT_DIALLED";

/// How the manager side ended.
pub(super) enum Reached {
    /// A manager answered; the channel is parked and ready for applications.
    Manager(Box<Line>),
    /// None did: the status says why.
    Not(CallbackStatus),
    /// A manager's number or the client's is in a live call: no further leg is dialled.
    Busy,
    /// The job's lease is gone (another dialer holds it): stop without recording.
    LeaseLost,
}

enum Round {
    Won(Box<Line>),
    /// Every leg ended: (number, cause) of each.
    Lost(Vec<(String, String)>),
    Busy,
    LeaseLost,
}

/// Rings the managers as the job says, trunk failover per leg.
pub(super) async fn call_managers(ctx: &Ctx<'_>) -> Reached {
    let spec = ctx.spec;
    let groups: Vec<Vec<String>> = match spec.dial_mode {
        DialMode::Sequential => spec.managers.iter().map(|m| vec![m.clone()]).collect(),
        DialMode::Parallel => vec![spec.managers.clone()],
    };
    let mut answers: Vec<Disposition> = Vec::new();
    for group in groups {
        let mut numbers = group;
        for (t, trunk) in spec.manager_trunks.iter().enumerate() {
            match ring(ctx, &numbers, trunk).await {
                Round::Won(line) => return Reached::Manager(line),
                Round::Busy => return Reached::Busy,
                Round::LeaseLost => return Reached::LeaseLost,
                Round::Lost(ends) => {
                    let last = t + 1 == spec.manager_trunks.len();
                    numbers = Vec::new();
                    for (number, cause) in ends {
                        if is_technical(&cause) || cause == "NO_CHANNEL" {
                            if last {
                                answers.push(Disposition::Technical);
                            } else {
                                numbers.push(number);
                            }
                        } else {
                            answers.push(cause_disposition(&cause));
                        }
                    }
                    if numbers.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    Reached::Not(manager_status(&answers))
}

/// The status when no manager answered: no answer beats busy beats rejected beats technical.
pub(super) fn manager_status(answers: &[Disposition]) -> CallbackStatus {
    let has = |d: Disposition| answers.contains(&d);
    if has(Disposition::NoAnswer) {
        CallbackStatus::ManagerNoAnswer
    } else if has(Disposition::Busy) {
        CallbackStatus::ManagerBusy
    } else if has(Disposition::Rejected) {
        CallbackStatus::ManagerRejected
    } else if has(Disposition::Technical) || answers.is_empty() {
        CallbackStatus::TechnicalFailure
    } else {
        CallbackStatus::ManagerNoAnswer
    }
}

/// One originate ringing `numbers` on `trunk`.
async fn ring(ctx: &Ctx<'_>, numbers: &[String], trunk: &str) -> Round {
    let mut legs: Vec<Leg> = Vec::new();
    let mut streams: Vec<Option<Events>> = Vec::new();
    let mut dial: Vec<(Vec<(String, String)>, String)> = Vec::new();
    for number in numbers {
        let uuid = uuid::Uuid::new_v4().to_string();
        let shown = ctx.caller_ids(number).to_manager;
        let Ok(endpoint) = dial_target(trunk, number) else {
            tracing::warn!(number = %number, trunk = %trunk, "manager number cannot be dialled");
            continue;
        };
        let row = match ctx
            .start_leg(Side::Manager, number, trunk, &uuid, &shown)
            .await
        {
            Ok(row) => row,
            Err(why) => {
                // Legs of this round written before it are never dialled: closed at once.
                for leg in &mut legs {
                    leg.progress.job_error = Some(NOT_DIALLED.into());
                    leg.close(ctx).await;
                }
                return match why {
                    LegRefused::Busy => Round::Busy,
                    LegRefused::Lost => Round::LeaseLost,
                };
            }
        };
        streams.push(ctx.switch.channel_events(&uuid).ok());
        legs.push(Leg::new(row, uuid.clone(), number.clone()));
        let vars = vec![
            ("origination_uuid".to_string(), uuid),
            ("origination_caller_id_number".to_string(), shown),
            ("outcall_callback".to_string(), ctx.rec.id.to_string()),
        ];
        dial.push((vars, endpoint));
    }
    if legs.is_empty() {
        return Round::Lost(Vec::new());
    }
    let timeout = (
        "originate_timeout".to_string(),
        ctx.spec.ring_timeout.to_string(),
    );
    let (vars, endpoint) = if dial.len() == 1 {
        let (mut vars, endpoint) = dial.remove(0);
        vars.push(timeout);
        (vars, endpoint)
    } else {
        let parts: Vec<Vec<(&str, &str)>> = dial
            .iter()
            .map(|(v, _)| v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
            .collect();
        let group: Vec<(&[(&str, &str)], &str)> = parts
            .iter()
            .zip(&dial)
            .map(|(v, (_, e))| (v.as_slice(), e.as_str()))
            .collect();
        match leg_group(&group) {
            Ok(g) => (vec![timeout], g),
            Err(e) => {
                tracing::warn!(error = %e, "cannot build the parallel legs");
                for leg in &mut legs {
                    leg.progress.job_error = Some("INVALID_GATEWAY".into());
                    leg.close(ctx).await;
                }
                return Round::Lost(legs.iter().map(|l| (l.number.clone(), l.cause())).collect());
            }
        }
    };
    ctx.env.metrics.originated();
    let originate = ctx.switch.originate(vars, endpoint, "&park()".into());
    follow(ctx, legs, streams, originate).await
}

/// Follows every leg of one originate until one is answered and parked, or all are over.
async fn follow(
    ctx: &Ctx<'_>,
    mut legs: Vec<Leg>,
    streams: Vec<Option<Events>>,
    originate: futures::future::BoxFuture<'_, Result<String, SwitchError>>,
) -> Round {
    let mut pending = FuturesUnordered::new();
    for (i, s) in streams.into_iter().enumerate() {
        match s {
            Some(s) => pending.push(async move { (i, s.into_future().await) }.boxed()),
            None => legs[i].progress.unreachable = true,
        }
    }
    let guard = ctx
        .env
        .clock
        .real(Duration::from_secs(ctx.spec.ring_timeout))
        * 2
        + Duration::from_secs(30);
    let deadline = tokio::time::sleep(guard);
    tokio::pin!(deadline, originate);
    let mut job: Option<Result<String, SwitchError>> = None;
    let mut winner: Option<(usize, Events)> = None;
    // After `+OK` a channel exists even if none of its events has come yet: wait for them (the
    // deadline above bounds the wait).
    loop {
        let ok = matches!(&job, Some(Ok(b)) if b.starts_with("+OK"));
        let failed = job.is_some() && !ok;
        let all_over = legs
            .iter()
            .all(|l| l.progress.ended() || (!l.progress.created && failed));
        if winner.is_some() || (all_over && job.is_some()) || pending.is_empty() {
            break;
        }
        tokio::select! {
            Some((i, (ev, rest))) = pending.next(), if !pending.is_empty() => {
                match ev {
                    Some(ev) => {
                        legs[i].progress.observe(ev, &ctx.env.clock);
                        if legs[i].progress.ready() {
                            winner = Some((i, rest));
                        } else if !legs[i].progress.ended() {
                            pending.push(async move { (i, rest.into_future().await) }.boxed());
                        }
                    }
                    None => legs[i].progress.unreachable = true,
                }
            }
            r = &mut originate, if job.is_none() => {
                let err = match &r {
                    Ok(body) if body.starts_with("+OK") => None,
                    Ok(body) => Some(body.trim().trim_start_matches("-ERR").trim().to_string()),
                    Err(SwitchError::Refused(m)) => Some(m.clone()),
                    Err(e) => Some(e.to_string()),
                };
                if let Some(cause) = err {
                    for leg in legs.iter_mut().filter(|l| l.progress.hangup.is_none()) {
                        leg.progress.job_error = Some(cause.clone());
                    }
                }
                job = Some(r);
            }
            _ = &mut deadline => {
                tracing::warn!("manager legs: no answer nor hangup in time; killing them");
                for leg in legs.iter_mut().filter(|l| !l.progress.ended()) {
                    let _ = ctx.switch.kill(&leg.uuid, "ALLOTTED_TIMEOUT").await;
                    leg.progress.job_error = Some("ALLOTTED_TIMEOUT".into());
                }
                break;
            }
        }
    }
    // The losers end on their own (LOSE_RACE): collect their ends, bounded.
    let drain = async {
        while let Some((i, (ev, rest))) = pending.next().await {
            if let Some(ev) = ev {
                legs[i].progress.observe(ev, &ctx.env.clock);
                if !legs[i].progress.ended() {
                    pending.push(async move { (i, rest.into_future().await) }.boxed());
                }
            }
        }
    };
    if winner.is_some() {
        let _ = tokio::time::timeout(Duration::from_secs(10), drain).await;
    }
    let mut won = None;
    let mut lost = Vec::new();
    for (i, mut leg) in legs.into_iter().enumerate() {
        match &winner {
            Some((w, _)) if *w == i => won = Some(leg),
            _ => {
                leg.close(ctx).await;
                lost.push((leg.number.clone(), leg.cause()));
            }
        }
    }
    match (won, winner) {
        (Some(leg), Some((_, events))) => Round::Won(Box::new(Line {
            leg,
            events,
            keys: Default::default(),
            digits: String::new(),
        })),
        _ => Round::Lost(lost),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_when_no_manager_answered() {
        use Disposition::*;
        assert_eq!(
            manager_status(&[Busy, NoAnswer]),
            CallbackStatus::ManagerNoAnswer
        );
        assert_eq!(
            manager_status(&[Busy, Technical]),
            CallbackStatus::ManagerBusy
        );
        assert_eq!(manager_status(&[Rejected]), CallbackStatus::ManagerRejected);
        assert_eq!(
            manager_status(&[Technical, Technical]),
            CallbackStatus::TechnicalFailure
        );
        assert_eq!(manager_status(&[]), CallbackStatus::TechnicalFailure);
        assert_eq!(
            manager_status(&[InvalidNumber]),
            CallbackStatus::ManagerNoAnswer
        );
    }
}
