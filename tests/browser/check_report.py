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
births = {r["BirthDate"] for r in rows if r.get("BirthDate")}
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

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
