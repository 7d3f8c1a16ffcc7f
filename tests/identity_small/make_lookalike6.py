#!/usr/bin/env python3
"""Writes the hand-made bundle tests/identity_small/lookalike6 (IDs 74...) and
its copy with names, birth dates and addresses only (IDs 75...):

    cd tests/identity_small && python3 make_lookalike6.py lookalike6 lookalike6_pa

schools.csv there is a copy of lookalike5/schools.csv. Seventeenth session
(idlook4): first the three shapes of the wrong merges at 4,000,000 students,
made by hand (strangers, one leaving an SAU as the other enters another at
another address, with the first name the other's middle name and the birth
year a digit off, or with one first name, middle name and birth date and two
surnames; twins, the second starting at the first's school under the number
the first left, at another address); then shapes no bundle tried: triplets,
two of them with names a letter apart; cousins of one full name born days
apart in one SAU; a father and his son with "Jr" in the surname field;
foster children of one birth date at one address; twins, one of them renamed
for a stepfather after a move; two children of one full name from two SAUs
both moving to a third, each under a new ID there; a twin's birth date
corrected to the other's."""
import sys

from handmade import BR, FR, PI, ST, BV, Bundle, at

OUT = sys.argv[1]
B = Bundle("7400000", 5800, 8800, 9810000)
student, enroll, expect = B.student, B.enroll, B.expect
Y = [2015, 2016, 2017]
LATER = "2016-08-20"

# --- The wrong merges at 4,000,000 students, by hand ------------------------------------------
# 1-2 strangers: Owen Michael Carter, born 3 November 2008, leaves Brooks Elementary on Friday 15
# January 2016; Michael Carter (no middle name), born 3 November 2007, enters Fryeburg Elementary
# on the Tuesday after, at another address
a = student("Carter", "Owen", "Michael", "M", "2008-11-03", at("21 Elm St", BR))
b = student("Carter", "Michael", "", "M", "2007-11-03", at("4 Depot St", FR), eff="2016-01-19")
enroll(a, 2633, 8201, [2015, 2016], exit_="2016-01-15", first_grade=1)
enroll(b, 2751, 8202, [2016, 2017], entry="2016-01-19", first_grade=3)
expect(a, b, "look_alike", "review", "strangers Owen Michael Carter born November 2008 and Michael Carter born November 2007: one leaves Brooks Elementary on a Friday in January, the other enters Fryeburg Elementary the Tuesday after, at another address")
# 3-4 strangers: Grace Anna Beaulieu leaves Presque Isle on Friday 11 March 2016; Grace Anna
# Thibault, born the same day, enters Stonington Elementary the Monday after, at another address
a = student("Beaulieu", "Grace", "Anna", "F", "2009-02-15", at("30 Main St", PI))
b = student("Thibault", "Grace", "Anna", "F", "2009-02-15", at("8 Harbor Rd", ST), eff="2016-03-14")
enroll(a, 1098, 8203, [2015, 2016], exit_="2016-03-11", first_grade=1)
enroll(b, 507, 8204, [2016, 2017], entry="2016-03-14", first_grade=2)
expect(a, b, "look_alike", "review", "strangers Grace Anna Beaulieu and Grace Anna Thibault born the same day: one leaves Presque Isle on a Friday in March, the other enters Stonington Elementary the Monday after, at another address")
# 5-6 twins Hailey and Haley Morse, born 20 May 2011: Hailey at Brooks Elementary 2015-2016 under
# local number 8205; Haley starts there in the fall of 2016 under the same number, living with the
# other parent at another address
a = student("Morse", "Hailey", "", "F", "2011-05-20", at("3 Pine St", BR))
b = student("Morse", "Haley", "", "F", "2011-05-20", at("77 Lake Rd", BR), eff=LATER)
enroll(a, 2633, 8205, [2015, 2016])
enroll(b, 2633, 8205, [2017], first_grade=2)
expect(a, b, "twins", "review", "twins Hailey and Haley Morse: Haley starts at Brooks Elementary in the fall under the local number Hailey left there in June, at the other parent's address")

# --- New shapes ------------------------------------------------------------------------------
# 7-9 triplets Aiden, Aidan and Jordan Levesque, born 7 July 2010, one address, at Brooks
# Elementary together
a = student("Levesque", "Aiden", "", "M", "2010-07-07", at("15 School St", BR))
b = student("Levesque", "Aidan", "", "M", "2010-07-07", at("15 School St", BR))
c = student("Levesque", "Jordan", "", "M", "2010-07-07", at("15 School St", BR))
enroll(a, 2633, 8207, Y)
enroll(b, 2633, 8208, Y)
enroll(c, 2633, 8209, Y)
expect(a, b, "twins", "apart", "triplets Aiden and Aidan Levesque at Brooks Elementary together, one address")
expect(a, c, "twins", "apart", "triplets Aiden and Jordan Levesque at Brooks Elementary together, one address")
expect(b, c, "twins", "apart", "triplets Aidan and Jordan Levesque at Brooks Elementary together, one address")
# 10-11 cousins Liam Joseph Cote born 4 and 9 March 2010, one at Brooks Elementary and one at
# Vienna Elementary (one SAU), other addresses, both for three years
a = student("Cote", "Liam", "Joseph", "M", "2010-03-04", at("2 River Rd", BR))
b = student("Cote", "Liam", "Joseph", "M", "2010-03-09", at("61 Hill St", BR))
enroll(a, 2633, 8210, Y)
enroll(b, 343, 8211, Y)
expect(a, b, "look_alike", "apart", "cousins Liam Joseph Cote born 4 and 9 March 2010 at two schools of one SAU at once for three years, other addresses")
# 12-13 Paul Roy born 19 July 1984 (an old ID, no enrollment) and his son entered with surname
# "Roy Jr", born 19 July 2010, one address
a = student("Roy", "Paul", "", "M", "1984-07-19", at("9 Bridge St", FR), eff="1989-08-01")
b = student("Roy Jr", "Paul", "", "M", "2010-07-19", at("9 Bridge St", FR))
enroll(b, 2751, 8213, Y)
expect(a, b, "parent", "review", "Paul Roy born July 1984 (an old ID) and his son entered as Paul Roy Jr (the suffix in the surname field) born on his birthday in 2010, one address")
# 14-15 foster children Mia Johnson and Ava Williams, both born 9 September 2011, one foster home,
# at Brooks Elementary together
a = student("Johnson", "Mia", "", "F", "2011-09-09", at("10 Church St", BR))
b = student("Williams", "Ava", "", "F", "2011-09-09", at("10 Church St", BR))
enroll(a, 2633, 8214, [2016, 2017], first_grade=1)
enroll(b, 2633, 8215, [2016, 2017], first_grade=1)
expect(a, b, "siblings", "apart", "foster children Mia Johnson and Ava Williams born the same day, one address, at Brooks Elementary together")
# 16-18 twins Emma and Ella Morin, born 10 October 2010, one address, at Fryeburg Elementary
# 2015-2016; Ella moves with her mother to Brooksville and is registered there in the fall as
# Ella Dubois (her stepfather's surname)
a = student("Morin", "Emma", "", "F", "2010-10-10", at("8 Maple Ave", FR))
b = student("Morin", "Ella", "", "F", "2010-10-10", at("8 Maple Ave", FR))
c = student("Dubois", "Ella", "", "F", "2010-10-10", at("2 Shore Rd", BV), eff=LATER)
enroll(a, 2751, 8216, Y)
enroll(b, 2751, 8217, [2015, 2016])
enroll(c, 2741, 8218, [2017], first_grade=2)
expect(a, b, "twins", "apart", "twins Emma and Ella Morin at Fryeburg Elementary together, one address")
expect(b, c, "duplicate", "review", "Ella Morin moves to Brooksville and is registered there as Ella Dubois, her stepfather's surname, another address")
expect(a, c, "twins", "apart", "Emma Morin and her twin's new ID Ella Dubois in Brooksville")
# 19-22 Noah James Fortin born 1 May 2009 (Presque Isle) and Noah James Fortin born 3 May 2009
# (Stonington); both families move to Fryeburg in the summer of 2016, where each boy is
# registered under a new ID at Fryeburg Elementary, at two addresses
p = student("Fortin", "Noah", "James", "M", "2009-05-01", at("12 North St", PI))
s = student("Fortin", "Noah", "James", "M", "2009-05-03", at("5 Wharf St", ST))
fp = student("Fortin", "Noah", "James", "M", "2009-05-01", at("40 Portland St", FR), eff=LATER)
fs = student("Fortin", "Noah", "James", "M", "2009-05-03", at("18 Oxford St", FR), eff=LATER)
enroll(p, 1098, 8219, [2015, 2016], first_grade=1)
enroll(s, 507, 8220, [2015, 2016], first_grade=1)
enroll(fp, 2751, 8221, [2017], first_grade=3)
enroll(fs, 2751, 8222, [2017], first_grade=3)
expect(p, fp, "duplicate", "review", "Noah James Fortin born 1 May 2009 moves from Presque Isle to Fryeburg, a new ID there")
expect(s, fs, "duplicate", "review", "Noah James Fortin born 3 May 2009 moves from Stonington to Fryeburg, a new ID there")
expect(p, fs, "look_alike", "review", "Noah James Fortin of Presque Isle and the other boy's new ID at Fryeburg, born two days apart")
expect(s, fp, "look_alike", "review", "Noah James Fortin of Stonington and the other boy's new ID at Fryeburg, born two days apart")
expect(fp, fs, "look_alike", "apart", "the two new IDs at Fryeburg Elementary together, born two days apart")
# 23-24 twins Lucas and Logan Gagne, born 10 April 2011, one address, at Brooks Elementary
# together; Logan's birth date was entered as 1 April and corrected to 10 April a year later
# (two identity rows on his ID)
a = student("Gagne", "Lucas", "", "M", "2011-04-10", at("6 Birch Ln", BR))
b = student("Gagne", "Logan", "", "M", "2011-04-01", at("6 Birch Ln", BR))
student("Gagne", "Logan", "", "M", "2011-04-10", None, eff="2016-08-01", sid=b, person=B.person + B.n)
enroll(a, 2633, 8223, [2016, 2017], first_grade=1)
enroll(b, 2633, 8224, [2016, 2017], first_grade=1)
expect(a, b, "twins", "apart", "twins Lucas and Logan Gagne at Brooks Elementary together, one address, Logan's birth date corrected to his twin's")

B.write(OUT)
print(B.n, "students", len(B.enrs), "enrollments")

# The same students with names, birth dates and addresses only (no gender, no
# enrollments); the pairs whose outcome differs there. Without enrollments
# nothing shows two children at school at once: the triplets, the twins, the
# cousins Cote, the foster children (both names different, one birth date and
# address: renamed_whole) and the two new IDs at Fryeburg go to a person.
PA_OUTCOMES = {(a, b): "review" for a, b in [
    ("740000007", "740000008"), ("740000007", "740000009"), ("740000008", "740000009"),
    ("740000010", "740000011"), ("740000014", "740000015"), ("740000016", "740000017"),
    ("740000021", "740000022"), ("740000023", "740000024")]}
if len(sys.argv) > 2:
    B.write_pa(sys.argv[2], PA_OUTCOMES, prefix="7500000")
