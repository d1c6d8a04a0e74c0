//! Originate arguments: channel variables escaped for FreeSWITCH's three parsing passes of a
//! `{…}`/`[…]` block, the whole `originate` argument line, and the guard for free text.

use super::*;

/// Renders channel variables for an originate `{…}` (or per-leg `[…]`) block, without the
/// brackets: `name=value,name=value`.
///
/// FreeSWITCH reads this text three times: the `originate` arguments are split at spaces, the
/// block at commas, each variable at its first `=`, and each pass removes `'` quotes and
/// consumes some backslash escapes. So values are encoded for all three passes: a comma is
/// written `\,` (kept by the first pass, consumed by the second), a space `\s` (consumed by the
/// first). What cannot be carried safely is refused: empty values (FreeSWITCH skips them), CR, LF, NUL, `'` and `\` (no escape
/// survives every pass), leading or trailing spaces (FreeSWITCH strips them), `${` and `$${`
/// (FreeSWITCH would expand them, and expansion can call APIs), and unbalanced `{}`/`[]`
/// (FreeSWITCH finds the block's end by counting brackets, blind to escapes). Free text such as
/// a subscriber's name is better set after answer with `execute(uuid, "set", "name=value")`.
pub fn originate_vars(vars: &[(&str, &str)]) -> Result<String> {
    let mut out = String::new();
    for (i, (name, value)) in vars.iter().enumerate() {
        token("variable name", name)?;
        check_data("variable value", value)?;
        let refuse = |reason: &'static str| CommandError::BadValue {
            name: (*name).to_owned(),
            reason,
        };
        if value.contains(['\'', '\\']) {
            return Err(refuse("contains ' or \\"));
        }
        if value.is_empty() {
            return Err(refuse("is empty (FreeSWITCH ignores `name=`)"));
        }
        if value.starts_with(' ') || value.ends_with(' ') {
            return Err(refuse("has leading or trailing spaces"));
        }
        if !balanced(value, '{', '}') || !balanced(value, '[', ']') {
            return Err(refuse("has unbalanced {} or []"));
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push('=');
        for c in value.chars() {
            match c {
                ',' => out.push_str("\\,"),
                ' ' => out.push_str("\\s"),
                c => out.push(c),
            }
        }
    }
    Ok(out)
}

/// Checks a piece of subscriber data that will reach FreeSWITCH inside a command: refuses CR,
/// LF and NUL (they would end the command) and `${` / `$${` (FreeSWITCH expands variables in
/// application arguments and channel variables, and expansion can run APIs).
pub fn check_data(what: &'static str, value: &str) -> Result<()> {
    line_safe(what, value)?;
    if value.contains("${") {
        return Err(CommandError::Expansion { what });
    }
    Ok(())
}

fn balanced(v: &str, open: char, close: char) -> bool {
    let mut depth = 0i64;
    for c in v.chars() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth < 0 {
                return false;
            }
        }
    }
    depth == 0
}

/// Builds the argument of `originate`: `{vars}endpoint destination`, e.g.
/// `{origination_uuid=U}sofia/gateway/gw/79001234567 &park()`. The endpoint and destination
/// must not contain spaces, CR or LF (the endpoint is operator configuration plus a
/// normalized number, never free text). An endpoint may open with a per-leg `[…]` block only
/// as [`leg_group`] builds it.
pub fn originate_args(vars: &[(&str, &str)], endpoint: &str, destination: &str) -> Result<String> {
    nonempty("endpoint", endpoint)?;
    nonempty("destination", destination)?;
    if endpoint.contains(' ') || endpoint.starts_with('{') {
        return Err(CommandError::BadName {
            what: "endpoint",
            value: endpoint.to_owned(),
        });
    }
    let vars = originate_vars(vars)?;
    let block = if vars.is_empty() {
        String::new()
    } else {
        format!("{{{vars}}}")
    };
    Ok(format!("{block}{endpoint} {destination}"))
}

/// Legs rung at the same time by one originate (FreeSWITCH's `,` separator: the first to answer
/// wins, the switch hangs up the others with LOSE_RACE): `[vars]endpoint,[vars]endpoint`. Each
/// leg's variables are escaped as [`originate_vars`]; each endpoint must be one plain dial
/// string (as `app::dial_target` builds it: no separator, bracket or space).
pub fn leg_group(legs: &[(&[(&str, &str)], &str)]) -> Result<String> {
    let mut out = String::new();
    for (i, (vars, endpoint)) in legs.iter().enumerate() {
        nonempty("endpoint", endpoint)?;
        if endpoint.contains([' ', ',', '|', '{', '}', '[', ']']) || endpoint.contains(":_:") {
            return Err(CommandError::BadName {
                what: "endpoint",
                value: (*endpoint).to_owned(),
            });
        }
        line_safe("endpoint", endpoint)?;
        if i > 0 {
            out.push(',');
        }
        let vars = originate_vars(vars)?;
        if !vars.is_empty() {
            out.push('[');
            out.push_str(&vars);
            out.push(']');
        }
        out.push_str(endpoint);
    }
    nonempty("leg group", &out)?;
    Ok(out)
}

#[cfg(test)]
mod leg_group_tests {
    use super::*;

    #[test]
    fn legs_with_their_own_variables() {
        let a: &[(&str, &str)] = &[
            ("origination_uuid", "A"),
            ("origination_caller_id_number", "+74950000001"),
        ];
        let b: &[(&str, &str)] = &[("origination_uuid", "B")];
        let g = leg_group(&[
            (a, "sofia/gateway/t1/79161110001"),
            (b, "sofia/gateway/t1/79161110002"),
        ])
        .unwrap();
        assert_eq!(
            g,
            "[origination_uuid=A,origination_caller_id_number=+74950000001]sofia/gateway/t1/79161110001,[origination_uuid=B]sofia/gateway/t1/79161110002"
        );
        let args = originate_args(&[("originate_timeout", "30")], &g, "&park()").unwrap();
        assert!(
            args.starts_with("{originate_timeout=30}[origination_uuid=A,"),
            "{args}"
        );
    }

    #[test]
    fn refuses_what_would_add_a_leg_or_a_block() {
        let v: &[(&str, &str)] = &[];
        for bad in [
            "sofia/gateway/t/1,sofia/x/2",
            "sofia/gateway/t/1|x",
            "[x=1]sofia/t/1",
            "a b",
            "sofia/t/1:_:x",
            "",
        ] {
            assert!(leg_group(&[(v, bad)]).is_err(), "{bad}");
        }
        let inj: &[(&str, &str)] = &[("origination_caller_id_number", "${system(id)}")];
        assert!(leg_group(&[(inj, "sofia/t/1")]).is_err());
        assert!(leg_group(&[]).is_err());
        assert!(originate_args(&[], "{x=1}sofia/t/1", "&park()").is_err());
    }
}
