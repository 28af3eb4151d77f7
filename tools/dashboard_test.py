"""The dashboard in headless Chromium (see tools/dashboard-test.sh). Exits non-zero, saying why,
when any check fails. Arguments: BASE_URL INSIDER_TOKEN OUTSIDER_TOKEN DEPLOYMENT_ID ARTIFACTS_DIR
CHATTY_DEPLOYMENT_ID AXE_JS (axe-core's axe.min.js, from its PyPI wheel) WAITING_DEPLOYMENT_ID (one
awaiting approval on the protected shop-live, requested by someone else)"""
import datetime
import json
import os
import urllib.request
import shutil
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

base, insider, outsider, deployment, artifacts, chatty, axe_path, waiting = sys.argv[1:9]
with open(axe_path, encoding="utf-8") as axe_file:
    axe_source = axe_file.read()
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def click(driver, by, value, within=10):
    """Clicks an element, finding it again if the page replaced it between finding and clicking."""
    deadline = time.time() + within
    while True:
        try:
            WebDriverWait(driver, max(1, deadline - time.time())).until(EC.element_to_be_clickable((by, value))).click()
            return
        except StaleElementReferenceException:
            if time.time() > deadline:
                raise


def browser():
    options = webdriver.ChromeOptions()
    for binary in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(binary):
            options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(driver_path), options=options)


def sign_in(driver, token):
    driver.get(base + "/dashboard/")
    WebDriverWait(driver, 20).until(EC.visibility_of_element_located((By.ID, "token"))).send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    WebDriverWait(driver, 20).until(EC.visibility_of_element_located((By.ID, "nav")))


def percent(driver):
    text = driver.execute_script("const e = document.getElementById('progress-percent'); return e ? e.textContent : null")
    return int(text.split()[0]) if text else None


def log_lines(driver):
    return driver.execute_script("return document.querySelectorAll('.steps details[open] .log > div').length")


def axe_scan(driver, page):
    """Runs axe-core on the page as it is; checks it finds no serious or critical violation."""
    driver.execute_script(axe_source)
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, { resultTypes: ['violations'] })"
        ".then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }))))"
        ".catch(e => done([{ id: 'axe failed: ' + e, impact: 'critical', nodes: 0 }]));")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    others = [f"{v['id']} ({v['impact']})" for v in violations if v not in bad]
    check(not bad, f"axe-core {driver.execute_script('return axe.version')}: no serious or critical violation on {page}"
          + (f": {bad}" if bad else "") + (f" (minor/moderate: {', '.join(others)})" if others else ""))


def instrument(driver):
    """Counts the requests the page makes without a token in this tab, and the 401s it receives."""
    driver.execute_script("""
        if (window.__counting) return;
        window.__counting = true; window.__signedOutFetches = 0; window.__unauthorized = 0; window.__historyFetches = 0;
        const original = window.fetch;
        window.fetch = function (...args) {
          if (!sessionStorage.getItem('ledger.token')) window.__signedOutFetches++;
          if (String(args[0]).includes('/history?at=')) window.__historyFetches++;
          return original.apply(this, args).then((r) => { if (r.status === 401) window.__unauthorized++; return r; });
        };""")


def step_counts(driver):
    """(step views on the page, total steps in its headline) of a deployment page."""
    return driver.execute_script(
        "const h = document.getElementById('progress-headline');"
        "const m = h && h.textContent.match(/of (\\d+)/);"
        "return [document.querySelectorAll('.steps details').length, m ? Number(m[1]) : null]")


driver = browser()


def call(method, path, body=None):
    """The API with the insider's token, as a script would call it."""
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + insider, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read() or b"null")


def dump(what):
    print("---- " + what + ": page text ----\n" + driver.find_element(By.TAG_NAME, "body").text[:1500], file=sys.stderr)
    print("---- console ----\n" + "\n".join(str(e) for e in driver.get_log("browser")[-20:]), file=sys.stderr)
    driver.save_screenshot(os.path.join(artifacts, "dashboard-failure.png"))


try:
    driver.get(base + "/dashboard/")
    WebDriverWait(driver, 20).until(EC.visibility_of_element_located((By.ID, "token")))
    check(not driver.find_element(By.ID, "nav").is_displayed() and not driver.find_element(By.ID, "signout").is_displayed(),
          "signed out, neither the navigation nor Sign out shows")
    axe_scan(driver, "the sign-in page")
    sign_in(driver, insider)
    # The first load: the page, its script and its style sheet, as transferred.
    first_load = driver.execute_script(
        "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".filter(e => e.name.includes('/dashboard/')).reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0)")
    check(0 < first_load < 100_000, f"first load is under 100 KB transferred ({first_load} bytes)")
    try:
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "table tbody tr a[href*='environments/shop-prod']"))
        check(True, "the environments panel lists shop-prod")
    except Exception:
        check(False, "the environments panel lists shop-prod: " + driver.find_element(By.ID, "view").text[:300])

    driver.get(f"{base}/dashboard/#/deployments/{deployment}")
    driver.execute_script("window.__notReloaded = true")
    WebDriverWait(driver, 30).until(lambda d: percent(d) is not None)
    start = percent(driver)
    # Open the step that is running now; its log lines then arrive live.
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".steps details .s-running"))
    running = driver.find_element(By.XPATH, "//div[@class='steps']/details[.//span[contains(@class,'s-running')]]")
    running.find_element(By.TAG_NAME, "summary").click()
    WebDriverWait(driver, 30).until(lambda d: log_lines(d) > 0)
    axe_scan(driver, "a deployment page, live, a step's log open")
    lines = log_lines(driver)
    advanced = False
    deadline = time.time() + 90
    counts = set()
    while time.time() < deadline and not advanced:
        time.sleep(0.5)
        now = percent(driver)
        advanced = now is not None and start is not None and now > start
        counts.add(tuple(step_counts(driver)))
    check(all(shown == total for shown, total in counts), f"the page lists exactly the steps of the headline's total at every point ({counts})")
    check(advanced, f"the progress advanced without a reload ({start} % → {percent(driver)} %)")
    more = False
    deadline = time.time() + 60
    while time.time() < deadline and not more:
        # Keep a running step open: lines of the step now running arrive into it.
        for details in driver.find_elements(By.XPATH, "//div[@class='steps']/details[.//span[contains(@class,'s-running')]][not(@open)]"):
            details.find_element(By.TAG_NAME, "summary").click()
        time.sleep(0.5)
        more = log_lines(driver) > lines
    check(more, f"log lines appeared without a reload ({lines} → {log_lines(driver)})")
    check(driver.execute_script("return window.__notReloaded === true"), "the page was never reloaded")
    driver.save_screenshot(os.path.join(artifacts, "dashboard-deployment.png"))

    # Cancel from the page: the confirmation, then the executor's cancellation arriving live.
    click(driver, By.ID, "cancel")
    click(driver, By.ID, "confirm-ok")
    WebDriverWait(driver, 90).until(lambda d: "cancelled" in (d.execute_script("const h = document.querySelector('#view h1'); return h ? h.textContent : ''") or ""))
    check(True, "a cancel from the page ended with the deployment cancelled")
    driver.save_screenshot(os.path.join(artifacts, "dashboard-cancelled.png"))

    # At a phone's width nothing is wider than the screen.
    driver.set_window_size(390, 844)
    time.sleep(0.5)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(overflow <= 0, f"fits a phone's width (overflow {overflow} px)")

    # 10,000 lines in one step: the page shows them a page of 500 at a time, never all at once.
    driver.set_window_size(1280, 1000)
    driver.get(f"{base}/dashboard/#/deployments/{chatty}")
    # The page of this deployment, not the one before it still on screen.
    WebDriverWait(driver, 30).until(lambda d: "shop-logs" in (d.execute_script("const h = document.querySelector('#view h1'); return h ? h.textContent : ''") or ""))
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".steps details[data-step='initializing'] summary"))
    driver.find_element(By.CSS_SELECTOR, ".steps details[data-step='initializing'] summary").click()
    WebDriverWait(driver, 30).until(lambda d: log_lines(d) >= 500)
    shown = log_lines(driver)
    check(shown == 500, f"a step with 10,000 lines shows its first 500 ({shown})")
    driver.find_element(By.XPATH, "//details[@data-step='initializing']//button[text()='Load more']").click()
    WebDriverWait(driver, 30).until(lambda d: log_lines(d) >= 1000)
    check(log_lines(driver) == 1000, f"and 500 more on request ({log_lines(driver)})")

    counts = tuple(step_counts(driver))
    check(counts[0] == counts[1], f"a finished deployment lists exactly its steps ({counts})")

    # Every other page: no serious or critical accessibility violation.
    for page, ready in (("#/", "table"), ("#/deployments", "table"), ("#/environments/shop-prod", "input[type=range]"),
                        ("#/audit", "table"), ("#/integrity", "dl")):
        driver.get(f"{base}/dashboard/{page}")
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#view {ready}"))
        axe_scan(driver, page)

    # Time travel: the slider's first position is the environment's first state; a date typed
    # digit by digit asks once, and the panel shows the instant the picker shows.
    driver.get(f"{base}/dashboard/#/environments/shop-prod")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#view input[type=range]"))
    instrument(driver)
    driver.execute_script("const s = document.querySelector('#view input[type=range]'); s.value = s.min; s.dispatchEvent(new Event('input'));")
    first = driver.execute_script("return new Date(Number(document.querySelector('#view input[type=range]').min)).toISOString()")
    try:
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#view dl[data-at='{first}']"))
        check(True, "the slider's first position shows the environment as created")
    except Exception:
        check(False, "the slider's first position shows the environment as created: "
              + driver.execute_script("return document.querySelector('#view [aria-live]').textContent"))
    time.sleep(0.5)
    driver.execute_script("window.__historyFetches = 0")
    typed = driver.execute_script("""
        const p = document.querySelector('#view input[type=datetime-local]');
        const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 19);
        const steps = ['0002', '0020', '0202', now.slice(0, 4)].map((y) => y + now.slice(4));
        steps.forEach((value, i) => setTimeout(() => { p.value = value; p.dispatchEvent(new Event('change')); }, i * 40));
        return now;""")
    time.sleep(2)
    asked = driver.execute_script("return window.__historyFetches")
    check(asked == 1, f"a date typed digit by digit sends one request, not one per keystroke ({asked})")
    shown_at = driver.execute_script("const d = document.querySelector('#view dl[data-at]'); return d ? d.dataset.at : null")
    check(shown_at is not None and shown_at[:19] == driver.execute_script(f"return new Date('{typed}').toISOString()")[:19],
          f"the panel shows the instant the picker shows ({shown_at} for {typed})")

    # Governed change: the queue of what awaits approval, approved from the page with a comment;
    # then, with a freeze in force, the environment's page shows it, and its rules.
    driver.get(f"{base}/dashboard/#/approvals")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#view tr[data-deployment='{waiting}']"))
    axe_scan(driver, "#/approvals")
    row = driver.find_element(By.CSS_SELECTOR, f"#view tr[data-deployment='{waiting}']")
    row.find_element(By.CSS_SELECTOR, "button[data-approve]").click()
    WebDriverWait(driver, 10).until(lambda d: "A comment says why" in d.find_element(By.ID, "view").text)
    check(call("GET", f"/api/v1/deployments/{waiting}")["status"] == "awaiting_approval", "an approval without a comment is not sent")
    row.find_element(By.CSS_SELECTOR, "input.comment").send_keys("diff read in the browser")
    row.find_element(By.CSS_SELECTOR, "button[data-approve]").click()
    WebDriverWait(driver, 20).until(lambda d: "Approved: released" in d.find_element(By.ID, "view").text)
    approved = call("GET", f"/api/v1/deployments/{waiting}")
    check(approved["status"] != "awaiting_approval" and approved["approval"]["approvals"][0]["comment"] == "diff read in the browser",
          f"approving from the page released the deployment, comment kept ({approved['status']})")
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    call("PUT", "/api/v1/environments/shop-live/freeze-windows",
         {"windows": [{"name": "launch", "from": stamp(now - datetime.timedelta(hours=1)), "to": stamp(now + datetime.timedelta(hours=1))}]})
    driver.get(f"{base}/dashboard/#/environments/shop-live")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "freeze-banner"))
    check("launch" in driver.find_element(By.ID, "freeze-banner").text and driver.find_elements(By.ID, "rules"),
          "the environment's page shows the freeze in force and its rules")
    axe_scan(driver, "#/environments/shop-live (rules, a freeze)")

    # Signing out just after opening a deployment: nothing more is asked, no 401, no complaint.
    driver.get(f"{base}/dashboard/#/")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#view table"))
    instrument(driver)
    driver.execute_script(f"location.hash = '#/deployments/{deployment}'; setTimeout(() => document.getElementById('signout').click(), 60);")
    time.sleep(3)
    error_text = driver.find_element(By.ID, "signin-error").text
    fetched, refused = driver.execute_script("return [window.__signedOutFetches, window.__unauthorized]")
    check(fetched == 0 and refused == 0 and error_text == "",
          f"signing out 60 ms after opening a deployment: no request after it ({fetched}), no 401 ({refused}), no message ('{error_text}')")
    check(not driver.find_element(By.ID, "nav").is_displayed(), "signed out again, the navigation is hidden")
    sign_in(driver, insider)

    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    check(not severe, "no console errors" + (f": {severe[:3]}" if severe else ""))

    # Another organisation's token sees none of it.
    driver.execute_script("sessionStorage.clear()")
    sign_in(driver, outsider)
    driver.get(f"{base}/dashboard/#/deployments/{deployment}")
    WebDriverWait(driver, 20).until(lambda d: "No such deployment" in (d.execute_script("return document.getElementById('view').textContent") or ""))
    check(True, "another organisation's token is told the deployment does not exist")
    driver.get(f"{base}/dashboard/#/deployments")
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#view table"))
    check("shop-prod" not in driver.find_element(By.ID, "view").text, "another organisation's token lists none of its deployments")
except Exception as error:
    dump(f"{type(error).__name__}")
    raise
finally:
    driver.quit()

if failures:
    print(f"{len(failures)} dashboard check(s) failed", file=sys.stderr)
    sys.exit(1)
print("dashboard: every check passed")
