//! Table tests of [`super::expand`] against what switch_channel_expand_variables_check gives.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{expand, has_var, needs_expansion, Resolver};

/// Fixed variables; API calls are recorded and answered from a table.
#[derive(Default)]
struct Fake {
    vars: HashMap<String, String>,
    calls: Vec<(String, String)>,
}

impl Resolver for Fake {
    fn var(&mut self, name: &str, idx: Option<usize>) -> Option<String> {
        let v = self.vars.get(name)?;
        match idx {
            None => Some(v.clone()),
            Some(i) => v
                .strip_prefix("ARRAY::")
                .and_then(|a| a.split("|:").nth(i))
                .map(str::to_string),
        }
    }
    fn api(&mut self, command: &str, args: &str) -> Option<String> {
        self.calls.push((command.to_string(), args.to_string()));
        match command {
            "create_uuid" => Some("11111111-2222-3333-4444-555555555555".into()),
            "system" => Some(String::new()),
            "bg_system" => Some("+OK\n".into()),
            "echo" => Some(args.to_string()),
            _ => None,
        }
    }
}

fn fake() -> Fake {
    let mut f = Fake::default();
    for (k, v) in [
        ("x", "1"),
        ("y", "2"),
        ("name", "abcdef"),
        ("a1", "nested"),
        ("ref", "${y}"),
        ("hostname", "outcall-sim"),
        ("list", "ARRAY::p|:q|:r"),
        ("evil", "${system(rm -rf /)}"),
    ] {
        f.vars.insert(k.into(), v.into());
    }
    f
}

#[test]
fn table() {
    let cases: &[(&str, &str)] = &[
        ("", ""),
        ("plain text", "plain text"),
        ("$", "$"),
        ("$5", "$5"),
        ("{", "{"),
        ("}", "}"),
        ("costs $5 {a} }b{", "costs $5 {a} }b{"),
        ("${x}", "1"),
        ("a${x}b${y}c", "a1b2c"),
        ("${x}${y}", "12"),
        ("${missing}", ""),
        ("$${hostname}", "outcall-sim"),
        ("${name:2}", "cdef"),
        ("${name:1:3}", "bcd"),
        ("${name:-2}", "ef"),
        ("${name:10}", ""),
        ("${name:-10}", "abcdef"),
        ("${a${x}}", "nested"),
        ("${ref}", "2"),
        ("${list[1]}", "q"),
        ("${x}}", "1}"),
        ("${x}$", "1$"),
        ("${x", "1"),
        ("\\${x}", "${x}"),
        ("\\$${x}", "${x}"),
        ("it\\'s ${x}", "its 1"),
        ("C:\\\\dir ${x}", "C:\\dir 1"),
        ("a\\b ${x}", "a\\b 1"),
        ("$$5 ${x}", "$5 1"),
        ("price \\$5", "price \\$5"),
        ("${create_uuid()}", "11111111-2222-3333-4444-555555555555"),
        ("[${system(touch x)}]", "[]"),
        ("${bg_system touch x}", "+OK\n"),
        ("${echo(a (b) c)}!", "a (b) c!"),
        ("${nope(1)}", ""),
        ("${echo(${x}+${y})}", "1+2"),
    ];
    for (input, want) in cases {
        let mut f = fake();
        assert_eq!(expand(input, &mut f), *want, "expanding {input:?}");
    }
}

#[test]
fn untouched_strings_are_borrowed() {
    let mut f = fake();
    for s in ["hello", "$5 and {braces}", "a\\$b"] {
        assert!(matches!(expand(s, &mut f), Cow::Borrowed(_)), "{s}");
        assert!(!needs_expansion(s), "{s}");
    }
    assert!(f.calls.is_empty());
}

#[test]
fn inline_calls_are_reported_with_expanded_trimmed_arguments() {
    let mut f = fake();
    expand(
        "${system(touch x)} ${system   ls  -l } ${echo(${x})}",
        &mut f,
    );
    let calls: Vec<(&str, &str)> = f
        .calls
        .iter()
        .map(|(c, a)| (c.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        calls,
        [("system", "touch x"), ("system", "ls  -l"), ("echo", "1")]
    );
}

#[test]
fn a_value_that_holds_a_call_is_expanded_again() {
    let mut f = fake();
    assert_eq!(expand("say ${evil}", &mut f), "say ");
    assert_eq!(f.calls, [("system".to_string(), "rm -rf /".to_string())]);
}

#[test]
fn var_check_matches_switch_string_var_check_const() {
    assert!(has_var("${x}"));
    assert!(has_var("a$\\{x}"));
    assert!(has_var("$${x}"));
    assert!(!has_var("$x {y}"));
    assert!(!has_var("$ {"));
    assert!(!has_var("plain"));
}
