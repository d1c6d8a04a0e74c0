//! `OUTCALL_<KEY>` environment variables laid over the parsed `outcall.toml` document: `__`
//! between levels, array items by index, values read as TOML where they parse and as strings
//! otherwise.

use super::ConfigError;

/// Keys that the process uses for itself and that are not configuration keys.
const NOT_KEYS: &[&str] = &["OUTCALL_CONFIG", "OUTCALL_LOG"];

pub(super) fn apply_env(doc: &mut toml::Table, var: &str, value: &str) -> Result<(), ConfigError> {
    if NOT_KEYS.contains(&var) || var.starts_with("OUTCALL_TEST_") {
        return Ok(());
    }
    let path: Vec<String> = var["OUTCALL_".len()..]
        .split("__")
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let err = |message: String| ConfigError::Env {
        var: var.to_string(),
        message,
    };
    if path.iter().any(|p| p.is_empty()) {
        return Err(err("empty key segment".into()));
    }
    let value = env_value(value);
    set_path(doc, &path, value).map_err(err)
}

/// Environment values are typed the way a person writes them: numbers and booleans as such.
fn env_value(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    if let Ok(f) = raw.parse::<f64>() {
        if raw.contains('.') {
            return toml::Value::Float(f);
        }
    }
    match raw {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(raw.to_string()),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (head, rest) = path.split_first().expect("non-empty path");
    if rest.is_empty() {
        // A string-typed key keeps a string even when the value looks like a number.
        let value = match (table.get(head), value) {
            (Some(toml::Value::String(_)), v) | (None, v @ toml::Value::String(_)) => {
                toml::Value::String(plain(&v))
            }
            (None, v)
                if head.ends_with("password") || head.ends_with("url") || head == "secret" =>
            {
                toml::Value::String(plain(&v))
            }
            (_, v) => v,
        };
        table.insert(head.clone(), value);
        return Ok(());
    }
    let entry = table.entry(head.clone()).or_insert_with(|| {
        if rest[0].parse::<usize>().is_ok() {
            toml::Value::Array(Vec::new())
        } else {
            toml::Value::Table(toml::Table::new())
        }
    });
    set_in(entry, rest, value)
}

fn set_in(node: &mut toml::Value, path: &[String], value: toml::Value) -> Result<(), String> {
    match node {
        toml::Value::Table(t) => set_path(t, path, value),
        toml::Value::Array(items) => {
            let index: usize = path[0]
                .parse()
                .map_err(|_| format!("`{}` is not an array index", path[0]))?;
            if index > items.len() {
                return Err(format!(
                    "index {index} skips items: the list has {}",
                    items.len()
                ));
            }
            if index == items.len() {
                items.push(toml::Value::Table(toml::Table::new()));
            }
            if path.len() == 1 {
                items[index] = value;
                return Ok(());
            }
            set_in(&mut items[index], &path[1..], value)
        }
        _ => Err(format!("`{}` is not a table", path[0])),
    }
}

fn plain(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
