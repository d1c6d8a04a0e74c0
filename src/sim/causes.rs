//! Hangup causes: names and Q.850 codes (PROTOCOL.md §9), the SIP status a sofia leg reports
//! for them, DIALSTATUS, and the CDR variables CHANNEL_HANGUP_COMPLETE carries.

use super::leg::Actor;

const CAUSES: &[(&str, u16)] = &[
    ("NONE", 0),
    ("UNALLOCATED_NUMBER", 1),
    ("NO_ROUTE_TRANSIT_NET", 2),
    ("NO_ROUTE_DESTINATION", 3),
    ("CHANNEL_UNACCEPTABLE", 6),
    ("CALL_AWARDED_DELIVERED", 7),
    ("NORMAL_CLEARING", 16),
    ("USER_BUSY", 17),
    ("NO_USER_RESPONSE", 18),
    ("NO_ANSWER", 19),
    ("SUBSCRIBER_ABSENT", 20),
    ("CALL_REJECTED", 21),
    ("NUMBER_CHANGED", 22),
    ("REDIRECTION_TO_NEW_DESTINATION", 23),
    ("EXCHANGE_ROUTING_ERROR", 25),
    ("DESTINATION_OUT_OF_ORDER", 27),
    ("INVALID_NUMBER_FORMAT", 28),
    ("FACILITY_REJECTED", 29),
    ("RESPONSE_TO_STATUS_ENQUIRY", 30),
    ("NORMAL_UNSPECIFIED", 31),
    ("NORMAL_CIRCUIT_CONGESTION", 34),
    ("NETWORK_OUT_OF_ORDER", 38),
    ("NORMAL_TEMPORARY_FAILURE", 41),
    ("SWITCH_CONGESTION", 42),
    ("ACCESS_INFO_DISCARDED", 43),
    ("REQUESTED_CHAN_UNAVAIL", 44),
    ("PRE_EMPTED", 45),
    ("FACILITY_NOT_SUBSCRIBED", 50),
    ("OUTGOING_CALL_BARRED", 52),
    ("INCOMING_CALL_BARRED", 54),
    ("BEARERCAPABILITY_NOTAUTH", 57),
    ("BEARERCAPABILITY_NOTAVAIL", 58),
    ("SERVICE_UNAVAILABLE", 63),
    ("BEARERCAPABILITY_NOTIMPL", 65),
    ("CHAN_NOT_IMPLEMENTED", 66),
    ("FACILITY_NOT_IMPLEMENTED", 69),
    ("SERVICE_NOT_IMPLEMENTED", 79),
    ("INVALID_CALL_REFERENCE", 81),
    ("INCOMPATIBLE_DESTINATION", 88),
    ("INVALID_MSG_UNSPECIFIED", 95),
    ("MANDATORY_IE_MISSING", 96),
    ("MESSAGE_TYPE_NONEXIST", 97),
    ("WRONG_MESSAGE", 98),
    ("IE_NONEXIST", 99),
    ("INVALID_IE_CONTENTS", 100),
    ("WRONG_CALL_STATE", 101),
    ("RECOVERY_ON_TIMER_EXPIRE", 102),
    ("MANDATORY_IE_LENGTH_ERROR", 103),
    ("PROTOCOL_ERROR", 111),
    ("INTERWORKING", 127),
    ("SUCCESS", 142),
    ("ORIGINATOR_CANCEL", 487),
    ("CRASH", 700),
    ("SYSTEM_SHUTDOWN", 701),
    ("LOSE_RACE", 702),
    ("MANAGER_REQUEST", 703),
    ("BLIND_TRANSFER", 800),
    ("ATTENDED_TRANSFER", 801),
    ("ALLOTTED_TIMEOUT", 802),
    ("USER_CHALLENGE", 803),
    ("MEDIA_TIMEOUT", 804),
    ("PICKED_OFF", 805),
    ("USER_NOT_REGISTERED", 806),
    ("PROGRESS_TIMEOUT", 807),
    ("INVALID_GATEWAY", 808),
    ("GATEWAY_DOWN", 809),
    ("INVALID_URL", 810),
    ("INVALID_PROFILE", 811),
    ("NO_PICKUP", 812),
    ("SRTP_READ_ERROR", 813),
    ("BOWOUT", 814),
    ("BUSY_EVERYWHERE", 815),
    ("DECLINE", 816),
    ("DOES_NOT_EXIST_ANYWHERE", 817),
    ("NOT_ACCEPTABLE", 818),
    ("UNWANTED", 819),
    ("NO_IDENTITY", 820),
    ("BAD_IDENTITY_INFO", 821),
    ("UNSUPPORTED_CERTIFICATE", 822),
    ("INVALID_IDENTITY", 823),
    ("STALE_DATE", 824),
    ("REJECT_ALL", 825),
];

/// Parses a cause as FreeSWITCH does: a name (any case) or a number; None if unknown.
pub fn parse(s: &str) -> Option<&'static str> {
    let s = s.trim();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        let n: u16 = s.parse().ok()?;
        return CAUSES.iter().find(|(_, c)| *c == n).map(|(n, _)| *n);
    }
    CAUSES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(n, _)| *n)
}

/// The static name of a cause; unknown names become NORMAL_CLEARING (FreeSWITCH's default).
pub fn canonical(s: &str) -> &'static str {
    parse(s).unwrap_or("NORMAL_CLEARING")
}

/// The Q.850 code of a cause name.
pub fn q850(name: &str) -> u16 {
    CAUSES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, c)| *c)
}

/// The SIP status sofia reports for a cause (sip_term_status).
pub fn sip_status(cause: &str) -> u16 {
    match cause {
        "UNALLOCATED_NUMBER" => 404,
        "USER_BUSY" => 486,
        "NO_USER_RESPONSE" => 480,
        "CALL_REJECTED" => 603,
        "NORMAL_TEMPORARY_FAILURE" => 503,
        "ORIGINATOR_CANCEL" | "NO_ANSWER" | "LOSE_RACE" => 487,
        "RECOVERY_ON_TIMER_EXPIRE" => 408,
        "INVALID_NUMBER_FORMAT" => 484,
        _ => 200,
    }
}

/// DIALSTATUS for the outcome of a bridge or originate.
pub fn dialstatus(cause: &str) -> &'static str {
    match cause {
        "SUCCESS" | "NORMAL_CLEARING" => "SUCCESS",
        "ORIGINATOR_CANCEL" => "CANCEL",
        "USER_BUSY" => "BUSY",
        "NO_ANSWER" | "NO_USER_RESPONSE" => "NOANSWER",
        "CALL_REJECTED" => "DONTCALL",
        "UNALLOCATED_NUMBER" | "INVALID_NUMBER_FORMAT" => "INVALIDARGS",
        "NORMAL_CIRCUIT_CONGESTION" | "SWITCH_CONGESTION" => "CONGESTION",
        _ => "CHANUNAVAIL",
    }
}

fn stamp(us: i64) -> String {
    if us == 0 {
        return String::new();
    }
    let (local, _) = super::simtime::date_strings(us);
    local
}

/// Sets the CDR variables of CHANNEL_HANGUP_COMPLETE, all in simulated time.
pub fn set_cdr_vars(a: &Actor, cause: &'static str) {
    let end = a.now();
    let mut c = a.ch();
    let t = c.profile.times;
    let start = t.created;
    let answered = t.answered;
    let progress = if t.progress != 0 {
        t.progress
    } else {
        t.progress_media
    };
    let dur_us = (end - start).max(0);
    let bill_us = if answered != 0 {
        (end - answered).max(0)
    } else {
        0
    };
    let ans_us = if answered != 0 {
        (answered - start).max(0)
    } else {
        0
    };
    let prog_us = if progress != 0 {
        (progress - start).max(0)
    } else {
        0
    };
    let status = sip_status(cause);
    let disp = if c.profile.outbound {
        "recv_bye"
    } else {
        "send_bye"
    };
    let orig_disp = if answered != 0 { "SUCCESS" } else { cause };
    let mut vars: Vec<(&str, String)> = vec![
        ("sip_term_status", status.to_string()),
        ("proto_specific_hangup_cause", format!("sip:{status}")),
        ("sip_hangup_disposition", disp.to_string()),
        ("originate_disposition", orig_disp.to_string()),
        ("DIALSTATUS", dialstatus(orig_disp).to_string()),
        ("start_stamp", stamp(start)),
        ("answer_stamp", stamp(answered)),
        ("end_stamp", stamp(end)),
    ];
    for (k, v) in [
        ("start", start),
        ("answer", answered),
        ("progress", progress),
        ("end", end),
    ] {
        vars.push((leak_epoch(k, false), (v / 1_000_000).to_string()));
        vars.push((leak_epoch(k, true), v.to_string()));
    }
    for (k, us) in [
        ("duration", dur_us),
        ("billsec", bill_us),
        ("progresssec", prog_us),
        ("answersec", ans_us),
        ("waitsec", ans_us),
    ] {
        vars.push((k, (us / 1_000_000).to_string()));
    }
    for (k, us) in [
        ("mduration", dur_us),
        ("billmsec", bill_us),
        ("progressmsec", prog_us),
        ("answermsec", ans_us),
        ("waitmsec", ans_us),
    ] {
        vars.push((k, (us / 1000).to_string()));
    }
    for (k, us) in [
        ("uduration", dur_us),
        ("billusec", bill_us),
        ("progressusec", prog_us),
        ("answerusec", ans_us),
        ("waitusec", ans_us),
    ] {
        vars.push((k, us.to_string()));
    }
    for (k, v) in vars {
        c.set_var(k, Some(&v));
    }
}

fn leak_epoch(k: &str, micro: bool) -> &'static str {
    match (k, micro) {
        ("start", false) => "start_epoch",
        ("start", true) => "start_uepoch",
        ("answer", false) => "answer_epoch",
        ("answer", true) => "answer_uepoch",
        ("progress", false) => "progress_epoch",
        ("progress", true) => "progress_uepoch",
        ("end", false) => "end_epoch",
        _ => "end_uepoch",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names_and_numbers() {
        assert_eq!(parse("user_busy"), Some("USER_BUSY"));
        assert_eq!(parse("17"), Some("USER_BUSY"));
        assert_eq!(parse("nope"), None);
        assert_eq!(canonical("nope"), "NORMAL_CLEARING");
        assert_eq!(q850("GATEWAY_DOWN"), 809);
        assert_eq!(dialstatus("CALL_REJECTED"), "DONTCALL");
    }
}
