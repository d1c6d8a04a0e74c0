//! What a call heard, as short lines stored with its attempt (`outcall report NAME --trace`):
//! the nodes visited, the text spoken after templates, files played, digits entered, bridge
//! targets with their result, webhook exits. [`Traced`] wraps the script's [`Channel`] and
//! writes a line for everything the script sends through it, so no node type has to.

use super::nodes::menu::DIGITS_VAR;
use super::run::{AppResult, Channel, ChannelError};
use crate::esl::command::AppCall;

/// A trace keeps at most this many lines (a script that loops stops at `MAX_STEPS` anyway).
pub const MAX_LINES: usize = 400;
/// A line is cut to this many characters.
const MAX_LINE: usize = 200;

/// A [`Channel`] that notes each application, hangup and webhook in [`Traced::lines`].
pub struct Traced<'a, C> {
    inner: &'a mut C,
    pub lines: Vec<String>,
}

impl<'a, C: Channel> Traced<'a, C> {
    pub fn new(inner: &'a mut C) -> Self {
        Traced {
            inner,
            lines: Vec::new(),
        }
    }

    /// Notes a line (cut to a bounded length; nothing after [`MAX_LINES`]).
    pub fn note(&mut self, line: String) {
        if self.lines.len() < MAX_LINES {
            self.lines.push(clip(line));
        }
    }
}

impl<C: Channel> Channel for Traced<'_, C> {
    async fn execute(&mut self, call: &AppCall) -> Result<AppResult, ChannelError> {
        let res = self.inner.execute(call).await;
        self.note(app_line(call, &res));
        res
    }

    async fn hangup(&mut self, cause: &str) -> Result<(), ChannelError> {
        self.inner.hangup(cause).await
    }

    async fn webhook(
        &mut self,
        url: &str,
        payload: serde_json::Value,
        timeout_ms: u32,
    ) -> Result<Option<String>, ChannelError> {
        let res = self.inner.webhook(url, payload, timeout_ms).await;
        let said = match &res {
            Ok(Some(exit)) => format!("exit {exit}"),
            Ok(None) => "no exit".to_string(),
            Err(e) => format!("failed: {e}"),
        };
        self.note(format!("webhook {url}: {said}"));
        res
    }

    async fn wait_custom(
        &mut self,
        subclass: &str,
        timeout: std::time::Duration,
    ) -> Result<bool, ChannelError> {
        let res = self.inner.wait_custom(subclass, timeout).await;
        let said = match &res {
            Ok(true) => "heard".to_string(),
            Ok(false) => "not heard".to_string(),
            Err(e) => format!("failed: {e}"),
        };
        self.note(format!("wait for {subclass}: {said}"));
        res
    }
}

/// One line for an application and what came of it.
pub fn app_line(call: &AppCall, res: &Result<AppResult, ChannelError>) -> String {
    let arg = call.arg();
    let what = match call.app() {
        "speak" => format!("speak: {}", arg.splitn(3, '|').nth(2).unwrap_or(arg)),
        "playback" => format!("play: {arg}"),
        "say" => format!("say: {arg}"),
        "play_and_get_digits" => {
            // A spoken prompt was sent before as `speak`; the collect then plays silence.
            let prompt = match arg.split(' ').nth(5).unwrap_or("") {
                p if p.starts_with("silence_stream://") => String::new(),
                p => format!(" {p}"),
            };
            let digits = match res {
                Ok(r) => match r.vars.get(DIGITS_VAR).filter(|d| !d.is_empty()) {
                    Some(d) => format!("digits {d}"),
                    None => "no digits".to_string(),
                },
                Err(_) => String::new(),
            };
            format!("menu{prompt}: {digits}")
        }
        "bridge" => {
            let target = arg.rsplit_once('}').map_or(arg, |(_, t)| t);
            let result = match res {
                Ok(r) if super::nodes::bridge::bridge_succeeded(r) => "answered".to_string(),
                Ok(r) => r
                    .vars
                    .get("bridge_hangup_cause")
                    .or_else(|| r.vars.get("originate_disposition"))
                    .cloned()
                    .unwrap_or_else(|| "not answered".to_string()),
                Err(_) => String::new(),
            };
            format!("bridge {target}: {result}")
        }
        "record_session" => format!("record: {arg}"),
        app => format!("{app}: {arg}"),
    };
    match res {
        Err(ChannelError::HungUp) => format!("{what} (hung up)"),
        Err(ChannelError::Failed(m)) => format!("{what} (failed: {m})"),
        Ok(_) => what,
    }
}

fn clip(mut line: String) -> String {
    if line.chars().count() > MAX_LINE {
        line = line.chars().take(MAX_LINE - 1).collect();
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esl::command::app as sw;

    fn ok(vars: &[(&str, &str)]) -> Result<AppResult, ChannelError> {
        Ok(AppResult {
            response: String::new(),
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    #[test]
    fn spoken_text_files_digits_and_bridges_read_as_a_person_would() {
        let speak = sw::speak("flite", "kal", "Ваша задолженность сто рублей.").unwrap();
        assert_eq!(
            app_line(&speak, &ok(&[])),
            "speak: Ваша задолженность сто рублей."
        );
        let play = sw::playback("/sounds/hello.wav").unwrap();
        assert_eq!(app_line(&play, &ok(&[])), "play: /sounds/hello.wav");
        let bridge = sw::bridge(&[("leg_timeout", "30")], "sofia/gateway/demo/op").unwrap();
        let answered = ok(&[("DIALSTATUS", "SUCCESS")]);
        assert_eq!(
            app_line(&bridge, &answered),
            "bridge sofia/gateway/demo/op: answered"
        );
        let busy = ok(&[("bridge_hangup_cause", "USER_BUSY")]);
        assert_eq!(
            app_line(&bridge, &busy),
            "bridge sofia/gateway/demo/op: USER_BUSY"
        );
        assert_eq!(
            app_line(&play, &Err(ChannelError::HungUp)),
            "play: /sounds/hello.wav (hung up)"
        );
    }

    #[test]
    fn a_long_line_is_cut() {
        assert_eq!(clip("x".repeat(500)).chars().count(), MAX_LINE);
    }
}
