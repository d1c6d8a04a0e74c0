"""The web console in a real browser (Debian's chromium driven by playwright), against
`outcall serve` and `outcall sim` on free ports with a temporary SQLite store.

One scenario: the accountant signs in, drops the demo CSV, sees the dry-run report, imports;
the marketer checks the definition in the editor (the messages of `outcall campaign check`)
and starts the campaign; the progress moves; the supervisor pauses (the delay until the page
shows it is measured), resumes and stops; for each role the forbidden controls are absent
and the API refuses them. Screenshots of each page go to target/console-screenshots/.

Usage: scenario.py BIN CHROMIUM   (run by `make console-test`)
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import free_port
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "console-screenshots"
BIN, CHROMIUM = sys.argv[1], sys.argv[2]
CSV = ROOT / "campaigns" / "demo-debtors.csv"
checks = []


def check(what, ok):
    checks.append((what, ok))
    print(("ok    " if ok else "FAIL  ") + what, flush=True)


def cli(env, *args):
    return subprocess.run([BIN, *args], env=env, check=True, capture_output=True, text=True).stdout.strip()


def sign_in(browser, base, token, locale="en-US"):
    ctx = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(base + "/")
    page.get_by_label(re.compile("API token|API-токен")).fill(token)
    page.get_by_role("button", name=re.compile("Sign in|Войти")).click()
    expect(page.locator("#who")).not_to_be_empty()
    return page


def refused(page, method, path, body=None):
    """The API's status for a request made with the page's own token."""
    return page.evaluate(
        """async ([m, p, b]) => (await fetch(p, {method: m, headers: {Authorization: "Bearer " + C.token,
           "Content-Type": "application/json"}, body: b === null ? undefined : JSON.stringify(b)})).status""",
        [method, path, body],
    )


def shot(page, name):
    page.screenshot(path=str(SHOTS / (name + ".png")), full_page=True)
    # The top of the page only, for the README (docs/console-*.png are copies of a few).
    page.screenshot(path=str(SHOTS / ("top-" + name + ".png")), clip={"x": 0, "y": 0, "width": 1280, "height": 760})


def nav_visible(page):
    return [a.inner_text() for a in page.locator("#nav a:visible").all()]


def accountant(browser, base, token):
    page = sign_in(browser, base, token)
    nav = nav_visible(page)
    check("accountant: no Editor, Wall, Audit, Do-not-call in the menu " + str(nav),
          not {"Editor", "Wall", "Audit", "Do not call"} & set(nav) and "Upload" in nav)
    page.goto(base + "/#/upload")
    page.get_by_label("Campaign", exact=True).select_option("demo")
    # A real drop: a File built from the demo CSV's bytes, dropped on the drop zone; two bad rows
    # are added so that the report has rejected lines to list.
    text = CSV.read_text(encoding="utf-8") + '"Без телефона","","BALANCE=1"\n"Другой человек","79001000001","BALANCE=5"\n'
    page.evaluate(
        """([text, name]) => { const dt = new DataTransfer();
           dt.items.add(new File([text], name, {type: "text/csv"}));
           document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true})); }""",
        [text, CSV.name],
    )
    report = page.locator("#report[data-dry-run=true]")
    expect(report).to_be_visible()
    rows = int(page.locator("#r-rows").inner_text())
    accepted = int(page.locator("#r-accepted").inner_text())
    dups = int(page.locator("#r-duplicates").inner_text())
    rejected = int(page.locator("#r-rejected").inner_text())
    check(f"dry run: rows {rows} = accepted {accepted} + duplicates {dups} + rejected {rejected}",
          rows == accepted + dups + rejected and accepted > 0)
    reasons = page.locator("#rejected tbody tr").all_inner_texts()
    check(f"dry run: each rejected line listed with its reason {reasons}",
          rejected == 2 and len(reasons) == 2 and all(len(r) > 8 for r in reasons))
    contacts = page.evaluate("async () => (await api('GET', '/campaigns/demo')).contacts")
    check("dry run wrote nothing", sum(contacts.values()) == 0)
    shot(page, "upload-report")
    page.locator("#btn-import").click()
    expect(page.locator("#report[data-dry-run=false]")).to_be_visible()
    check("import: the progress bar reached 100", page.locator("#import-progress").get_attribute("value") == "100")
    contacts = page.evaluate("async () => (await api('GET', '/campaigns/demo')).contacts")
    check(f"import: {accepted} contacts stored", sum(contacts.values()) == accepted)
    shot(page, "upload-done")
    page.goto(base + "/#/campaign/demo")
    expect(page.locator("#campaign-status")).to_be_visible()
    check("accountant: no campaign controls", page.locator("#controls").count() == 0)
    check("accountant: start refused by the API (403)", refused(page, "POST", "/campaigns/demo/start") == 403)
    check("accountant: pause-all refused by the API (403)", refused(page, "POST", "/pause-all", {"reason": "x"}) == 403)
    page.context.close()
    return accepted


def marketer(browser, base, token, env, work):
    page = sign_in(browser, base, token)
    nav = nav_visible(page)
    check("marketer: no Audit in the menu " + str(nav), "Audit" not in nav and "Editor" in nav)
    page.goto(base + "/#/editor")
    page.get_by_label("Campaign", exact=True).select_option("demo")
    area = page.get_by_label("Definition (TOML)")
    expect(area).not_to_have_value("")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#editor-ok")).to_be_visible()
    broken = area.input_value().replace("lines = 3", "lines = 0")
    area.fill(broken)
    page.get_by_role("button", name="Check").click()
    shown = page.locator("#editor-error").inner_text()
    bad = Path(work) / "broken.toml"
    bad.write_text(broken, encoding="utf-8")
    cli_msg = subprocess.run([BIN, "campaign", "check", str(bad)], env=env, capture_output=True, text=True).stderr
    tail = shown.split(": ", 1)[-1]
    check(f"editor: the message of `campaign check` ({tail!r})", bool(tail) and tail in cli_msg)
    shot(page, "editor")
    check("marketer: pause-all refused by the API (403)", refused(page, "POST", "/pause-all", {"reason": "x"}) == 403)
    page.goto(base + "/#/wall")
    expect(page.locator("#wall")).to_be_visible()
    check("marketer: no pause-all button", page.locator("#btn-pause-all").count() == 0)
    page.goto(base + "/#/campaign/demo")
    page.locator("#btn-start").click()
    expect(page.locator("#campaign-head[data-status=running]")).to_be_visible()
    check("marketer started the campaign", True)
    expect(page.locator("#campaign-head .seg.s-done")).to_be_visible(timeout=60_000)
    check("the progress moves (contacts done)", True)
    shot(page, "campaign")
    page.context.close()


def supervisor(browser, base, token):
    page = sign_in(browser, base, token)
    nav = nav_visible(page)
    check("supervisor: no Editor or Upload in the menu " + str(nav),
          "Editor" not in nav and "Upload" not in nav and "Audit" in nav)
    check("supervisor: editing refused by the API (403)",
          refused(page, "PUT", "/campaigns/demo", {"name": "demo"}) == 403)
    check("supervisor: upload refused by the API (403)",
          refused(page, "POST", "/campaigns/demo/contacts", {"phones": ["+79001234567"]}) == 403)
    page.goto(base + "/#/wall")
    expect(page.locator("#wall tr[data-campaign=demo]")).to_be_visible()
    check("supervisor: pause-all button present", page.locator("#btn-pause-all").count() == 1)
    expect(page.locator("#nodes li.up")).to_be_visible()
    shot(page, "wall")
    page.goto(base + "/#/campaign/demo")
    page.get_by_label("Reason for the pause").fill("lunch")
    t0 = time.monotonic()
    page.locator("#btn-pause").click()
    expect(page.locator("#campaign-head[data-status=paused]")).to_be_visible(timeout=5_000)
    delay = time.monotonic() - t0
    check(f"supervisor paused; the page showed it in {delay * 1000:.0f} ms (click to DOM)", delay < 3)
    expect(page.locator("#campaign-status")).to_contain_text("lunch")
    page.locator("#btn-resume").click()
    expect(page.locator("#campaign-head[data-status=running]")).to_be_visible()
    check("supervisor resumed", True)
    page.once("dialog", lambda d: d.accept())
    page.locator("#btn-stop").click()
    expect(page.locator("#campaign-head[data-status=cancelled]")).to_be_visible()
    check("supervisor stopped after the confirmation", True)
    shot(page, "campaign-stopped")
    # The results' status filter asks the server: only finished contacts are listed.
    page.locator("#f-status").select_option("done")
    expect(page.locator("#results-table tbody tr").first).to_be_visible()
    statuses = page.locator("#results-table tbody tr td:nth-child(4)").all_inner_texts()
    check(f"results filtered by status on the server: {len(statuses)} rows, all done",
          len(statuses) > 0 and all(x == statuses[0] for x in statuses))
    page.goto(base + "/#/audit")
    expect(page.locator("#audit tbody tr").first).to_be_visible()
    check("audit: the stop is recorded", page.locator("#audit").inner_text().count("campaign.stop") >= 1)
    shot(page, "audit")
    page.goto(base + "/#/contacts")
    page.get_by_label("Phone number").fill("79001000001")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#contact-out .contact").first).to_be_visible()
    out = page.locator("#contact-out")
    check("contact search: found with its attempts", "Attempts" in out.inner_text())
    why_text = out.inner_text()
    # The API's explanation: a final contact's blocker is its rule (said once); otherwise the
    # rule follows the blockers.
    check("contact search: why, from the API's explanation (the rule said once)",
          why_text.count("is a success") == 1
          or ("rule:" in why_text and "is a success" not in why_text))
    heard = out.locator("details pre").first.text_content() or ""
    check("contact search: each attempt shows what the call heard", "speak:" in heard)
    shot(page, "contact")
    page.goto(base + "/#/dnc")
    expect(page.locator("#dnc")).to_be_visible()
    check("supervisor: the do-not-call list is read-only", page.locator("#dnc-phone").count() == 0)
    shot(page, "dnc")
    page.context.close()


def russian(browser, base, token):
    page = sign_in(browser, base, token, locale="ru-RU")
    check("Accept-Language ru: the menu is Russian", "Кампании" in nav_visible(page))
    expect(page.locator("#campaigns tr[data-campaign=demo]")).to_be_visible()
    check("times name the zone", "Europe/Moscow" in page.locator("#campaigns").inner_text()
          or "открыто сейчас" in page.locator("#campaigns").inner_text())
    shot(page, "campaigns-ru")
    page.locator("#lang").select_option("en")
    check("switched to English", "Campaigns" in nav_visible(page))
    page.context.close()


def main():
    SHOTS.mkdir(parents=True, exist_ok=True)
    work = tempfile.mkdtemp(prefix="outcall-console-")
    sim_port, api_port = free_port(), free_port()
    (Path(work) / "outcall.toml").write_text(f"""database_url = "sqlite://{work}/console.db"
[[freeswitch]]
address = "127.0.0.1:{sim_port}"
password = "ClueCon"
[http]
listen = "127.0.0.1:{api_port}"
""")
    env = dict(os.environ, OUTCALL_CONFIG=f"{work}/outcall.toml", OUTCALL_LOG="error")
    procs = [subprocess.Popen([BIN, "sim", "--listen", f"127.0.0.1:{sim_port}", "--rules",
                               str(ROOT / "campaigns/demo-rules.toml"), "--time-scale", "5"],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(f"{work}/sim.log", "w"))]
    try:
        cli(env, "migrate")
        tokens = {r: cli(env, "token", "create", "--name", r, "--role", r) for r in ("accountant", "marketer", "supervisor")}
        cli(env, "campaign", "create", str(ROOT / "campaigns/demo.toml"))
        procs.append(subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=open(f"{work}/serve.log", "w")))
        base = f"http://127.0.0.1:{api_port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", api_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        started = time.monotonic()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            accountant(browser, base, tokens["accountant"])
            marketer(browser, base, tokens["marketer"], env, work)
            supervisor(browser, base, tokens["supervisor"])
            russian(browser, base, tokens["supervisor"])
            browser.close()
        print(f"browser scenario took {time.monotonic() - started:.1f} s; screenshots in {SHOTS}")
    except Exception as e:  # a failed expectation: say which, keep the logs
        check(f"scenario ran to the end ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})", False)
        for log in ("serve.log", "sim.log"):
            print(f"--- {log}\n" + Path(work, log).read_text()[-3000:])
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
    failed = sum(1 for _, ok in checks if not ok)
    print(f"{len(checks) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
