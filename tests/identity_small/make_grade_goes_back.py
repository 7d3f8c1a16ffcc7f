#!/usr/bin/env python3
"""Writes tests/identity_small/grade_goes_back (redteam2, twenty-fourth
session): rows in the generator's columns, meant to be appended to a
generated bundle (`pipeline/tests/e2e/identity.rs`,
`grades_going_back_...`), which gives the weights a state's data does
(alone, a bundle this small sends every probable pair to a person for its
size). IDs 91...; the schools are the generator's Brooks schools.

1. A father who graduated from Brooks High School in June 2011 and his son
   of one first name and surname, no middle name and a blank birth date,
   starting kindergarten in Brooks that fall, one address (merged
   automatically at 2,500 and 20,000 students before the rule
   `twins::grade_goes_back`).
2. Brothers George Lavoie, the elder leaving grade 5 in June, the younger
   (no middle name, blank birth date) starting kindergarten at the same
   school that fall, one address.
3. A child registered again at her school after the summer, grade 2 then
   grade 3, her birth date blank on the new ID, one address: still merges.
"""
import csv
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grade_goes_back")
P_HEAD = ("PersonID,IdentityID,StateStudentID,LastName,FirstName,MiddleName,Suffix,Gender,BirthDate,"
          "RaceEthnicity,HispanicLatino,RaceAmericanIndian,RaceAsian,RaceBlack,RacePacificIslander,"
          "RaceWhite,RaceDetermination,ImmigrantFlag,USSchoolDate,HomePrimaryLanguage,"
          "IdentityEffectiveDate,LocalStudentNumber").split(",")
E_HEAD = ("EnrollmentID,School_ID,StateStudentID,SchoolStudentID,ResidentSAU_ID,ResidentTownCode,"
          "EnrollmentTypeCode,YearCode,GradeLevelCode,SchoolEntryDate,StartStatus,ExitDate,"
          "ExitTypeCode,SchoolLunchElig,FiscalResponsibility,EnglishProficiency,DateFirstEnrolledESL,"
          "LEPExitDate,ShelteredEnglishFlag,HeritageLanguageFlag,BilingualEdFlag,ESLOnlyFlag,"
          "HomelessCode,MigrantFlag,TitleICMigrantFlag,Section504Flag,RefugeeFlag,"
          "StateAgencyClientFlag,SupplementalEdServices,GiftedTalentedAcademic,"
          "GiftedTalentedArtistic,AlternativeEducation,ForeignExchange,HomeSchooled,SAUPercentage,"
          "SpecialEdFlag,SpedStartDate,SpedSetting,Exceptionality,SpedExitDate,SpedExitReason,"
          "Action,EffectiveDate").split(",")
SCHOOLS = [["2633", "Brooks Elementary School", "1244", "Brooks Public Schools", "", ""],
           ["1583", "Bucksport Elementary School", "1244", "Brooks Public Schools", "", ""],
           ["3087", "Brooks Middle School", "1244", "Brooks Public Schools", "", ""],
           ["825", "Brooks High School", "1244", "Brooks Public Schools", "", ""]]

persons, enrollments, addresses = [], [], []
eid = [9_910_000]


def person(n, ssid, last, first, middle, gender, birth, effective, local):
    persons.append([str(9_910_000 + 3 * n), str(9_920_000 + n), ssid, last, first, middle, "", gender,
                    birth, "", "N", "N", "N", "N", "N", "Y", "P", "N", "", "eng", effective, local])


def enroll(ssid, school, local, year, grade, status, exit_type="", exit_day=None):
    eid[0] += 1
    row = dict.fromkeys(E_HEAD, "")
    row.update(EnrollmentID=str(eid[0]), School_ID=school, StateStudentID=ssid, SchoolStudentID=local,
               ResidentSAU_ID="1244", ResidentTownCode="001", EnrollmentTypeCode="P",
               YearCode=str(year), GradeLevelCode=grade, SchoolEntryDate="%d-08-29" % (year - 1),
               StartStatus=status, ExitDate=exit_day or "%d-06-09" % year, ExitTypeCode=exit_type,
               SchoolLunchElig="N", FiscalResponsibility="R", EnglishProficiency="01")
    for flag in E_HEAD[18:34] + ["SpecialEdFlag"]:
        if flag not in ("HomelessCode", "SAUPercentage"):
            row[flag] = "N"
    enrollments.append([row[h] for h in E_HEAD])


def grades(ssid, school_of, local, first_year, first_grade, n, last_exit=""):
    order = ["KG"] + ["%02d" % g for g in range(1, 13)]
    start = order.index(first_grade)
    for k in range(n):
        year = first_year + k
        last = k == n - 1
        enroll(ssid, school_of(order[start + k]), local, year, order[start + k],
               "01" if k == 0 and first_grade == "KG" else "02",
               last_exit if last else "", "%d-06-03" % year if last and last_exit else None)


# 1. father and son
person(1, "910000001", "Corriveau", "Joseph", "Michael", "M", "1993-04-10", "2004-08-27", "6101")
grades("910000001", lambda g: "3087" if g < "09" else "825", "6101", 2005, "06", 7, "15")
person(2, "910000002", "Corriveau", "Joseph", "", "M", "", "2011-08-29", "6102")
grades("910000002", lambda g: "1583", "6102", 2012, "KG", 6)
addresses += [["910000001", "14 Cedar Ridge Rd", "Brooks", "ME", "04921"],
              ["910000002", "14 Cedar Ridge Rd", "Brooks", "ME", "04921"]]
# 2. brothers George Lavoie
person(3, "910000003", "Lavoie", "George", "Alan", "M", "2003-05-01", "2008-08-29", "6103")
grades("910000003", lambda g: "2633", "6103", 2009, "KG", 6)
person(4, "910000004", "Lavoie", "George", "", "M", "", "2014-08-29", "6104")
grades("910000004", lambda g: "2633", "6104", 2015, "KG", 3)
addresses += [["910000003", "7 Mill Pond Ln", "Brooks", "ME", "04921"],
              ["910000004", "7 Mill Pond Ln", "Brooks", "ME", "04921"]]
# 3. a child registered again after the summer, one grade up
person(5, "910000005", "Pelletier", "Hunter", "James", "M", "2008-03-02", "2013-08-29", "6105")
grades("910000005", lambda g: "2633", "6105", 2014, "KG", 3)
person(6, "910000006", "Pelletier", "Hunter", "", "M", "", "2016-08-29", "6106")
grades("910000006", lambda g: "2633", "6106", 2017, "03", 1)
addresses += [["910000005", "31 Birch St", "Brooks", "ME", "04921"],
              ["910000006", "31 Birch St", "Brooks", "ME", "04921"]]

EXPECTED = [
    ["910000001", "910000002", "parent_child", "review",
     "a father graduating from Brooks High School in June and his son of one first name and surname "
     "(no middle name, birth date blank) starting kindergarten in Brooks that fall, one address"],
    ["910000003", "910000004", "siblings", "review",
     "brothers George Lavoie, the elder leaving grade 5 at Brooks Elementary in June, the younger "
     "(no middle name, birth date blank) starting kindergarten there that fall, one address"],
    ["910000005", "910000006", "duplicate", "merge",
     "Hunter Pelletier registered again at Brooks Elementary after grade 2, in grade 3, his birth "
     "date blank on the new ID, one address"],
]


def write(name, head, rows, eol="\r\n"):
    with open(os.path.join(OUT, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator=eol)
        w.writerow(head)
        w.writerows(rows)


os.makedirs(OUT, exist_ok=True)
write("student_personal.csv", P_HEAD, persons)
write("student_enrollment.csv", E_HEAD, enrollments, "\n")
write("mailing_address.csv", ["StateStudentID", "Address", "City", "State", "Zip"], addresses)
write("schools.csv", ["School_ID", "SchoolName", "SAU_ID", "SAUName", "OpenedYear", "ClosedYear"],
      SCHOOLS)
write("expected.csv", ["id_a", "id_b", "kind", "outcome", "case"], EXPECTED, "\n")
