#!/usr/bin/env python3
"""Red-team injection for the identity stage (redteam2, twenty-fourth session).

Appends families a real state holds and the earlier testers' lists lack
(see README.md here) to a COPY of a generated bundle, with their ground truth
appended to a copy of the generator's truth (`identities.csv`,
`hard_negatives.csv`), so `cutover identity score --truth OUT_TRUTH/identities.csv`
scores them with the generator's own students.

    python3 inject_redteam2.py BUNDLE TRUTH OUT_BUNDLE OUT_TRUTH [--per-shape N] [--seed S]
        [--blank-share F]   (F of the hard-negative pairs: one side's birth date and
                             middle name blank)

Python standard library only; seeded.  The row machinery (cloning a real
template student's enrollments, fresh IDs, addresses) is `inject_redteam.py`'s.
Kinds of hard negatives start `rt2_`; every second or later ID of a true
student has kind `duplicate_redteam2` and a variation naming its shape.

Shapes (written from what families and registrars do, not from the rules):
  hard negatives
    rt2_twins_diverge          twins at one school and address; one moves with
                               a parent to another SAU and is re-registered
                               there under a new ID (that ID is a duplicate of
                               the mover, a hard negative of the twin who stayed)
    rt2_foreman_brothers       brothers of one first name and surname, other
                               middle names, 1-3 years apart, one address (at
                               school together, or the younger arriving as the
                               older leaves; sometimes one birthday)
    rt2_first_middle_swapped   siblings John Michael and Michael John, a year or
                               more apart, one address
    rt2_parent_child           a mother/father and child (adult education) of one
                               first name and surname, 16+ years apart, one
                               address (other birthdays, or one birthday)
    rt2_irish_twins            siblings of one birth year, one grade or two, one
                               address: one day of the month with months 9-10
                               apart, or day and month transposed of each other
    rt2_quads                  quadruplets, alike names, one address and school
    rt2_twins_gender_wrong     boy/girl twins with alike names recorded with one
                               gender, at one school (or one never enrolled)
    rt2_kg_strangers           strangers of one common full name and birth date
                               entering kindergarten at one school
  duplicates (variation prefix)
    foster                     a foster child at 3-4 SAUs in 12-18 months, a
                               new ID and a new surname each time
    year_typo                  a new address and the birth year's last digit off
    suffix                     Jr/II/III in the surname field on one ID, in Suffix
                               on the other
    punct                      De La Cruz/Delacruz, O Brien/O'Brien and the like
    hyphen_first               Mary-Kate/Mary Kate/Marykate and the like
    gender_change              a new first name and gender, one surname, birth
                               date and address (transition or a correction)
    long_gap                   re-registered 2-4 years after leaving
"""
import datetime as dt
import os
import random
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inject_redteam as base  # noqa: E402
from inject_redteam import add_years, d, typo  # noqa: E402

COMMON_M = ["Jacob", "Michael", "Ethan", "Noah", "Tyler", "Logan", "Mason", "Liam"]
COMMON_F = ["Emma", "Emily", "Madison", "Olivia", "Hannah", "Ava", "Abigail", "Chloe"]
COMMON_LAST = ["Smith", "Johnson", "Pelletier", "Cyr", "Michaud", "Thibodeau", "Brown", "Roy"]
MIDDLE_M = ["James", "Michael", "Thomas", "Joseph", "Robert", "Daniel", "Paul", "Edward",
            "Alan", "Lee", "Ray", "Wayne"]
MIDDLE_F = ["Marie", "Lynn", "Rose", "Grace", "Elizabeth", "Ann", "Jean", "Mae", "Claire",
            "Louise", "Hope", "Jane"]
QUADS = [("Emma", "Ella", "Eva", "Ava", "FFFF"), ("Mason", "Madison", "Morgan", "Max", "MFFM"),
         ("Jayden", "Jaylen", "Jordan", "Jada", "MMMF"), ("Kaylee", "Kylie", "Kyle", "Kolby", "FFMM"),
         ("Abigail", "Addison", "Aiden", "Austin", "FFMM"), ("Brady", "Brody", "Bailey", "Brianna",
                                                              "MMFF")]
GENDER_ALIKE = [("Tyler", "Taylor"), ("Jordan", "Jordyn"), ("Casey", "Cassie"), ("Jesse", "Jessie"),
                ("Bobby", "Bobbie"), ("Frankie", "Franky"), ("Dylan", "Dillon"), ("Riley", "Rylee")]
SWAP_PAIRS_M = [("John", "Michael"), ("James", "Robert"), ("Thomas", "William"),
                ("Joseph", "Daniel"), ("Paul", "David"), ("Ryan", "Patrick")]
SWAP_PAIRS_F = [("Mary", "Elizabeth"), ("Anna", "Grace"), ("Sarah", "Jane"), ("Emily", "Rose"),
                ("Claire", "Louise"), ("Julia", "Marie")]
PUNCT = [("De La Cruz", "Delacruz"), ("O Brien", "O'Brien"), ("OBrien", "O Brien"),
         ("Mac Donald", "MacDonald"), ("Van Der Berg", "Vanderberg"), ("D'Amico", "Damico"),
         ("Le Blanc", "LeBlanc"), ("Du Bois", "Dubois"), ("St. Onge", "St Onge"),
         ("De Los Santos", "Delossantos"), ("Mc Kenzie", "McKenzie"), ("La Pointe", "Lapointe"),
         ("D'Angelo", "D Angelo"), ("O'Neil", "Oneil")]
HYPHEN_FIRST = [("Mary-Kate", "Mary Kate", "F"), ("Marykate", "Mary-Kate", "F"),
                ("Anna-Marie", "Annamarie", "F"), ("Leigh Ann", "Leighann", "F"),
                ("Jo Ann", "Joann", "F"), ("Mary Beth", "Marybeth", "F"),
                ("John Paul", "John-Paul", "M"), ("Jean Paul", "Jeanpaul", "M"),
                ("Billy Joe", "Billy-Joe", "M"), ("Ann Marie", "Anne-Marie", "F")]
TRANSITION = [("Emily", "F", "Ethan", "M"), ("Madison", "F", "Mason", "M"),
              ("Samantha", "F", "Sam", "M"), ("Alexander", "M", "Alexandra", "F"),
              ("Jacob", "M", "Jade", "F"), ("Olivia", "F", "Oliver", "M"),
              ("Michael", "M", "Michelle", "F"), ("Hannah", "F", "Henry", "M")]
SUFFIXES = ["Jr", "II", "III", "Jr."]
KEYPAD = {"0": "9", "1": "2", "2": "3", "3": "2", "4": "5", "5": "6", "6": "5", "7": "8",
          "8": "9", "9": "8"}


class Injector2(base.Injector):
    def __init__(self, bundle, rng):
        super().__init__(bundle, rng)
        self.person_id = 4_600_000
        self.identity_id = 6_600_000
        self.enrollment_id = 14_600_000
        self.local = 800_000
        # Templates whose birth date fits their enrollments (the generator
        # writes implausible birth dates as defects: 1901, 2031): a child
        # 4 to 8 at the first entry year's start for a KG/PK/01 row, else
        # 4 to 21.
        eh, ph = bundle.eh, bundle.ph
        keep = []
        for t in bundle.templates:
            rows = sorted(bundle.enroll[t[2]], key=lambda r: r[eh["SchoolEntryDate"]])
            y = int(rows[0][eh["YearCode"]])
            age = y - d(t[ph["BirthDate"]]).year
            if 5 <= age <= 21:
                keep.append(t)
        bundle.templates = keep
        bundle.by_year = defaultdict(list)
        for t in keep:
            bundle.by_year[d(t[ph["BirthDate"]]).year].append(t)

    def new_student(self):
        self.student += 1
        return "RTB%07d" % self.student

    def kid(self, t, names, g, dob, rows=None, shift=0, addr=None, suffix=""):
        c = self.child(t, names, g, dob, shift=shift, addr=addr, lang="eng", rows=rows)
        self.personal[-1][self.b.ph["Suffix"]] = suffix
        if rows:
            self.personal[-1][self.b.ph["LocalStudentNumber"]] = \
                rows[-1][self.b.eh["SchoolStudentID"]]
        return c

    def rows(self, t, shift=0, start=None, end=None, locals_=None):
        cut = None
        if start or end:
            cut = (start or dt.date(1900, 1, 1), end or dt.date(2100, 1, 1))
        return self.enrollments(self.b.enroll[t[2]], "", shift, locals_=locals_, cut=cut)

    def with_ssid(self, rows):
        ssid = self.ssid()
        for r in rows:
            r[self.b.eh["StateStudentID"]] = ssid
        return ssid

    def dup(self, c, names, dob, rows, addr, variation, gender=None, suffix=""):
        """A second (third...) ID of child `c`."""
        ssid = self.with_ssid(rows)
        eff = (d(rows[0][self.b.eh["SchoolEntryDate"]]) if rows else None) or dob
        saved = c["gender"]
        if gender:
            c["gender"] = gender
        self.add_id(c, ssid, names, dob, rows, addr, eff, "duplicate_redteam2", variation)
        c["gender"] = saved
        self.personal[-1][self.b.ph["Suffix"]] = suffix
        self.counts["duplicate " + variation] += 1
        return ssid

    def hn(self, a, b, kind):
        self.hard.append([a["key"], b["key"], kind])
        self.counts["hard " + kind] += 1

    def other_sau(self, t, year):
        return self.template(year, avoid=self.b.sau_of(self.b.enroll[t[2]]))


def mid(rng, g, avoid=()):
    pool = [m for m in (MIDDLE_M if g == "M" else MIDDLE_F) if m not in avoid]
    return rng.choice(pool)


def first(rng, g):
    return rng.choice(COMMON_M if g == "M" else COMMON_F)


def years_of(inj, t):
    return sorted({int(r[inj.b.eh["YearCode"]]) for r in inj.b.enroll[t[2]]})


def cut_in(inj, rng, t, lo=1):
    ys = years_of(inj, t)
    y = rng.choice(ys[lo:]) if len(ys) > lo else ys[-1]
    return dt.date(y - 1, 10, 1) + dt.timedelta(days=rng.randrange(0, 200))


# -- hard negatives -------------------------------------------------------
def twins_diverge(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    last = rng.choice(base.FRENCH_LAST + base.ANGLO_LAST)
    g1, g2 = rng.choice("MF"), rng.choice("MF")
    alike = rng.random() < 0.5
    if alike and g1 == g2:
        f1, f2 = rng.choice(base.TWIN_NAMES_MM if g1 == "M" else base.TWIN_NAMES_FF)
    else:
        f1, f2 = first(rng, g1), first(rng, g2)
        while f2 == f1:
            f2 = first(rng, g2)
    m1 = mid(rng, g1)
    m2 = m1 if (g1 == g2 and rng.random() < 0.3) else mid(rng, g2, (m1,))
    addr = inj.address(t)
    a = inj.kid(t, (last, f1, m1), g1, dob, addr=addr)
    cut = cut_in(inj, rng, t)
    rows_b1, _ = inj.rows(t, end=cut)
    t2 = inj.other_sau(t, dob.year)
    rows_b2, _ = inj.rows(t2, start=cut + dt.timedelta(days=rng.randrange(2, 40)))
    if not rows_b1 or not rows_b2:
        return
    b = base.child_rows(inj, t, (last, f2, m2), g2, dob, rows_b1, "anglo")
    b["addr"] = addr
    inj.personal[-1][inj.b.ph["Suffix"]] = ""
    # the mover's new ID: another address, the name as the new school typed it
    how = rng.choice(["exact", "typo", "mother_surname", "no_middle"])
    names = (last, f2, m2)
    if how == "typo":
        names = (last, typo(rng, f2), m2)
    elif how == "mother_surname":
        names = (rng.choice(base.ANGLO_LAST), f2, m2)
    elif how == "no_middle":
        names = (last, f2, "")
    ssid3 = inj.dup(b, names, dob, rows_b2, inj.address(t2), "twin_moved;" + how)
    inj.hn(a, b, "rt2_twins_diverge" + ("_alike" if alike and g1 == g2 else ""))
    del ssid3


def foreman_brothers(inj, rng):
    t = inj.template()
    dob1 = d(t[inj.b.ph["BirthDate"]])
    k = rng.choice([1, 1, 2, 3])
    same_day = rng.random() < 0.3
    dob2 = add_years(dob1, k) if same_day else \
        add_years(dob1, k) + dt.timedelta(days=rng.choice([-1, 1]) * rng.randrange(5, 120))
    g = rng.choice("MF")
    f = rng.choice(["George", "John", "Joseph", "Mary", "Michael", "Maria"]) if rng.random() < 0.5 \
        else first(rng, g)
    g = "F" if f in ("Mary", "Maria") else ("M" if f in ("George", "John", "Joseph",
                                                          "Michael") else g)
    last = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    m1 = mid(rng, g)
    m2 = mid(rng, g, (m1,))
    addr = inj.address(t)
    succession = rng.random() < 0.5
    if succession:
        cut = cut_in(inj, rng, t)
        r1, _ = inj.rows(t, end=cut)
        r2, _ = inj.rows(t, shift=k, start=cut + dt.timedelta(days=rng.randrange(60, 120)))
        if not r1 or not r2:
            return
        a = inj.kid(t, (last, f, m1), g, dob1, rows=[], addr=addr)
        attach(inj, a, r1)
        b = inj.kid(t, (last, f, m2), g, dob2, rows=[], addr=addr)
        attach(inj, b, r2)
    else:
        a = inj.kid(t, (last, f, m1), g, dob1, addr=addr)
        b = inj.kid(t, (last, f, m2), g, dob2, shift=k, addr=addr)
    inj.hn(a, b, "rt2_foreman_brothers" + ("_succession" if succession else "")
           + ("_same_birthday" if same_day else ""))


def attach(inj, c, rows):
    """Give child `c` (made with no rows) these enrollment rows."""
    eh = inj.b.eh
    for r in rows:
        r[eh["StateStudentID"]] = c["ssid"]
    inj.enroll.extend(rows)
    for p in reversed(inj.personal):
        if p[inj.b.ph["StateStudentID"]] == c["ssid"]:
            p[inj.b.ph["LocalStudentNumber"]] = rows[-1][eh["SchoolStudentID"]]
            eff = d(rows[0][eh["SchoolEntryDate"]])
            if eff:
                p[inj.b.ph["IdentityEffectiveDate"]] = eff.isoformat()
            break
    c["rows"] = rows


def first_middle_swapped(inj, rng):
    t = inj.template()
    dob1 = d(t[inj.b.ph["BirthDate"]])
    k = rng.choice([1, 2, 3])
    dob2 = add_years(dob1, k) + dt.timedelta(days=rng.randrange(-90, 90))
    g = rng.choice("MF")
    x, y = rng.choice(SWAP_PAIRS_M if g == "M" else SWAP_PAIRS_F)
    last = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    addr = inj.address(t)
    a = inj.kid(t, (last, x, y), g, dob1, addr=addr)
    b = inj.kid(t, (last, y, x), g, dob2, shift=k, addr=addr)
    inj.hn(a, b, "rt2_first_middle_swapped")


def parent_child(inj, rng):
    years = sorted(inj.b.by_year)
    old = inj.template(years[0])
    young = inj.template(years[-1])
    dob_p, dob_c = d(old[inj.b.ph["BirthDate"]]), d(young[inj.b.ph["BirthDate"]])
    if dob_c.year - dob_p.year < 16:
        # the bundle's years are too close: make the parent older, no enrollments
        dob_p = add_years(dob_p, -(16 - (dob_c.year - dob_p.year)) - rng.randrange(0, 6))
        old_rows = []
    else:
        old_rows = None
    same_day = rng.random() < 0.25
    if same_day:
        dob_c = dob_c.replace(month=dob_p.month, day=min(dob_p.day, 28))
    g = rng.choice("MF")
    f = first(rng, g)
    last = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    addr = inj.address(young)
    mp = mid(rng, g)
    mc = rng.choice(["", mid(rng, g, (mp,))])
    p = inj.kid(old, (last, f, mp), g, dob_p, rows=old_rows, addr=addr)
    c = inj.kid(young, (last, f, mc), g, dob_c, addr=addr)
    inj.hn(p, c, "rt2_parent_child" + ("_same_birthday" if same_day else "")
           + ("_parent_no_rows" if old_rows == [] else ""))


def irish_twins(inj, rng):
    t = inj.template()
    y = d(t[inj.b.ph["BirthDate"]]).year
    if rng.random() < 0.5:
        day = rng.randrange(1, 29)
        m1 = rng.choice([1, 2])
        m2 = m1 + rng.choice([9, 10])
        dob1, dob2 = dt.date(y, m1, day), dt.date(y, m2, day)
        kind = "rt2_irish_twins_same_day"
    else:
        a, b = rng.choice([(1, 10), (1, 11), (2, 11), (2, 12), (1, 12), (3, 12)])
        dob1, dob2 = dt.date(y, a, b), dt.date(y, b, a)
        kind = "rt2_irish_twins_transposed"
    shift = 1 if (dob2.month, dob2.day) > (10, 15) else 0
    g1, g2 = rng.choice("MF"), rng.choice("MF")
    if rng.random() < 0.4 and g1 == g2:
        f1, f2 = rng.choice(base.TWIN_NAMES_MM if g1 == "M" else base.TWIN_NAMES_FF)
        kind += "_alike"
    else:
        f1, f2 = first(rng, g1), first(rng, g2)
        while f2 == f1:
            f2 = first(rng, g2)
    last = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    addr = inj.address(t)
    m1 = mid(rng, g1)
    m2 = rng.choice([m1, mid(rng, g2, (m1,))]) if g1 == g2 else mid(rng, g2)
    a = inj.kid(t, (last, f1, m1), g1, dob1, addr=addr)
    b = inj.kid(t, (last, f2, m2), g2, dob2, shift=shift, addr=addr)
    inj.hn(a, b, kind + ("_two_grades" if shift else ""))


def quads(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    *names, genders = rng.choice(QUADS)
    last = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    addr = inj.address(t)
    shared = {g: mid(rng, g) for g in "MF"}
    home = rng.randrange(-2, 4)  # one never enrolled, sometimes
    kids = []
    for i, (f, g) in enumerate(zip(names, genders)):
        m = shared[g] if i % 2 == 0 else mid(rng, g, (shared[g],))
        kids.append(inj.kid(t, (last, f, m), g, dob, rows=[] if i == home else None, addr=addr))
    for i in range(4):
        for j in range(i + 1, 4):
            inj.hn(kids[i], kids[j], "rt2_quads")


def twins_gender_wrong(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    boy, girl = rng.choice(GENDER_ALIKE)
    g = rng.choice("MF")
    last = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    addr = inj.address(t)
    home = rng.random() < 0.3
    m1 = mid(rng, "M")
    m2 = mid(rng, "F")
    a = inj.kid(t, (last, boy, m1), g, dob, addr=addr)
    b = inj.kid(t, (last, girl, m2), g, dob, rows=[] if home else None, addr=addr)
    inj.hn(a, b, "rt2_twins_gender_wrong" + ("_one_home" if home else ""))


def kg_strangers(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    g = rng.choice("MF")
    f = first(rng, g)
    last = rng.choice(COMMON_LAST)
    m1 = mid(rng, g)
    m2 = rng.choice(["", mid(rng, g, (m1,))])
    a = inj.kid(t, (last, f, m1), g, dob)
    b = inj.kid(t, (last, f, m2), g, dob)
    inj.hn(a, b, "rt2_kg_strangers" + ("_one_no_middle" if not m2 else ""))


# -- duplicates -----------------------------------------------------------
def base_child(inj, rng, t, names, g, dob, end):
    rows_a, locs = inj.rows(t, end=end)
    if not rows_a:
        return None, None
    a = inj.kid(t, names, g, dob, rows=[])
    attach(inj, a, rows_a)
    return a, locs


def foster(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    g = rng.choice("MF")
    f = first(rng, g)
    m = rng.choice(["", mid(rng, g)])
    s0 = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    cut = cut_in(inj, rng, t)
    a, _ = base_child(inj, rng, t, (s0, f, m), g, dob, cut)
    if a is None:
        return
    n = rng.choice([2, 3])
    when = cut
    surnames = [rng.choice(base.ANGLO_LAST), None, rng.choice(base.FRENCH_LAST)]
    surnames[1] = s0 + "-" + surnames[0]
    seen = set(inj.b.sau_of(a["rows"]))
    for i in range(n):
        t2 = inj.template(dob.year, avoid=seen)
        start = when + dt.timedelta(days=rng.randrange(3, 30))
        when = start + dt.timedelta(days=rng.randrange(60, 150))
        rows, _ = inj.rows(t2, start=start, end=when if i < n - 1 else None)
        if not rows:
            return
        seen |= inj.b.sau_of(rows)
        first_ = f if rng.random() < 0.7 else base.NICK.get(f, typo(rng, f))
        dob_i = dob if rng.random() < 0.8 else dob + dt.timedelta(days=rng.choice([-1, 1]))
        mid_i = m if rng.random() < 0.6 else ""
        inj.dup(a, (surnames[i], first_, mid_i), dob_i, rows, inj.address(t2),
                "foster;%d_of_%d" % (i + 2, n + 1))


def year_typo(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    g = rng.choice("MF")
    names = (rng.choice(base.ANGLO_LAST + base.FRENCH_LAST), first(rng, g),
             rng.choice(["", mid(rng, g)]))
    cut = cut_in(inj, rng, t)
    a, locs = base_child(inj, rng, t, names, g, dob, cut)
    if a is None:
        return
    ys = str(dob.year)
    y2 = int(ys[:3] + KEYPAD[ys[3]]) if rng.random() < 0.6 else dob.year + rng.choice([-1, 1])
    try:
        dob2 = dob.replace(year=y2)
    except ValueError:
        dob2 = dob.replace(year=y2, day=28)
    same = rng.random() < 0.5
    t2 = t if same else inj.other_sau(t, dob.year)
    rows, _ = inj.rows(t2, start=cut + dt.timedelta(days=rng.randrange(2, 60)),
                       locals_=locs if same and rng.random() < 0.5 else None)
    if rows:
        inj.dup(a, names, dob2, rows, inj.address(t2),
                "year_typo;" + ("same_sau" if same else "moved"))


def suffix(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    last = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    f = first(rng, "M")
    m = rng.choice(["", mid(rng, "M")])
    sfx = rng.choice(SUFFIXES)
    cut = cut_in(inj, rng, t)
    rows_a, locs = inj.rows(t, end=cut)
    if not rows_a:
        return
    how = rng.choice(["surname_field", "first_field", "dropped"])
    a = inj.kid(t, (last, f, m), "M", dob, rows=[], suffix=sfx)
    attach(inj, a, rows_a)
    if how == "surname_field":
        names = (last + " " + sfx, f, m)
    elif how == "first_field":
        names = (last, f + " " + sfx, m)
    else:
        names = (last, f, m)
    same = rng.random() < 0.5
    t2 = t if same else inj.other_sau(t, dob.year)
    rows, _ = inj.rows(t2, start=cut + dt.timedelta(days=rng.randrange(2, 40)))
    if rows:
        inj.dup(a, names, dob, rows, inj.address(t2) if not same else a["addr"],
                "suffix;" + how)


def punct(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    g = rng.choice("MF")
    s1, s2 = rng.choice(PUNCT)
    if rng.random() < 0.5:
        s1, s2 = s2, s1
    f, m = first(rng, g), rng.choice(["", mid(rng, g)])
    cut = cut_in(inj, rng, t)
    a, _ = base_child(inj, rng, t, (s1, f, m), g, dob, cut)
    if a is None:
        return
    t2 = inj.other_sau(t, dob.year)
    rows, _ = inj.rows(t2, start=cut + dt.timedelta(days=rng.randrange(2, 40)))
    if rows:
        nick = rng.random() < 0.3 and f in base.NICK
        inj.dup(a, (s2, base.NICK[f] if nick else f, m), dob, rows, inj.address(t2),
                "punct;" + ("nickname" if nick else "only"))


def hyphen_first(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    f1, f2, g = rng.choice(HYPHEN_FIRST)
    if rng.random() < 0.5:
        f1, f2 = f2, f1
    last = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    m = rng.choice(["", mid(rng, g)])
    cut = cut_in(inj, rng, t)
    a, _ = base_child(inj, rng, t, (last, f1, m), g, dob, cut)
    if a is None:
        return
    moved = rng.random() < 0.6
    t2 = inj.other_sau(t, dob.year) if moved else t
    rows, _ = inj.rows(t2, start=cut + dt.timedelta(days=rng.randrange(2, 40)))
    if rows:
        inj.dup(a, (last, f2, m), dob, rows, inj.address(t2) if moved else a["addr"],
                "hyphen_first;" + ("moved" if moved else "same_sau"))


def gender_change(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    f1, g1, f2, g2 = rng.choice(TRANSITION)
    last = rng.choice(base.ANGLO_LAST + base.FRENCH_LAST)
    m1 = mid(rng, g1)
    m2 = rng.choice([m1, "", mid(rng, g2)])
    cut = cut_in(inj, rng, t)
    a, locs = base_child(inj, rng, t, (last, f1, m1), g1, dob, cut)
    if a is None:
        return
    how = rng.choice(["same_school_number_kept", "same_sau", "moved"])
    t2 = inj.other_sau(t, dob.year) if how == "moved" else t
    rows, _ = inj.rows(t2, start=cut + dt.timedelta(days=rng.randrange(2, 80)),
                       locals_=locs if how == "same_school_number_kept" else None)
    if rows:
        inj.dup(a, (last, f2, m2), dob, rows, a["addr"] if how != "moved" else inj.address(t2),
                "gender_change;" + how, gender=g2)


def long_gap(inj, rng):
    t = inj.template()
    dob = d(t[inj.b.ph["BirthDate"]])
    ys = years_of(inj, t)
    if len(ys) < 6:
        return
    g = rng.choice("MF")
    f = first(rng, g) if rng.random() < 0.6 else rng.choice(list(base.NICK))
    names = (rng.choice(base.ANGLO_LAST + base.FRENCH_LAST), f, rng.choice(["", mid(rng, g)]))
    y_end = rng.choice(ys[1:-4])
    gap = rng.randrange(2, 5)
    end = dt.date(y_end, 6, 10)
    a, locs = base_child(inj, rng, t, names, g, dob, end)
    if a is None:
        return
    same = rng.random() < 0.4
    t2 = t if same else inj.other_sau(t, dob.year)
    rows, _ = inj.rows(t2, start=dt.date(y_end + gap - 1, 8, 25))
    if not rows:
        return
    how = rng.choice(["exact", "nickname", "new_surname", "no_middle"])
    last, f_, m = names
    if how == "nickname":
        f_ = base.NICK.get(f_, typo(rng, f_))
    elif how == "new_surname":
        last = rng.choice(base.ANGLO_LAST)
    elif how == "no_middle":
        m = ""
    inj.dup(a, (last, f_, m), dob, rows, inj.address(t2),
            "long_gap;%d_years;%s;%s" % (gap, "same_sau" if same else "moved", how))


def blank_one_side(inj, rng, share):
    """For `share` of the hard-negative pairs, the second child's birth
    date and middle name left blank (an extract's blanks: a registration
    without papers yet); the kind gets `+blank`."""
    ph = inj.b.ph
    rows_of = defaultdict(list)
    for p, t in zip(inj.personal, inj.truth):
        rows_of[t[3]].append(p)
    done = set()
    for h in inj.hard:
        if h[1] in done or rng.random() >= share:
            continue
        done.add(h[1])
        for p in rows_of[h[1]]:
            p[ph["BirthDate"]], p[ph["MiddleName"]] = "", ""
    for h in inj.hard:
        if h[0] in done or h[1] in done:
            inj.counts["hard " + h[2]] -= 1
            h[2] += "+blank"
            inj.counts["hard " + h[2]] += 1


SHAPES = [twins_diverge, foreman_brothers, first_middle_swapped, parent_child, irish_twins,
          quads, twins_gender_wrong, kg_strangers, foster, year_typo, suffix, punct,
          hyphen_first, gender_change, long_gap]


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--"))
    bundle, truth, out_bundle, out_truth = args
    rng = random.Random(int(opts.get("seed", "2024")))
    per = int(opts.get("per-shape", "20"))
    b = base.Bundle(bundle, rng, 30000)
    inj = Injector2(b, rng)
    for shape in SHAPES:
        for _ in range(per):
            shape(inj, rng)
    blank = float(opts.get("blank-share", "0"))
    if blank:
        blank_one_side(inj, rng, blank)
    os.makedirs(out_bundle, exist_ok=True)
    os.makedirs(out_truth, exist_ok=True)
    base.write_out(inj, (bundle, truth), (out_bundle, out_truth), "redteam2_summary.txt")


if __name__ == "__main__":
    main(sys.argv[1:])
