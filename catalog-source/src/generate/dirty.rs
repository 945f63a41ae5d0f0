//! The catalogue of dirty rows, as data: for each source file, the lines the
//! generator may write after a clean row, each with the [`RejectKind`] the
//! import must give it.
//!
//! A dirty line is drawn uniformly from its file's list, so each variant has
//! the same share of the file's dirty lines. The lists' lengths and order are
//! part of the output: the same seed gives the same files only while they stay.

use std::io;

use fastrand::Rng;

use super::writer::Out;
use crate::RejectKind::{
    self, EmptyField, FieldCount, InvalidBoolean, InvalidId, InvalidPrice, InvalidQuantity, RelatedToSelf,
    RelatedToZero, UnknownProduct, UnknownStyle, UnterminatedQuote,
};
use crate::SourceFile;

/// A product id no generated row has, for orphan references.
const MISSING_ID: i32 = 2_000_000_000;

/// One field of a dirty line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// The fresh row id the dirty line takes.
    Id,
    /// The fresh row id followed by a letter (`12a`).
    IdWithLetter,
    /// The id of the clean row's owner (its product or style).
    Parent,
    /// An id no generated row has.
    Missing,
    /// A quoted text field.
    Text(&'static str),
    /// A field exactly as given.
    Raw(&'static str),
    /// The clean photo's URL, quoted.
    Url,
    /// The clean photo's thumbnail URL, quoted.
    Thumbnail,
    /// The URL and the thumbnail URL in one quoted field that is never closed.
    UnclosedUrls,
}

use Field::{Id, IdWithLetter, Missing, Parent, Raw, Text, Thumbnail, UnclosedUrls, Url};

/// One kind of dirty line in a file's catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DirtyRow {
    /// A line of these fields, refused with this kind.
    Fields(RejectKind, &'static [Field]),
    /// The last clean line again, refused as a duplicate id.
    Duplicate,
}

use DirtyRow::{Duplicate, Fields};

impl DirtyRow {
    /// The reject kind the import must give this line.
    pub(super) fn kind(self) -> RejectKind {
        match self {
            Fields(kind, _) => kind,
            Duplicate => RejectKind::DuplicateId,
        }
    }
}

const PRODUCTS: &[DirtyRow] = &[
    Fields(
        InvalidPrice,
        &[Id, Text("Odd Kicks"), Text(""), Text(""), Text("Kicks"), Raw("12.x4")],
    ),
    Fields(
        EmptyField,
        &[Id, Text(""), Text("s"), Text("d"), Text("Kicks"), Raw("10")],
    ),
    Fields(
        FieldCount,
        &[Id, Text("Short Row"), Text("s"), Text("d"), Text("Kicks")],
    ),
    Fields(
        InvalidId,
        &[
            IdWithLetter,
            Text("Bad Id"),
            Text(""),
            Text(""),
            Text("Kicks"),
            Raw("10"),
        ],
    ),
    Duplicate,
];

const FEATURES: &[DirtyRow] = &[
    Fields(UnknownProduct, &[Id, Missing, Text("Sole"), Raw("null")]),
    Fields(InvalidId, &[Id, Raw("seven"), Text("Sole"), Raw("null")]),
    Fields(FieldCount, &[Id, Parent, Text("Sole")]),
    Duplicate,
];

const STYLES: &[DirtyRow] = &[
    Fields(
        InvalidPrice,
        &[Id, Parent, Text("Dusk"), Raw("null"), Raw("ten"), Raw("0")],
    ),
    Fields(
        UnknownProduct,
        &[Id, Missing, Text("Dusk"), Raw("null"), Raw("10"), Raw("0")],
    ),
    Fields(
        InvalidBoolean,
        &[Id, Parent, Text("Dusk"), Raw("null"), Raw("10"), Raw("yes")],
    ),
    Duplicate,
];

const PHOTOS: &[DirtyRow] = &[
    Fields(UnterminatedQuote, &[Id, Parent, UnclosedUrls]),
    Fields(UnknownStyle, &[Id, Missing, Url, Thumbnail]),
    Fields(EmptyField, &[Id, Parent, Text(""), Thumbnail]),
    Duplicate,
];

const SKUS: &[DirtyRow] = &[
    Fields(InvalidQuantity, &[Id, Parent, Text("M"), Raw("-3")]),
    Fields(UnknownStyle, &[Id, Missing, Text("M"), Raw("3")]),
    Fields(FieldCount, &[Id, Parent, Text("M")]),
    Duplicate,
];

const RELATED: &[DirtyRow] = &[
    Fields(RelatedToZero, &[Id, Parent, Raw("0")]),
    Fields(RelatedToSelf, &[Id, Parent, Parent]),
    Fields(UnknownProduct, &[Id, Parent, Missing]),
    Duplicate,
];

/// The dirty lines `file` may get, in draw order.
pub(super) fn catalogue(file: SourceFile) -> &'static [DirtyRow] {
    match file {
        SourceFile::Products => PRODUCTS,
        SourceFile::Features => FEATURES,
        SourceFile::Styles => STYLES,
        SourceFile::Photos => PHOTOS,
        SourceFile::Skus => SKUS,
        SourceFile::Related => RELATED,
    }
}

/// What a dirty line's fields are filled from, besides its fresh id.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Context<'a> {
    parent: i32,
    url: &'a str,
    thumbnail: &'a str,
}

impl<'a> Context<'a> {
    /// After a row owned by `parent` (a product or a style).
    pub(super) fn parent(parent: i32) -> Context<'a> {
        Context {
            parent,
            ..Context::default()
        }
    }

    /// After a photo of style `style_id` with these URLs.
    pub(super) fn photo(style_id: i32, url: &'a str, thumbnail: &'a str) -> Context<'a> {
        Context {
            parent: style_id,
            url,
            thumbnail,
        }
    }
}

/// After a clean row of `out`: at the dirty rate, writes one dirty line drawn
/// from the file's catalogue. The line takes the fresh id `*next_id`, which is
/// then used up (a duplicate too), so accepted ids have gaps.
pub(super) fn maybe_write(out: &mut Out, rng: &mut Rng, next_id: &mut i32, context: &Context<'_>) -> io::Result<()> {
    if !out.dirty_now(rng) {
        return Ok(());
    }
    let rows = catalogue(out.file());
    // A `u8` draw, as when the variants were a `match rng.u8(..n)`: another
    // width draws other numbers, and the files must not change for a seed.
    let row = rows[usize::from(rng.u8(..rows.len() as u8))];
    match row {
        Fields(kind, fields) => {
            for field in fields {
                write_field(out, *field, *next_id, context);
            }
            out.dirty(kind)?;
        }
        Duplicate => out.duplicate()?,
    }
    *next_id += 1;
    Ok(())
}

fn write_field(out: &mut Out, field: Field, id: i32, context: &Context<'_>) {
    match field {
        Id => out.int(id),
        IdWithLetter => out.raw(&format!("{id}a")),
        Parent => out.int(context.parent),
        Missing => out.int(MISSING_ID),
        Text(text) => out.text(text),
        Raw(text) => out.raw(text),
        Url => out.text(context.url),
        Thumbnail => out.text(context.thumbnail),
        UnclosedUrls => out.raw(&format!("\"{},{}", context.url, context.thumbnail)),
    };
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// The generator claims every kind but these: its lines are valid UTF-8
    /// without NUL bytes (the import rules' tests cover those two).
    const NOT_GENERATED: [RejectKind; 2] = [RejectKind::InvalidUtf8, RejectKind::NulByte];

    #[test]
    fn the_catalogue_covers_every_kind_the_generator_claims() {
        let generated: HashSet<RejectKind> = SourceFile::ALL
            .into_iter()
            .flat_map(|file| catalogue(file).iter().map(|row| row.kind()))
            .collect();
        for kind in RejectKind::ALL {
            assert_eq!(generated.contains(&kind), !NOT_GENERATED.contains(&kind), "{kind}");
        }
    }

    #[test]
    fn each_file_has_distinct_kinds_and_a_duplicate() {
        for file in SourceFile::ALL {
            let rows = catalogue(file);
            let kinds: HashSet<RejectKind> = rows.iter().map(|row| row.kind()).collect();
            assert_eq!(kinds.len(), rows.len(), "{file}");
            assert!(rows.contains(&Duplicate), "{file}");
        }
    }

    #[test]
    fn only_shape_rejects_have_another_field_count() {
        for file in SourceFile::ALL {
            for row in catalogue(file) {
                if let Fields(kind, fields) = row {
                    let shaped = !matches!(kind, FieldCount | UnterminatedQuote);
                    assert_eq!(fields.len() == file.columns().len(), shaped, "{file} {kind}");
                }
            }
        }
    }

    #[test]
    fn photo_fields_appear_only_in_photos() {
        for file in SourceFile::ALL {
            for row in catalogue(file) {
                if let Fields(kind, fields) = row {
                    let photo = fields.iter().any(|f| matches!(f, Url | Thumbnail | UnclosedUrls));
                    assert!(!photo || file == SourceFile::Photos, "{file} {kind}");
                }
            }
        }
    }
}
