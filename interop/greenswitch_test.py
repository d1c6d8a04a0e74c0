"""Interop check: PyPI's greenswitch (a third-party ESL client) against `outcall sim`, unchanged.

Usage: greenswitch_test.py HOST PORT. Connects, authenticates, subscribes, runs
`bgapi originate ... &park()`, waits for the BACKGROUND_JOB and the channel events, executes
playback with sendmsg, hangs up, and checks CHANNEL_HANGUP_COMPLETE. Exits non-zero on failure.
"""
import sys

import gevent
import greenswitch


def job_body(event):
    """The BACKGROUND_JOB result. greenswitch keeps a plain event's inner body inside its
    Content-Length header value ("15\n\n+OK <uuid>"), with real FreeSWITCH as here."""
    data = getattr(event, "data", None)
    if data:
        return data
    raw = event.headers.get("Content-Length", "")
    return raw.split("\n\n", 1)[1] if "\n\n" in raw else ""


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    seen = []
    jobs = {}
    done = {}

    def on_event(event):
        name = event.headers.get("Event-Name")
        seen.append((name, event.headers.get("Unique-ID"), event.headers.get("Application")))
        if name == "BACKGROUND_JOB":
            jobs[event.headers.get("Job-UUID")] = job_body(event)
        if name == "CHANNEL_EXECUTE_COMPLETE":
            done[event.headers.get("Application-UUID")] = event.headers.get("Application-Response")

    fs = greenswitch.InboundESL(host=host, port=port, password="ClueCon")
    fs.connect()
    fs.register_handle("*", on_event)
    reply = fs.send("event plain ALL")
    assert reply.headers["Reply-Text"].startswith("+OK"), reply.headers

    uuid = "interop-a1"
    reply = fs.send("bgapi originate {origination_uuid=%s}sofia/gateway/demo/79001000001 &park()" % uuid)
    job = reply.headers.get("Job-UUID")
    assert job, reply.headers
    with gevent.Timeout(10):
        while job not in jobs:
            gevent.sleep(0.01)
    assert jobs[job].strip() == "+OK %s" % uuid, jobs[job]

    reply = fs.send(
        "sendmsg %s\ncall-command: execute\nexecute-app-name: playback\n"
        "execute-app-arg: /tmp/interop.wav\nevent-uuid: interop-pb" % uuid
    )
    assert reply.headers["Reply-Text"] == "+OK", reply.headers
    with gevent.Timeout(10):
        while "interop-pb" not in done:
            gevent.sleep(0.01)
    assert done["interop-pb"] == "FILE PLAYED", done

    res = fs.send("api uuid_kill %s" % uuid)
    assert res.data.strip() == "+OK", res.data
    with gevent.Timeout(10):
        while not any(n == "CHANNEL_HANGUP_COMPLETE" and u == uuid for n, u, _ in seen):
            gevent.sleep(0.01)

    names = [n for n, u, _ in seen if u == uuid]
    for want in ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_EXECUTE",
                 "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"):
        assert want in names, (want, names)
    fs.stop()
    print("greenswitch interop: OK (%d events for the call)" % len(names))


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - report any failure as a non-zero exit
        print("greenswitch interop: FAILED: %r" % (exc,), file=sys.stderr)
        sys.exit(1)
