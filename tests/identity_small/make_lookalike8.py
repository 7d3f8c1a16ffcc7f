#!/usr/bin/env python3
"""Writes the hand-made bundle tests/identity_small/lookalike8 (IDs 78...):

    cd tests/identity_small && python3 make_lookalike8.py lookalike8

Nineteenth session (idlook6): twins a letter apart who drew one middle name,
taking turns at one school under one local number at one address, the second
taken in as new to the school (StartStatus 01); one child re-registered there
with a letter changed, his middle name, number and address kept, his new ID's
first row continuing (02); one child the same but her new ID's first row
marked new (the cost of the rule). No names-only copy: the StartStatus is
the evidence."""
import sys

from handmade import BR, FR, Bundle, at

OUT = sys.argv[1]
B = Bundle("7800000", 6000, 9000, 9830000)
student, enroll, expect = B.student, B.enroll, B.expect
LATER = "2016-08-20"

# 1-2 twins Alexandra Rose and Alexandria Rose Morin, born 15 March 2011, one address:
# Alexandra at Brooks Elementary 2015-2016, then schooled at home; Alexandria starts there in the
# fall of 2016, new to the school (StartStatus 01), under the local number Alexandra left
a = student("Morin", "Alexandra", "Rose", "F", "2011-03-15", at("8 Birch Ln", BR))
b = student("Morin", "Alexandria", "Rose", "F", "2011-03-15", at("8 Birch Ln", BR), eff=LATER)
enroll(a, 2633, 8401, [2015, 2016])
enroll(b, 2633, 8401, [2017], first_grade=2, first_status="01")
expect(a, b, "twins", "review", "twins Alexandra Rose and Alexandria Rose Morin, one address: Alexandria starts at Brooks Elementary in the fall, new to the school, under the local number Alexandra left in June")
# 3-4 Nathaniel James Michaud, born 2 October 2010, at Brooks Elementary 2015-2016, registered
# there again in the fall of 2016 under a new ID as Nathanial James, continuing (StartStatus 02),
# his local number and address kept
a = student("Michaud", "Nathaniel", "James", "M", "2010-10-02", at("19 Maple St", BR))
b = student("Michaud", "Nathanial", "James", "M", "2010-10-02", at("19 Maple St", BR), eff=LATER)
enroll(a, 2633, 8402, [2015, 2016])
enroll(b, 2633, 8402, [2017], first_grade=2)
expect(a, b, "duplicate", "merge", "Nathaniel James Michaud registered again at Brooks Elementary as Nathanial James, continuing there, his local number and address kept")
# 5-6 Isabella Grace Caron, born 9 January 2011, at Brooks Elementary 2015-2016, registered there
# again in the fall of 2016 under a new ID as Isabela Grace, her first row marked new to the school
# (StartStatus 01), her local number and address kept: the twins' records
a = student("Caron", "Isabella", "Grace", "F", "2011-01-09", at("3 Ash St", BR))
b = student("Caron", "Isabela", "Grace", "F", "2011-01-09", at("3 Ash St", BR), eff=LATER)
enroll(a, 2633, 8403, [2015, 2016])
enroll(b, 2633, 8403, [2017], first_grade=2, first_status="01")
expect(a, b, "duplicate", "review", "Isabella Grace Caron registered again at Brooks Elementary as Isabela Grace, marked new to the school, her local number and address kept")

# 7-8 strangers Logan Michael Gagnon, both born 5 May 2008: one with a StateStudentID at Brooks
# Elementary 2014-2017; the other with none (a New State ID awaited), Local Student Number 5501,
# at Fryeburg Elementary the same years, his enrollments carrying that number and no ID
a = student("Gagnon", "Logan", "Michael", "M", "2008-05-05", at("30 School St", BR))
b = B.unidentified("Gagnon", "Logan", "Michael", "M", "2008-05-05", "5501")
enroll(a, 2633, 8404, [2014, 2015, 2016, 2017], first_grade=1)
enroll("", 2751, 5501, [2014, 2015, 2016, 2017], first_grade=1)
expect(a, b, "look_alike", "review", "strangers Logan Michael Gagnon born the same day, one at Brooks Elementary with an ID, the other at Fryeburg Elementary the same four years with none, his enrollments under his local number")
# 9-10 Grace Ellen Pouliot, born 21 July 2009, at Fryeburg Elementary 2015-2016 with a
# StateStudentID; registered there again in the fall of 2016 with none, her local number 5502
# kept on her person and her enrollments
a = student("Pouliot", "Grace", "Ellen", "F", "2009-07-21", at("4 Lake Rd", FR))
b = B.unidentified("Pouliot", "Grace", "Ellen", "F", "2009-07-21", "5502")
enroll(a, 2751, 5502, [2015, 2016], first_grade=1)
enroll("", 2751, 5502, [2017], first_grade=3)
expect(a, b, "duplicate", "merge", "Grace Ellen Pouliot registered again at Fryeburg Elementary with no StateStudentID, her local number kept")
# 11-34 children alone, each under their own name, address and local number at Brooks
# Elementary: the population the bundle's weights are estimated from (six students alone give a
# true pair under 24 bits of evidence, queued for the bundle's size)
B.children_alone()

B.write(OUT)
print(B.n, "students", len(B.enrs), "enrollments")
