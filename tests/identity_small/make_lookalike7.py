#!/usr/bin/env python3
"""Writes the hand-made bundle tests/identity_small/lookalike7 (IDs 76...) and
its copy with names, birth dates and addresses only (IDs 77...):

    cd tests/identity_small && python3 make_lookalike7.py lookalike7 lookalike7_pa

Eighteenth session (idlook5): siblings born a year apart to the day with
first names a letter apart, at school together and one after the other;
twins whose first names a clerk swapped for one year's extract; a child
adopted and renamed whole at her school; a birth date's month and day
transposed after a move; two children of one full name and birth date in two
SAUs, never at school at once, once strangers and once one child moving;
twins a letter apart taking turns at one school under one local number, and
one child re-registered there with a letter dropped (the same records)."""
import sys

from handmade import BR, FR, PI, ST, BV, Bundle, at

OUT = sys.argv[1]
B = Bundle("7600000", 5900, 8900, 9820000)
student, enroll, expect = B.student, B.enroll, B.expect
Y = [2015, 2016, 2017]
LATER = "2016-08-20"

# 1-2 brothers Brayden and Braden Ouellette, born 2 June 2009 and 2 June 2010, one address, at
# Brooks Elementary together
a = student("Ouellette", "Brayden", "", "M", "2009-06-02", at("14 Oak St", BR))
b = student("Ouellette", "Braden", "", "M", "2010-06-02", at("14 Oak St", BR))
enroll(a, 2633, 8301, Y, first_grade=1)
enroll(b, 2633, 8302, Y)
expect(a, b, "siblings", "apart", "brothers Brayden and Braden Ouellette born a year apart to the day, one address, at Brooks Elementary together")
# 3-4 brothers Mason and Masen Pelletier, born 14 September 2008 and 14 September 2009, one
# address: Mason at Brooks Elementary 2015-2016, then schooled at home; Masen starts there in the
# fall of 2016 under a new local number
a = student("Pelletier", "Mason", "", "M", "2008-09-14", at("5 Mill St", BR))
b = student("Pelletier", "Masen", "", "M", "2009-09-14", at("5 Mill St", BR), eff=LATER)
enroll(a, 2633, 8303, [2015, 2016], first_grade=1)
enroll(b, 2633, 8304, [2017], first_grade=2)
expect(a, b, "siblings", "review", "brothers Mason and Masen Pelletier born a year apart to the day, one address: Mason leaves Brooks Elementary in June, Masen starts there in the fall under a new local number")
# 5-6 twins Owen and Eli Bouchard, born 3 March 2010, one address, at Fryeburg Elementary
# together; the school swapped their first names for 2015-16 and put them right in 2016-17
# (three identity rows on each ID)
a = student("Bouchard", "Owen", "", "M", "2010-03-03", at("22 Cross St", FR))
b = student("Bouchard", "Eli", "", "M", "2010-03-03", at("22 Cross St", FR))
student("Bouchard", "Eli", "", "M", "2010-03-03", None, eff="2015-08-20", sid=a, person=B.person + B.n - 1)
student("Bouchard", "Owen", "", "M", "2010-03-03", None, eff="2015-08-20", sid=b, person=B.person + B.n - 1)
student("Bouchard", "Owen", "", "M", "2010-03-03", None, eff=LATER, sid=a, person=B.person + B.n - 3)
student("Bouchard", "Eli", "", "M", "2010-03-03", None, eff=LATER, sid=b, person=B.person + B.n - 3)
enroll(a, 2751, 8305, Y)
enroll(b, 2751, 8306, Y)
expect(a, b, "twins", "apart", "twins Owen and Eli Bouchard at Fryeburg Elementary together, one address, their first names swapped by the school for one year")
# 11-12 Jayden Smith, born 20 January 2011, at Brooks Elementary 2015-2016; adopted by the foster
# family he lived with and registered again there in the fall of 2016 as Noah Thibodeau, a new
# local number, the same address
a = student("Smith", "Jayden", "", "M", "2011-01-20", at("40 Elm St", BR))
b = student("Thibodeau", "Noah", "", "M", "2011-01-20", at("40 Elm St", BR), eff=LATER)
enroll(a, 2633, 8307, [2015, 2016])
enroll(b, 2633, 8308, [2017], first_grade=2)
expect(a, b, "duplicate", "review", "Jayden Smith adopted by his foster family and registered again at Brooks Elementary as Noah Thibodeau, one birth date and address, a new local number")
# 13-14 Lily Anne Gagnon, born 4 May 2010, at Presque Isle 2015-2016; registered in Stonington in
# the fall of 2016 under a new ID, born 5 April 2010 (month and day transposed), another address
a = student("Gagnon", "Lily", "Anne", "F", "2010-05-04", at("9 State St", PI))
b = student("Gagnon", "Lily", "Anne", "F", "2010-04-05", at("3 Sand Rd", ST), eff=LATER)
enroll(a, 1098, 8309, [2015, 2016], first_grade=1)
enroll(b, 507, 8310, [2017], first_grade=3)
expect(a, b, "duplicate", "review", "Lily Anne Gagnon moves from Presque Isle to Stonington, a new ID there with her birth date's month and day transposed, another address")
# 15-16 strangers Ethan Michael Roy, both born 1 September 2009: one at Presque Isle 2014-2015,
# the other at Brooksville Elementary 2016-2017, other addresses, never at school at once
a = student("Roy", "Ethan", "Michael", "M", "2009-09-01", at("17 Academy St", PI))
b = student("Roy", "Ethan", "Michael", "M", "2009-09-01", at("6 Coastal Rd", BV))
enroll(a, 1098, 8311, [2014, 2015])
enroll(b, 2741, 8312, [2016, 2017], first_grade=1)
expect(a, b, "look_alike", "review", "strangers Ethan Michael Roy born the same day: one at Presque Isle 2013-2015, the other at Brooksville 2015-2017, never at school at once, other addresses")
# 17-18 Chloe Marie Dubois, born 12 December 2010, at Stonington 2015-2016, moves to Brooksville
# and is registered there in the fall of 2016 under a new ID, another address
a = student("Dubois", "Chloe", "Marie", "F", "2010-12-12", at("2 Quarry Rd", ST))
b = student("Dubois", "Chloe", "Marie", "F", "2010-12-12", at("31 Bay Rd", BV), eff=LATER)
enroll(a, 507, 8313, [2015, 2016])
enroll(b, 2741, 8314, [2017], first_grade=2)
expect(a, b, "duplicate", "review", "Chloe Marie Dubois moves from Stonington to Brooksville, a new ID there, another address")

# 19-20 twins Hailey and Haley Cyr, born 20 May 2011, one address: Hailey at Brooks Elementary
# 2015-2016, then schooled at home; Haley starts there in the fall of 2016 under the local number
# Hailey left; no middle names
a = student("Cyr", "Hailey", "", "F", "2011-05-20", at("12 Pond Rd", BR))
b = student("Cyr", "Haley", "", "F", "2011-05-20", at("12 Pond Rd", BR), eff=LATER)
enroll(a, 2633, 8315, [2015, 2016])
enroll(b, 2633, 8315, [2017], first_grade=2)
expect(a, b, "twins", "review", "twins Hailey and Haley Cyr, one address: Haley starts at Brooks Elementary in the fall under the local number Hailey left in June")
# 21-22 Christopher Nadeau, born 8 August 2010, at Brooks Elementary 2015-2016, registered there
# again in the fall of 2016 under a new ID as Christophr (a letter dropped), his local number and
# address kept
a = student("Nadeau", "Christopher", "", "M", "2010-08-08", at("7 Hill Rd", BR))
b = student("Nadeau", "Christophr", "", "M", "2010-08-08", at("7 Hill Rd", BR), eff=LATER)
enroll(a, 2633, 8316, [2015, 2016])
enroll(b, 2633, 8316, [2017], first_grade=2)
expect(a, b, "duplicate", "review", "Christopher Nadeau registered again at Brooks Elementary as Christophr, his local number and address kept")

B.write(OUT)
print(B.n, "students", len(B.enrs), "enrollments")

PA_OUTCOMES = {(a, b): "review" for a, b in [("760000001", "760000002"), ("760000005", "760000006")]}
if len(sys.argv) > 2:
    B.write_pa(sys.argv[2], PA_OUTCOMES, prefix="7700000")
