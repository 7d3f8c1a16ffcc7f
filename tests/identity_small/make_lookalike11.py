#!/usr/bin/env python3
"""Writes the hand-made bundle tests/identity_small/lookalike11 (IDs 81...):

    cd tests/identity_small && python3 make_lookalike11.py lookalike11

Twenty-fourth session (namegen1): the start binary's one wrong automatic
merge on the start generator's 150,000-student bundle (seed 2017): two
strangers of one first, middle and last name born a day apart
(`look_alike_day_apart`), in two SAUs, enrolled at once for weeks, no local
number, other addresses; merged `probable` at 11.69 there. At this
bundle's size the start binary queues the pair ("probable only for the
bundle's size", 9.35): the merge needs a large bundle's weights, so this
fixture holds the shape, not the merge. Not wired into
`hand_made_bundles_merge_or_queue_every_duplicate_and_no_twin` (the lead
decides): the expected outcome is `apart` or a person (`review`)."""
import sys

from handmade import ALONE, BR, FR, Bundle, at

OUT = sys.argv[1]
B = Bundle("8100000", 7200, 9300, 9860000)
student, enroll, expect = B.student, B.enroll, B.expect

# 1-2 strangers Owen Thomas Morin, born 3 and 4 March 2008, at Brooks and at Fryeburg: the first
# leaves Brooks in late September 2015, the second enters Fryeburg that August: at once for weeks
a = student("Morin", "Owen", "Thomas", "M", "2008-03-03", at("12 Pine St", BR))
b = student("Morin", "Owen", "Thomas", "M", "2008-03-04", at("77 River Rd", FR), eff="2015-08-27")
enroll(a, 2633, "", [2014, 2015, 2016], first_grade=1, exit_="2015-09-25")
enroll(b, 2751, "", [2016, 2017], entry="2015-08-27", first_grade=3, first_status="14")
expect(a, b, "look_alike_day_apart", "apart", "strangers Owen Thomas Morin born a day apart in two SAUs, at once for weeks, no local number, other addresses")
# 3-26 children alone, each under their own name, address and local number
for k, (last, first, g) in enumerate(ALONE):
    school = 2633 if k % 2 else 2751
    s = student(last, first, "", g, f"2010-{k % 12 + 1:02d}-{k + 1:02d}", at(f"{k + 40} Main St", BR if k % 2 else FR))
    enroll(s, school, 8410 + k, [2015, 2016, 2017], first_grade=k % 3)

B.write(OUT)
print(B.n, "students", len(B.enrs), "enrollments")
