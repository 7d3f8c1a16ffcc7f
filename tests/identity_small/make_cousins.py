#!/usr/bin/env python3
"""Writes the hand-made bundle tests/identity_small/cousins (IDs 67...):

    cd tests/identity_small && python3 make_cousins.py cousins cousins_pa

schools.csv there is a copy of lookalikes/schools.csv."""
import csv, os, sys

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
ENR_HEAD = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lookalikes', 'student_enrollment.csv')).readline().strip().split(',')
SCHOOLS = {2633: 1244, 343: 1244, 3087: 1244, 825: 1244, 2751: 1888, 2754: 1888,
           1098: 1642, 507: 1052, 1921: 1052, 2741: 1704, 584: 1704}
people, addrs, enrs, expected = [], [], [], []
n = [0]
eid = [9400000]


def sid(i):
    return f"6700000{i:02d}"


def student(last, first, middle, gender, birth, addr, eff="2014-08-01"):
    n[0] += 1
    i = n[0]
    people.append([5100 + i, 8100 + i, sid(i), last, first, middle, "", gender, birth, "N", "", "eng", eff])
    if addr:
        street, city, zip_ = addr
        addrs.append([sid(i), street, city, "ME", zip_])
    return sid(i)


def enroll(s, school, local, years, entry=None, exit_=None, first_grade=0):
    """One row per school year (YearCode = spring year); entry/exit override the
    first year's entry and the last year's exit."""
    for k, y in enumerate(years):
        eid[0] += 1
        g = first_grade + k
        grade = "KG" if g == 0 else f"{g:02d}"
        start = f"{y-1}-08-28"
        end = f"{y}-06-12"
        if k == 0 and entry:
            start = entry
        if k == len(years) - 1 and exit_:
            end = exit_
        row = {c: "" for c in ENR_HEAD}
        row.update(EnrollmentID=eid[0], School_ID=school, StateStudentID=s, SchoolStudentID=local,
                   ResidentSAU_ID=SCHOOLS[school], ResidentTownCode="001", EnrollmentTypeCode="P",
                   YearCode=y, GradeLevelCode=grade, SchoolEntryDate=start, StartStatus="02",
                   ExitDate=end, SchoolLunchElig="N", FiscalResponsibility="R", EnglishProficiency="01")
        for c in ["ShelteredEnglishFlag", "HeritageLanguageFlag", "BilingualEdFlag", "ESLOnlyFlag",
                  "MigrantFlag", "TitleICMigrantFlag", "Section504Flag", "RefugeeFlag",
                  "StateAgencyClientFlag", "SupplementalEdServices", "GiftedTalentedAcademic",
                  "GiftedTalentedArtistic", "AlternativeEducation", "ForeignExchange", "HomeSchooled",
                  "SpecialEdFlag"]:
            row[c] = "N"
        enrs.append([row[c] for c in ENR_HEAD])


def expect(a, b, kind, outcome, case):
    expected.append([a, b, kind, outcome, case])


BR = ("Brooks", "04921")
FR = ("Fryeburg", "04037")
PI = ("Presque Isle", "04769")
ST = ("Stonington", "04681")
BV = ("Brooksville", "04617")


def at(street, town):
    return (street, town[0], town[1])


Y = [2015, 2016, 2017]

# 1-2 Mary Kate and Mary Beth Sullivan: twins, one address, Mary Beth never enrolled
a = student("Sullivan", "Mary Kate", "", "F", "2010-09-14", at("22 Elm St", BR))
b = student("Sullivan", "Mary Beth", "", "F", "2010-09-14", at("22 Elm St", BR))
enroll(a, 2633, 7001, Y, first_grade=0)
expect(a, b, "twins", "review", "Mary Kate and Mary Beth Sullivan: twins, one address, Mary Beth never enrolled")
# 3-4 Mary Kate and Mary Beth O'Neil at school together
a = student("O'Neil", "Mary Kate", "", "F", "2011-02-03", at("9 Oak Ave", FR))
b = student("O'Neil", "Mary Beth", "", "F", "2011-02-03", at("9 Oak Ave", FR))
enroll(a, 2751, 7002, Y)
enroll(b, 2751, 7003, Y)
expect(a, b, "twins", "apart", "Mary Kate and Mary Beth O'Neil: twins at school together")
# 5-6 Aiden and Aidan Pelkey: twins born either side of midnight, one address, Aidan never enrolled
a = student("Pelkey", "Aiden", "", "M", "2012-03-31", at("5 Maple Rd", ST))
b = student("Pelkey", "Aidan", "", "M", "2012-04-01", at("5 Maple Rd", ST))
enroll(a, 507, 7004, [2017])
expect(a, b, "twins", "review", "Aiden and Aidan Pelkey: twins born either side of midnight, one address, Aidan never enrolled")
# 7-8 Jon and John Gallant: twins, parents apart (two addresses), two SAUs at once
a = student("Gallant", "Jon", "", "M", "2011-06-21", at("40 River Rd", BR))
b = student("Gallant", "John", "", "M", "2011-06-21", at("3 Hill St", FR))
enroll(a, 2633, 7005, Y)
enroll(b, 2751, 7006, Y)
expect(a, b, "twins", "review", "Jon and John Gallant: twins with parents apart, two addresses, two SAUs at once")
# 9-10 Ann-Marie and Anne-Marie Dube: twins a letter apart, hyphenated, at school together
a = student("Dube", "Ann-Marie", "", "F", "2010-11-11", at("71 Main St", PI))
b = student("Dube", "Anne-Marie", "", "F", "2010-11-11", at("71 Main St", PI))
enroll(a, 1098, 7007, Y, first_grade=1)
enroll(b, 1098, 7008, Y, first_grade=1)
expect(a, b, "twins", "apart", "Ann-Marie and Anne-Marie Dube: twins a letter apart, at school together")
# 11-12 Anna-Grace and Anna-Rose Cote: hyphenated twins, one never enrolled
a = student("Cote", "Anna-Grace", "", "F", "2012-01-19", at("8 Pond Ln", BV))
b = student("Cote", "Anna-Rose", "", "F", "2012-01-19", at("8 Pond Ln", BV))
enroll(a, 2741, 7009, [2016, 2017])
expect(a, b, "twins", "review", "Anna-Grace and Anna-Rose Cote: twins of one first word, one address, Anna-Rose never enrolled")
# 13-15 Kayden, Jayden, Brayden Michaud: triplets, two at school, Brayden never enrolled
a = student("Michaud", "Kayden", "", "M", "2011-08-08", at("17 Lake St", FR))
b = student("Michaud", "Jayden", "", "M", "2011-08-08", at("17 Lake St", FR))
c = student("Michaud", "Brayden", "", "M", "2011-08-08", at("17 Lake St", FR))
enroll(a, 2751, 7010, Y)
enroll(b, 2751, 7011, Y)
expect(a, b, "triplets", "apart", "Kayden and Jayden Michaud: triplets at school together")
expect(a, c, "triplets", "review", "Kayden and Brayden Michaud: triplets, Brayden never enrolled")
expect(b, c, "triplets", "review", "Jayden and Brayden Michaud: triplets, Brayden never enrolled")
# 16-17 Jaden and Kaden Ouellet: brothers born 10 months apart (one part off), one address, Kaden never enrolled
a = student("Ouellet", "Jaden", "", "M", "2011-01-15", at("2 Birch Rd", BR))
b = student("Ouellet", "Kaden", "", "M", "2011-11-15", at("2 Birch Rd", BR))
enroll(a, 2633, 7012, Y)
expect(a, b, "siblings", "review", "Jaden and Kaden Ouellet: brothers born 10 months apart, one address, Kaden never enrolled")
# 18-19 Kaylee and Kylie Bolduc: sisters born 10 months apart in one year, one grade, at school together
a = student("Bolduc", "Kaylee", "", "F", "2011-01-05", at("60 Summer St", ST))
b = student("Bolduc", "Kylie", "", "F", "2011-11-05", at("60 Summer St", ST))
enroll(a, 507, 7013, Y, first_grade=1)
enroll(b, 507, 7014, Y)
expect(a, b, "siblings", "apart", "Kaylee and Kylie Bolduc: sisters born 10 months apart, at school together")
# 20-21 Owen James Pelletier: cousins named for one grandfather, born March and August of one year,
# one leaves Presque Isle in June, the other starts there in the fall, other addresses and numbers
a = student("Pelletier", "Owen", "James", "M", "2011-03-04", at("12 North St", PI))
b = student("Pelletier", "Owen", "James", "M", "2011-08-04", at("88 South St", PI))
enroll(a, 1098, 7015, [2015, 2016])
enroll(b, 1098, 7016, [2017], first_grade=2)
expect(a, b, "cousins", "review", "two Owen James Pelletier, cousins born March and August of one year, one leaves Presque Isle in June, the other starts there in the fall")
# 22-23 Mike Smith and Michael Smith: strangers, one birth date, one leaves Brooks in June, the other starts in Fryeburg in the fall
a = student("Smith", "Mike", "", "M", "2010-05-05", at("1 Center St", BR))
b = student("Smith", "Michael", "", "M", "2010-05-05", at("400 Pine St", FR))
enroll(a, 2633, 7017, [2015, 2016], first_grade=1)
enroll(b, 2751, 7018, [2017], first_grade=3)
expect(a, b, "look_alike", "review", "Mike Smith and Michael Smith: strangers born the same day, one leaves Brooks in June, the other starts in Fryeburg in the fall")
# 24-25 Emily Johnson and Emily Johnston: strangers, one birth date, the same turn-over
a = student("Johnson", "Emily", "", "F", "2010-07-19", at("3 Water St", ST))
b = student("Johnston", "Emily", "", "F", "2010-07-19", at("19 Park Ave", BV))
enroll(a, 507, 7019, [2015, 2016], first_grade=1)
enroll(b, 2741, 7020, [2017], first_grade=3)
expect(a, b, "look_alike", "review", "Emily Johnson and Emily Johnston: strangers born the same day, one leaves Stonington in June, the other starts in Brooksville in the fall")
# 26-27 Emily Johnson twice: one birth date, two SAUs at once
a = student("Johnson", "Emily", "Ann", "F", "2011-10-02", at("5 Bay Rd", FR))
b = student("Johnson", "Emily", "Rose", "F", "2011-10-02", at("77 Ridge Rd", PI))
enroll(a, 2751, 7021, Y)
enroll(b, 1098, 7022, Y)
expect(a, b, "look_alike", "review", "Emily Ann and Emily Rose Johnson: one birth date, two SAUs at once")
# 28-29 Hannah Leclerc moved to Brooksville, re-registered with day and month swapped
a = student("Leclerc", "Hannah", "Marie", "F", "2012-04-07", at("15 Mill St", BR))
b = student("Leclerc", "Hannah", "Marie", "F", "2012-07-04", at("6 Shore Rd", BV), eff="2016-08-20")
enroll(a, 2633, 7023, [2016])
enroll(b, 2741, 7024, [2017], first_grade=1)
expect(a, b, "duplicate", "review", "Hannah Marie Leclerc moved to Brooksville over the summer, re-registered with day and month swapped")
# 30-31 Lily Grace Morrison renamed Bragdon (mother's marriage), same school and address next year, new local number
a = student("Morrison", "Lily", "Grace", "F", "2011-12-01", at("30 Spruce St", FR))
b = student("Bragdon", "Lily", "Grace", "F", "2011-12-01", at("30 Spruce St", FR), eff="2016-08-20")
enroll(a, 2751, 7025, [2015, 2016])
enroll(b, 2751, 7026, [2017], first_grade=2)
expect(a, b, "duplicate", "review", "Lily Grace Morrison renamed Bragdon at her mother's marriage, same school and address next year, new local number")
# 32-33 Dmitri Alexander Volkov adopted and renamed Hall: same school, same local number, new address
a = student("Volkov", "Dmitri", "Alexander", "M", "2010-10-30", at("4 Bridge St", ST))
b = student("Hall", "Dmitri", "Alexander", "M", "2010-10-30", at("51 Harbor Rd", ST), eff="2016-08-20")
enroll(a, 507, 7027, [2015, 2016], first_grade=1)
enroll(b, 507, 7027, [2017], first_grade=3)
expect(a, b, "duplicate", "merge", "Dmitri Alexander Volkov adopted and renamed Hall: same school and local number next year, new address")
# 34-35 Benjamin Thomas Hebert entered twice the same week (data entry), the second withdrawn after three days
a = student("Hebert", "Benjamin", "Thomas", "M", "2011-05-25", at("10 School St", PI))
b = student("Hebert", "Benjamin", "Thomas", "M", "2011-05-25", at("10 School St", PI))
enroll(a, 1098, 7028, Y)
enroll(b, 1098, 7029, [2015], entry="2014-08-28", exit_="2014-08-31")
expect(a, b, "duplicate", "merge", "Benjamin Thomas Hebert entered twice the same week, the second withdrawn after three days")
# 36-37 Liam Joseph and Luke Joseph Morin: twins of one initial and middle name, one address, Luke never enrolled
a = student("Morin", "Liam", "Joseph", "M", "2012-06-06", at("25 Cedar St", BV))
b = student("Morin", "Luke", "Joseph", "M", "2012-06-06", at("25 Cedar St", BV))
enroll(a, 2741, 7030, [2016, 2017])
expect(a, b, "twins", "review", "Liam Joseph and Luke Joseph Morin: twins of one initial and middle name, one address, Luke never enrolled")
# 38-39 Jordan and Jordyn Leblanc: boy and girl twins, one address, Jordyn never enrolled
a = student("Leblanc", "Jordan", "", "M", "2011-04-14", at("13 Beech St", FR))
b = student("Leblanc", "Jordyn", "", "F", "2011-04-14", at("13 Beech St", FR))
enroll(a, 2751, 7031, Y)
expect(a, b, "twins", "review", "Jordan and Jordyn Leblanc: boy and girl twins, one address, Jordyn never enrolled")
# 40-41 Christopher and Christian Roy: brothers born 10 months apart, one address, both at school
a = student("Roy", "Christopher", "", "M", "2010-01-20", at("7 Granite St", ST))
b = student("Roy", "Christian", "", "M", "2010-11-20", at("7 Granite St", ST))
enroll(a, 507, 7032, Y, first_grade=1)
enroll(b, 507, 7033, Y, first_grade=1)
expect(a, b, "siblings", "apart", "Christopher and Christian Roy: brothers born 10 months apart, one grade, at school together")
# 42-43 Chris and Christian Paradis: brothers 10 months apart, one address, Christian never enrolled
a = student("Paradis", "Chris", "", "M", "2012-02-09", at("44 Church St", BR))
b = student("Paradis", "Christian", "", "M", "2012-12-09", at("44 Church St", BR))
enroll(a, 2633, 7034, [2017])
expect(a, b, "siblings", "review", "Chris and Christian Paradis: brothers born 10 months apart, one address, Christian never enrolled")
# 44-45 Katie Lynn Dumont re-registered as Kathryn Lynn Dumont-Baker in another SAU after her mother's marriage
a = student("Dumont", "Katie", "Lynn", "F", "2010-03-17", at("90 West St", PI))
b = student("Dumont-Baker", "Kathryn", "Lynn", "F", "2010-03-17", at("2 East St", FR), eff="2016-08-20")
enroll(a, 1098, 7035, [2015, 2016], first_grade=1)
enroll(b, 2751, 7036, [2017], first_grade=3)
expect(a, b, "duplicate", "review", "Katie Lynn Dumont re-registered as Kathryn Lynn Dumont-Baker in Fryeburg after her mother's marriage")
# 46-47 Eliza and Elisa Fortin: twins a letter apart at school together
a = student("Fortin", "Eliza", "", "F", "2011-09-09", at("3 Forest Ave", BV))
b = student("Fortin", "Elisa", "", "F", "2011-09-09", at("3 Forest Ave", BV))
enroll(a, 2741, 7037, Y)
enroll(b, 2741, 7038, Y)
expect(a, b, "twins", "apart", "Eliza and Elisa Fortin: twins a letter apart at school together")
# 48-49 Noah Levesque entered again the next year with names swapped and a new local number, same school and address
a = student("Levesque", "Noah", "", "M", "2011-07-07", at("16 Grove St", BR))
b = student("Noah", "Levesque", "", "M", "2011-07-07", at("16 Grove St", BR), eff="2016-08-20")
enroll(a, 2633, 7039, [2015, 2016])
enroll(b, 2633, 7040, [2017], first_grade=2)
expect(a, b, "duplicate", "merge", "Noah Levesque entered again the next year with names swapped, same school and address, new local number")

# 50-51 Mike Smith and Michael Smith: strangers born the same day in one SAU, one leaves Brooks
# Elementary in June, the other starts at Vienna Elementary (Brooks) in the fall, own numbers, other addresses
a = student("Smith", "Mike", "", "M", "2011-02-22", at("31 Depot St", BR))
b = student("Smith", "Michael", "", "M", "2011-02-22", at("9 Kelley Rd", BR))
enroll(a, 2633, 7041, [2015, 2016])
enroll(b, 343, 7042, [2017], first_grade=2)
expect(a, b, "look_alike", "review", "Mike Smith and Michael Smith: strangers born the same day, one leaves Brooks Elementary in June, the other starts at Vienna Elementary in Brooks in the fall, own numbers, other addresses")
# 52-53 Jaden Thomas and Jayden Thomas Cyr: cousins born the same day, one leaves Stonington Elementary in June,
# the other starts there in the fall under his own number, other addresses
a = student("Cyr", "Jaden", "Thomas", "M", "2010-12-12", at("4 Ocean Ave", ST))
b = student("Cyr", "Jayden", "Thomas", "M", "2010-12-12", at("70 Ledge Rd", ST))
enroll(a, 507, 7043, [2015, 2016], first_grade=1)
enroll(b, 507, 7044, [2017], first_grade=3)
expect(a, b, "cousins", "review", "Jaden Thomas and Jayden Thomas Cyr: cousins born the same day, one leaves Stonington Elementary in June, the other starts there in the fall under his own number, other addresses")
# 54-55 Sophie Anne Gagne entered twice at Fryeburg Elementary, both records carried all year
a = student("Gagne", "Sophie", "Anne", "F", "2011-03-30", at("12 Portland St", FR))
b = student("Gagne", "Sophie", "Anne", "F", "2011-03-30", at("12 Portland St", FR))
enroll(a, 2751, 7045, Y)
enroll(b, 2751, 7046, [2016])
expect(a, b, "duplicate", "review", "Sophie Anne Gagne entered twice at Fryeburg Elementary, both records carried all year")

# 56-57 Michael James Smith (Presque Isle) and Mike James Smith (Stonington): strangers born the same day,
# one leaves Presque Isle in June, the other starts in Stonington in the fall
a = student("Smith", "Michael", "James", "M", "2010-08-16", at("5 Academy St", PI))
b = student("Smith", "Mike", "James", "M", "2010-08-16", at("28 Sea Breeze Ave", ST))
enroll(a, 1098, 7047, [2015, 2016], first_grade=1)
enroll(b, 507, 7048, [2017], first_grade=3)
expect(a, b, "look_alike", "review", "Michael James Smith and Mike James Smith: strangers born the same day, one leaves Presque Isle in June, the other starts in Stonington in the fall")

with open(f"{OUT}/student_personal.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow("PersonID,IdentityID,StateStudentID,LastName,FirstName,MiddleName,Suffix,Gender,BirthDate,ImmigrantFlag,USSchoolDate,HomePrimaryLanguage,IdentityEffectiveDate".split(","))
    w.writerows(people)
with open(f"{OUT}/mailing_address.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["StateStudentID", "Address", "City", "State", "Zip"])
    w.writerows(addrs)
with open(f"{OUT}/student_enrollment.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(ENR_HEAD)
    w.writerows(enrs)
with open(f"{OUT}/expected.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id_a", "id_b", "kind", "outcome", "case"])
    w.writerows(expected)
print(n[0], "students", len(enrs), "enrollments")

# The same students with names, birth dates and addresses only (no gender, no
# enrollments): `python3 make_cousins.py cousins cousins_pa`. Without
# enrollments twins at school together and double entries carried all year
# look like any pair at one address.
PA_OUTCOMES = {
    ("670000003", "670000004"): "review", ("670000009", "670000010"): "review",
    ("670000013", "670000014"): "review", ("670000018", "670000019"): "review",
    ("670000032", "670000033"): "review", ("670000040", "670000041"): "review",
    ("670000046", "670000047"): "review", ("670000054", "670000055"): "merge",
}
if len(sys.argv) > 2:
    PA = sys.argv[2]
    os.makedirs(PA, exist_ok=True)
    head = "PersonID,IdentityID,StateStudentID,LastName,FirstName,MiddleName,Suffix,Gender,BirthDate,ImmigrantFlag,USSchoolDate,HomePrimaryLanguage,IdentityEffectiveDate".split(",")
    gender = head.index("Gender")
    with open(f"{PA}/student_personal.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(head[:gender] + head[gender + 1:])
        w.writerows(p[:gender] + p[gender + 1:] for p in people)
    with open(f"{PA}/mailing_address.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["StateStudentID", "Address", "City", "State", "Zip"])
        w.writerows(addrs)
    with open(f"{PA}/expected.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id_a", "id_b", "kind", "outcome", "case"])
        w.writerows([a, b, k, PA_OUTCOMES.get((a, b), o), c] for a, b, k, o, c in expected)
