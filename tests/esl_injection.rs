//! Property tests: no string placed in any argument of any command builder can produce a second
//! command (the bytes decode, as FreeSWITCH reads them, to exactly one request with exactly the
//! intended command line and headers), and originate variables survive FreeSWITCH's three
//! parsing passes (a model transcribed from switch_utils.c) as exactly the data given.

use bytes::BytesMut;
use outcall::esl::command::{self, Command, EventFormat};
use outcall::esl::{Request, ServerCodec};
use proptest::prelude::*;
use tokio_util::codec::Decoder;

/// Decodes as FreeSWITCH would; asserts exactly one request and nothing left over.
fn one_request(cmd: &Command) -> Request {
    let mut codec = ServerCodec::default();
    let mut buf = BytesMut::from(cmd.as_bytes());
    let req = codec.decode(&mut buf).unwrap().expect("a complete request");
    assert!(buf.is_empty(), "bytes left after the request: {buf:?}");
    assert!(codec.decode_eof(&mut buf).unwrap().is_none());
    req
}

fn names(req: &Request) -> Vec<String> {
    req.headers.iter().map(|(n, _)| n.to_owned()).collect()
}

/// Strings rich in the characters that matter: line breaks, NUL, separators, quotes, brackets.
fn nasty() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => any::<char>(),
        2 => prop::sample::select(vec![
            '\n', '\r', '\0', ' ', ',', '\'', '"', '\\', '{', '}', '[', ']', '=', ':', '$', 's', 'n'
        ]),
    ];
    prop::collection::vec(ch, 0..24).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn api_and_bgapi_stay_one_command(cmd in nasty(), args in nasty(), job in nasty()) {
        if let Ok(c) = command::api(&cmd, &args) {
            let r = one_request(&c);
            prop_assert_eq!(r.command, if args.is_empty() { format!("api {cmd}") } else { format!("api {cmd} {args}") });
            prop_assert!(r.headers.is_empty());
        }
        if let Ok(c) = command::bgapi(&cmd, &args, Some(&job)) {
            let r = one_request(&c);
            prop_assert!(r.command.starts_with("bgapi "));
            prop_assert_eq!(names(&r), vec!["Job-UUID".to_owned()]);
            prop_assert_eq!(r.headers.get("Job-UUID").unwrap(), job.as_str());
        }
    }

    #[test]
    fn sendmsg_family_stays_one_command(uuid in nasty(), app in nasty(), arg in nasty(), ev in nasty(), cause in nasty()) {
        if let Ok(c) = command::execute(Some(&uuid), &app, &arg, Some(&ev), true) {
            let r = one_request(&c);
            prop_assert_eq!(&r.command, &format!("sendmsg {uuid}"));
            let mut want = vec!["call-command", "execute-app-name"];
            if !arg.is_empty() { want.push("execute-app-arg"); }
            want.extend(["Event-UUID", "event-lock"]);
            prop_assert_eq!(names(&r), want);
            if !arg.is_empty() {
                prop_assert_eq!(r.headers.get("execute-app-arg").unwrap(), arg.trim_start_matches([' ', '\t']));
            }
        }
        if let Ok(c) = command::hangup(Some(&uuid), &cause) {
            let r = one_request(&c);
            prop_assert_eq!(names(&r), vec!["call-command", "hangup-cause"]);
        }
        if let Ok(c) = command::sendmsg(Some(&uuid), &[("x-data", &arg), (&app, &cause)], Some(arg.as_bytes())) {
            let r = one_request(&c);
            prop_assert_eq!(names(&r).len(), 3);
            prop_assert_eq!(r.body.as_deref(), Some(arg.as_bytes()));
        }
    }

    #[test]
    fn other_commands_stay_one_command(a in nasty(), b in nasty()) {
        let built = [
            command::auth(&a),
            command::filter(&a, &b),
            command::filter_delete(&a, Some(&b)),
            command::event(EventFormat::Plain, &[&a, &b]),
            command::nixevent(&[&a]),
            command::getvar(&a),
        ];
        for c in built.into_iter().flatten() {
            let r = one_request(&c);
            prop_assert!(r.headers.is_empty());
            prop_assert!(!r.command.contains(['\r', '\n', '\0']));
        }
    }

    #[test]
    fn originate_vars_come_back_exactly_or_are_refused(
        vars in prop::collection::vec(("[a-z_]{1,12}", nasty()), 0..5)
    ) {
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        if let Ok(args) = command::originate_args(&pairs, "sofia/gateway/gw/79001234567", "&park()") {
            let (got, endpoint, argv) = fs_model::originate(&args);
            prop_assert_eq!(got, vars);
            prop_assert_eq!(endpoint, "sofia/gateway/gw/79001234567");
            prop_assert_eq!(argv, vec!["&park()".to_owned()]);
        }
    }

    #[test]
    fn parallel_legs_stay_two_legs(value in nasty()) {
        let a: &[(&str, &str)] = &[("origination_caller_id_number", &value)];
        let b: &[(&str, &str)] = &[("origination_uuid", "B")];
        if let Ok(group) = command::leg_group(&[(a, "sofia/gateway/gw/1"), (b, "sofia/gateway/gw/2")]) {
            let args = command::originate_args(&[], &group, "&park()").unwrap();
            let (_, endpoint, argv) = fs_model::originate(&args);
            prop_assert_eq!(argv, vec!["&park()".to_owned()]);
            // Legs are split at commas outside brackets that are not escaped.
            let (mut depth, mut legs, mut prev) = (0i32, 1, ' ');
            for c in endpoint.chars() {
                match c {
                    '[' | '{' => depth += 1,
                    ']' | '}' => depth -= 1,
                    ',' if depth == 0 && prev != '\\' => legs += 1,
                    _ => {}
                }
                prev = c;
            }
            prop_assert_eq!(legs, 2, "{}", endpoint);
            prop_assert!(endpoint.ends_with("]sofia/gateway/gw/2"));
        }
    }

    #[test]
    fn ordinary_names_are_accepted_and_kept(
        value in "[A-Za-zА-Яа-я0-9\",=.()-]([A-Za-zА-Яа-я0-9 \",=.()-]{0,20}[A-Za-zА-Яа-я0-9\",=.-])?"
    ) {
        let args = command::originate_args(&[("contact_name", &value)], "loopback/1", "&park()").unwrap();
        let (got, _, _) = fs_model::originate(&args);
        prop_assert_eq!(got, vec![("contact_name".to_owned(), value)]);
    }
}

#[path = "esl_fs_model/mod.rs"]
mod fs_model;
