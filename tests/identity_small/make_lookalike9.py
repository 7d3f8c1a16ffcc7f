#!/usr/bin/env python3
"""Writes the hand-made bundle tests/identity_small/lookalike9 (IDs 79...):

    cd tests/identity_small && python3 make_lookalike9.py lookalike9

Twenty-first session (idlook8): the strangers of one birth date that merged at
4,000,000 students -- one child's first and middle names one name, the other's
middle name (the name counted twice); surnames only alike, with one first name
or a middle name used as the first -- each arriving in another SAU as the other
leaves, at another address; and duplicates of the same names: at one address
(merged) and with nothing independent (the rules' cost: a person decides). No
names-only copy: the enrollments are the evidence the strangers merged on."""
import sys

from handmade import BR, FR, Bundle, at

OUT = sys.argv[1]
B = Bundle("7900000", 7000, 9100, 9840000)
student, enroll, expect = B.student, B.enroll, B.expect
MOVED = "2016-08-20"

# 1-2 strangers Dylan Mark Pelletier and Mark Mark Pelletier, both born 3 April 2009: Dylan at
# Brooks Elementary until mid-January 2016; Mark arrives at Fryeburg Elementary (another SAU) a
# few days before, at another address
a = student("Pelletier", "Dylan", "Mark", "M", "2009-04-03", at("12 Elm St", BR))
b = student("Pelletier", "Mark", "Mark", "M", "2009-04-03", at("7 River Rd", FR), eff=MOVED)
enroll(a, 2633, 8501, [2014, 2015, 2016], exit_="2016-01-15")
enroll(b, 2751, 5601, [2016, 2017], entry="2016-01-11", first_grade=2)
expect(a, b, "look_alike", "review", "strangers Dylan Mark and Mark Mark Pelletier born the same day, Mark arriving at Fryeburg Elementary a few days before Dylan leaves Brooks Elementary, other addresses: Mark counted as first and middle name")
# 3-4 strangers Chloe Anne Lachance and Chloe Lacasse, both born 22 June 2008: Chloe Lachance at
# Brooks Elementary until mid-January 2016, Chloe Lacasse at Fryeburg Elementary from a week
# later, at another address
a = student("Lachance", "Chloe", "Anne", "F", "2008-06-22", at("5 Pine St", BR))
b = student("Lacasse", "Chloe", "", "F", "2008-06-22", at("40 Main St", FR), eff=MOVED)
enroll(a, 2633, 8502, [2014, 2015, 2016], first_grade=1, exit_="2016-01-15")
enroll(b, 2751, 5602, [2016, 2017], entry="2016-01-22", first_grade=3)
expect(a, b, "look_alike", "review", "strangers Chloe Anne Lachance and Chloe Lacasse born the same day, one arriving at Fryeburg Elementary a week after the other leaves Brooks Elementary, other addresses")
# 5-6 strangers Nora Claire Thibodeau and Claire Thibault, both born 9 November 2007: Nora at
# Brooks Elementary until mid-January 2016, Claire at Fryeburg Elementary from a week later, at
# another address
a = student("Thibodeau", "Nora", "Claire", "F", "2007-11-09", at("18 Oak St", BR))
b = student("Thibault", "Claire", "", "F", "2007-11-09", at("2 Bridge St", FR), eff=MOVED)
enroll(a, 2633, 8503, [2014, 2015, 2016], first_grade=2, exit_="2016-01-15")
enroll(b, 2751, 5603, [2016, 2017], entry="2016-01-22", first_grade=4)
expect(a, b, "look_alike", "review", "strangers Nora Claire Thibodeau and Claire Thibault born the same day, one arriving at Fryeburg Elementary a week after the other leaves Brooks Elementary, other addresses")
# 7-8 Owen Paul Gosselin, born 14 February 2009, at Brooks Elementary until mid-January 2016,
# registered at Fryeburg Elementary a week later as Paul Gosling, the family's address kept
a = student("Gosselin", "Owen", "Paul", "M", "2009-02-14", at("9 Hill Rd", BR))
b = student("Gosling", "Paul", "", "M", "2009-02-14", at("9 Hill Rd", BR), eff=MOVED)
enroll(a, 2633, 8504, [2014, 2015, 2016], exit_="2016-01-15")
enroll(b, 2751, 5604, [2016, 2017], entry="2016-01-22", first_grade=2)
expect(a, b, "duplicate", "merge", "Owen Paul Gosselin registered at Fryeburg Elementary as Paul Gosling a week after leaving Brooks Elementary, the address kept")
# 9-10 Ella Rose Cloutier, born 30 May 2008, at Brooks Elementary until mid-January 2016,
# registered at Fryeburg Elementary a week later as Rose Clouston at a new address: nothing
# independent of the names and birth date (the rules' cost)
a = student("Cloutier", "Ella", "Rose", "F", "2008-05-30", at("22 Mill St", BR))
b = student("Clouston", "Rose", "", "F", "2008-05-30", at("6 Lake Rd", FR), eff=MOVED)
enroll(a, 2633, 8505, [2014, 2015, 2016], first_grade=1, exit_="2016-01-15")
enroll(b, 2751, 5605, [2016, 2017], entry="2016-01-22", first_grade=3)
expect(a, b, "duplicate", "review", "Ella Rose Cloutier registered at Fryeburg Elementary as Rose Clouston a week after leaving Brooks Elementary, at a new address")
# 11-34 children alone, each under their own name, address and local number at Brooks
# Elementary: the population the bundle's weights are estimated from
B.children_alone()

B.write(OUT)
print(B.n, "students", len(B.enrs), "enrollments")
