//! An import report as a streamed JSON body: the bytes `serde_json::to_vec` gives for the
//! [`ReportView`], made a few thousand entries at a time. A million-row upload's report (tens
//! of MB of rejections) is never held a second time as one buffer, which `Json` would grow by
//! doubling (a 20 MB report took a 32 MiB buffer, and 48 MiB while it grew).

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::contacts::ReportView;

/// Entries serialized per chunk of the body.
const PER_CHUNK: usize = 4096;

/// The report as a `200 application/json` response: a report of at most one chunk's entries
/// (the one-contact POST's) as one body with its length, a longer one streamed (chunked).
pub(super) fn response(view: ReportView) -> Response {
    let body = if view.rejected.len() + view.merged.len() <= PER_CHUNK {
        Body::from(
            Chunks::new(view)
                .flat_map(|b| b.to_vec())
                .collect::<Vec<u8>>(),
        )
    } else {
        Body::from_stream(futures::stream::iter(
            Chunks::new(view).map(Ok::<_, Infallible>),
        ))
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The body's pieces in order: the counts and `"rejected":[`, the rejections, `],"merged":[`,
/// the merges, and the rest. Entries are dropped as they are written.
struct Chunks {
    view: ReportView,
    rejected: std::vec::IntoIter<super::contacts::RejectionView>,
    merged: std::vec::IntoIter<super::contacts::MergeView>,
    step: u8,
}

impl Chunks {
    fn new(mut view: ReportView) -> Chunks {
        let rejected = std::mem::take(&mut view.rejected).into_iter();
        let merged = std::mem::take(&mut view.merged).into_iter();
        Chunks {
            view,
            rejected,
            merged,
            step: 0,
        }
    }
}

/// Appends up to [`PER_CHUNK`] entries of `items` to `buf`, each after a comma but the list's
/// first.
fn entries<T: Serialize>(items: &mut std::vec::IntoIter<T>, first: bool, buf: &mut Vec<u8>) {
    for (i, item) in items.by_ref().take(PER_CHUNK).enumerate() {
        if i > 0 || !first {
            buf.push(b',');
        }
        serde_json::to_writer(&mut *buf, &item).expect("plain data serializes");
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serializes")
}

impl Iterator for Chunks {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let v = &self.view;
        let mut buf = Vec::new();
        match self.step {
            0 => {
                buf.extend_from_slice(
                    format!(
                        "{{\"rows\":{},\"accepted\":{},\"duplicates\":{},\"rejected\":[",
                        v.rows, v.accepted, v.duplicates
                    )
                    .as_bytes(),
                );
                entries(&mut self.rejected, true, &mut buf);
                self.step = 1;
            }
            1 if self.rejected.len() > 0 => entries(&mut self.rejected, false, &mut buf),
            1 => {
                buf.extend_from_slice(b"],\"merged\":[");
                entries(&mut self.merged, true, &mut buf);
                self.step = 2;
            }
            2 if self.merged.len() > 0 => entries(&mut self.merged, false, &mut buf),
            2 => {
                let tail = format!(
                    "],\"zones\":{},\"dry_run\":{}}}",
                    json(&v.zones),
                    json(&v.dry_run)
                );
                buf.extend_from_slice(tail.as_bytes());
                self.step = 3;
            }
            _ => return None,
        }
        Some(Bytes::from(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::contacts::{MergeView, RejectionView};
    use crate::import::zone::ZoneCounts;

    fn view(rejected: usize, merged: usize) -> ReportView {
        ReportView {
            rows: 7,
            accepted: 3,
            duplicates: merged as u64,
            rejected: (0..rejected as u64)
                .map(|i| RejectionView {
                    line: i + 2,
                    reason: format!("line \"{i}\" is\tbad ü\n"),
                })
                .collect(),
            merged: (0..merged as u64)
                .map(|i| MergeView {
                    line: i + 3,
                    into_line: (i % 2 == 0).then_some(i + 1),
                })
                .collect(),
            zones: ZoneCounts {
                column: 1,
                user_table: 0,
                builtin: 2,
                country: 0,
                campaign: 4,
            },
            dry_run: true,
        }
    }

    /// Byte for byte what `serde_json` makes of the whole view, with lists empty, short, and
    /// longer than a chunk (and a chunk's exact size).
    #[test]
    fn the_chunks_make_what_serde_json_makes_of_the_view() {
        for (r, m) in [
            (0, 0),
            (1, 0),
            (0, 1),
            (3, 2),
            (PER_CHUNK, PER_CHUNK + 1),
            (9000, 5),
        ] {
            let want = serde_json::to_vec(&view(r, m)).expect("json");
            let got: Vec<u8> = Chunks::new(view(r, m)).flat_map(|b| b.to_vec()).collect();
            assert_eq!(
                String::from_utf8(got).expect("utf8"),
                String::from_utf8(want).expect("utf8"),
                "{r} rejections, {m} merges"
            );
        }
    }

    /// A short report is one body of known length (a plain client reads it by its
    /// Content-Length); a long one is streamed, its length unknown up front.
    #[tokio::test]
    async fn a_short_report_has_its_length_and_a_long_one_is_streamed() {
        use axum::body::HttpBody;
        let short = response(view(3, 2));
        let want = serde_json::to_vec(&view(3, 2)).expect("json");
        assert_eq!(short.body().size_hint().exact(), Some(want.len() as u64));
        let bytes = axum::body::to_bytes(short.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(bytes.to_vec(), want);
        let long = response(view(PER_CHUNK, 1));
        assert_eq!(long.body().size_hint().exact(), None);
    }

    /// No chunk holds more than one chunk's worth of entries.
    #[test]
    fn a_big_report_comes_in_pieces() {
        let chunks: Vec<Bytes> = Chunks::new(view(20_000, 0)).collect();
        assert!(
            chunks.len() >= 20_000 / PER_CHUNK,
            "{} chunks",
            chunks.len()
        );
        let biggest = chunks.iter().map(Bytes::len).max().unwrap_or(0);
        assert!(biggest < PER_CHUNK * 64, "{biggest} bytes in one chunk");
    }
}
