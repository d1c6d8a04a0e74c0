//! Unit tests of script parsing and validation.

use super::*;

fn script(text: &str) -> Result<Script, String> {
    let s: Script = toml::from_str(text).map_err(|e| e.to_string())?;
    s.validate()?;
    Ok(s)
}

const GOOD: &str = r#"
start = "greeting"
[nodes.greeting]
type = "speak"
text = "Здравствуйте, {{NAME}}. Ваш долг {{ balance | money_ru }}, договор {{CONTRACT}}."
next = "menu"
[nodes.menu]
type = "menu"
prompt = { text = "Нажмите 1 для связи с оператором" }
digits = { "1" = "operator" }
on_timeout = "bye"
on_invalid = "bye"
[nodes.operator]
type = "bridge"
next = "bye"
on_failure = "bye"
[nodes.bye]
type = "hangup"
"#;

#[test]
fn good_script_loads_and_lists_variables() {
    let s = script(GOOD).unwrap();
    let vars = s.variables();
    assert_eq!(vars.keys().collect::<Vec<_>>(), ["BALANCE", "CONTRACT"]);
    assert_eq!(vars["BALANCE"], "script.nodes.greeting.text");
    match &s.nodes["menu"] {
        Node::Menu(m) => {
            assert_eq!(m.tries, 2);
            assert_eq!(m.timeout.as_secs(), 5);
        }
        other => panic!("menu parsed as {other:?}"),
    }
}

#[test]
fn template_parts_carry_filters() {
    let t = Template::parse("Долг {{BALANCE|money_ru}} на {{ DUE | date_ru }}!").unwrap();
    assert_eq!(t.parts.len(), 5);
    assert_eq!(
        t.parts[1],
        Part::Var {
            name: "BALANCE".into(),
            filter: Some("money_ru".into()),
            arg: None
        }
    );
    assert_eq!(
        t.parts[3],
        Part::Var {
            name: "DUE".into(),
            filter: Some("date_ru".into()),
            arg: None
        }
    );
    // No filter takes an argument: one is a typo, caught at `campaign check`.
    let e = Template::parse("{{ DUE | date_ru:long }}").unwrap_err();
    assert!(e.contains("takes no argument (remove `:long`)"), "{e}");
    assert!(Template::parse("{{BALANCE")
        .unwrap_err()
        .contains("never closed"));
    assert!(Template::parse("{{ a b }}")
        .unwrap_err()
        .contains("not a variable"));
}

#[test]
fn unknown_node_is_named() {
    let bad = GOOD.replace("on_timeout = \"bye\"", "on_timeout = \"byebye\"");
    let e = script(&bad).unwrap_err();
    assert!(e.contains("script.nodes.menu.on_timeout"), "{e}");
    assert!(e.contains("byebye"), "{e}");
}

#[test]
fn missing_exit_is_named() {
    let bad = GOOD.replace("on_failure = \"bye\"\n", "");
    let e = script(&bad).unwrap_err();
    assert!(
        e.contains("script.nodes.operator.on_failure: missing exit"),
        "{e}"
    );
}

#[test]
fn bad_start_and_bad_digit() {
    let e = script(&GOOD.replace("start = \"greeting\"", "start = \"hello\"")).unwrap_err();
    assert!(e.contains("script.start") && e.contains("hello"), "{e}");
    let e = script(&GOOD.replace("\"1\" = \"operator\"", "\"12\" = \"operator\"")).unwrap_err();
    assert!(e.contains("script.nodes.menu.digits"), "{e}");
}

#[test]
fn unknown_node_type_is_refused() {
    let bad = GOOD.replace("type = \"hangup\"", "type = \"explode\"");
    let e = script(&bad).unwrap_err();
    assert!(e.contains("explode"), "{e}");
}

#[test]
fn missing_vars_reports_place() {
    let s = script(GOOD).unwrap();
    let vars = s.variables();
    let present = ["BALANCE".to_string()].into_iter().collect();
    assert_eq!(
        Script::missing_vars(&vars, &present),
        Some(("CONTRACT", "script.nodes.greeting.text"))
    );
}

#[test]
fn unknown_filter_and_unknown_field_are_refused() {
    let bad = GOOD.replace("money_ru", "money_rub");
    let e = script(&bad).unwrap_err();
    assert!(
        e.contains("script.nodes.greeting.text") && e.contains("unknown filter `money_rub`"),
        "{e}"
    );
    let bad = GOOD.replace("type = \"hangup\"", "type = \"hangup\"\nkause = \"X\"");
    let e = script(&bad).unwrap_err();
    assert!(e.contains("kause"), "{e}");
}

#[test]
fn paths_the_switch_would_split_are_refused_at_load() {
    let with = |file: &str| {
        format!("{GOOD}[nodes.snd]\ntype = \"play\"\nfile = \"{file}\"\nnext = \"bye\"\n")
    };
    assert!(script(&with("/snd/{{NAME}}.wav")).is_ok());
    for bad in ["/snd/good bye.wav", "/snd/a+1.wav", "/snd/../x.wav"] {
        let e = script(&with(bad)).unwrap_err();
        assert!(e.contains("script.nodes.snd.file"), "{bad}: {e}");
    }
}

#[test]
fn every_node_type_round_trips_through_toml() {
    let s = script(GOOD).unwrap();
    let kinds: Vec<&str> = s.nodes.values().map(Node::kind).collect();
    assert_eq!(kinds, ["hangup", "speak", "menu", "bridge"]);
    let text = toml::to_string(&s).unwrap();
    let back: Script = toml::from_str(&text).unwrap();
    assert_eq!(back, s);
}
