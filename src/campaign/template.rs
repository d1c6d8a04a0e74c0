//! Text templates of call scripts: `{{VAR}}`, `{{VAR|filter}}`, `{{VAR|filter:arg}}`, parsed
//! into parts the dialer renders.

/// A parsed template: literal text and `{{VAR}}` / `{{VAR|filter}}` / `{{VAR|filter:arg}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<Part>,
}

/// One piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Var {
        name: String,
        filter: Option<String>,
        arg: Option<String>,
    },
}

impl Template {
    /// Parses `{{ ... }}` placeholders; variable names are matched case-insensitively, so they
    /// are upper-cased here (CSV columns are too).
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or_else(|| {
                format!(
                    "`{{{{` at byte {} is never closed with `}}}}`",
                    text.len() - rest.len() + open
                )
            })?;
            parts.push(parse_placeholder(&after[..close])?);
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// The variable names used, upper-cased.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { name, .. } => Some(name.as_str()),
            Part::Text(_) => None,
        })
    }
}

fn parse_placeholder(inner: &str) -> Result<Part, String> {
    let (name, filter) = match inner.split_once('|') {
        Some((n, f)) => (n.trim(), Some(f.trim())),
        None => (inner.trim(), None),
    };
    let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !valid(name) {
        return Err(format!(
            "`{{{{{inner}}}}}`: `{name}` is not a variable name"
        ));
    }
    let (filter, arg) = match filter {
        None => (None, None),
        Some(f) => {
            let (f, arg) = match f.split_once(':') {
                Some((f, a)) => (f.trim(), Some(a.trim().to_string())),
                None => (f, None),
            };
            if !valid(f) {
                return Err(format!("`{{{{{inner}}}}}`: `{f}` is not a filter name"));
            }
            (Some(f.to_string()), arg)
        }
    };
    Ok(Part::Var {
        name: name.to_uppercase(),
        filter,
        arg,
    })
}
