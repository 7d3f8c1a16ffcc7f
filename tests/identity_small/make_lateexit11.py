#!/usr/bin/env python3
"""Writes the hand-made bundle tests/identity_small/lateexit11 (IDs 81...):

    cd tests/identity_small && python3 make_lateexit11.py lateexit11

Twenty-fourth session (idlook11): a child who moved to another SAU and was
registered there under a new StateStudentID, while the school left behind
exited the old enrollment only months later (the generator's
`re_registered_late_exit`). The two IDs are "at school at once" for more
than 60 days, as two children are, so the pair was kept apart (below the
review threshold); now, with the whole name agreeing and the birth date
nearly, and one ID's enrollments all ending 61 to 120 days after the
other's first day in another SAU, a person decides
(`stages/src/identity/late_exit.rs`). Strangers of one whole name a day
apart at school at once for years, or one leaving five months after the
other arrived, stay apart. No names-only copy: the enrollments are the
evidence."""
import sys

from handmade import BR, FR, PI, Bundle, at

OUT = sys.argv[1]
B = Bundle("8100000", 7200, 9300, 9860000)
student, enroll, expect = B.student, B.enroll, B.expect

# 1-2 Abigail Rose Thibodeau, born 3 March 2008, at Brooks Elementary (SAU 1244); moved to
# Presque Isle and registered at its school (SAU 1642) on 19 October 2015 under a new ID, her
# birth date typed a day later there; Brooks exited her only on 10 January (83 days later)
a = student("Thibodeau", "Abigail", "Rose", "F", "2008-03-03", at("14 Elm St", BR))
b = student("Thibodeau", "Abigail", "Rose", "F", "2008-03-04", at("7 Academy St", PI), eff="2015-10-19")
enroll(a, 2633, 8701, [2014, 2015, 2016], exit_="2016-01-10")
enroll(b, 1098, 4401, [2016, 2017], entry="2015-10-19", first_grade=2, first_status="01")
expect(a, b, "duplicate", "review", "Abigail Rose Thibodeau moved from Brooks to Presque Isle in October and registered again there, her birth date a day off; Brooks exited her only in January")
# 3-4 strangers Benjamin Paul Morin, born 9 July 2009 and 10 July 2009, one at Fryeburg
# (SAU 1888), one at Presque Isle (SAU 1642), both there from 2013 to 2017
a = student("Morin", "Benjamin", "Paul", "M", "2009-07-09", at("3 Portland St", FR))
b = student("Morin", "Benjamin", "Paul", "M", "2009-07-10", at("21 State St", PI))
enroll(a, 2751, 5501, [2014, 2015, 2016, 2017])
enroll(b, 1098, 4402, [2014, 2015, 2016, 2017])
expect(a, b, "look_alike", "apart", "strangers Benjamin Paul Morin born a day apart, at Fryeburg and at Presque Isle together for four years")
# 5-6 strangers Grace Ann Dube, born 21 November 2008 and 22 November 2008, one at Fryeburg
# until 25 March 2016, the other arriving at Presque Isle on 19 October 2015 (158 days before)
a = student("Dube", "Grace", "Ann", "F", "2008-11-21", at("9 Main St", FR))
b = student("Dube", "Grace", "Ann", "F", "2008-11-22", at("40 Main St", PI), eff="2015-10-19")
enroll(a, 2751, 5502, [2014, 2015, 2016], exit_="2016-03-25")
enroll(b, 1098, 4403, [2016, 2017], entry="2015-10-19", first_grade=2, first_status="01")
expect(a, b, "look_alike", "apart", "strangers Grace Ann Dube born a day apart, one leaving Fryeburg in March five months after the other arrived at Presque Isle")
# 7-30 children alone, each under their own name, address and local number at Brooks
# Elementary: the population the bundle's weights are estimated from
B.children_alone()

B.write(OUT)
print(B.n, "students", len(B.enrs), "enrollments")
