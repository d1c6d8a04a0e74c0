//! What an attempt came to: hangup cause (plus SIP code, answer, billsec and what the call
//! script did) mapped to a [`Disposition`], exactly as DESIGN.md "Retry policy" lists them.
//! Pure functions; the raw cause and SIP code stay beside the result in the attempt row.

use crate::model::Disposition;

/// The pseudo-cause the dialer records when it could not reach the switch at all (socket down,
/// originate never accepted). It maps to [`Disposition::Technical`].
pub const SWITCH_UNREACHABLE: &str = "SWITCH_UNREACHABLE";

/// Everything known about a finished call that decides its disposition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallFacts {
    /// Hangup cause name as FreeSWITCH gives it (`USER_BUSY`), a Q.850 number, or empty.
    pub hangup_cause: String,
    /// SIP status of the far end, when known (`variable_sip_term_status`).
    pub sip_code: Option<u16>,
    /// The callee answered (CHANNEL_ANSWER seen, or billsec above zero).
    pub answered: bool,
    /// Seconds from answer to hangup.
    pub billsec: u32,
    /// The ring time ran out (`originate_timeout`): a timeout-caused ORIGINATOR_CANCEL.
    pub ring_timeout: bool,
    /// The script bridged the callee to an operator.
    pub bridged: bool,
    /// The callee pressed the opt-out digit.
    pub opted_out: bool,
    /// The dialer hung the call up because its campaign was stopped.
    pub cancelled: bool,
    /// outcall itself ended the call (drain at a stop, crash recovery), not the callee, the
    /// script or an operator.
    pub interrupted: bool,
    /// A `set` node of the script chose the disposition itself.
    pub script_disposition: Option<Disposition>,
    /// The campaign's answering-machine detection found a machine (`call::amd`).
    pub machine: bool,
}

/// The disposition of a finished call.
pub fn disposition(facts: &CallFacts, min_success_seconds: u32) -> Disposition {
    if facts.cancelled {
        return Disposition::Cancelled;
    }
    if facts.opted_out {
        return Disposition::OptedOut;
    }
    if let Some(d) = facts.script_disposition {
        return d;
    }
    if facts.bridged {
        return Disposition::Transferred;
    }
    // Past the success points above (a `set` disposition, an opt-out, a bridge), a call outcall
    // cut is not what the callee did with it, answered or not.
    if facts.interrupted {
        return Disposition::Interrupted;
    }
    // A machine answered: whatever the script then did (hung up, left a message, went on),
    // no person was reached, unless a `set` node, an opt-out or a bridge above says otherwise.
    if facts.machine && (facts.answered || facts.billsec > 0) {
        return Disposition::Machine;
    }
    if facts.answered || facts.billsec > 0 {
        return if facts.billsec >= min_success_seconds {
            Disposition::Answered
        } else {
            Disposition::ShortCall
        };
    }
    let cause = normalise_cause(&facts.hangup_cause, facts.sip_code);
    if cause == "ORIGINATOR_CANCEL" {
        return if facts.ring_timeout {
            Disposition::NoAnswer
        } else {
            Disposition::Failed
        };
    }
    cause_disposition(&cause)
}

/// Disposition of an unanswered call from its (normalised) hangup cause alone.
pub fn cause_disposition(cause: &str) -> Disposition {
    match cause {
        "USER_BUSY" => Disposition::Busy,
        "NO_ANSWER" | "NO_USER_RESPONSE" => Disposition::NoAnswer,
        "CALL_REJECTED" => Disposition::Rejected,
        "UNALLOCATED_NUMBER" | "INVALID_NUMBER_FORMAT" | "NO_ROUTE_DESTINATION" => {
            Disposition::InvalidNumber
        }
        c if is_technical(c) => Disposition::Technical,
        _ => Disposition::Failed,
    }
}

/// Causes that say the network or the switch failed, not the callee.
pub fn is_technical(cause: &str) -> bool {
    matches!(
        cause,
        "NORMAL_TEMPORARY_FAILURE"
            | "DESTINATION_OUT_OF_ORDER"
            | "NETWORK_OUT_OF_ORDER"
            | "RECOVERY_ON_TIMER_EXPIRE"
            | "GATEWAY_DOWN"
            | "INVALID_GATEWAY"
            | "NORMAL_CIRCUIT_CONGESTION"
            | "SWITCH_CONGESTION"
            | "SYSTEM_SHUTDOWN"
            | "CRASH"
            | SWITCH_UNREACHABLE
    )
}

/// Upper-cases a cause name, turns a Q.850 number into its name, and falls back to the SIP
/// code (sofia's table, PROTOCOL.md section 9) when no cause is given.
pub fn normalise_cause(cause: &str, sip_code: Option<u16>) -> String {
    let c = cause.trim();
    if c.is_empty() || c.eq_ignore_ascii_case("NONE") || c == "NORMAL_UNSPECIFIED" {
        if let Some(name) = sip_code.and_then(sip_cause) {
            return name.to_string();
        }
    }
    if c.starts_with(|ch: char| ch.is_ascii_digit()) {
        if let Some(name) = c.parse::<u16>().ok().and_then(q850_name) {
            return name.to_string();
        }
    }
    c.to_ascii_uppercase()
}

/// Sofia's mapping of a SIP final response to a hangup cause.
pub fn sip_cause(code: u16) -> Option<&'static str> {
    Some(match code {
        404 => "UNALLOCATED_NUMBER",
        486 | 600 => "USER_BUSY",
        480 => "NO_USER_RESPONSE",
        401 | 402 | 403 | 407 | 603 | 608 => "CALL_REJECTED",
        408 | 504 => "RECOVERY_ON_TIMER_EXPIRE",
        400 | 481 | 500 | 503 => "NORMAL_TEMPORARY_FAILURE",
        487 => "ORIGINATOR_CANCEL",
        484 => "INVALID_NUMBER_FORMAT",
        485 | 604 => "NO_ROUTE_DESTINATION",
        488 | 606 => "INCOMPATIBLE_DESTINATION",
        502 => "NETWORK_OUT_OF_ORDER",
        c if (400..700).contains(&c) => "NORMAL_UNSPECIFIED",
        _ => return None,
    })
}

/// Names of the Q.850 and FreeSWITCH cause numbers that decide a disposition.
fn q850_name(code: u16) -> Option<&'static str> {
    Some(match code {
        1 => "UNALLOCATED_NUMBER",
        3 => "NO_ROUTE_DESTINATION",
        16 => "NORMAL_CLEARING",
        17 => "USER_BUSY",
        18 => "NO_USER_RESPONSE",
        19 => "NO_ANSWER",
        21 => "CALL_REJECTED",
        27 => "DESTINATION_OUT_OF_ORDER",
        28 => "INVALID_NUMBER_FORMAT",
        34 => "NORMAL_CIRCUIT_CONGESTION",
        38 => "NETWORK_OUT_OF_ORDER",
        41 => "NORMAL_TEMPORARY_FAILURE",
        42 => "SWITCH_CONGESTION",
        102 => "RECOVERY_ON_TIMER_EXPIRE",
        487 => "ORIGINATOR_CANCEL",
        808 => "INVALID_GATEWAY",
        809 => "GATEWAY_DOWN",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Disposition::*;

    fn unanswered(cause: &str) -> Disposition {
        let f = CallFacts {
            hangup_cause: cause.into(),
            ..CallFacts::default()
        };
        disposition(&f, 10)
    }

    #[test]
    fn causes_map_as_the_design_lists() {
        let table = [
            ("USER_BUSY", Busy),
            ("NO_ANSWER", NoAnswer),
            ("NO_USER_RESPONSE", NoAnswer),
            ("CALL_REJECTED", Rejected),
            ("UNALLOCATED_NUMBER", InvalidNumber),
            ("INVALID_NUMBER_FORMAT", InvalidNumber),
            ("NO_ROUTE_DESTINATION", InvalidNumber),
            ("NORMAL_TEMPORARY_FAILURE", Technical),
            ("DESTINATION_OUT_OF_ORDER", Technical),
            ("NETWORK_OUT_OF_ORDER", Technical),
            ("RECOVERY_ON_TIMER_EXPIRE", Technical),
            ("GATEWAY_DOWN", Technical),
            ("INVALID_GATEWAY", Technical),
            ("NORMAL_CIRCUIT_CONGESTION", Technical),
            ("SWITCH_CONGESTION", Technical),
            ("SYSTEM_SHUTDOWN", Technical),
            ("CRASH", Technical),
            (SWITCH_UNREACHABLE, Technical),
            ("NORMAL_CLEARING", Failed),
            ("INCOMPATIBLE_DESTINATION", Failed),
            ("LOSE_RACE", Failed),
            ("", Failed),
            ("user_busy", Busy),
            ("17", Busy),
            ("809", Technical),
        ];
        for (cause, want) in table {
            assert_eq!(unanswered(cause), want, "cause {cause:?}");
        }
    }

    #[test]
    fn originator_cancel_depends_on_the_timeout() {
        let mut f = CallFacts {
            hangup_cause: "ORIGINATOR_CANCEL".into(),
            ..CallFacts::default()
        };
        assert_eq!(disposition(&f, 10), Failed);
        f.ring_timeout = true;
        assert_eq!(disposition(&f, 10), NoAnswer);
    }

    #[test]
    fn sip_code_fills_a_missing_cause() {
        let f = CallFacts {
            sip_code: Some(486),
            ..CallFacts::default()
        };
        assert_eq!(disposition(&f, 10), Busy);
        let f = CallFacts {
            hangup_cause: "NORMAL_UNSPECIFIED".into(),
            sip_code: Some(404),
            ..CallFacts::default()
        };
        assert_eq!(disposition(&f, 10), InvalidNumber);
        assert_eq!(sip_cause(200), None);
        assert_eq!(sip_cause(499), Some("NORMAL_UNSPECIFIED"));
    }

    #[test]
    fn answered_calls_by_length_and_script() {
        let mut f = CallFacts {
            hangup_cause: "NORMAL_CLEARING".into(),
            answered: true,
            billsec: 25,
            ..CallFacts::default()
        };
        assert_eq!(disposition(&f, 10), Answered);
        f.billsec = 10;
        assert_eq!(disposition(&f, 10), Answered, "exactly the minimum counts");
        f.billsec = 4;
        assert_eq!(disposition(&f, 10), ShortCall);
        f.bridged = true;
        assert_eq!(
            disposition(&f, 10),
            Transferred,
            "a short call bridged is a transfer"
        );
        f.script_disposition = Some(Rejected);
        assert_eq!(disposition(&f, 10), Rejected);
        f.opted_out = true;
        assert_eq!(disposition(&f, 10), OptedOut);
        f.cancelled = true;
        assert_eq!(disposition(&f, 10), Cancelled);
    }

    #[test]
    fn interrupted_unless_the_script_reached_a_success_point() {
        let mut f = CallFacts {
            hangup_cause: "NORMAL_CLEARING".into(),
            answered: true,
            billsec: 103,
            interrupted: true,
            ..CallFacts::default()
        };
        assert_eq!(
            disposition(&f, 10),
            Interrupted,
            "a long call cut by outcall"
        );
        f.answered = false;
        f.billsec = 0;
        f.hangup_cause = "ORIGINATOR_CANCEL".into();
        assert_eq!(disposition(&f, 10), Interrupted, "cut while ringing");
        f.bridged = true;
        assert_eq!(
            disposition(&f, 10),
            Transferred,
            "a bridge is a success point"
        );
        f.bridged = false;
        f.script_disposition = Some(Answered);
        assert_eq!(disposition(&f, 10), Answered, "a `set` node is one");
        f.script_disposition = None;
        f.opted_out = true;
        assert_eq!(disposition(&f, 10), OptedOut);
        f.cancelled = true;
        assert_eq!(disposition(&f, 10), Cancelled, "a stop by hand wins");
    }

    #[test]
    fn a_machine_is_machine_unless_the_script_or_a_stop_decided() {
        let mut f = CallFacts {
            hangup_cause: "NORMAL_CLEARING".into(),
            answered: true,
            billsec: 40,
            machine: true,
            ..CallFacts::default()
        };
        assert_eq!(disposition(&f, 10), Machine, "a long greeting");
        f.billsec = 3;
        assert_eq!(disposition(&f, 10), Machine, "hung up at once: not short");
        f.script_disposition = Some(Answered);
        assert_eq!(disposition(&f, 10), Answered, "a `set` node wins");
        f.script_disposition = None;
        f.interrupted = true;
        assert_eq!(disposition(&f, 10), Interrupted);
        f.interrupted = false;
        f.cancelled = true;
        assert_eq!(disposition(&f, 10), Cancelled);
    }

    #[test]
    fn billsec_alone_means_answered() {
        let f = CallFacts {
            hangup_cause: "NORMAL_CLEARING".into(),
            billsec: 30,
            ..CallFacts::default()
        };
        assert_eq!(disposition(&f, 10), Answered);
    }
}
