//! The originate's hold on an outbound channel (CS_CONSUME_MEDIA). From creation until the
//! originate starts its target (`&park()` or another `&app()`), or bridges it, a `sendmsg`
//! execute runs at once, as switch_ivr_originate's check_channel_status makes the channel parse
//! its queued events; `apps::nomedia` says how each application behaves there, without a media
//! path. After the answer, the originate only notices it `park_delay` (simulated) later: its
//! loop polls every 20 ms. Then it reports the answer, and the BACKGROUND_JOB, CS_EXECUTE and
//! the target follow.

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{Actor, Go, Report, Wake};

impl Actor {
    /// Waits until `deadline` (or until hung up), running executes as they arrive; returns
    /// [`Wake::Deadline`] or [`Wake::Hangup`].
    pub(super) async fn consume(&mut self, deadline: Option<Instant>) -> Wake {
        loop {
            while let Some(exec) = self.queue.pop_front() {
                if self.hangup.is_some() {
                    break;
                }
                Box::pin(crate::sim::apps::run(self, exec)).await;
            }
            match self.wait_for(deadline, false, true).await {
                Wake::Exec => continue,
                w => return w,
            }
        }
    }

    /// After the answer: `park_delay` in CS_CONSUME_MEDIA, then the answer is reported and the
    /// originate says what comes next. None when the channel hung up before it was reported.
    pub(super) async fn answered(&mut self, report: mpsc::UnboundedSender<Report>) -> Option<Go> {
        let noticed = self.deadline(self.outcome.park_delay);
        if self.consume(Some(noticed)).await == Wake::Hangup {
            return self.report_failure(Some(report)).await;
        }
        let (go_tx, mut go_rx) = oneshot::channel();
        let _ = report.send(Report::Answered {
            uuid: self.uuid.clone(),
            go: go_tx,
        });
        // The originate's answer wins a tie: it is sent right after the BACKGROUND_JOB is fired,
        // so an execute sent on that job is here no earlier and must run after the target.
        let go = tokio::select! {
            biased;
            go = &mut go_rx => go,
            _ = self.consume(None) => (&mut go_rx).await,
        };
        Some(go.unwrap_or(Go::LoseRace))
    }
}
