#!/usr/bin/env python3
"""Red-team injection for the identity stage (idlook9, twenty-second session).

Appends families of hard negatives and true duplicates, made from what is
known of real statewide student data rather than from the identity rules,
to a COPY of a generated bundle, and appends their ground truth to a copy of
the generator's truth (`identities.csv`, `hard_negatives.csv`), so that
`cutover identity score --truth OUT_TRUTH/identities.csv` scores both.

    python3 inject_redteam.py BUNDLE TRUTH OUT_BUNDLE OUT_TRUTH [--families N] [--seed S]

Python standard library only; seeded (the same inputs and seed give the same
bytes).  Names are made up here; reports name IDs only.

Every injected child is cloned from a real "template" student of the bundle
(its enrollment rows, schools, SAUs, town codes, grades and dates, shifted
by whole years for an older or younger sibling), with fresh StateStudentIDs,
PersonIDs, IdentityIDs, EnrollmentIDs and local numbers, and an address made
from the template's (another house number), so that every injected row has
the bundle's exact format.  The template itself is left untouched.

Shapes and shares (of the injected families; sources in docs/scale.md's
`## idlook9`):
  twins            CDC NVSR: 32-34 twin births per 1,000 (2000-2017);
                   names alike, rhyming, one letter apart, or Kongo/Luba
                   twin names (Nsimba/Nzuzi, Mbuyi/Kanku)
  triplets         about 1 per 1,000 births at the peak (1998-2010)
  siblings         a year or two apart, same address and SAU
  cousins          one surname in one town (St. John Valley and Lewiston
                   patterns): named for one grandparent (same first name,
                   sometimes the same middle), different address
  strangers        one common full name and birth date, other towns; among
                   refugee children a recorded birth date of January 1
                   (USCIS assigns 1 January when the day is unknown), and
                   Somali patronymic surnames concentrate names
  blended          step-siblings at one address, different surnames, months
                   apart in one grade; half-siblings with one surname
  duplicates       a child re-registered under a new StateStudentID when
                   moving SAUs mid-year (sometimes with the old enrollment
                   never exited: overlap) or in the same SAU: nickname,
                   typo, surname change (stepfather's, hyphenated), birth
                   date slip (a day, month/day swap, January 1 replaced by
                   the real date), first/last swapped, Somali middle/last
                   swapped, transliteration
"""
import csv
import datetime as dt
import io
import os
import random
import sys
from collections import defaultdict

ANGLO_LAST = ["Smith", "Johnson", "Brown", "Williams", "Jones", "Davis", "Miller", "Wilson",
              "Moore", "Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris",
              "Thompson", "Libby", "Leavitt", "Emery", "Doughty", "Clark", "Allen", "Young"]
FRENCH_LAST = ["Pelletier", "Ouellette", "Thibodeau", "Michaud", "Cyr", "Lévesque", "Bérubé",
               "Gagnon", "Daigle", "Dubé", "Bouchard", "Plourde", "Thériault", "Bélanger",
               "Côté", "Nadeau", "Morin", "Roy", "Violette", "Albert", "Saucier", "Beaulieu"]
SOMALI_NAMES_M = ["Mohamed", "Abdi", "Abdirahman", "Abdullahi", "Ahmed", "Hassan", "Ali", "Omar",
                  "Yusuf", "Ibrahim", "Mukhtar", "Abdiaziz", "Osman", "Farah", "Jama", "Hussein",
                  "Aden", "Nur", "Mohamud", "Warsame"]
SOMALI_F = ["Fadumo", "Hodan", "Amina", "Ayan", "Asha", "Hawa", "Sahra", "Ifrah", "Nasra",
            "Halima", "Deqa", "Ikran", "Hamdi", "Sagal", "Khadija"]
CONGO_LAST = ["Mukendi", "Kabongo", "Ilunga", "Tshibangu", "Kalala", "Ngoy", "Kasongo",
              "Mutombo", "Lukusa", "Mbala", "Kiala", "Mwamba", "Nkulu", "Mbuyi", "Kanku"]
CONGO_M = ["Exaucé", "Gloire", "Fiston", "Dieudonné", "Jonathan", "Patrick", "Bienvenu",
           "Espoir", "Glodi", "Arsène", "Nathan", "Christian", "Josué"]
CONGO_F = ["Grace", "Divine", "Merveille", "Christelle", "Esther", "Rachel", "Bénédicte",
           "Plamedi", "Naomie", "Rebecca", "Gloria", "Ornella"]
ANGLO_M = ["Jacob", "Michael", "Joshua", "Matthew", "Ethan", "Andrew", "Tyler", "Ryan",
           "Nicholas", "Austin", "Logan", "Cody", "Dylan", "Brandon", "Kyle", "Caleb", "Hunter",
           "Noah", "Owen", "Liam", "Mason", "Jayden", "Brady", "Landon", "Aiden"]
ANGLO_F = ["Emily", "Hannah", "Madison", "Ashley", "Sarah", "Abigail", "Emma", "Olivia",
           "Brianna", "Kayla", "Morgan", "Megan", "Paige", "Haley", "Kaitlyn", "Ella", "Kylie",
           "Mackenzie", "Isabella", "Chloe"]
FRENCH_M = ["Marc", "Luc", "Alexandre", "Gabriel", "Olivier", "Nicolas", "Mathieu", "Jacques",
            "Rémi", "Philippe", "Jean-Luc", "Jean-François"]
FRENCH_F = ["Chloé", "Émilie", "Sophie", "Camille", "Gabrielle", "Marie-Ève", "Danielle",
            "Nicole", "Monique", "Julie", "Marie-Claude", "Josée"]
# Twins' names as parents give them: alike, one letter apart, rhyming.
TWIN_NAMES_MM = [("Jayden", "Jaylen"), ("Brady", "Brody"), ("Logan", "Landon"),
                 ("Aiden", "Aidan"), ("Hunter", "Hayden"), ("Mason", "Jason"),
                 ("Jacob", "Joshua"), ("Tristan", "Tristen"), ("Connor", "Colin"),
                 ("Abdirahman", "Abdirahim"), ("Hassan", "Hussein"), ("Nsimba", "Nzuzi"),
                 ("Mbuyi", "Kanku"), ("Marc", "Luc")]
TWIN_NAMES_FF = [("Kaylee", "Kylie"), ("Madison", "Mackenzie"), ("Emma", "Ella"),
                 ("Hailey", "Haley"), ("Ava", "Eva"), ("Kaitlyn", "Katelyn"),
                 ("Faith", "Hope"), ("Hodan", "Hibo"), ("Amina", "Aminah"),
                 ("Grace", "Gloria"), ("Marie-Ève", "Marie-Claude"), ("Nsimba", "Nzuzi")]
TWIN_NAMES_MF = [("Tyler", "Taylor"), ("Jordan", "Jordyn"), ("Mason", "Madison"),
                 ("Dylan", "Delaney"), ("Abdi", "Ayan"), ("Gabriel", "Gabrielle")]
NICK = {"William": "Bill", "Michael": "Mike", "Matthew": "Matt", "Nicholas": "Nick",
        "Joshua": "Josh", "Andrew": "Drew", "Jacob": "Jake", "Alexandre": "Alex",
        "Christopher": "Chris", "Abigail": "Abby", "Isabella": "Bella", "Kaitlyn": "Katie",
        "Olivia": "Liv", "Jonathan": "Jon", "Samantha": "Sam", "Gabrielle": "Gaby",
        "Mohamed": "Moe", "Abdirahman": "Abdi", "Emily": "Em", "Benjamin": "Ben",
        "Nathan": "Nate", "Katherine": "Kate", "Elizabeth": "Liz"}
TRANSLIT = {"Mohamed": "Mohammed", "Mohamud": "Mahamud", "Abdirahman": "Abdulrahman",
            "Fadumo": "Faduma", "Hussein": "Hussain", "Yusuf": "Yussuf", "Abdullahi": "Abdulahi",
            "Sahra": "Sahro", "Osman": "Osmaan", "Hawa": "Xawa", "Ahmed": "Axmed",
            "Ayan": "Ayaan", "Omar": "Umar"}


def d(s):
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        return None


def add_years(day, k):
    try:
        return day.replace(year=day.year + k)
    except ValueError:
        return day.replace(year=day.year + k, day=28)


class Bundle:
    """The parts of a bundle the injection copies from: every identity row,
    and the enrollments and addresses of a seeded sample of templates."""

    def __init__(self, path, rng, sample):
        self.path = path
        self.personal_header, self.personal = self._read("student_personal.csv", "cp1252")
        ph = {h: i for i, h in enumerate(self.personal_header)}
        self.ph = ph
        ssids = defaultdict(int)
        for r in self.personal:
            ssids[r[ph["StateStudentID"]]] += 1
        self.used_ssid = set(ssids)
        self.mail_header, mail_rows = self._read("mailing_address.csv", "utf-8")
        self.mail = {r[0]: r for r in mail_rows if len(r) == len(self.mail_header)}
        # Templates: one-identity students with an ID, a plausible birth
        # date and an address; a seeded sample of them, then only those
        # with three enrollment rows or more.
        cands = [r for r in self.personal
                 if len(r) == len(self.personal_header) and r[ph["StateStudentID"]]
                 and ssids[r[ph["StateStudentID"]]] == 1 and d(r[ph["BirthDate"]])
                 and r[ph["StateStudentID"]] in self.mail]
        rng.shuffle(cands)
        cands = cands[:sample]
        want = {r[ph["StateStudentID"]] for r in cands}
        self.enroll = defaultdict(list)
        with open(os.path.join(path, "student_enrollment.csv"), encoding="utf-8-sig",
                  newline="") as f:
            reader = csv.reader(f)
            self.enroll_header = next(reader)
            n = len(self.enroll_header)
            for r in reader:
                if len(r) == n and r[2] in want:
                    self.enroll[r[2]].append(r)
        self.eh = {h: i for i, h in enumerate(self.enroll_header)}
        self.templates = [r for r in cands if len(self.enroll.get(r[ph["StateStudentID"]], ())) >= 3]
        self.by_year = defaultdict(list)
        for r in self.templates:
            self.by_year[d(r[ph["BirthDate"]]).year].append(r)

    def _read(self, name, enc):
        with open(os.path.join(self.path, name), encoding=enc, newline="") as f:
            rows = list(csv.reader(f))
        return rows[0], rows[1:]

    def sau_of(self, rows):
        return {r[self.eh["ResidentSAU_ID"]] for r in rows}


class Injector:
    def __init__(self, bundle, rng):
        self.b = bundle
        self.rng = rng
        self.personal, self.enroll, self.mail = [], [], []
        self.truth, self.hard = [], []
        self.person_id = 3_600_000
        self.identity_id = 5_600_000
        self.enrollment_id = 12_600_000
        self.local = 700_000
        self.student = 0
        self.counts = defaultdict(int)
        self.cursor = 0

    # -- ids -------------------------------------------------------------
    def ssid(self):
        while True:
            s = "%09d" % self.rng.randrange(10_000_000, 999_999_999)
            if s not in self.b.used_ssid:
                self.b.used_ssid.add(s)
                return s

    def new_student(self):
        self.student += 1
        return "R%07d" % self.student

    def template(self, year=None, avoid=()):
        if year is not None and self.b.by_year.get(year):
            pool = self.b.by_year[year]
            for _ in range(50):
                t = self.rng.choice(pool)
                if not avoid or not (self.b.sau_of(self.b.enroll[t[2]]) & avoid):
                    return t
        self.cursor += 1
        return self.b.templates[self.cursor % len(self.b.templates)]

    # -- rows ------------------------------------------------------------
    def enrollments(self, rows, ssid, shift=0, locals_=None, cut=None):
        """Copies of a template's enrollment rows for `ssid`, dates and year
        codes shifted by `shift` years; `cut` = (from, to) keeps the rows
        in that date window, clipping entry and exit to it."""
        eh = self.b.eh
        locals_ = {} if locals_ is None else locals_
        out = []
        for r in sorted(rows, key=lambda r: (r[eh["SchoolEntryDate"]], r[0])):
            r = list(r)
            year = int(r[eh["YearCode"]]) + shift
            if year > 2017:
                continue
            r[eh["YearCode"]] = str(year)
            for c in ("SchoolEntryDate", "ExitDate", "DateFirstEnrolledESL", "LEPExitDate",
                      "SpedStartDate", "SpedExitDate", "EffectiveDate"):
                v = d(r[eh[c]]) if r[eh[c]] else None
                if v:
                    r[eh[c]] = add_years(v, shift).isoformat()
            if cut:
                entry = d(r[eh["SchoolEntryDate"]])
                exit_ = d(r[eh["ExitDate"]]) or dt.date(year, 6, 15)
                if entry is None or exit_ < cut[0] or entry > cut[1]:
                    continue
                if entry < cut[0]:
                    r[eh["SchoolEntryDate"]] = cut[0].isoformat()
                    r[eh["StartStatus"]] = "12"
                if exit_ > cut[1]:
                    r[eh["ExitDate"]] = cut[1].isoformat()
                    r[eh["ExitTypeCode"]] = "02"
            loc = r[eh["SchoolStudentID"]]
            if loc:
                if loc not in locals_:
                    self.local += self.rng.randrange(1, 40)
                    locals_[loc] = str(self.local)
                r[eh["SchoolStudentID"]] = locals_[loc]
            r[eh["StateStudentID"]] = ssid
            self.enrollment_id += 1
            r[0] = str(self.enrollment_id)
            out.append(r)
        return out, locals_

    def address(self, template, number=None):
        m = list(self.b.mail[template[2]])
        street = m[1].split(" ", 1)
        number = number or str(self.rng.randrange(2, 480))
        m[1] = number + " " + (street[1] if len(street) > 1 else street[0])
        return m

    def add_id(self, child, ssid, names, dob, rows, addr, effective, kind, variation,
               local=None):
        """One identity row (a child's ID), its enrollments and address."""
        ph = self.b.ph
        p = list(child["template"])
        last, first, middle = names
        p[ph["LastName"]], p[ph["FirstName"]], p[ph["MiddleName"]] = last, first, middle
        p[ph["Suffix"]] = ""
        p[ph["Gender"]] = child["gender"]
        p[ph["BirthDate"]] = dob.isoformat()
        p[ph["StateStudentID"]] = ssid
        if child.get("lang"):
            p[ph["HomePrimaryLanguage"]] = child["lang"]
        self.person_id += 3
        self.identity_id += 1
        p[ph["PersonID"]] = str(self.person_id)
        p[ph["IdentityID"]] = str(self.identity_id)
        p[ph["IdentityEffectiveDate"]] = effective.isoformat()
        p[ph["LocalStudentNumber"]] = local if local is not None else (
            rows[-1][self.b.eh["SchoolStudentID"]] if rows else "")
        self.personal.append(p)
        self.enroll.extend(rows)
        addr = list(addr)
        addr[0] = ssid
        self.mail.append(addr)
        self.truth.append([p[ph["IdentityID"]], p[ph["PersonID"]], ssid, child["key"], kind,
                           variation])

    # -- children --------------------------------------------------------
    def child(self, template, names, gender, dob, shift=0, addr=None, lang=None, rows=None):
        c = {"key": self.new_student(), "template": template, "names": names,
             "gender": gender, "dob": dob, "lang": lang}
        ssid = self.ssid()
        if rows is None:
            rows, _ = self.enrollments(self.b.enroll[template[2]], ssid, shift)
        addr = addr or self.address(template)
        first_entry = (d(rows[0][self.b.eh["SchoolEntryDate"]]) if rows else None) or dob
        self.add_id(c, ssid, names, dob, rows, addr, first_entry, "original", "redteam")
        c["ssid"], c["addr"], c["rows"] = ssid, addr, rows
        return c

    def hard_negative(self, a, b, kind):
        self.hard.append([a["key"], b["key"], kind])
        self.counts["hard " + kind] += 1


def pick_family(rng):
    """A family's culture, as Maine's student population has them."""
    x = rng.random()
    if x < 0.55:
        return "anglo"
    if x < 0.80:
        return "french"
    if x < 0.92:
        return "somali"
    return "congo"


def first_name(rng, culture, gender):
    table = {("anglo", "M"): ANGLO_M, ("anglo", "F"): ANGLO_F,
             ("french", "M"): FRENCH_M + ANGLO_M, ("french", "F"): FRENCH_F + ANGLO_F,
             ("somali", "M"): SOMALI_NAMES_M, ("somali", "F"): SOMALI_F,
             ("congo", "M"): CONGO_M, ("congo", "F"): CONGO_F}
    return rng.choice(table[(culture, gender)])


def surname(rng, culture):
    return rng.choice({"anglo": ANGLO_LAST, "french": FRENCH_LAST,
                       "somali": SOMALI_NAMES_M, "congo": CONGO_LAST}[culture])


def middle_name(rng, culture, gender, father=None):
    if culture == "somali":
        return father or rng.choice(SOMALI_NAMES_M)
    if rng.random() < 0.3:
        return ""
    return first_name(rng, "anglo" if culture != "congo" else "congo", gender)


LANG = {"somali": "som", "congo": "fre", "french": "eng", "anglo": "eng"}


def refugee_dob(rng, real, culture):
    """Refugee children's recorded birth date: 1 January of the year for
    about a third (USCIS practice when the day is unknown)."""
    if culture in ("somali", "congo") and rng.random() < 0.35:
        return dt.date(real.year, 1, 1)
    return real


# -- families -----------------------------------------------------------
def dob_of(inj, t):
    return d(t[inj.b.ph["BirthDate"]])


def twins(inj, rng, n=2):
    t = inj.template()
    culture = pick_family(rng)
    real = dob_of(inj, t)
    dob = refugee_dob(rng, real, culture)
    last = surname(rng, culture)
    father = rng.choice(SOMALI_NAMES_M) if culture == "somali" else None
    if n == 2 and rng.random() < 0.5:
        table = rng.choice([(TWIN_NAMES_MM, "MM"), (TWIN_NAMES_FF, "FF"), (TWIN_NAMES_MF, "MF")])
        names = rng.choice(table[0])
        genders = table[1]
        kind = "rt_twins_alike_names"
    else:
        genders = "".join(rng.choice("MF") for _ in range(n))
        names, seen = [], set()
        for g in genders:
            f = first_name(rng, culture, g)
            while f in seen:
                f = first_name(rng, culture, g)
            seen.add(f)
            names.append(f)
        kind = "rt_twins" if n == 2 else "rt_triplets"
    addr = inj.address(t)
    kids = [inj.child(t, (last, names[i], middle_name(rng, culture, genders[i], father)),
                      genders[i], dob, addr=addr, lang=LANG[culture]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            inj.hard_negative(kids[i], kids[j], kind)


def siblings(inj, rng):
    t = inj.template()
    culture = pick_family(rng)
    real = dob_of(inj, t)
    k = rng.choice([1, 1, 2])
    last = surname(rng, culture)
    father = rng.choice(SOMALI_NAMES_M) if culture == "somali" else None
    addr = inj.address(t)
    g1, g2 = rng.choice("MF"), rng.choice("MF")
    f1 = first_name(rng, culture, g1)
    f2 = first_name(rng, culture, g2)
    while f2 == f1:
        f2 = first_name(rng, culture, g2)
    dob1 = refugee_dob(rng, real, culture)
    young = add_years(real, k) + dt.timedelta(days=rng.randrange(-60, 60))
    dob2 = dt.date(young.year, 1, 1) if dob1.month == 1 and dob1.day == 1 else young
    # Congolese siblings need not share a surname.
    last2 = surname(rng, culture) if culture == "congo" and rng.random() < 0.5 else last
    a = inj.child(t, (last, f1, middle_name(rng, culture, g1, father)), g1, dob1, addr=addr,
                  lang=LANG[culture])
    b = inj.child(t, (last2, f2, middle_name(rng, culture, g2, father)), g2, dob2, shift=k,
                  addr=addr, lang=LANG[culture])
    inj.hard_negative(a, b, "rt_siblings")


def cousins(inj, rng):
    t = inj.template()
    culture = pick_family(rng)
    real = dob_of(inj, t)
    last = surname(rng, culture)
    g = rng.choice("MF")
    named_for = rng.random() < 0.5
    f1 = first_name(rng, culture, g)
    f2 = f1 if named_for else first_name(rng, culture, g)
    m1 = middle_name(rng, culture, g)
    m2 = middle_name(rng, culture, g)
    if named_for and culture != "somali" and rng.random() < 0.5:
        m2 = m1
    while culture == "somali" and m2 == m1:
        m2 = rng.choice(SOMALI_NAMES_M)
    dob1 = refugee_dob(rng, real, culture)
    if dob1.month == 1 and dob1.day == 1:
        dob2 = dob1
    else:
        dob2 = real + dt.timedelta(days=rng.randrange(1, 200))
    a = inj.child(t, (last, f1, m1), g, dob1, lang=LANG[culture])
    if rng.random() < 0.5:
        b = inj.child(t, (last, f2, m2), g, dob2, lang=LANG[culture])
        kind = "rt_cousins_same_name" if named_for else "rt_cousins"
    else:
        t2 = inj.template(real.year, avoid=inj.b.sau_of(a["rows"]))
        b = inj.child(t2, (last, f2, m2), g, dob2, lang=LANG[culture])
        kind = "rt_cousins_same_name_other_sau" if named_for else "rt_cousins_other_sau"
    inj.hard_negative(a, b, kind)


def strangers(inj, rng):
    t = inj.template()
    culture = pick_family(rng)
    real = dob_of(inj, t)
    dob = refugee_dob(rng, real, culture)
    g = rng.choice("MF")
    last, first = surname(rng, culture), first_name(rng, culture, g)
    t2 = inj.template(real.year, avoid=inj.b.sau_of(inj.b.enroll[t[2]]))
    m1, m2 = middle_name(rng, culture, g), middle_name(rng, culture, g)
    if rng.random() < 0.35:
        cut = cut_date(inj, rng, t)
        ssid_rows = inj.enrollments(inj.b.enroll[t[2]], "", 0, cut=(dt.date(1900, 1, 1), cut))[0]
        gap = dt.timedelta(days=rng.randrange(3, 60))
        rows2 = inj.enrollments(inj.b.enroll[t2[2]], "", 0,
                                cut=(cut + gap, dt.date(2100, 1, 1)))[0]
        if ssid_rows and rows2:
            a = child_rows(inj, t, (last, first, m1), g, dob, ssid_rows, culture)
            b = child_rows(inj, t2, (last, first, m2), g, dob, rows2, culture)
            inj.hard_negative(a, b, "rt_strangers_one_after_other")
            return
    a = inj.child(t, (last, first, m1), g, dob, lang=LANG[culture])
    b = inj.child(t2, (last, first, m2), g, dob, lang=LANG[culture])
    inj.hard_negative(a, b, "rt_strangers")


def child_rows(inj, t, names, g, dob, rows, culture):
    """A child whose enrollment rows are already made (no ID yet)."""
    c = inj.child(t, names, g, dob, lang=LANG[culture], rows=[])
    eh = inj.b.eh
    for r in rows:
        r[eh["StateStudentID"]] = c["ssid"]
    inj.enroll.extend(rows)
    inj.personal[-1][inj.b.ph["LocalStudentNumber"]] = rows[-1][eh["SchoolStudentID"]]
    c["rows"] = rows
    return c


def blended(inj, rng):
    t = inj.template()
    real = dob_of(inj, t)
    addr = inj.address(t)
    if rng.random() < 0.6:
        # Step-siblings: one grade, months apart, two surnames, one address.
        c1, c2 = rng.choice(["anglo", "french"]), rng.choice(["anglo", "french"])
        g1, g2 = rng.choice("MF"), rng.choice("MF")
        dob2 = real + dt.timedelta(days=rng.randrange(30, 300))
        a = inj.child(t, (surname(rng, c1), first_name(rng, c1, g1), middle_name(rng, c1, g1)),
                      g1, real, addr=addr)
        b = inj.child(t, (surname(rng, c2), first_name(rng, c2, g2), middle_name(rng, c2, g2)),
                      g2, dob2, addr=addr)
        inj.hard_negative(a, b, "rt_blended_step")
    else:
        # Half-siblings: the father's surname, a hyphenated one, a year or more apart.
        c = rng.choice(["anglo", "french"])
        last = surname(rng, c)
        g1, g2 = rng.choice("MF"), rng.choice("MF")
        k = rng.choice([1, 2, 3])
        f1, f2 = first_name(rng, c, g1), first_name(rng, c, g2)
        while f2 == f1:
            f2 = first_name(rng, c, g2)
        last2 = last if rng.random() < 0.5 else surname(rng, c) + "-" + last
        a = inj.child(t, (last, f1, middle_name(rng, c, g1)), g1, real, addr=addr)
        b = inj.child(t, (last2, f2, middle_name(rng, c, g2)), g2,
                      add_years(real, k) + dt.timedelta(days=rng.randrange(-90, 90)),
                      shift=k, addr=addr)
        inj.hard_negative(a, b, "rt_blended_half")


def cut_date(inj, rng, t):
    years = sorted({int(r[inj.b.eh["YearCode"]]) for r in inj.b.enroll[t[2]]})
    y = rng.choice(years[1:]) if len(years) > 1 else years[0]
    return dt.date(y - 1, 10, 1) + dt.timedelta(days=rng.randrange(0, 180))


def typo(rng, s):
    if len(s) < 4:
        return s + s[-1]
    i = rng.randrange(1, len(s) - 1)
    if rng.random() < 0.5:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + rng.choice("aeiournst") + s[i + 1:]


def defect(rng, culture, names, dob, g):
    last, first, middle = names
    pool = ["nickname", "typo", "surname_change", "birth_date_slip", "names_swapped", "exact"]
    if culture == "somali":
        pool += ["middle_last_swapped", "transliteration", "transliteration"]
    if dob.month == 1 and dob.day == 1:
        pool += ["jan1_to_real"] * 2
    kind = rng.choice(pool)
    if kind == "nickname":
        if first in NICK:
            first = NICK[first]
        else:
            kind, first = "typo", typo(rng, first)
    elif kind == "typo":
        if rng.random() < 0.5:
            first = typo(rng, first)
        else:
            last = typo(rng, last)
    elif kind == "surname_change":
        step = surname(rng, "anglo" if culture != "french" else "french")
        last = step if rng.random() < 0.6 else last + "-" + step
    elif kind == "birth_date_slip":
        if dob.day <= 12 and dob.day != dob.month and rng.random() < 0.5:
            dob = dt.date(dob.year, dob.day, dob.month)
        else:
            dob = dob + dt.timedelta(days=rng.choice([-1, 1]))
    elif kind == "jan1_to_real":
        dob = dob + dt.timedelta(days=rng.randrange(20, 330))
    elif kind == "names_swapped":
        first, last = last, first
    elif kind == "middle_last_swapped":
        last, middle = middle, ""
    elif kind == "transliteration":
        if first in TRANSLIT:
            first = TRANSLIT[first]
        elif last in TRANSLIT:
            last = TRANSLIT[last]
        else:
            kind, first = "typo", typo(rng, first)
    return kind, (last, first, middle), dob


def duplicate(inj, rng):
    t = inj.template()
    culture = pick_family(rng)
    real = dob_of(inj, t)
    g = rng.choice("MF")
    if rng.random() < 0.25:
        g = "M" if rng.random() < 0.5 else "F"
    first = first_name(rng, culture, g)
    if rng.random() < 0.3:
        first = rng.choice([n for n in NICK if n[0] in "WMNJACIKOSGEB"])
    names = (surname(rng, culture), first, middle_name(rng, culture, g))
    dob = refugee_dob(rng, real, culture)
    kind, names2, dob2 = defect(rng, culture, names, dob, g)
    cut = cut_date(inj, rng, t)
    how = "moved_sau"
    t2 = inj.template(real.year, avoid=inj.b.sau_of(inj.b.enroll[t[2]]))
    overlap = dt.timedelta(days=rng.randrange(10, 90)) if rng.random() < 0.3 else None
    gap = dt.timedelta(days=rng.randrange(2, 30))
    end_a = cut + overlap if overlap else cut
    start_b = cut if overlap else cut + gap
    rows_a, locs = inj.enrollments(inj.b.enroll[t[2]], "", 0, cut=(dt.date(1900, 1, 1), end_a))
    if rng.random() < 0.35:
        how = "same_sau"
        keep = locs if rng.random() < 0.5 else None
        rows_b = inj.enrollments(inj.b.enroll[t[2]], "", 0, locals_=keep,
                                 cut=(start_b, dt.date(2100, 1, 1)))[0]
        addr_b = None
    else:
        rows_b = inj.enrollments(inj.b.enroll[t2[2]], "", 0,
                                 cut=(start_b, dt.date(2100, 1, 1)))[0]
        addr_b = inj.address(t2)
    if not rows_a or not rows_b:
        return
    if overlap:
        how += "_overlapping"
    a = child_rows(inj, t, names, g, dob, rows_a, culture)
    ssid = inj.ssid()
    eh = inj.b.eh
    for r in rows_b:
        r[eh["StateStudentID"]] = ssid
    addr_b = addr_b or a["addr"]
    a["gender"] = g
    inj.add_id(a, ssid, names2, dob2, rows_b, addr_b, d(rows_b[0][eh["SchoolEntryDate"]]) or cut,
               "duplicate_redteam", how + ";" + kind)
    inj.counts["duplicate " + how + ";" + kind] += 1


FAMILIES = [(twins, 0.28), (lambda i, r: twins(i, r, 3), 0.012), (siblings, 0.19),
            (cousins, 0.14), (strangers, 0.10), (blended, 0.07), (duplicate, 0.208)]


# -- output --------------------------------------------------------------
def append_csv(src, dst, rows, enc, eol, bom=False):
    with open(src, "rb") as f:
        data = f.read()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=eol)
    w.writerows(rows)
    if not data.endswith(b"\n"):
        data += eol.encode()
    with open(dst, "wb") as f:
        f.write(data + buf.getvalue().encode(enc))


def write_out(inj, sources, outs, summary):
    """The injected bundle and truth: the three files the injector adds rows
    to written as the source's with the rows appended, the others linked,
    and the summary (counts only) written and printed."""
    (bundle, truth), (out_bundle, out_truth) = sources, outs
    changed = {"student_personal.csv": (inj.personal, "cp1252", "\r\n"),
               "student_enrollment.csv": (inj.enroll, "utf-8", "\n"),
               "mailing_address.csv": (inj.mail, "utf-8", "\r\n")}
    for name in sorted(os.listdir(bundle)):
        dst = os.path.join(out_bundle, name)
        if name in changed:
            rows, enc, eol = changed[name]
            append_csv(os.path.join(bundle, name), dst, rows, enc, eol)
        elif not os.path.exists(dst):
            os.link(os.path.join(bundle, name), dst)
    for name, rows in (("identities.csv", inj.truth), ("hard_negatives.csv", inj.hard)):
        append_csv(os.path.join(truth, name), os.path.join(out_truth, name), rows, "utf-8", "\n")
    with open(os.path.join(out_truth, summary), "w") as f:
        f.write("students %d identity rows %d enrollments %d\n"
                % (inj.student, len(inj.personal), len(inj.enroll)))
        for k in sorted(inj.counts):
            f.write("%s %d\n" % (k, inj.counts[k]))
    sys.stdout.write(open(os.path.join(out_truth, summary)).read())


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--"))
    bundle, truth, out_bundle, out_truth = args
    rng = random.Random(int(opts.get("seed", "2022")))
    families = int(opts.get("families", "1600"))
    b = Bundle(bundle, rng, 30000)
    inj = Injector(b, rng)
    weights = [w for _, w in FAMILIES]
    for _ in range(families):
        rng.choices([f for f, _ in FAMILIES], weights)[0](inj, rng)
    os.makedirs(out_bundle, exist_ok=True)
    os.makedirs(out_truth, exist_ok=True)
    write_out(inj, (bundle, truth), (out_bundle, out_truth), "redteam_summary.txt")


if __name__ == "__main__":
    main(sys.argv[1:])
