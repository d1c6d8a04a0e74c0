//! How an error reaches the terminal: its chain of causes on one line, each cause once.

/// `outer: cause: cause`, skipping a cause whose text the line already holds: a `thiserror`
/// message that embeds its `#[source]` (`cannot read config file x: {source}`) would otherwise
/// print it twice (`... (os error 2): No such file or directory (os error 2)`).
pub fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    fn missing() -> std::io::Error {
        std::io::Error::from(std::io::ErrorKind::NotFound)
    }

    #[test]
    fn a_source_embedded_in_its_message_is_printed_once() {
        let inner = crate::config::ConfigError::Read {
            path: "x.toml".into(),
            source: missing(),
        };
        let e = anyhow::Error::new(inner);
        let text = error_text(&e);
        assert_eq!(text.matches("not found").count(), 1, "{text}");
        assert!(text.starts_with("cannot read config file x.toml"), "{text}");
    }

    #[test]
    fn context_and_distinct_causes_are_all_kept() {
        let e = Err::<(), _>(missing())
            .context("reading list.csv")
            .unwrap_err();
        assert_eq!(error_text(&e), "reading list.csv: entity not found");
    }
}
