"""What the scripts writing the hand-made identity bundles share
(make_cousins.py, make_shapes.py): students, one enrollment row per school
year, the pairs expected, and the files of a bundle and of its copy with
names, birth dates and addresses only."""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ENR_HEAD = open(os.path.join(HERE, 'lookalikes', 'student_enrollment.csv')).readline().strip().split(',')
PERSONAL_HEAD = "PersonID,IdentityID,StateStudentID,LastName,FirstName,MiddleName,Suffix,Gender,BirthDate,ImmigrantFlag,USSchoolDate,HomePrimaryLanguage,IdentityEffectiveDate".split(",")
# School -> SAU, as in lookalikes/schools.csv.
SCHOOLS = {2633: 1244, 343: 1244, 3087: 1244, 825: 1244, 2751: 1888, 2754: 1888,
           1098: 1642, 507: 1052, 1921: 1052, 2741: 1704, 584: 1704, 1389: 1244}
FLAGS = ["ShelteredEnglishFlag", "HeritageLanguageFlag", "BilingualEdFlag", "ESLOnlyFlag",
         "MigrantFlag", "TitleICMigrantFlag", "Section504Flag", "RefugeeFlag",
         "StateAgencyClientFlag", "SupplementalEdServices", "GiftedTalentedAcademic",
         "GiftedTalentedArtistic", "AlternativeEducation", "ForeignExchange", "HomeSchooled",
         "SpecialEdFlag"]

BR = ("Brooks", "04921")
FR = ("Fryeburg", "04037")
PI = ("Presque Isle", "04769")
ST = ("Stonington", "04681")
BV = ("Brooksville", "04617")


def at(street, town):
    return (street, town[0], town[1])


# Children alone, each under their own name, address and local number at
# Brooks Elementary (`Bundle.children_alone`): the population a small
# bundle's weights are estimated from.
ALONE = [("Ayotte", "Liam", "M"), ("Bergeron", "Emma", "F"), ("Cote", "Noah", "M"), ("Dion", "Ava", "F"),
         ("Fortin", "Lucas", "M"), ("Gagne", "Mia", "F"), ("Hebert", "Owen", "M"), ("Jalbert", "Zoe", "F"),
         ("Lavoie", "Jack", "M"), ("Martel", "Ella", "F"), ("Nadeau", "Ryan", "M"), ("Ouellet", "Leah", "F"),
         ("Paradis", "Cole", "M"), ("Roy", "Nora", "F"), ("Sirois", "Evan", "M"), ("Theriault", "Ruby", "F"),
         ("Vachon", "Luke", "M"), ("Albert", "Ivy", "F"), ("Boucher", "Seth", "M"), ("Cyr", "June", "F"),
         ("Daigle", "Finn", "M"), ("Gendron", "Tess", "F"), ("Levesque", "Gage", "M"), ("Poulin", "Maya", "F")]


class Bundle:
    """Students numbered from 1: StateStudentID `prefix` + the number on two
    digits, PersonID `person` + n, IdentityID `identity` + n; EnrollmentIDs
    from `enrollment` + 1."""

    def __init__(self, prefix, person, identity, enrollment):
        self.prefix, self.person, self.identity = prefix, person, identity
        self.people, self.addrs, self.enrs, self.expected = [], [], [], []
        self.locals = {}
        self.n = 0
        self.eid = enrollment

    def sid(self, i):
        return f"{self.prefix}{i:02d}"

    def student(self, last, first, middle, gender, birth, addr, eff="2014-08-01", sid=None, person=None):
        """A new identity row; `sid` gives it another's StateStudentID, `person`
        another's PersonID (an identity row of one person)."""
        self.n += 1
        i = self.n
        key = sid or self.sid(i)
        self.people.append([person or self.person + i, self.identity + i, key, last, first, middle, "",
                            gender, birth, "N", "", "eng", eff])
        return self.address(key, addr, sid)

    def unidentified(self, last, first, middle, gender, birth, local):
        """A person with no StateStudentID and Local Student Number `local` (the
        bundle's student_personal.csv then has the column); returns the key
        identity gives it, `NEW-` and its PersonID."""
        self.n += 1
        person = self.person + self.n
        self.people.append([person, self.identity + self.n, "", last, first, middle, "",
                            gender, birth, "N", "", "eng", "2014-08-01"])
        self.locals[len(self.people) - 1] = local
        return f"NEW-{person}"

    def address(self, key, addr, sid):
        if addr and not sid:
            street, city, zip_ = addr
            self.addrs.append([key, street, city, "ME", zip_])
        return key

    def enroll(self, s, school, local, years, entry=None, exit_=None, first_grade=0, first_status="02"):
        """One row per school year (YearCode = spring year); entry/exit override the
        first year's entry and the last year's exit; first_status is the first row's
        StartStatus (the others continuing, 02)."""
        for k, y in enumerate(years):
            self.eid += 1
            g = first_grade + k
            grade = "KG" if g == 0 else f"{g:02d}"
            start = f"{y-1}-08-28"
            end = f"{y}-06-12"
            if k == 0 and entry:
                start = entry
            if k == len(years) - 1 and exit_:
                end = exit_
            row = {c: "" for c in ENR_HEAD}
            row.update(EnrollmentID=self.eid, School_ID=school, StateStudentID=s, SchoolStudentID=local,
                       ResidentSAU_ID=SCHOOLS[school], ResidentTownCode="001", EnrollmentTypeCode="P",
                       YearCode=y, GradeLevelCode=grade, SchoolEntryDate=start, StartStatus=first_status if k == 0 else "02",
                       ExitDate=end, SchoolLunchElig="N", FiscalResponsibility="R", EnglishProficiency="01")
            for c in FLAGS:
                row[c] = "N"
            self.enrs.append([row[c] for c in ENR_HEAD])

    def children_alone(self):
        """The 24 children of ALONE at Brooks Elementary, born in 2010, at
        school 2015-2017 (six students alone give a true pair under 24 bits
        of evidence, queued for the bundle's size)."""
        for k, (last, first, g) in enumerate(ALONE):
            s = self.student(last, first, "", g, f"2010-{k % 12 + 1:02d}-{k + 1:02d}",
                             at(f"{k + 40} Main St", BR))
            self.enroll(s, 2633, 8410 + k, [2015, 2016, 2017], first_grade=k % 3)

    def expect(self, a, b, kind, outcome, case):
        self.expected.append([a, b, kind, outcome, case])

    def write(self, out):
        os.makedirs(out, exist_ok=True)
        if self.locals:
            people = [p + [self.locals.get(k, "")] for k, p in enumerate(self.people)]
            write_csv(f"{out}/student_personal.csv", PERSONAL_HEAD + ["LocalStudentNumber"], people)
        else:
            write_csv(f"{out}/student_personal.csv", PERSONAL_HEAD, self.people)
        write_csv(f"{out}/mailing_address.csv", ["StateStudentID", "Address", "City", "State", "Zip"], self.addrs)
        write_csv(f"{out}/student_enrollment.csv", ENR_HEAD, self.enrs)
        write_csv(f"{out}/expected.csv", ["id_a", "id_b", "kind", "outcome", "case"], self.expected)

    def write_pa(self, out, outcomes, prefix=None, leave_out=()):
        """The same students with names, birth dates and addresses only (no
        gender, no enrollments); `outcomes` the pairs whose outcome differs
        there (None: the pair left out, nothing there to find it by);
        `prefix` the StateStudentIDs' prefix there (default the same);
        `leave_out` StateStudentIDs whose students are not written there."""
        os.makedirs(out, exist_ok=True)
        key = (lambda s: prefix + s[len(self.prefix):]) if prefix else (lambda s: s)
        gender = PERSONAL_HEAD.index("Gender")
        people = [p[:2] + [key(p[2])] + p[3:gender] + p[gender + 1:] for p in self.people
                  if p[2] not in leave_out]
        write_csv(f"{out}/student_personal.csv", PERSONAL_HEAD[:gender] + PERSONAL_HEAD[gender + 1:], people)
        write_csv(f"{out}/mailing_address.csv", ["StateStudentID", "Address", "City", "State", "Zip"],
                  [[key(a[0])] + a[1:] for a in self.addrs if a[0] not in leave_out])
        write_csv(f"{out}/expected.csv", ["id_a", "id_b", "kind", "outcome", "case"],
                  [[key(a), key(b), k, outcomes.get((a, b), o), c] for a, b, k, o, c in self.expected
                   if outcomes.get((a, b), o) is not None and a not in leave_out and b not in leave_out])


def write_csv(path, head, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(head)
        w.writerows(rows)
