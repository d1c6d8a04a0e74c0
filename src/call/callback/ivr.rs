//! The answered manager: recording, the text spoken `repeats` times while the manager's keys are
//! heard (connect, cancel 708, postpone, cancel later recalls, extra information, `#` = the
//! information spoken by itself), then the client bridged after the delay (trunk failover), then
//! the keys that still count after the client call (postpone, cancel recalls).

use std::time::Duration;

use futures::StreamExt;

use super::line::{Leg, Line, Woke};
use super::{Ctx, LegRefused};
use crate::call::disposition::{cause_disposition, is_technical, normalise_cause};
use crate::callback::record::Side;
use crate::callback::CallbackStatus;
use crate::esl::command::app;
use crate::model::Disposition;

/// The TTS engine the texts are spoken with (see freeswitch/: espeak-ng for Russian).
const TTS_ENGINE: &str = "tts_commandline";
/// How long the manager may still press postpone or cancel-recalls after the client call.
pub const AFTER_CALL: Duration = Duration::from_secs(10);

/// What the manager chose before the client call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Choice {
    Connect,
    Cancel,
    Postpone,
    /// 16 or more repeats and no key; or the manager hung up first.
    NoConfirmation,
}

/// What the key means.
fn meaning(ctx: &Ctx<'_>, k: char) -> Option<&'static str> {
    let s = ctx.spec;
    let is = |d: Option<char>| d == Some(k);
    if is(s.connect_digit) {
        Some("connect")
    } else if is(s.cancel_digit) {
        Some("cancel")
    } else if is(s.postpone_digit) {
        Some("postpone")
    } else if is(s.cancel_recalls_digit) {
        Some("cancel_recalls")
    } else if is(s.info_digit) {
        Some("info")
    } else {
        None
    }
}

fn keys(ctx: &Ctx<'_>) -> Vec<char> {
    let s = ctx.spec;
    [
        s.connect_digit,
        s.cancel_digit,
        s.postpone_digit,
        s.cancel_recalls_digit,
        s.info_digit,
    ]
    .into_iter()
    .flatten()
    .filter(|d| *d != '#')
    .collect()
}

fn speak(ctx: &Ctx<'_>, text: &str) -> Option<crate::esl::command::AppCall> {
    match app::speak(TTS_ENGINE, &ctx.spec.voice, text) {
        Ok(a) => Some(a),
        Err(e) => {
            tracing::warn!(error = %e, "text cannot be spoken");
            None
        }
    }
}

/// Recording, text and keys until the manager's choice. `cancel_recalls` is set by that key.
pub(super) async fn confirm(ctx: &Ctx<'_>, line: &mut Line, cancel_recalls: &mut bool) -> Choice {
    if let Ok(rec) = app::record_session(&ctx.recording, None) {
        if line.run(ctx, &rec, &[]).await == Woke::HungUp {
            return Choice::NoConfirmation;
        }
    }
    if let Some(ext) = &ctx.spec.extension {
        let delay = Duration::from_millis(ctx.spec.extension_delay_ms);
        if line.wait(ctx, delay, &[]).await == Woke::HungUp {
            return Choice::NoConfirmation;
        }
        if let Ok(dtmf) = app::send_dtmf(ext) {
            if line.run(ctx, &dtmf, &[]).await == Woke::HungUp {
                return Choice::NoConfirmation;
            }
        }
    }
    let wanted = keys(ctx);
    let text = speak(ctx, &ctx.spec.text);
    let info = ctx.spec.info.as_deref().and_then(|i| speak(ctx, i));
    let mut info_now = ctx.spec.info_digit == Some('#');
    for _ in 0..ctx.spec.repeats {
        let mut woke = match &text {
            Some(t) => line.run(ctx, t, &wanted).await,
            None => Woke::Done,
        };
        loop {
            if woke == Woke::Done && info_now {
                info_now = false;
                if let Some(i) = &info {
                    woke = line.run(ctx, i, &wanted).await;
                    continue;
                }
            }
            match woke {
                Woke::HungUp => return Choice::NoConfirmation,
                Woke::Done => break,
                Woke::Key(k) => match meaning(ctx, k) {
                    Some("connect") => return Choice::Connect,
                    Some("cancel") => {
                        *cancel_recalls = true;
                        line.hang_up(ctx).await;
                        return Choice::Cancel;
                    }
                    Some("postpone") => {
                        line.hang_up(ctx).await;
                        return Choice::Postpone;
                    }
                    Some("cancel_recalls") => *cancel_recalls = true,
                    Some("info") => info_now = true,
                    _ => {}
                },
            }
            // A key that does not end the prompt: hear the rest of this repeat's keys.
            woke = if info_now {
                Woke::Done
            } else {
                line.wait(ctx, Duration::ZERO, &wanted).await
            };
        }
    }
    if ctx.spec.auto_connect() {
        Choice::Connect
    } else {
        line.hang_up(ctx).await;
        Choice::NoConfirmation
    }
}

/// How the client side ended.
pub(super) enum ClientEnd {
    /// Bridged; talk time in ms.
    Talked(i64),
    /// The manager cancelled (708) or postponed during the delay.
    Chose(Choice),
    /// The client was not reached (status says why), or the manager left first.
    Not(CallbackStatus),
    /// The client's leg was refused (the number is in a live call, or the lease is lost).
    Refused(LegRefused),
}

/// The delay, the phrase, then the client bridged to the manager, trunk by trunk.
pub(super) async fn call_client(
    ctx: &Ctx<'_>,
    line: &mut Line,
    cancel_recalls: &mut bool,
) -> ClientEnd {
    ctx.progress(CallbackStatus::CallingClient).await;
    let before: Vec<char> = [
        ctx.spec.cancel_digit,
        ctx.spec.postpone_digit,
        ctx.spec.cancel_recalls_digit,
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut delay = Duration::from_millis(ctx.spec.client_delay_ms);
    loop {
        let started = tokio::time::Instant::now();
        match line.wait(ctx, delay, &before).await {
            Woke::HungUp => return ClientEnd::Not(CallbackStatus::ManagerNoConfirmation),
            Woke::Done => break,
            Woke::Key(k) if Some(k) == ctx.spec.cancel_digit => {
                *cancel_recalls = true;
                line.hang_up(ctx).await;
                return ClientEnd::Chose(Choice::Cancel);
            }
            Woke::Key(k) if Some(k) == ctx.spec.postpone_digit => {
                line.hang_up(ctx).await;
                return ClientEnd::Chose(Choice::Postpone);
            }
            Woke::Key(_) => {
                *cancel_recalls = true;
                let spent = ctx.env.clock_span(started.elapsed());
                delay = delay.saturating_sub(spent);
            }
        }
    }
    if let Some(p) = speak(ctx, &ctx.spec.client_phrase) {
        if line.run(ctx, &p, &[]).await == Woke::HungUp {
            return ClientEnd::Not(CallbackStatus::ManagerNoConfirmation);
        }
    }
    let mut causes = Vec::new();
    let client = ctx.spec.client.clone();
    for trunk in &ctx.spec.client_trunks {
        let uuid = uuid::Uuid::new_v4().to_string();
        let shown = ctx.caller_ids(&line.leg.number).to_client;
        let Ok(dial) = app::dial_target(trunk, &client) else {
            causes.push("INVALID_NUMBER_FORMAT".to_string());
            break;
        };
        let ring = ctx.spec.ring_timeout.to_string();
        let vars = [
            ("origination_uuid", uuid.as_str()),
            ("origination_caller_id_number", shown.as_str()),
            ("leg_timeout", ring.as_str()),
        ];
        let Ok(bridge) = app::bridge(&vars, &dial) else {
            causes.push("INVALID_GATEWAY".to_string());
            continue;
        };
        let row = match ctx
            .start_leg(Side::Client, &client, trunk, &uuid, &shown)
            .await
        {
            Ok(row) => row,
            Err(why) => return ClientEnd::Refused(why),
        };
        let mut leg = Leg::new(row, uuid.clone(), client.clone());
        let mut b_events = ctx.switch.channel_events(&uuid).ok();
        let done = bridge_once(ctx, line, &bridge).await;
        if let Some(ev) = b_events.as_mut() {
            // The B leg's end comes with the bridge's; a leg never created has no events.
            let bound = if leg.progress.created || done.answered {
                10
            } else {
                1
            };
            let follow = async {
                while !leg.progress.ended() {
                    match ev.next().await {
                        Some(e) => leg.progress.observe(e, &ctx.env.clock),
                        None => break,
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(bound), follow).await;
        }
        if leg.progress.hangup.is_none() {
            leg.progress.job_error = Some(done.cause.clone());
        }
        leg.close(ctx).await;
        if done.answered || leg.progress.answered_at.is_some() {
            // Talk time: from the bridge to the unbridge, as the manager's channel saw them.
            let p = &line.leg.progress;
            let from = p.bridged_at.or(leg.progress.answered_at);
            let to = p.unbridged_at.unwrap_or_else(|| ctx.env.clock.now());
            let talk = from.map_or(0, |a| (to - a).num_milliseconds().max(0));
            return ClientEnd::Talked(talk);
        }
        let cause = leg.cause();
        causes.push(cause.clone());
        if line.leg.progress.ended() {
            return ClientEnd::Not(CallbackStatus::ManagerNoConfirmation);
        }
        if !(is_technical(&cause) || cause == "NO_CHANNEL") {
            break;
        }
    }
    line.hang_up(ctx).await;
    ClientEnd::Not(client_status(&causes))
}

/// The status when the client was not reached, from the last leg's cause.
pub(super) fn client_status(causes: &[String]) -> CallbackStatus {
    match causes.last().map(|c| cause_disposition(c)) {
        Some(Disposition::Busy) => CallbackStatus::ClientBusy,
        Some(Disposition::Rejected) => CallbackStatus::ClientRejected,
        Some(Disposition::NoAnswer) => CallbackStatus::ClientNoAnswer,
        Some(Disposition::Technical) | None => CallbackStatus::TechnicalFailure,
        Some(_) if causes.last().is_some_and(|c| c == "NO_CHANNEL") => {
            CallbackStatus::TechnicalFailure
        }
        Some(_) => CallbackStatus::ClientNoAnswer,
    }
}

struct Bridged {
    answered: bool,
    cause: String,
}

/// Runs one `bridge` on the manager's channel; marks the job connected when it bridges.
async fn bridge_once(
    ctx: &Ctx<'_>,
    line: &mut Line,
    bridge: &crate::esl::command::AppCall,
) -> Bridged {
    let uuid = line.leg.uuid.clone();
    let exec = ctx.switch.execute(&uuid, bridge);
    tokio::pin!(exec);
    let mut told = false;
    let result = loop {
        tokio::select! {
            r = &mut exec => break r.ok(),
            ev = line.events.next() => {
                match ev {
                    Some(ev) => line.leg.progress.observe(ev, &ctx.env.clock),
                    None => line.leg.progress.unreachable = true,
                }
                if line.leg.progress.bridged && !told {
                    told = true;
                    ctx.progress(CallbackStatus::Connected).await;
                }
                if line.leg.progress.ended() {
                    break None;
                }
            }
        }
    };
    // Keys pressed while bridged went to the client; only later ones count.
    line.keys.clear();
    let status = result
        .as_ref()
        .and_then(|e| e.variable("DIALSTATUS").map(|s| s.into_owned()));
    let cause = result
        .as_ref()
        .and_then(|e| {
            e.variable("bridge_hangup_cause")
                .or_else(|| e.variable("last_bridge_hangup_cause"))
                .map(|s| s.into_owned())
        })
        .unwrap_or_else(|| {
            if line.leg.progress.ended() {
                "ORIGINATOR_CANCEL".into()
            } else {
                "NORMAL_TEMPORARY_FAILURE".into()
            }
        });
    Bridged {
        answered: status.as_deref() == Some("SUCCESS") || line.leg.progress.bridged,
        cause: normalise_cause(&cause, None),
    }
}

/// After the client call: postpone, or cancel later recalls, for [`AFTER_CALL`]; then hang up.
pub(super) async fn after_call(ctx: &Ctx<'_>, line: &mut Line, cancel_recalls: &mut bool) -> bool {
    let wanted: Vec<char> = [
        ctx.spec.postpone_digit,
        ctx.spec.cancel_digit,
        ctx.spec.cancel_recalls_digit,
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut postponed = false;
    if !wanted.is_empty() {
        match line.wait(ctx, AFTER_CALL, &wanted).await {
            Woke::Key(k) if Some(k) == ctx.spec.postpone_digit => postponed = true,
            Woke::Key(_) => *cancel_recalls = true,
            Woke::Done | Woke::HungUp => {}
        }
    }
    line.hang_up(ctx).await;
    postponed
}
