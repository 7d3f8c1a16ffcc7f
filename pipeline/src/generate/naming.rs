//! The naming systems of Maine's refugee and immigrant families (Lewiston's
//! and Portland's Somali, Congolese, Burundian and Rwandan, Vietnamese,
//! Cambodian and Hispanic children): the name a child gets follows the
//! family's system, not the long-tailed model of `namemodel.rs`.
//!
//! - Somali (home language `som`): first name from the Somali lists below,
//!   middle name the father's given name, surname the grandfather's given
//!   name. Siblings share middle and surname, cousins (children of
//!   brothers) the surname only; a few names are very common, so strangers
//!   of one full name are common. Mohamed and Fadumo are spelled
//!   variously across the records of different children.
//! - Central African (`lin`, `swa`, `kin`, and immigrant `fre`
//!   [`CENTRAL_AFRICAN_FRENCH`] of the time): a Christian or French first
//!   name and a personal surname (the child's own name), shared by
//!   siblings in only half the families ([`FAMILY_SURNAME`]); twins whose
//!   surnames are their own take the traditional twin names.
//! - Vietnamese (`vie`) and Cambodian (`khm`): a small set of very common
//!   surnames (Nguyen ~38% of Vietnamese); duplicates with given name and
//!   surname in swapped order ([`FAMILY_NAME_FIRST`]).
//! - Hispanic (the Hispanic ethnicity or `spa`): a Spanish surname, two
//!   (paternal, maternal) for [`TWO_SURNAMES`] of children, recorded spaced
//!   or hyphenated; duplicates with the second dropped, or the other form
//!   ([`SURNAME_FORM`]).
//!
//! No data file is read: the lists and weights are written here.

use super::names::Weighted;
use super::{namemodel, pick, Name, Truth};
use rand::Rng;

/// A family's naming system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Naming {
    Model,
    Somali,
    CentralAfrican,
    Vietnamese,
    Cambodian,
    Hispanic,
}

impl Naming {
    /// The tag a hard negative of this system's family carries in the
    /// truth (`siblings+somali`); none for the model's names.
    pub(super) fn tag(self) -> Option<&'static str> {
        match self {
            Naming::Model => None,
            Naming::Somali => Some("somali"),
            Naming::CentralAfrican => Some("central_african"),
            Naming::Vietnamese => Some("vietnamese"),
            Naming::Cambodian => Some("cambodian"),
            Naming::Hispanic => Some("hispanic"),
        }
    }
}

/// Per immigrant child of French home language: a Central African family
/// (Congolese, Burundian, Rwandan). No count found; Maine's French-speaking
/// arrivals since 2000 are mostly from Central Africa (Portland's asylum
/// seekers), the Franco-Americans are not immigrants; 0.6, conservative.
const CENTRAL_AFRICAN_FRENCH: f64 = 0.6;

/// Per Central African family: the children share one surname (the
/// father's). No published share; idlook9's injector gave half of its
/// Congolese siblings two surnames; 0.5.
const FAMILY_SURNAME: f64 = 0.5;

/// Per Hispanic child: two surnames (paternal, maternal). No count found
/// for US-registered children; 0.35, conservative (many US-born children
/// are registered with the father's surname only).
const TWO_SURNAMES: f64 = 0.35;

/// Per Hispanic child with two surnames: the original record holds them
/// hyphenated (else spaced). No source; 0.4.
const HYPHENATED: f64 = 0.4;

/// Per duplicate of a Hispanic child with two surnames: the duplicate's
/// surname in another form (the second dropped, hyphenated or spaced),
/// before the other defects are drawn. No source; 0.5.
const SURNAME_FORM: f64 = 0.5;

/// Per duplicate of a Vietnamese or Cambodian child: given name and
/// surname swapped (the family name written first, as at home). No
/// source; 0.2, conservative.
const FAMILY_NAME_FIRST: f64 = 0.2;

/// Per Vietnamese, Cambodian or Hispanic child: a first name of the
/// family's language (else the model's, as many US-born children have).
/// No source; 0.6 (Vietnamese, Cambodian), 0.5 (Hispanic).
const OWN_FIRST: f64 = 0.6;
const HISPANIC_OWN_FIRST: f64 = 0.5;

/// The naming system of a child of this home language and ethnicity.
pub(super) fn system<R: Rng>(
    rng: &mut R,
    language: &str,
    hispanic: bool,
    immigrant: bool,
) -> Naming {
    match language {
        "som" => Naming::Somali,
        "lin" | "swa" | "kin" => Naming::CentralAfrican,
        "fre" if immigrant && rng.gen_bool(CENTRAL_AFRICAN_FRENCH) => Naming::CentralAfrican,
        "vie" => Naming::Vietnamese,
        "khm" => Naming::Cambodian,
        _ if hispanic || language == "spa" => Naming::Hispanic,
        _ => Naming::Model,
    }
}

/// A first name under the system (the model's for `Model`).
pub(super) fn first_name<R: Rng>(rng: &mut R, naming: Naming, male: bool, year: i32) -> String {
    let of = |rng: &mut R, m: Weighted, f: Weighted| pick(rng, if male { m } else { f });
    match naming {
        Naming::Model => namemodel::given(rng, male, year),
        Naming::Somali => {
            let name = of(rng, SOMALI_MALE, SOMALI_FEMALE);
            spelled(rng, name)
        }
        Naming::CentralAfrican => of(rng, CENTRAL_MALE, CENTRAL_FEMALE).to_string(),
        Naming::Vietnamese if rng.gen_bool(OWN_FIRST) => {
            of(rng, VIETNAMESE_MALE, VIETNAMESE_FEMALE).to_string()
        }
        Naming::Cambodian if rng.gen_bool(OWN_FIRST) => {
            of(rng, CAMBODIAN_MALE, CAMBODIAN_FEMALE).to_string()
        }
        Naming::Hispanic if rng.gen_bool(HISPANIC_OWN_FIRST) => {
            of(rng, SPANISH_MALE, SPANISH_FEMALE).to_string()
        }
        _ => namemodel::given(rng, male, year),
    }
}

/// A Somali man's name (a father's, a grandfather's), spelled.
fn somali_man<R: Rng>(rng: &mut R) -> String {
    let name = pick(rng, SOMALI_MALE);
    spelled(rng, name)
}

/// Mohamed and Fadumo as one child's records spell them. No count found;
/// the weights are a guess, Mohamed the most common spelling.
fn spelled<R: Rng>(rng: &mut R, name: &str) -> String {
    let variants: Weighted = match name {
        "Mohamed" => &[
            ("Mohamed", 50),
            ("Mohammed", 20),
            ("Muhammad", 12),
            ("Mohammad", 8),
            ("Mohamad", 5),
            ("Maxamed", 5),
        ],
        "Fadumo" => &[("Fadumo", 60), ("Faduma", 25), ("Fatuma", 15)],
        _ => return name.to_string(),
    };
    pick(rng, variants).to_string()
}

/// The name spelled as the first spelling of its list (Mohammed is
/// Mohamed), to compare names, not spellings.
fn base(name: &str) -> &str {
    match name {
        "Mohammed" | "Muhammad" | "Mohammad" | "Mohamad" | "Maxamed" => "Mohamed",
        "Faduma" | "Fatuma" => "Fadumo",
        n => n,
    }
}

/// Names a child under its system, replacing the model's draw.
pub(super) fn name_child<R: Rng>(rng: &mut R, naming: Naming, name: &mut Name) {
    let year = chrono::Datelike::year(&name.birth);
    match naming {
        Naming::Model => return,
        Naming::Somali => {
            name.first = first_name(rng, naming, name.male, year);
            let father = somali_man(rng);
            let mut grandfather = somali_man(rng);
            // A son is not named for his own father.
            while base(&grandfather) == base(&father) {
                grandfather = somali_man(rng);
            }
            (name.middle, name.last) = (Some(father), grandfather);
        }
        Naming::CentralAfrican => {
            name.first = first_name(rng, naming, name.male, year);
            name.middle = if rng.gen_bool(0.5) {
                Some(pick(rng, CENTRAL_SURNAMES).to_string())
            } else {
                None
            };
            name.last = pick(rng, CENTRAL_SURNAMES).to_string();
        }
        Naming::Vietnamese => {
            name.first = first_name(rng, naming, name.male, year);
            name.middle = match rng.gen_range(0..10) {
                0..=3 => Some(if name.male { "Van" } else { "Thi" }.to_string()),
                4..=7 => Some(first_name(rng, naming, name.male, year)),
                _ => None,
            };
            name.last = pick(rng, VIETNAMESE_SURNAMES).to_string();
        }
        Naming::Cambodian => {
            name.first = first_name(rng, naming, name.male, year);
            name.last = pick(rng, CAMBODIAN_SURNAMES).to_string();
        }
        Naming::Hispanic => {
            name.first = first_name(rng, naming, name.male, year);
            let paternal = spanish_surname(rng);
            name.last = if rng.gen_bool(TWO_SURNAMES) {
                let maternal = spanish_surname(rng);
                let joint = if rng.gen_bool(HYPHENATED) { '-' } else { ' ' };
                format!("{paternal}{joint}{maternal}")
            } else {
                paternal
            };
        }
    }
    if naming != Naming::Hispanic {
        name.suffix = None;
    }
}

/// Share of Hispanic children whose surname is one of the head
/// [`SPANISH_SURNAMES`]: the 40 most common Hispanic surnames of the US
/// Census 2010 table (as published, approximate) hold about a third of
/// Hispanic people; 0.35. The rest a synthetic Spanish name.
const SPANISH_HEAD: f64 = 0.35;

fn spanish_surname<R: Rng>(rng: &mut R) -> String {
    if rng.gen_bool(SPANISH_HEAD) {
        return pick(rng, SPANISH_SURNAMES).to_string();
    }
    let root = SPANISH_ROOTS[rng.gen_range(0..SPANISH_ROOTS.len())];
    let ending = SPANISH_ENDINGS[rng.gen_range(0..SPANISH_ENDINGS.len())];
    format!("{root}{ending}")
}

/// How child `b` is related to `a`, for [`kin`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kin {
    /// One father and mother (siblings, triplets).
    Sibling,
    /// Twins: as siblings; Central African twins of personal surnames take
    /// the twin names.
    Twin,
    /// Children of brothers.
    Cousin,
    /// Another father and mother, one household.
    Step,
}

/// Makes `b` a child of `a`'s family under `a`'s naming system: `b`
/// renamed under it, then the names the relation shares. Nothing changes
/// (and nothing is drawn) for the model's names, whose relations the
/// callers make as before.
pub(super) fn kin<R: Rng>(rng: &mut R, a: &mut Truth, b: &mut Truth, how: Kin) {
    if a.naming == Naming::Model {
        // A child of another system's language drawn into a family of the
        // model's names: the model's names (the caller's surname rule).
        if b.naming != Naming::Model && how != Kin::Step {
            let (male, year) = (b.name.male, chrono::Datelike::year(&b.name.birth));
            b.naming = Naming::Model;
            b.name.first = namemodel::given(rng, male, year);
            if b.name.middle.is_some() {
                b.name.middle = Some(namemodel::given(rng, male, year));
            }
        }
        return;
    }
    (b.language, b.naming) = (a.language, a.naming);
    let last = b.name.last.clone();
    name_child(rng, a.naming, &mut b.name);
    if how == Kin::Step {
        return;
    }
    match a.naming {
        Naming::Somali if how == Kin::Cousin => {
            // The grandfather's name, spelled by this family's records.
            b.name.last = spelled(rng, base(&a.name.last));
            while base(b.name.middle.as_deref().unwrap_or("")) == base(&b.name.last)
                || b.name.middle == a.name.middle
            {
                b.name.middle = Some(somali_man(rng));
            }
        }
        Naming::Somali => {
            (b.name.middle, b.name.last) = (a.name.middle.clone(), a.name.last.clone());
        }
        Naming::CentralAfrican if how == Kin::Cousin => {}
        Naming::CentralAfrican if shares_surname(a) => b.name.last = a.name.last.clone(),
        Naming::CentralAfrican if how == Kin::Twin => {
            let (x, y) = TWIN_SURNAMES[rng.gen_range(0..TWIN_SURNAMES.len())];
            (a.name.last, b.name.last) = (x.to_string(), y.to_string());
        }
        Naming::CentralAfrican => {}
        Naming::Hispanic if how == Kin::Cousin => {
            // The paternal grandfather's surname; the maternal their own.
            let paternal = a.name.last.split([' ', '-']).next().unwrap_or("");
            b.name.last = match b.name.last.find([' ', '-']) {
                Some(i) => format!("{paternal}{}", &b.name.last[i..]),
                None => paternal.to_string(),
            };
        }
        _ => b.name.last = a.name.last.clone(),
    }
    if b.name.last.is_empty() {
        b.name.last = last;
    }
}

/// Whether a Central African family shares one surname
/// ([`FAMILY_SURNAME`]): a fixed hash of the first child's name and birth
/// date, so every child of the family is named alike.
fn shares_surname(a: &Truth) -> bool {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    let key = format!("{}|{}|{}", a.name.first, a.name.last, a.name.birth);
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
    }
    (h % 1000) < (FAMILY_SURNAME * 1000.0) as u64
}

/// A duplicate's defect of the system, drawn before the others: a
/// Hispanic child's surnames in another form ([`SURNAME_FORM`]), a
/// Vietnamese or Cambodian child's names in swapped order
/// ([`FAMILY_NAME_FIRST`]). Applies it and returns its kind.
pub(super) fn record_defect<R: Rng>(
    rng: &mut R,
    naming: Naming,
    v: &mut Name,
) -> Option<&'static str> {
    match naming {
        Naming::Hispanic if v.last.contains([' ', '-']) && rng.gen_bool(SURNAME_FORM) => {
            let spaced = v.last.contains(' ');
            let kind = if rng.gen_bool(0.5) {
                "second_surname_dropped"
            } else if spaced {
                "surnames_hyphenated"
            } else {
                "surnames_spaced"
            };
            v.last = match kind {
                "second_surname_dropped" => {
                    v.last.split([' ', '-']).next().unwrap_or("").to_string()
                }
                "surnames_hyphenated" => v.last.replacen(' ', "-", 1),
                _ => v.last.replacen('-', " ", 1),
            };
            Some(kind)
        }
        Naming::Vietnamese | Naming::Cambodian if rng.gen_bool(FAMILY_NAME_FIRST) => {
            std::mem::swap(&mut v.first, &mut v.last);
            Some("family_name_first")
        }
        _ => None,
    }
}

/// Strangers of one full name (first, middle, surname; Mohamed and
/// Mohammed one name) among the children of a naming system: (a, b, kind)
/// pairs, `a < b`, `namesakes_one_birth_date` when the birth date is one
/// too. Pairs already related (`related`) are left out.
pub(super) fn namesakes(
    truths: &[Truth],
    related: &std::collections::BTreeSet<(u32, u32)>,
) -> Vec<(u32, u32, &'static str)> {
    let mut groups: std::collections::BTreeMap<(&str, &str, &str), Vec<u32>> =
        std::collections::BTreeMap::new();
    for (i, t) in truths.iter().enumerate() {
        if t.naming == Naming::Model {
            continue;
        }
        let n = &t.name;
        let key = (
            base(&n.first),
            base(n.middle.as_deref().unwrap_or("")),
            base(&n.last),
        );
        groups.entry(key).or_default().push(i as u32);
    }
    let mut out = Vec::new();
    for students in groups.values() {
        for (k, &a) in students.iter().enumerate() {
            for &b in &students[k + 1..] {
                if related.contains(&(a, b)) {
                    continue;
                }
                let one_date = truths[a as usize].name.birth == truths[b as usize].name.birth;
                let kind = if one_date {
                    "namesakes_one_birth_date"
                } else {
                    "namesakes"
                };
                out.push((a, b, kind));
            }
        }
    }
    out
}

/// Somali given names, boys. No published count; the weights are a
/// guess: Mohamed far the most common, then Abdi, Ahmed, Ali, Hassan.
const SOMALI_MALE: Weighted = &[
    ("Mohamed", 150),
    ("Abdi", 60),
    ("Ahmed", 60),
    ("Ali", 50),
    ("Hassan", 45),
    ("Abdullahi", 40),
    ("Omar", 35),
    ("Abdirahman", 30),
    ("Yusuf", 30),
    ("Ibrahim", 30),
    ("Hussein", 25),
    ("Ismail", 20),
    ("Osman", 20),
    ("Farah", 20),
    ("Abdikarim", 15),
    ("Mahad", 15),
    ("Mustafa", 15),
    ("Bashir", 15),
    ("Khalid", 15),
    ("Hamza", 15),
    ("Said", 12),
    ("Nur", 12),
    ("Jama", 12),
    ("Aden", 12),
    ("Yasin", 10),
    ("Abdirizak", 10),
    ("Abdulkadir", 10),
    ("Abukar", 10),
    ("Liban", 8),
    ("Zakaria", 8),
    ("Warsame", 8),
    ("Dahir", 8),
    ("Elmi", 8),
    ("Hirsi", 8),
    ("Guled", 8),
    ("Muse", 8),
];

/// Somali given names, girls; the weights a guess, Hodan and Fadumo the
/// most common.
const SOMALI_FEMALE: Weighted = &[
    ("Hodan", 40),
    ("Fadumo", 40),
    ("Amina", 35),
    ("Ayan", 30),
    ("Hamdi", 25),
    ("Sahra", 25),
    ("Asha", 25),
    ("Ifrah", 20),
    ("Khadija", 20),
    ("Halima", 20),
    ("Hawa", 20),
    ("Maryan", 20),
    ("Nasteho", 15),
    ("Deqa", 15),
    ("Ikran", 15),
    ("Muna", 15),
    ("Sagal", 15),
    ("Filsan", 12),
    ("Nimo", 12),
    ("Sumaya", 12),
    ("Hafsa", 12),
    ("Hibaaq", 10),
    ("Ladan", 10),
    ("Ubah", 10),
    ("Idil", 10),
    ("Zamzam", 10),
    ("Istahil", 8),
];

/// Christian and French first names of Congolese, Burundian and Rwandan
/// children; the weights a guess.
const CENTRAL_MALE: Weighted = &[
    ("Emmanuel", 25),
    ("Jean-Claude", 20),
    ("Innocent", 15),
    ("Patrick", 15),
    ("Christian", 15),
    ("Prince", 15),
    ("Samuel", 15),
    ("Daniel", 15),
    ("Dieudonné", 12),
    ("Gloire", 12),
    ("Josué", 12),
    ("Moïse", 12),
    ("Benjamin", 12),
    ("Olivier", 12),
    ("Eric", 12),
    ("David", 12),
    ("Exaucé", 10),
    ("Jean-Pierre", 10),
    ("Fiston", 10),
    ("Trésor", 10),
    ("Héritier", 10),
    ("Elie", 10),
    ("Jean-Baptiste", 8),
    ("Blaise", 8),
    ("Joël", 8),
    ("Gédéon", 6),
];
const CENTRAL_FEMALE: Weighted = &[
    ("Grace", 20),
    ("Esperance", 15),
    ("Divine", 15),
    ("Merveille", 15),
    ("Esther", 15),
    ("Sarah", 15),
    ("Aline", 12),
    ("Ruth", 12),
    ("Naomi", 12),
    ("Rachel", 10),
    ("Deborah", 10),
    ("Claudine", 10),
    ("Neema", 10),
    ("Jolie", 10),
    ("Christelle", 10),
    ("Nadine", 10),
    ("Josiane", 8),
    ("Béatrice", 8),
    ("Chantal", 8),
    ("Gisèle", 8),
    ("Furaha", 8),
    ("Dorcas", 8),
    ("Francine", 8),
    ("Solange", 8),
    ("Bénie", 8),
];

/// Personal names used as surnames (Luba, Kongo, Swahili, Kirundi,
/// Kinyarwanda); equal weights, no count found.
const CENTRAL_SURNAMES: Weighted = &[
    ("Mbuyi", 1),
    ("Kabongo", 1),
    ("Tshibangu", 1),
    ("Ilunga", 1),
    ("Kalala", 1),
    ("Mukendi", 1),
    ("Kasongo", 1),
    ("Ngoy", 1),
    ("Kazadi", 1),
    ("Mulumba", 1),
    ("Mutombo", 1),
    ("Banza", 1),
    ("Kanku", 1),
    ("Lukusa", 1),
    ("Mwamba", 1),
    ("Makiese", 1),
    ("Malonga", 1),
    ("Mavungu", 1),
    ("Lusamba", 1),
    ("Kitenge", 1),
    ("Bahati", 1),
    ("Amani", 1),
    ("Baraka", 1),
    ("Nkurunziza", 1),
    ("Niyonzima", 1),
    ("Habimana", 1),
    ("Uwimana", 1),
    ("Iradukunda", 1),
    ("Ishimwe", 1),
    ("Mugisha", 1),
    ("Hakizimana", 1),
    ("Ndayishimiye", 1),
    ("Irakoze", 1),
    ("Bizimana", 1),
    ("Nshimirimana", 1),
    ("Niyonkuru", 1),
    ("Ndikumana", 1),
    ("Manirakiza", 1),
    ("Nsengiyumva", 1),
    ("Uwase", 1),
    ("Mukamana", 1),
    ("Ingabire", 1),
    ("Umutoni", 1),
    ("Kamanzi", 1),
    ("Mugabo", 1),
];

/// Twins' names: Luba (Mbuyi, Kabanga) and Kongo (Nsimba, Nzuzi).
const TWIN_SURNAMES: [(&str, &str); 2] = [("Mbuyi", "Kabanga"), ("Nsimba", "Nzuzi")];

/// Vietnamese surnames, per mille: the shares of Vietnam's population
/// commonly cited (Nguyen ~38%, Tran ~11%, Le ~9.5%, Pham ~7.1%, Huynh or
/// Hoang ~5.1%, Phan ~4.5%, Vu or Vo ~3.9%, Dang ~2.1%, Bui ~2%, Do
/// ~1.4%, Ho ~1.3%, Ngo ~1.3%, Duong ~1%, Ly ~0.5%), the rest spread over
/// less common names.
const VIETNAMESE_SURNAMES: Weighted = &[
    ("Nguyen", 380),
    ("Tran", 110),
    ("Le", 95),
    ("Pham", 71),
    ("Phan", 45),
    ("Huynh", 26),
    ("Hoang", 25),
    ("Dang", 21),
    ("Vu", 20),
    ("Bui", 20),
    ("Vo", 19),
    ("Do", 14),
    ("Ho", 13),
    ("Ngo", 13),
    ("Truong", 12),
    ("Duong", 10),
    ("Dinh", 10),
    ("Lam", 10),
    ("Mai", 8),
    ("Cao", 8),
    ("Ha", 8),
    ("Luu", 7),
    ("Trinh", 7),
    ("Ly", 5),
    ("Ta", 5),
    ("Quach", 5),
    ("Thai", 5),
    ("La", 4),
];
const VIETNAMESE_MALE: Weighted = &[
    ("Minh", 10),
    ("Huy", 8),
    ("Bao", 8),
    ("Duc", 6),
    ("Khoa", 6),
    ("Long", 6),
    ("Nam", 6),
    ("Phuc", 5),
    ("Quang", 5),
    ("Thanh", 5),
    ("Tuan", 6),
    ("Vinh", 5),
    ("Hung", 5),
    ("Hieu", 5),
    ("Khang", 4),
    ("Kiet", 4),
    ("Tri", 4),
    ("Tam", 4),
];
const VIETNAMESE_FEMALE: Weighted = &[
    ("Linh", 10),
    ("Mai", 8),
    ("Thuy", 6),
    ("Trang", 6),
    ("Ngoc", 6),
    ("Lan", 5),
    ("Anh", 8),
    ("Hoa", 5),
    ("Huong", 5),
    ("Thao", 5),
    ("Vy", 6),
    ("Nhi", 5),
    ("Uyen", 4),
    ("Phuong", 4),
    ("Quynh", 4),
    ("Tien", 4),
];

/// Cambodian surnames: a small set, Sok the most common; the weights a
/// guess (no count found).
const CAMBODIAN_SURNAMES: Weighted = &[
    ("Sok", 60),
    ("Chea", 40),
    ("Keo", 35),
    ("Kim", 30),
    ("Chhim", 25),
    ("Meas", 25),
    ("Mao", 25),
    ("Heng", 25),
    ("Lim", 25),
    ("Ly", 25),
    ("Chan", 25),
    ("Prak", 20),
    ("Pich", 20),
    ("Sam", 20),
    ("Seng", 20),
    ("Ouk", 15),
    ("Long", 15),
    ("Chhay", 15),
    ("Touch", 12),
    ("Hem", 12),
    ("Yim", 12),
    ("Phan", 12),
    ("Nhem", 10),
    ("Em", 10),
    ("Nou", 10),
    ("Sorn", 10),
    ("Tep", 10),
];
const CAMBODIAN_MALE: Weighted = &[
    ("Sokha", 10),
    ("Dara", 10),
    ("Vannak", 8),
    ("Rithy", 8),
    ("Visal", 6),
    ("Sophal", 6),
    ("Pheakdey", 5),
    ("Vibol", 5),
    ("Sovann", 5),
    ("Bunthoeun", 4),
];
const CAMBODIAN_FEMALE: Weighted = &[
    ("Sophea", 10),
    ("Sreymom", 8),
    ("Bopha", 8),
    ("Channary", 8),
    ("Rachana", 6),
    ("Sokunthea", 5),
    ("Chenda", 6),
    ("Kanha", 5),
    ("Sopheap", 5),
    ("Sothea", 5),
];

/// The most common Hispanic surnames of the US Census 2010 table, weights
/// in ten-thousands of holders (approximate, as published; no file read).
const SPANISH_SURNAMES: Weighted = &[
    ("Garcia", 117),
    ("Rodriguez", 109),
    ("Martinez", 106),
    ("Hernandez", 104),
    ("Lopez", 87),
    ("Gonzalez", 84),
    ("Perez", 68),
    ("Sanchez", 61),
    ("Ramirez", 56),
    ("Torres", 44),
    ("Flores", 43),
    ("Rivera", 42),
    ("Gomez", 38),
    ("Diaz", 37),
    ("Cruz", 29),
    ("Reyes", 28),
    ("Morales", 28),
    ("Gutierrez", 25),
    ("Ortiz", 24),
    ("Ramos", 23),
    ("Castillo", 22),
    ("Jimenez", 22),
    ("Vasquez", 22),
    ("Romero", 22),
    ("Mendoza", 21),
    ("Ruiz", 21),
    ("Alvarez", 21),
    ("Chavez", 20),
    ("Moreno", 15),
    ("Santiago", 17),
    ("Castro", 17),
    ("Vargas", 16),
    ("Medina", 16),
    ("Aguilar", 15),
    ("Herrera", 15),
    ("Soto", 13),
    ("Colón", 12),
    ("Delgado", 12),
    ("Guzman", 12),
    ("Silva", 12),
];
const SPANISH_ROOTS: &[&str] = &[
    "Albar", "Bel", "Cabr", "Carr", "Cerv", "Córd", "Escob", "Estr", "Fig", "Galv", "Ibarr", "Lar",
    "Lozan", "Mald", "Marqu", "Mej", "Mir", "Montes", "Nav", "Oroz", "Pach", "Quint", "Sal",
    "Sandov", "Serr", "Tap", "Valenc", "Vel", "Zam", "Zúñ",
];
const SPANISH_ENDINGS: &[&str] = &[
    "ez", "ero", "ado", "illo", "ano", "eda", "ejo", "ina", "era", "ón", "ales", "uela",
];
const SPANISH_MALE: Weighted = &[
    ("José", 20),
    ("Juan", 15),
    ("Luis", 15),
    ("Carlos", 12),
    ("Jesús", 10),
    ("Miguel", 12),
    ("Ángel", 10),
    ("Diego", 10),
    ("Alejandro", 10),
    ("Javier", 8),
    ("Mateo", 8),
    ("Santiago", 8),
    ("Adrián", 6),
    ("Jorge", 6),
    ("Emiliano", 5),
    ("Eduardo", 6),
];
const SPANISH_FEMALE: Weighted = &[
    ("María", 20),
    ("Sofía", 12),
    ("Camila", 12),
    ("Valentina", 10),
    ("Lucía", 8),
    ("Isabella", 10),
    ("Daniela", 10),
    ("Gabriela", 8),
    ("Ana", 10),
    ("Guadalupe", 6),
    ("Ximena", 6),
    ("Natalia", 6),
    ("Mariana", 6),
    ("Paola", 5),
    ("Andrea", 6),
    ("Jimena", 4),
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn child(rng: &mut ChaCha8Rng, language: &'static str, hispanic: bool) -> Truth {
        let birth = chrono::NaiveDate::from_ymd_opt(2008, 5, 1).unwrap();
        let male = rng.gen_bool(0.5);
        let mut name = Name {
            first: "Model".into(),
            middle: None,
            last: "Model".into(),
            suffix: None,
            male,
            birth,
        };
        let naming = system(rng, language, hispanic, true);
        name_child(rng, naming, &mut name);
        Truth {
            name,
            hispanic,
            races: [false; 5],
            race_determination: "P",
            immigrant: None,
            language,
            naming,
        }
    }

    fn is_in(list: Weighted, name: &str) -> bool {
        list.iter().any(|(n, _)| *n == base(name))
    }

    /// Somali: first name from the Somali lists, middle the father's,
    /// surname the grandfather's; siblings share both, cousins the surname
    /// only; Mohamed spelled variously; strangers of one full name common.
    #[test]
    fn somali_children_are_named_for_father_and_grandfather() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut spellings = std::collections::BTreeSet::new();
        let mut full = std::collections::BTreeMap::new();
        let mut children = Vec::new();
        for _ in 0..2_000 {
            let mut a = child(&mut rng, "som", false);
            assert_eq!(a.naming, Naming::Somali);
            let list = if a.name.male {
                SOMALI_MALE
            } else {
                SOMALI_FEMALE
            };
            assert!(is_in(list, &a.name.first), "{:?}", a.name);
            let father = a.name.middle.clone().expect("the father's name");
            assert!(is_in(SOMALI_MALE, &father) && is_in(SOMALI_MALE, &a.name.last));
            assert_ne!(base(&father), base(&a.name.last));
            if base(&a.name.first) == "Mohamed" {
                spellings.insert(a.name.first.clone());
            }
            let key = [&a.name.first, &father, &a.name.last].map(|n| base(n).to_string());
            *full.entry(key).or_insert(0) += 1;
            children.push(a.clone());
            let mut sibling = child(&mut rng, "eng", false);
            kin(&mut rng, &mut a, &mut sibling, Kin::Sibling);
            assert_eq!(sibling.name.middle, a.name.middle);
            assert_eq!(sibling.name.last, a.name.last);
            assert_eq!(sibling.language, "som");
            let mut cousin = child(&mut rng, "eng", false);
            kin(&mut rng, &mut a, &mut cousin, Kin::Cousin);
            assert_eq!(base(&cousin.name.last), base(&a.name.last));
            assert_ne!(cousin.name.middle, a.name.middle);
        }
        assert!(spellings.len() >= 4, "{spellings:?}");
        let shared: usize = full.values().filter(|&&c| c > 1).sum();
        assert!(shared > 100, "children sharing a full name: {shared}");
        // Recorded as namesakes: every pair of one full name, no other.
        let pairs = namesakes(&children, &Default::default());
        let expected: usize = full.values().map(|c| c * (c - 1) / 2).sum();
        assert_eq!(pairs.len(), expected);
        for (a, b, _) in pairs {
            let (a, b) = (&children[a as usize].name, &children[b as usize].name);
            assert_eq!(base(&a.first), base(&b.first));
            assert_eq!(a.middle.as_deref().map(base), b.middle.as_deref().map(base));
        }
    }

    /// Central African: a Christian or French first name, a personal
    /// surname; siblings share it in about half the families; twins of
    /// personal surnames take the twin names.
    #[test]
    fn central_african_siblings_often_have_their_own_surnames() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (mut shared, mut own, mut twin_names) = (0, 0, 0);
        for language in ["lin", "swa", "kin"].iter().cycle().take(1_500) {
            let mut a = child(&mut rng, language, false);
            assert_eq!(a.naming, Naming::CentralAfrican);
            let list = if a.name.male {
                CENTRAL_MALE
            } else {
                CENTRAL_FEMALE
            };
            assert!(is_in(list, &a.name.first) && is_in(CENTRAL_SURNAMES, &a.name.last));
            let mut b = child(&mut rng, "eng", false);
            kin(&mut rng, &mut a, &mut b, Kin::Sibling);
            if a.name.last == b.name.last {
                shared += 1;
            } else {
                own += 1;
            }
            let mut t = child(&mut rng, "eng", false);
            kin(&mut rng, &mut a, &mut t, Kin::Twin);
            twin_names += usize::from(
                TWIN_SURNAMES
                    .iter()
                    .any(|(x, y)| a.name.last == *x && t.name.last == *y),
            );
        }
        assert!((500..1_000).contains(&own), "{own} own, {shared} shared");
        assert!(twin_names > 300, "{twin_names}");
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let french = (0..1_000)
            .filter(|_| system(&mut rng, "fre", false, true) == Naming::CentralAfrican)
            .count();
        assert!((500..700).contains(&french), "{french}");
        assert_eq!(system(&mut rng, "fre", false, false), Naming::Model);
    }

    /// Vietnamese and Cambodian: a small set of surnames, Nguyen about 38%
    /// of Vietnamese; duplicates with the names in swapped order.
    #[test]
    fn vietnamese_surnames_are_few_and_swapped_in_some_records() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let n = 5_000;
        let mut nguyen = 0;
        let mut swapped = 0;
        for _ in 0..n {
            let t = child(&mut rng, "vie", false);
            nguyen += usize::from(t.name.last == "Nguyen");
            let mut v = t.name.clone();
            if record_defect(&mut rng, t.naming, &mut v) == Some("family_name_first") {
                assert_eq!(
                    (v.first, v.last),
                    (t.name.last.clone(), t.name.first.clone())
                );
                swapped += 1;
            }
        }
        let share = nguyen as f64 / n as f64;
        assert!((0.35..0.41).contains(&share), "Nguyen {share}");
        assert!((800..1_200).contains(&swapped), "{swapped}");
        let t = child(&mut rng, "khm", false);
        assert!(is_in(CAMBODIAN_SURNAMES, &t.name.last));
        assert_eq!(system(&mut rng, "eng", false, false), Naming::Model);
    }

    /// Hispanic: two surnames for some children, spaced or hyphenated;
    /// duplicates with the second dropped or the other form.
    #[test]
    fn hispanic_surnames_are_two_and_recorded_in_three_forms() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut forms = std::collections::BTreeMap::new();
        let mut two = 0;
        for _ in 0..3_000 {
            let t = child(&mut rng, "eng", true);
            assert_eq!(t.naming, Naming::Hispanic);
            let Some(i) = t.name.last.find([' ', '-']) else {
                continue;
            };
            two += 1;
            let mut v = t.name.clone();
            if let Some(kind) = record_defect(&mut rng, t.naming, &mut v) {
                *forms.entry(kind).or_insert(0) += 1;
                match kind {
                    "second_surname_dropped" => assert_eq!(v.last, t.name.last[..i]),
                    "surnames_hyphenated" => assert_eq!(v.last, t.name.last.replace(' ', "-")),
                    _ => assert_eq!(v.last, t.name.last.replace('-', " ")),
                }
            }
        }
        assert!((900..1_200).contains(&two), "{two}");
        assert_eq!(forms.len(), 3, "{forms:?}");
        let mut a = child(&mut rng, "spa", false);
        let mut cousin = child(&mut rng, "eng", false);
        kin(&mut rng, &mut a, &mut cousin, Kin::Cousin);
        let paternal = |s: &str| s.split([' ', '-']).next().unwrap().to_string();
        assert_eq!(paternal(&cousin.name.last), paternal(&a.name.last));
    }
}
