//! `outcall esl …`: event socket tools. `decode` turns a raw ESL byte stream (as FreeSWITCH sent
//! it) into one JSON object per frame per line; other tools rely on this exact shape.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use futures::StreamExt;
use serde::Serialize;
use tokio::io::AsyncRead;
use tokio_util::codec::FramedRead;

use crate::esl::{ClientCodec, Event, Frame};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: EslCommand,
}

#[derive(clap::Subcommand)]
enum EslCommand {
    /// Decode a raw ESL byte stream (stdin, or a file) into one JSON object per frame per line:
    /// {"content_type", "headers": [[name, value]…], "body", "event": null | {"headers", "body"}}.
    /// Header values are percent-decoded. A truncated or malformed frame ends the output with a
    /// non-zero exit naming its byte offset, after every complete frame before it is printed.
    Decode {
        /// Read this file instead of standard input.
        #[arg(long)]
        input: Option<PathBuf>,
    },
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        EslCommand::Decode { input: Some(path) } => {
            let file = tokio::fs::File::open(&path)
                .await
                .with_context(|| format!("cannot open {}", path.display()))?;
            decode(file).await
        }
        EslCommand::Decode { input: None } => decode(tokio::io::stdin()).await,
    }
}

#[derive(Serialize)]
struct FrameOut<'a> {
    content_type: Option<Cow<'a, str>>,
    headers: Vec<(&'a str, Cow<'a, str>)>,
    body: Option<Cow<'a, str>>,
    event: Option<EventOut<'a>>,
}

#[derive(Serialize)]
struct EventOut<'a> {
    headers: Vec<(&'a str, Cow<'a, str>)>,
    body: Option<Cow<'a, str>>,
}

async fn decode<R: AsyncRead + Unpin>(input: R) -> anyhow::Result<ExitCode> {
    let mut frames = FramedRead::with_capacity(input, ClientCodec::default(), 256 * 1024);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut start = 0;
    let mut count = 0u64;
    while let Some(next) = frames.next().await {
        let frame = match next {
            Ok(f) => f,
            Err(e) => {
                out.flush()?;
                anyhow::bail!("{e} (after {count} complete frames)");
            }
        };
        let event = Event::from_frame(&frame)
            .with_context(|| format!("frame {count} at byte {start}: cannot read its event"));
        let event = match event {
            Ok(ev) => ev,
            Err(e) => {
                out.flush()?;
                return Err(e);
            }
        };
        write_frame(&mut out, &frame, event.as_ref())?;
        count += 1;
        start = frames.decoder().offset();
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_frame(out: &mut impl Write, frame: &Frame, event: Option<&Event>) -> anyhow::Result<()> {
    let line = FrameOut {
        content_type: frame.content_type(),
        headers: frame.headers.iter().collect(),
        body: frame.body_text(),
        event: event.map(|e| EventOut {
            headers: e.headers().iter().collect(),
            body: e.body_text(),
        }),
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")?;
    Ok(())
}
