//! Text templates of call scripts: `{{VAR}}` takes a contact variable, `{{VAR|filter}}`
//! renders it for speech (`money_ru`, `money_en`, `number_ru`, `number_en`, `date_ru`).
//! [`Template::parse`] checks a template when a script is loaded (and lists its variables);
//! [`render`] fills it for one call. A variable missing from the contact or a value a filter
//! cannot read is an error naming it, never silence. Rendered values are single-line.

use std::collections::HashMap;

use super::words::{en as words_en, ru as words_ru};

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
            if !FILTERS.contains(&f) {
                return Err(format!(
                    "`{{{{{inner}}}}}`: unknown filter `{f}` (known: {})",
                    FILTERS.join(", ")
                ));
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

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("template uses `{{{{{0}}}}}` but the contact has no variable {0}")]
    MissingVar(String),
    #[error(
        "unknown template filter `{0}` (known: money_ru, money_en, number_ru, number_en, date_ru)"
    )]
    UnknownFilter(String),
    #[error("variable {var} = {value:?} cannot be read by filter {filter}")]
    BadValue {
        var: String,
        value: String,
        filter: String,
    },
    #[error("unclosed `{{{{` in template at byte {0}")]
    Unclosed(usize),
    /// A value that cannot be placed where the template puts it (e.g. `@` in a dial string).
    #[error("{0}")]
    Unplaceable(String),
}

/// The filters a template may use.
pub const FILTERS: [&str; 5] = ["money_ru", "money_en", "number_ru", "number_en", "date_ru"];

/// Renders `template` with the contact's variables.
pub fn render(template: &str, vars: &HashMap<String, String>) -> Result<String, TemplateError> {
    render_with(template, vars, |v| Ok(v.to_string()))
}

/// Renders `template`, passing every substituted value through `place` first: the escaping of
/// the context the value lands in (a file path, a dial string), while the template's own text
/// is kept as written.
pub fn render_with(
    template: &str,
    vars: &HashMap<String, String>,
    place: impl Fn(&str) -> Result<String, TemplateError>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or(TemplateError::Unclosed(offset + start))?;
        out.push_str(&place(&expand(&after[..end], vars)?)?);
        let consumed = start + 2 + end + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    out.push_str(rest);
    Ok(single_line(&out))
}

/// The variables a template uses (for validation against contacts).
pub fn variables(template: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].split('|').next().unwrap_or("").trim();
        if !name.is_empty() && !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    found
}

fn expand(inner: &str, vars: &HashMap<String, String>) -> Result<String, TemplateError> {
    let (name, filter) = match inner.split_once('|') {
        // `filter:arg`: the filters here take no argument; it is ignored.
        Some((n, f)) => (n.trim(), Some(f.split(':').next().unwrap_or(f).trim())),
        None => (inner.trim(), None),
    };
    let value = lookup(vars, name).ok_or_else(|| TemplateError::MissingVar(name.to_string()))?;
    let Some(filter) = filter else {
        return Ok(value.to_string());
    };
    let rendered = match filter {
        "money_ru" => words_ru::money(value),
        "money_en" => words_en::money(value),
        "number_ru" => words_ru::number_text(value),
        "number_en" => words_en::number_text(value),
        "date_ru" => words_ru::date(value),
        other => return Err(TemplateError::UnknownFilter(other.to_string())),
    };
    rendered.ok_or_else(|| TemplateError::BadValue {
        var: name.to_string(),
        value: value.to_string(),
        filter: filter.to_string(),
    })
}

/// Exact name first, then case-insensitive (CSV headers are case-insensitive).
fn lookup<'a>(vars: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    vars.get(name).map(String::as_str).or_else(|| {
        vars.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    })
}

fn single_line(s: &str) -> String {
    if s.contains(['\r', '\n']) {
        s.replace("\r\n", " ").replace(['\r', '\n'], " ")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::script::test_vars as vars;

    #[test]
    fn renders_vars_and_filters() {
        let v = vars(&[
            ("NAME", "Иван"),
            ("BALANCE", "-68.27"),
            ("DUE", "2026-12-01"),
        ]);
        let t = "{{NAME}}, ваш долг {{ BALANCE | money_ru }}, оплатите до {{DUE|date_ru}}.";
        assert_eq!(
            render(t, &v).unwrap(),
            "Иван, ваш долг шестьдесят восемь рублей двадцать семь копеек, оплатите до первого декабря две тысячи двадцать шестого года."
        );
        assert_eq!(
            render("{{balance|money_en}}", &v).unwrap(),
            "sixty-eight dollars and twenty-seven cents"
        );
        assert_eq!(render("no vars", &v).unwrap(), "no vars");
        let v = vars(&[("N", "21")]);
        assert_eq!(
            render("{{N|number_ru}} / {{N|number_en}}", &v).unwrap(),
            "двадцать один / twenty-one"
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let v = vars(&[("BALANCE", "n/a")]);
        assert_eq!(
            render("{{NAME}}", &v),
            Err(TemplateError::MissingVar("NAME".into()))
        );
        assert!(matches!(
            render("{{BALANCE|money_ru}}", &v),
            Err(TemplateError::BadValue { .. })
        ));
        assert_eq!(
            render("{{BALANCE|shout}}", &v),
            Err(TemplateError::UnknownFilter("shout".into()))
        );
        assert_eq!(render("x {{BALANCE", &v), Err(TemplateError::Unclosed(2)));
        let e = render("{{NAME}}", &v).unwrap_err().to_string();
        assert!(e.contains("{{NAME}}"), "{e}");
    }

    #[test]
    fn subscriber_line_breaks_cannot_escape() {
        let v = vars(&[("NAME", "Bob\r\nevent plain ALL\n\napi hupall")]);
        let out = render("Hello {{NAME}}", &v).unwrap();
        assert!(!out.contains(['\r', '\n']), "{out:?}");
    }

    #[test]
    fn lists_variables() {
        assert_eq!(variables("{{A}} {{ B|money_ru}} {{A}}"), vec!["A", "B"]);
    }
}
