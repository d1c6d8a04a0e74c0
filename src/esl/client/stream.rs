//! The receiving side of a subscription: a bounded queue of shared events with a drop counter.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use super::conn::Op;
use crate::esl::event::Event;

/// Events of one channel (from [`super::Client::channel_events`]) or of all channels (from
/// [`super::Client::subscribe_all`]). Ends (`None`) when the connection is gone. Dropping it
/// unregisters the route.
pub struct EventStream {
    pub(super) rx: mpsc::Receiver<Arc<Event>>,
    pub(super) dropped: Arc<AtomicU64>,
    pub(super) route: Option<(String, u64, mpsc::WeakUnboundedSender<Op>)>,
}

impl EventStream {
    /// The next event; `None` once the connection has ended and the queue is drained.
    pub async fn recv(&mut self) -> Option<Arc<Event>> {
        self.rx.recv().await
    }

    /// An event if one is queued now.
    pub fn try_recv(&mut self) -> Option<Arc<Event>> {
        self.rx.try_recv().ok()
    }

    /// Events dropped because this queue was full when they arrived.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Relaxed)
    }
}

impl futures::Stream for EventStream {
    type Item = Arc<Event>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        if let Some((uuid, id, ops)) = self.route.take() {
            if let Some(ops) = ops.upgrade() {
                let _ = ops.send(Op::Unroute { uuid, id });
            }
        }
    }
}
