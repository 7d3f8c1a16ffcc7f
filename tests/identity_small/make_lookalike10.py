#!/usr/bin/env python3
"""Writes the hand-made bundle tests/identity_small/lookalike10 (IDs 80...):

    cd tests/identity_small && python3 make_lookalike10.py lookalike10

Twenty-second session (idlook9): from the red-team injection
(`inject_redteam.py`), a child re-registered under a new StateStudentID at
the school she never left on paper: the first enrollment not exited for
months, one local student number, one address, a first name a letter off.
Before `one_number_one_home` (`stages/src/identity/twins.rs`) the
twins-or-siblings pattern kept such a pair apart as "two children at once";
now a person decides. Twins at one address under two numbers stay apart;
twins given one number by mistake go to a person (the rule's cost). No
names-only copy: the local number and the enrollments are the evidence."""
import sys

from handmade import BR, Bundle, at

OUT = sys.argv[1]
B = Bundle("8000000", 7100, 9200, 9850000)
student, enroll, expect = B.student, B.enroll, B.expect

# 1-2 Kaitlyn Marie Ouellette, born 14 May 2009, at Brooks Elementary under local number 8601;
# registered there again in January 2016 as Katilyn under the same number and address, the
# first enrollment exited only in April
a = student("Ouellette", "Kaitlyn", "Marie", "F", "2009-05-14", at("33 Birch St", BR))
b = student("Ouellette", "Katilyn", "Marie", "F", "2009-05-14", at("33 Birch St", BR), eff="2016-01-04")
enroll(a, 2633, 8601, [2014, 2015, 2016], exit_="2016-04-15")
enroll(b, 2633, 8601, [2016, 2017], entry="2016-01-04", first_grade=2, first_status="01")
expect(a, b, "duplicate", "review", "Kaitlyn Marie Ouellette registered again at Brooks Elementary as Katilyn in January under her local number and address, the first enrollment exited only in April")
# 3-4 twins Logan and Mason Pelletier, born 2 September 2009, one address, Brooks Elementary
# together under their own local numbers
a = student("Pelletier", "Logan", "James", "M", "2009-09-02", at("8 Cedar St", BR))
b = student("Pelletier", "Mason", "James", "M", "2009-09-02", at("8 Cedar St", BR))
enroll(a, 2633, 8602, [2014, 2015, 2016, 2017])
enroll(b, 2633, 8603, [2014, 2015, 2016, 2017])
expect(a, b, "twins", "apart", "twins Logan and Mason Pelletier, one address, at Brooks Elementary together under two local numbers")
# 5-34 children alone, each under their own name, address and local number at Brooks
# Elementary: the population the bundle's weights are estimated from
B.children_alone()

B.write(OUT)
print(B.n, "students", len(B.enrs), "enrollments")
