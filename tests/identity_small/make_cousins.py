#!/usr/bin/env python3
"""Writes the hand-made bundle tests/identity_small/cousins (IDs 67...):

    cd tests/identity_small && python3 make_cousins.py cousins cousins_pa

schools.csv there is a copy of lookalikes/schools.csv."""
import sys

from handmade import BR, FR, PI, ST, BV, Bundle, at

OUT = sys.argv[1]
B = Bundle("6700000", 5100, 8100, 9400000)

Y = [2015, 2016, 2017]

# 1-2 Mary Kate and Mary Beth Sullivan: twins, one address, Mary Beth never enrolled
a = B.student("Sullivan", "Mary Kate", "", "F", "2010-09-14", at("22 Elm St", BR))
b = B.student("Sullivan", "Mary Beth", "", "F", "2010-09-14", at("22 Elm St", BR))
B.enroll(a, 2633, 7001, Y, first_grade=0)
B.expect(a, b, "twins", "review", "Mary Kate and Mary Beth Sullivan: twins, one address, Mary Beth never enrolled")
# 3-4 Mary Kate and Mary Beth O'Neil at school together
a = B.student("O'Neil", "Mary Kate", "", "F", "2011-02-03", at("9 Oak Ave", FR))
b = B.student("O'Neil", "Mary Beth", "", "F", "2011-02-03", at("9 Oak Ave", FR))
B.enroll(a, 2751, 7002, Y)
B.enroll(b, 2751, 7003, Y)
B.expect(a, b, "twins", "apart", "Mary Kate and Mary Beth O'Neil: twins at school together")
# 5-6 Aiden and Aidan Pelkey: twins born either side of midnight, one address, Aidan never enrolled
a = B.student("Pelkey", "Aiden", "", "M", "2012-03-31", at("5 Maple Rd", ST))
b = B.student("Pelkey", "Aidan", "", "M", "2012-04-01", at("5 Maple Rd", ST))
B.enroll(a, 507, 7004, [2017])
B.expect(a, b, "twins", "review", "Aiden and Aidan Pelkey: twins born either side of midnight, one address, Aidan never enrolled")
# 7-8 Jon and John Gallant: twins, parents apart (two addresses), two SAUs at once
a = B.student("Gallant", "Jon", "", "M", "2011-06-21", at("40 River Rd", BR))
b = B.student("Gallant", "John", "", "M", "2011-06-21", at("3 Hill St", FR))
B.enroll(a, 2633, 7005, Y)
B.enroll(b, 2751, 7006, Y)
B.expect(a, b, "twins", "review", "Jon and John Gallant: twins with parents apart, two addresses, two SAUs at once")
# 9-10 Ann-Marie and Anne-Marie Dube: twins a letter apart, hyphenated, at school together
a = B.student("Dube", "Ann-Marie", "", "F", "2010-11-11", at("71 Main St", PI))
b = B.student("Dube", "Anne-Marie", "", "F", "2010-11-11", at("71 Main St", PI))
B.enroll(a, 1098, 7007, Y, first_grade=1)
B.enroll(b, 1098, 7008, Y, first_grade=1)
B.expect(a, b, "twins", "apart", "Ann-Marie and Anne-Marie Dube: twins a letter apart, at school together")
# 11-12 Anna-Grace and Anna-Rose Cote: hyphenated twins, one never enrolled
a = B.student("Cote", "Anna-Grace", "", "F", "2012-01-19", at("8 Pond Ln", BV))
b = B.student("Cote", "Anna-Rose", "", "F", "2012-01-19", at("8 Pond Ln", BV))
B.enroll(a, 2741, 7009, [2016, 2017])
B.expect(a, b, "twins", "review", "Anna-Grace and Anna-Rose Cote: twins of one first word, one address, Anna-Rose never enrolled")
# 13-15 Kayden, Jayden, Brayden Michaud: triplets, two at school, Brayden never enrolled
a = B.student("Michaud", "Kayden", "", "M", "2011-08-08", at("17 Lake St", FR))
b = B.student("Michaud", "Jayden", "", "M", "2011-08-08", at("17 Lake St", FR))
c = B.student("Michaud", "Brayden", "", "M", "2011-08-08", at("17 Lake St", FR))
B.enroll(a, 2751, 7010, Y)
B.enroll(b, 2751, 7011, Y)
B.expect(a, b, "triplets", "apart", "Kayden and Jayden Michaud: triplets at school together")
B.expect(a, c, "triplets", "review", "Kayden and Brayden Michaud: triplets, Brayden never enrolled")
B.expect(b, c, "triplets", "review", "Jayden and Brayden Michaud: triplets, Brayden never enrolled")
# 16-17 Jaden and Kaden Ouellet: brothers born 10 months apart (one part off), one address, Kaden never enrolled
a = B.student("Ouellet", "Jaden", "", "M", "2011-01-15", at("2 Birch Rd", BR))
b = B.student("Ouellet", "Kaden", "", "M", "2011-11-15", at("2 Birch Rd", BR))
B.enroll(a, 2633, 7012, Y)
B.expect(a, b, "siblings", "review", "Jaden and Kaden Ouellet: brothers born 10 months apart, one address, Kaden never enrolled")
# 18-19 Kaylee and Kylie Bolduc: sisters born 10 months apart in one year, one grade, at school together
a = B.student("Bolduc", "Kaylee", "", "F", "2011-01-05", at("60 Summer St", ST))
b = B.student("Bolduc", "Kylie", "", "F", "2011-11-05", at("60 Summer St", ST))
B.enroll(a, 507, 7013, Y, first_grade=1)
B.enroll(b, 507, 7014, Y)
B.expect(a, b, "siblings", "apart", "Kaylee and Kylie Bolduc: sisters born 10 months apart, at school together")
# 20-21 Owen James Pelletier: cousins named for one grandfather, born March and August of one year,
# one leaves Presque Isle in June, the other starts there in the fall, other addresses and numbers
a = B.student("Pelletier", "Owen", "James", "M", "2011-03-04", at("12 North St", PI))
b = B.student("Pelletier", "Owen", "James", "M", "2011-08-04", at("88 South St", PI))
B.enroll(a, 1098, 7015, [2015, 2016])
B.enroll(b, 1098, 7016, [2017], first_grade=2)
B.expect(a, b, "cousins", "review", "two Owen James Pelletier, cousins born March and August of one year, one leaves Presque Isle in June, the other starts there in the fall")
# 22-23 Mike Smith and Michael Smith: strangers, one birth date, one leaves Brooks in June, the other starts in Fryeburg in the fall
a = B.student("Smith", "Mike", "", "M", "2010-05-05", at("1 Center St", BR))
b = B.student("Smith", "Michael", "", "M", "2010-05-05", at("400 Pine St", FR))
B.enroll(a, 2633, 7017, [2015, 2016], first_grade=1)
B.enroll(b, 2751, 7018, [2017], first_grade=3)
B.expect(a, b, "look_alike", "review", "Mike Smith and Michael Smith: strangers born the same day, one leaves Brooks in June, the other starts in Fryeburg in the fall")
# 24-25 Emily Johnson and Emily Johnston: strangers, one birth date, the same turn-over
a = B.student("Johnson", "Emily", "", "F", "2010-07-19", at("3 Water St", ST))
b = B.student("Johnston", "Emily", "", "F", "2010-07-19", at("19 Park Ave", BV))
B.enroll(a, 507, 7019, [2015, 2016], first_grade=1)
B.enroll(b, 2741, 7020, [2017], first_grade=3)
B.expect(a, b, "look_alike", "review", "Emily Johnson and Emily Johnston: strangers born the same day, one leaves Stonington in June, the other starts in Brooksville in the fall")
# 26-27 Emily Johnson twice: one birth date, two SAUs at once
a = B.student("Johnson", "Emily", "Ann", "F", "2011-10-02", at("5 Bay Rd", FR))
b = B.student("Johnson", "Emily", "Rose", "F", "2011-10-02", at("77 Ridge Rd", PI))
B.enroll(a, 2751, 7021, Y)
B.enroll(b, 1098, 7022, Y)
B.expect(a, b, "look_alike", "review", "Emily Ann and Emily Rose Johnson: one birth date, two SAUs at once")
# 28-29 Hannah Leclerc moved to Brooksville, re-registered with day and month swapped
a = B.student("Leclerc", "Hannah", "Marie", "F", "2012-04-07", at("15 Mill St", BR))
b = B.student("Leclerc", "Hannah", "Marie", "F", "2012-07-04", at("6 Shore Rd", BV), eff="2016-08-20")
B.enroll(a, 2633, 7023, [2016])
B.enroll(b, 2741, 7024, [2017], first_grade=1)
B.expect(a, b, "duplicate", "review", "Hannah Marie Leclerc moved to Brooksville over the summer, re-registered with day and month swapped")
# 30-31 Lily Grace Morrison renamed Bragdon (mother's marriage), same school and address next year, new local number
a = B.student("Morrison", "Lily", "Grace", "F", "2011-12-01", at("30 Spruce St", FR))
b = B.student("Bragdon", "Lily", "Grace", "F", "2011-12-01", at("30 Spruce St", FR), eff="2016-08-20")
B.enroll(a, 2751, 7025, [2015, 2016])
B.enroll(b, 2751, 7026, [2017], first_grade=2)
B.expect(a, b, "duplicate", "review", "Lily Grace Morrison renamed Bragdon at her mother's marriage, same school and address next year, new local number")
# 32-33 Dmitri Alexander Volkov adopted and renamed Hall: same school, same local number, new address
a = B.student("Volkov", "Dmitri", "Alexander", "M", "2010-10-30", at("4 Bridge St", ST))
b = B.student("Hall", "Dmitri", "Alexander", "M", "2010-10-30", at("51 Harbor Rd", ST), eff="2016-08-20")
B.enroll(a, 507, 7027, [2015, 2016], first_grade=1)
B.enroll(b, 507, 7027, [2017], first_grade=3)
B.expect(a, b, "duplicate", "merge", "Dmitri Alexander Volkov adopted and renamed Hall: same school and local number next year, new address")
# 34-35 Benjamin Thomas Hebert entered twice the same week (data entry), the second withdrawn after three days
a = B.student("Hebert", "Benjamin", "Thomas", "M", "2011-05-25", at("10 School St", PI))
b = B.student("Hebert", "Benjamin", "Thomas", "M", "2011-05-25", at("10 School St", PI))
B.enroll(a, 1098, 7028, Y)
B.enroll(b, 1098, 7029, [2015], entry="2014-08-28", exit_="2014-08-31")
B.expect(a, b, "duplicate", "merge", "Benjamin Thomas Hebert entered twice the same week, the second withdrawn after three days")
# 36-37 Liam Joseph and Luke Joseph Morin: twins of one initial and middle name, one address, Luke never enrolled
a = B.student("Morin", "Liam", "Joseph", "M", "2012-06-06", at("25 Cedar St", BV))
b = B.student("Morin", "Luke", "Joseph", "M", "2012-06-06", at("25 Cedar St", BV))
B.enroll(a, 2741, 7030, [2016, 2017])
B.expect(a, b, "twins", "review", "Liam Joseph and Luke Joseph Morin: twins of one initial and middle name, one address, Luke never enrolled")
# 38-39 Jordan and Jordyn Leblanc: boy and girl twins, one address, Jordyn never enrolled
a = B.student("Leblanc", "Jordan", "", "M", "2011-04-14", at("13 Beech St", FR))
b = B.student("Leblanc", "Jordyn", "", "F", "2011-04-14", at("13 Beech St", FR))
B.enroll(a, 2751, 7031, Y)
B.expect(a, b, "twins", "review", "Jordan and Jordyn Leblanc: boy and girl twins, one address, Jordyn never enrolled")
# 40-41 Christopher and Christian Roy: brothers born 10 months apart, one address, both at school
a = B.student("Roy", "Christopher", "", "M", "2010-01-20", at("7 Granite St", ST))
b = B.student("Roy", "Christian", "", "M", "2010-11-20", at("7 Granite St", ST))
B.enroll(a, 507, 7032, Y, first_grade=1)
B.enroll(b, 507, 7033, Y, first_grade=1)
B.expect(a, b, "siblings", "apart", "Christopher and Christian Roy: brothers born 10 months apart, one grade, at school together")
# 42-43 Chris and Christian Paradis: brothers 10 months apart, one address, Christian never enrolled
a = B.student("Paradis", "Chris", "", "M", "2012-02-09", at("44 Church St", BR))
b = B.student("Paradis", "Christian", "", "M", "2012-12-09", at("44 Church St", BR))
B.enroll(a, 2633, 7034, [2017])
B.expect(a, b, "siblings", "review", "Chris and Christian Paradis: brothers born 10 months apart, one address, Christian never enrolled")
# 44-45 Katie Lynn Dumont re-registered as Kathryn Lynn Dumont-Baker in another SAU after her mother's marriage
a = B.student("Dumont", "Katie", "Lynn", "F", "2010-03-17", at("90 West St", PI))
b = B.student("Dumont-Baker", "Kathryn", "Lynn", "F", "2010-03-17", at("2 East St", FR), eff="2016-08-20")
B.enroll(a, 1098, 7035, [2015, 2016], first_grade=1)
B.enroll(b, 2751, 7036, [2017], first_grade=3)
B.expect(a, b, "duplicate", "review", "Katie Lynn Dumont re-registered as Kathryn Lynn Dumont-Baker in Fryeburg after her mother's marriage")
# 46-47 Eliza and Elisa Fortin: twins a letter apart at school together
a = B.student("Fortin", "Eliza", "", "F", "2011-09-09", at("3 Forest Ave", BV))
b = B.student("Fortin", "Elisa", "", "F", "2011-09-09", at("3 Forest Ave", BV))
B.enroll(a, 2741, 7037, Y)
B.enroll(b, 2741, 7038, Y)
B.expect(a, b, "twins", "apart", "Eliza and Elisa Fortin: twins a letter apart at school together")
# 48-49 Noah Levesque entered again the next year with names swapped and a new local number, same school and address
a = B.student("Levesque", "Noah", "", "M", "2011-07-07", at("16 Grove St", BR))
b = B.student("Noah", "Levesque", "", "M", "2011-07-07", at("16 Grove St", BR), eff="2016-08-20")
B.enroll(a, 2633, 7039, [2015, 2016])
B.enroll(b, 2633, 7040, [2017], first_grade=2)
B.expect(a, b, "duplicate", "merge", "Noah Levesque entered again the next year with names swapped, same school and address, new local number")

# 50-51 Mike Smith and Michael Smith: strangers born the same day in one SAU, one leaves Brooks
# Elementary in June, the other starts at Vienna Elementary (Brooks) in the fall, own numbers, other addresses
a = B.student("Smith", "Mike", "", "M", "2011-02-22", at("31 Depot St", BR))
b = B.student("Smith", "Michael", "", "M", "2011-02-22", at("9 Kelley Rd", BR))
B.enroll(a, 2633, 7041, [2015, 2016])
B.enroll(b, 343, 7042, [2017], first_grade=2)
B.expect(a, b, "look_alike", "review", "Mike Smith and Michael Smith: strangers born the same day, one leaves Brooks Elementary in June, the other starts at Vienna Elementary in Brooks in the fall, own numbers, other addresses")
# 52-53 Jaden Thomas and Jayden Thomas Cyr: cousins born the same day, one leaves Stonington Elementary in June,
# the other starts there in the fall under his own number, other addresses
a = B.student("Cyr", "Jaden", "Thomas", "M", "2010-12-12", at("4 Ocean Ave", ST))
b = B.student("Cyr", "Jayden", "Thomas", "M", "2010-12-12", at("70 Ledge Rd", ST))
B.enroll(a, 507, 7043, [2015, 2016], first_grade=1)
B.enroll(b, 507, 7044, [2017], first_grade=3)
B.expect(a, b, "cousins", "review", "Jaden Thomas and Jayden Thomas Cyr: cousins born the same day, one leaves Stonington Elementary in June, the other starts there in the fall under his own number, other addresses")
# 54-55 Sophie Anne Gagne entered twice at Fryeburg Elementary, both records carried all year
a = B.student("Gagne", "Sophie", "Anne", "F", "2011-03-30", at("12 Portland St", FR))
b = B.student("Gagne", "Sophie", "Anne", "F", "2011-03-30", at("12 Portland St", FR))
B.enroll(a, 2751, 7045, Y)
B.enroll(b, 2751, 7046, [2016])
B.expect(a, b, "duplicate", "review", "Sophie Anne Gagne entered twice at Fryeburg Elementary, both records carried all year")

# 56-57 Michael James Smith (Presque Isle) and Mike James Smith (Stonington): strangers born the same day,
# one leaves Presque Isle in June, the other starts in Stonington in the fall
a = B.student("Smith", "Michael", "James", "M", "2010-08-16", at("5 Academy St", PI))
b = B.student("Smith", "Mike", "James", "M", "2010-08-16", at("28 Sea Breeze Ave", ST))
B.enroll(a, 1098, 7047, [2015, 2016], first_grade=1)
B.enroll(b, 507, 7048, [2017], first_grade=3)
B.expect(a, b, "look_alike", "review", "Michael James Smith and Mike James Smith: strangers born the same day, one leaves Presque Isle in June, the other starts in Stonington in the fall")

B.write(OUT)
print(B.n, "students", len(B.enrs), "enrollments")

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
    B.write_pa(sys.argv[2], PA_OUTCOMES)
