"""The console under load (`make console-bench`, not in CI): a 100,000-contact campaign with
1,000 live calls against `outcall sim` (every call answered and kept up by a long menu), the
campaign page open in chromium. Prints the tab's JS heap (CDP Performance.getMetrics) and the
renderer's resident memory, and the delay from a pause/resume made through the API to the page
showing it (measured inside the page: request sent to the DOM changed).

Usage: bench.py BIN CHROMIUM
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import free_port
from playwright.sync_api import sync_playwright

BIN, CHROMIUM = sys.argv[1], sys.argv[2]
CONTACTS = int(os.environ.get("CONSOLE_BENCH_CONTACTS", "100000"))
LIVE = int(os.environ.get("CONSOLE_BENCH_LIVE", "1000"))


def renderer_rss_mb(field="VmRSS"):
    """Memory of chromium's renderer processes (one tab open: the largest is it): VmRSS, all
    resident pages (the browser's shared code included), or RssAnon, the tab's private memory
    (what Chrome's task manager calls its footprint, near enough)."""
    best = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"--type=renderer" not in cmd:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    best = max(best, int(line.split()[1]) // 1024)
        except OSError:
            continue
    return best


DEFINITION = f"""name = "load"
caller_id = "74950000000"
dial = "sofia/gateway/sim/{{number}}"
timezone = "Europe/Moscow"
[limits]
lines = {LIVE}
cps = 200
[script]
start = "ask"
[script.nodes.ask]
type = "menu"
prompt = {{ text = "Нажмите 1." }}
digits = {{ "1" = "bye" }}
timeout = "600s"
tries = 1
on_timeout = "bye"
on_invalid = "bye"
[script.nodes.bye]
type = "hangup"
"""

RULES = """[[rule]]
name = "long"
prefix = "7"
outcome = [{ result = "answer", ring = 1.0, hangup_after = 3600.0 }]
"""

DELAY_JS = """async ([want]) => {
  const head = document.getElementById("campaign-head");
  const t0 = performance.now();
  const seen = new Promise((resolve) => {
    const obs = new MutationObserver(() => {
      if (head.dataset.status === want) { obs.disconnect(); resolve(performance.now()); }
    });
    obs.observe(head, { attributes: true });
  });
  const path = want === "paused" ? "/campaigns/load/pause" : "/campaigns/load/resume";
  const res = await fetch(path, { method: "POST", headers: { Authorization: "Bearer " + C.token,
    "Content-Type": "application/json" }, body: want === "paused" ? JSON.stringify({ reason: "bench" }) : undefined });
  if (!res.ok) throw new Error("status " + res.status);
  return (await seen) - t0;
}"""


def main():
    work = Path(tempfile.mkdtemp(prefix="outcall-console-bench-"))
    sim_port, api_port = free_port(), free_port()
    (work / "outcall.toml").write_text(f"""database_url = "sqlite://{work}/bench.db"
max_concurrent_calls = 5000
[[freeswitch]]
address = "127.0.0.1:{sim_port}"
password = "ClueCon"
max_sessions = 5000
cps = 300
[http]
listen = "127.0.0.1:{api_port}"
rate_per_token = 100000
""")
    (work / "load.toml").write_text(DEFINITION)
    (work / "rules.toml").write_text(RULES)
    with open(work / "load.csv", "w") as f:
        f.write("NAME,PHONE,BALANCE\n")
        for i in range(CONTACTS):
            f.write(f"Client {i},+7900{i:07d},{i % 9000}.50\n")
    env = dict(os.environ, OUTCALL_CONFIG=str(work / "outcall.toml"), OUTCALL_LOG="error")
    run = lambda *a: subprocess.run([BIN, *a], env=env, check=True, capture_output=True, text=True).stdout.strip()
    procs = [subprocess.Popen([BIN, "sim", "--listen", f"127.0.0.1:{sim_port}", "--rules", str(work / "rules.toml"),
                               "--max-sessions", "5000", "--sps", "1000"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(work / "sim.log", "w"))]
    try:
        run("migrate")
        token = run("token", "create", "--name", "bench", "--role", "admin")
        run("campaign", "create", str(work / "load.toml"))
        t = time.monotonic()
        run("import", str(work / "load.csv"), "--campaign", "load")
        print(f"imported {CONTACTS} contacts in {time.monotonic() - t:.1f} s")
        procs.append(subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=open(work / "serve.log", "w")))
        time.sleep(1.5)
        sys.stdout.reconfigure(line_buffering=True)
        base = f"http://127.0.0.1:{api_port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + "/")
            page.fill("#token", token)
            page.click("#signin button[type=submit]")
            page.wait_for_selector("#who:not(:empty)")
            print(f"signed in, campaigns page: renderer RSS {renderer_rss_mb()} MB, private "
                  f"{renderer_rss_mb('RssAnon')} MB (the baseline)")
            page.goto(base + "/#/campaign/load")
            page.wait_for_selector("#btn-start:not([disabled])")
            page.click("#btn-start")
            t = time.monotonic()
            live = 0
            while time.monotonic() - t < 90:
                live = page.evaluate("() => (C.lastStatus.campaigns.find(c => c.name === 'load').contacts.dialing || 0)")
                if live >= LIVE:
                    break
                time.sleep(0.5)
            print(f"{live} live calls {time.monotonic() - t:.1f} s after start")
            time.sleep(20)  # a while at full load: call events, status every second
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
            heap = m["JSHeapUsedSize"] / 2**20
            rss = renderer_rss_mb()
            private = renderer_rss_mb("RssAnon")
            print(f"campaign page at {live} live calls: JS heap used {heap:.1f} MB "
                  f"(total {m['JSHeapTotalSize'] / 2**20:.1f} MB), DOM nodes {int(m['Nodes'])}, "
                  f"renderer RSS {rss} MB, private {private} MB")
            delays = []
            for _ in range(5):
                delays.append(page.evaluate(DELAY_JS, ["paused"]))
                delays.append(page.evaluate(DELAY_JS, ["running"]))
            print(f"status change shown in the page: median {statistics.median(delays):.0f} ms, "
                  f"max {max(delays):.0f} ms over {len(delays)} pauses and resumes")
            page.goto(base + "/#/wall")
            page.wait_for_selector("#wall tr[data-campaign=load]")
            time.sleep(5)
            m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
            print(f"wall page: JS heap used {m['JSHeapUsedSize'] / 2**20:.1f} MB, renderer RSS {renderer_rss_mb()} MB, "
                  f"private {renderer_rss_mb('RssAnon')} MB")
            ok = heap < 200 and private < 200 and max(delays) < 1000
            browser.close()
        print("goal: JS heap and the renderer's private memory < 200 MB, every status change within 1000 ms:", "met" if ok else "NOT met")
        sys.exit(0 if ok else 1)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
