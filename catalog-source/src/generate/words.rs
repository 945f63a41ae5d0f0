//! The words of the generated catalog: names, slogans, descriptions,
//! categories, colours, features, sizes and photo URLs, and how one is drawn.
//!
//! Every function draws from the generator's random number generator in a
//! fixed order: changing that order changes the files a seed gives.

use fastrand::Rng;

/// One of `items`, uniformly.
pub(super) fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

/// A product name: two words, a quarter of them with a model number.
pub(super) fn name(rng: &mut Rng) -> String {
    let (first, second) = (pick(rng, NAME_FIRST), pick(rng, NAME_SECOND));
    match rng.u8(..4) {
        0 => format!("{first} {second} {}", rng.u16(1..1000)),
        _ => format!("{first} {second}"),
    }
}

/// A product description of one to three sentences.
pub(super) fn description(rng: &mut Rng) -> String {
    let sentences: Vec<&str> = (0..rng.usize(1..=3)).map(|_| pick(rng, DESCRIPTIONS)).collect();
    sentences.join(" ")
}

/// A style name: one colour, or two joined by `&`.
pub(super) fn style_name(rng: &mut Rng) -> String {
    match rng.u8(..3) {
        0 => pick(rng, COLORS).to_owned(),
        _ => format!("{} & {}", pick(rng, COLORS), pick(rng, COLORS)),
    }
}

/// A photo's URL and thumbnail URL; one in 500 carries a very long query.
pub(super) fn photo_urls(rng: &mut Rng) -> (String, String) {
    let photo = format!(
        "photo-{}-{:012x}",
        rng.u64(1_400_000_000_000..1_600_000_000_000),
        rng.u64(..1 << 48)
    );
    let long = if rng.u16(..500) == 0 {
        format!("&ixid={}", "M3wxMjA3fDB8MXxzZWFyY2h8".repeat(60))
    } else {
        String::new()
    };
    let base = "https://images.unsplash.com";
    let query = "ixlib=rb-1.2.1&auto=format&fit=crop";
    (
        format!("{base}/{photo}?{query}&w=668&q=80{long}"),
        format!("{base}/{photo}?{query}&w=300&q=80{long}"),
    )
}

/// A style's sizes: clothing, a run of shoe sizes, one size, or (one in 50) none.
pub(super) fn sizes(rng: &mut Rng) -> &'static [&'static str] {
    const CLOTHING: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];
    const SHOES: &[&str] = &["7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "11.5", "12"];
    match rng.u8(..50) {
        0..=32 => CLOTHING,
        33..=42 => {
            let start = rng.usize(..=2);
            &SHOES[start..start + 9]
        }
        43..=48 => &["One Size"],
        // Not stocked yet: the styles answer's all-null SKU placeholder.
        _ => &[],
    }
}

/// First words of product names.
const NAME_FIRST: &[&str] = &[
    "Camo",
    "Air",
    "Heir",
    "Pumped Up",
    "Bright Future",
    "Morning Joy",
    "Slacker's",
    "Infinity",
    "Summer",
    "Retro",
    "Urban",
    "Trail",
    "Classic",
    "Midnight",
    "Cozy",
    "Swift",
    "Coastal",
    "Alpine",
];
/// Second words of product names.
const NAME_SECOND: &[&str] = &[
    "Onesie",
    "Minis",
    "Force",
    "Kicks",
    "Sunglasses",
    "Slacks",
    "Jacket",
    "Cap",
    "Hoodie",
    "Tee",
    "Shorts",
    "Socks",
    "Backpack",
    "Joggers",
    "Sneakers",
    "Beanie",
    "Parka",
    "Sandals",
];
/// Product slogans.
pub(super) const SLOGANS: &[&str] = &[
    "Blend in to your crowd",
    "Full court support",
    "Stay cool in style",
    "Where comfort meets speed",
    "You've got to wear shades",
    "Comfortable for everything, or nothing",
    "Built for the long haul",
    "Made to move",
    "Light as air",
    "Ready for anything",
];
/// Sentences of product descriptions (one with quotes, which the CSV doubles).
const DESCRIPTIONS: &[&str] = &[
    "The So Fatigues will wake you up and fit you in.",
    "This optimized air cushion pocket reduces impact but keeps a perfect balance underfoot.",
    "Where you're going you might not need roads, but you definitely need some shades.",
    "I'll tell you how great they are after I nap for a bit.",
    "Our \"Everyday\" line, washed twice for softness, is made to last.",
    "Lightweight, breathable, and tough: it goes where you go.",
    "A classic cut with modern stretch, so you can bend, reach, and run.",
];
/// Product categories.
pub(super) const CATEGORIES: &[&str] = &[
    "Jackets",
    "Accessories",
    "Pants",
    "Kicks",
    "Basketball Shoes",
    "Running Shoes",
    "Dress Shoes",
    "Heels",
    "Boots",
    "Tops",
    "Shorts",
    "Hats",
    "Socks",
    "Backpacks",
    "Sunglasses",
    "Sweatshirts",
];
/// Colours, for style names.
const COLORS: &[&str] = &[
    "Forest Green",
    "Black",
    "Desert Brown",
    "Ocean Blue",
    "White",
    "Red",
    "Navy",
    "Gold",
    "Silver",
    "Maroon",
    "Olive",
    "Sky Blue",
    "Charcoal",
    "Cream",
    "Dark Grey",
    "Tan",
];
/// Feature names, each with the values it takes.
pub(super) const FEATURES: &[(&str, &[&str])] = &[
    ("Sole", &["Rubber", "Foam", "Leather"]),
    ("Material", &["FullControlSkin", "Canvas", "Suede", "Cotton"]),
    (
        "Fabric",
        &["100% Cotton", "Double Stitch", "Canvas, with \"Dri-Fit\" lining"],
    ),
    ("Buttons", &["Brass", "Wood", "Plastic"]),
    ("Lenses", &["Ultrasheen", "Polarized", "Mirrored"]),
    ("Frame", &["AllLight", "Titanium", "Acetate"]),
    ("Stitching", &["Double Stitch", "Cross Stitch"]),
    ("Cut", &["Skinny", "Loose", "Straight"]),
    ("Non-GMO", &["true"]),
    ("Green Leaf Certified", &["true", "false"]),
];
