//! Origins (`Event-Calling-File`, `-Function`, `-Line-Number`) of the events a channel fires,
//! taken from the captures where they appear.

use crate::sim::event::Origin;

pub const STATE: Origin = (
    "switch_channel.c",
    "switch_channel_perform_set_running_state",
    1931,
);
pub const CALLSTATE: Origin = (
    "switch_channel.c",
    "switch_channel_perform_set_callstate",
    235,
);
pub const CREATE: Origin = (
    "switch_core_state_machine.c",
    "switch_core_session_run",
    426,
);
pub const OUTGOING: Origin = (
    "switch_core_session.c",
    "switch_core_session_outgoing_channel",
    727,
);
pub const ORIGINATE: Origin = ("switch_ivr_originate.c", "switch_ivr_originate", 3456);
pub const PROGRESS: Origin = (
    "switch_channel.c",
    "switch_channel_perform_mark_ring_ready_value",
    3172,
);
pub const PROGRESS_MEDIA: Origin = (
    "switch_channel.c",
    "switch_channel_perform_mark_pre_answered",
    3291,
);
pub const ANSWER: Origin = (
    "switch_channel.c",
    "switch_channel_perform_mark_answered",
    3539,
);
pub const CODEC: Origin = (
    "switch_core_codec.c",
    "switch_core_session_set_real_read_codec",
    162,
);
pub const CALL_UPDATE: Origin = (
    "switch_channel.c",
    "switch_channel_check_caller_update",
    3766,
);
pub const EXECUTE: Origin = ("switch_core_session.c", "switch_core_session_exec", 2312);
pub const EXECUTE_COMPLETE: Origin = ("switch_core_session.c", "switch_core_session_exec", 2334);
pub const PARK: Origin = ("switch_ivr.c", "switch_ivr_park", 898);
pub const UNPARK: Origin = ("switch_ivr.c", "switch_ivr_park", 1101);
pub const HANGUP: Origin = ("switch_channel.c", "switch_channel_perform_hangup", 2920);
pub const HANGUP_COMPLETE: Origin = (
    "switch_core_state_machine.c",
    "switch_core_session_reporting_state",
    696,
);
pub const DESTROY: Origin = (
    "switch_core_session.c",
    "switch_core_session_perform_destroy",
    1298,
);
pub const BRIDGE: Origin = (
    "switch_ivr_bridge.c",
    "switch_ivr_multi_threaded_bridge",
    1335,
);
pub const UNBRIDGE: Origin = (
    "switch_ivr_bridge.c",
    "switch_ivr_multi_threaded_bridge",
    1520,
);
pub const DTMF: Origin = ("switch_channel.c", "switch_channel_dequeue_dtmf", 613);
pub const PLAYBACK_START: Origin = ("switch_ivr_play_say.c", "switch_ivr_play_file", 1569);
pub const PLAYBACK_STOP: Origin = ("switch_ivr_play_say.c", "switch_ivr_play_file", 2052);
pub const RECORD_START: Origin = ("switch_ivr_async.c", "record_callback", 1185);
pub const RECORD_STOP: Origin = ("switch_ivr_async.c", "record_callback", 1349);
pub const FILESTRING: Origin = ("mod_dptools.c", "file_string_file_open", 5961);
