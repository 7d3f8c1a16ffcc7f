"""Checks what the browser made of report.html. Prints 'N passed, N failed'."""
import csv
import io
import json
import re
import sys
from pathlib import Path

work, shot = Path(sys.argv[1]), Path(sys.argv[2])
dom = (work / "dom.html").read_text()
console = (work / "console.log").read_text()
html = (work / "out" / "report.html").read_text()
report = json.loads((work / "out" / "report.json").read_text())
passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f" {detail}"))


check("the page rendered", "cutover reconciliation report" in dom and "</table>" in dom)
check("charts are present", len(re.findall(r"<svg", dom)) >= 2 and "<rect" in dom)
check("the run id is shown", report["run_id"] in dom)
errors = [l for l in console.splitlines() if "CONSOLE" in l or "Uncaught" in l]
check("no console errors", not errors, errors[:3])
check("nothing is fetched from the network", not re.search(r"(src|href)=\"https?:", html))
check("the screenshot was taken", shot.exists() and shot.stat().st_size > 10_000, shot)

raw = (work / "bundle" / "student_personal.csv").read_bytes().decode("cp1252")
rows = list(csv.DictReader(io.StringIO(raw)))
full_names = {f"{r['FirstName']} {r['LastName']}" for r in rows if r.get("FirstName") and r.get("LastName")}
# A date has six characters at least (1/1/10): a shorter value is a
# planted shifted row's (a sex code, "F"), which any page holds as a letter.
births = {r["BirthDate"] for r in rows if len(r.get("BirthDate") or "") >= 6}
check("no student's full name on the page", not any(n in html for n in full_names))
leaked = [b for b in births if b in html]
check("no birth date on the page", not leaked, leaked[:3])
addresses = [r["Address"] for r in csv.DictReader(open(work / "bundle" / "mailing_address.csv", newline=""))]
check("no mailing address on the page", addresses and not any(a in html for a in addresses))

uploads = report["uploads"]["uploads"]
check("the uploads section is rendered", "Synergy uploads" in dom and "held by pre-flight" in dom)
check(
    "every upload's written rows are its conformed rows less those pre-flight held",
    all(u["conformed"] == u["written"] + sum(u["preflight"].values()) for u in uploads),
    [u["upload"] for u in uploads if u["conformed"] != u["written"] + sum(u["preflight"].values())],
)
check(
    "every upload with a layout has rows in the demo",
    all(u["written"] > 0 for u in uploads if u["upload"] not in ("attendance", "new_state_id", "proficiency_based_education")),
    [u["upload"] for u in uploads if u["written"] == 0],
)

# The summary a person reads first: above every other section, one flow per
# entity that balances and agrees with report.json, the queue's state, the
# fix-list links, the stage times on their own page.
out = work / "out"
h2 = re.findall(r"<h2>(.*?)</h2>", dom)
check("the summary is the first section", h2[:1] == ["Summary"], h2[:3])
summary = dom[dom.find('id="summary"'):dom.find("</section>")]
rows = re.findall(r"<tr( class=\"upload\")?><td>(.*?)</td>((?:<td class=\"n\">\d*</td>){7})", summary)
cells = {label: [int(c) if c else None for c in re.findall(r"<td class=\"n\">(\d*)</td>", tds)] for _, label, tds in rows}
ledger = report["ledger"]
def stage(entity, name):
    return next((l for l in ledger if l["entity"] == entity and l["stage"] == name), None)
entities = [l["entity"] for l in ledger if l["stage"] == "read"]
check("a flow for every entity read", all(e in cells for e in entities), [e for e in entities if e not in cells])
def flow_ok(e):
    read, quarantined, merged, carried = cells[e][:4]
    last = [stage(e, s) for s in ("read", "ingest", "crosswalk", "identity") if stage(e, s)][-1]
    return read == stage(e, "read")["rows_in"] and carried == last["rows_out"] and read == quarantined + merged + carried
check("each entity's flow balances (read = quarantined + merged + carried) and is the ledger's", all(flow_ok(e) for e in entities if e in cells), [e for e in entities if e in cells and not flow_ok(e)])
def upload_ok(u):
    c = cells.get("upload: " + u["title"])
    return c is not None and c[4:] == [u["conformed"], sum(u["preflight"].values()), u["written"]]
shown = [u for u in uploads if u["upload"] not in ("attendance", "proficiency_based_education")]
check("each upload's conformed, held and uploaded rows are report.json's", all(upload_ok(u) for u in shown), [u["upload"] for u in shown if not upload_ok(u)])
check("the flows have bars", summary.count('class="seg ') >= len(entities))
q = report["review"]
check("the review queue's state is shown", f"Identity review queue: {q['pending_pairs']} pair" in summary and f"{q['decided_merge'] + q['decided_separate']} pair" in summary and "decided" in summary, q)
links = re.findall(r'href="(fixlists/[^"]+\.html)"', summary)
check("a link to each SAU's fix list page, and the page exists", len(links) == len(report["fix_lists"]) + 1 and all((out / l).is_file() for l in links), links)
check("stage times are on run.html, linked, and not in report.html", 'href="run.html"' in summary and (out / "run.html").is_file() and "seconds" in (out / "run.html").read_text() and not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", html))
check("codes are shown with their labels", "Intellectual Disability" in dom and "<th>new label</th>" in dom and "<th>label</th>" in dom)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
