//! `status` and `show channels` (text and `as json`) output.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::core::Core;

/// `status`: the free text FreeSWITCH prints (no `+OK`).
pub fn status(core: &Core) -> String {
    let up = core.id.clock.uptime_us();
    let (s, us) = (up / 1_000_000, up % 1_000_000);
    let c = &core.counters;
    let max = core.max_sessions.load(Ordering::Relaxed);
    let sps = core.sps.load(Ordering::Relaxed);
    format!(
        "UP 0 years, {} days, {} hours, {} minutes, {} seconds, {} milliseconds, {} microseconds\n\
         FreeSWITCH (Version 1.11.1-release outcall-sim 64bit) is ready\n\
         {} session(s) since startup\n\
         {} session(s) - peak {}, last 5min {}\n\
         {} session(s) per Sec out of max {}, peak {}, last 5min {}\n\
         {} session(s) max\n\
         min idle cpu 0.00/99.00\n\
         Current Stack Size/Max 240K/8192K\n",
        s / 86_400,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60,
        us / 1000,
        us % 1000,
        c.sessions_total.load(Ordering::Relaxed),
        c.channels_now.load(Ordering::Relaxed),
        c.max_concurrent.load(Ordering::Relaxed),
        c.max_concurrent.load(Ordering::Relaxed),
        core.sps_now(),
        if sps == 0 { 30 } else { sps },
        core.sps_now(),
        core.sps_now(),
        if max == 0 { 1000 } else { max },
    )
}

const COLUMNS: &[&str] = &[
    "uuid",
    "direction",
    "created",
    "created_epoch",
    "name",
    "state",
    "cid_name",
    "cid_num",
    "ip_addr",
    "dest",
    "application",
    "application_data",
    "dialplan",
    "context",
    "read_codec",
    "read_rate",
    "read_bit_rate",
    "write_codec",
    "write_rate",
    "write_bit_rate",
    "secure",
    "hostname",
    "presence_id",
    "presence_data",
    "accountcode",
    "callstate",
    "callee_name",
    "callee_num",
    "callee_direction",
    "call_uuid",
    "sent_callee_name",
    "sent_callee_num",
    "initial_cid_name",
    "initial_cid_num",
    "initial_ip_addr",
    "initial_dest",
    "initial_dialplan",
    "initial_context",
];

fn rows(core: &Core) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for e in core.live_channels() {
        let c = e.data.lock().unwrap_or_else(|p| p.into_inner());
        if c.hangup_cause.is_some() {
            continue;
        }
        let p = &c.profile;
        let created = p.times.created;
        let (local, _) = super::simtime::date_strings(created);
        let (app, data) = c.current_app.clone().unwrap_or_default();
        let (codec, rate, bits) = if c.media {
            ("PCMA", "8000", "64000")
        } else {
            ("", "", "")
        };
        let dir = if p.outbound { "outbound" } else { "inbound" };
        let v = vec![
            c.uuid.clone(),
            dir.into(),
            local,
            (created / 1_000_000).to_string(),
            c.name.clone(),
            c.state.name().into(),
            p.cid_name.clone(),
            p.cid_num.clone(),
            p.network_addr.clone(),
            p.destination.clone(),
            app,
            data,
            "XML".into(),
            p.context.clone(),
            codec.into(),
            rate.into(),
            bits.into(),
            codec.into(),
            rate.into(),
            bits.into(),
            String::new(),
            core.id.hostname.clone(),
            c.presence_id.clone().unwrap_or_default(),
            String::new(),
            String::new(),
            c.call_state.name().into(),
            p.callee_name.clone(),
            p.callee_num.clone(),
            String::new(),
            c.call_uuid.clone(),
            String::new(),
            String::new(),
            p.cid_name.clone(),
            p.cid_num.clone(),
            p.network_addr.clone(),
            p.destination.clone(),
            "XML".into(),
            p.context.clone(),
        ];
        out.push(v);
    }
    out.sort_by_key(|r| r[3].clone());
    out
}

/// `show channels [as json]`; other `show` topics give an empty result.
pub fn show(core: &Core, args: &str) -> String {
    let words: Vec<String> = args
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let json = words.windows(2).any(|w| w[0] == "as" && w[1] == "json");
    let topic = words.first().map(String::as_str).unwrap_or("");
    let rows = match topic {
        "channels" | "calls" => rows(core),
        "" => return "-USAGE: <topic>\n".into(),
        _ => Vec::new(),
    };
    if json {
        return to_json(&rows);
    }
    let mut s = COLUMNS.join(",");
    s.push('\n');
    for r in &rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    let _ = write!(s, "\n{} total.\n", rows.len());
    s
}

fn to_json(rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "{\"row_count\":0}\n".into();
    }
    let arr: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let m: serde_json::Map<String, serde_json::Value> = COLUMNS
                .iter()
                .zip(r)
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                .collect();
            serde_json::Value::Object(m)
        })
        .collect();
    let v = serde_json::json!({"row_count": rows.len(), "rows": arr});
    format!("{v}\n")
}
