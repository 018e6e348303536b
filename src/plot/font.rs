//! The embedded `DejaVu Sans` font and its one-time registration with plotters.
//!
//! Text is rendered with `DejaVu Sans` embedded in the binary and registered
//! with plotters under the family `"sans-serif"`, so figures render the same
//! on a machine without any system fonts (CI containers, minimal servers).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use base64::Engine as _;

use plotters::style::{FontStyle, register_font};

/// `DejaVu Sans` (regular), embedded so that text renders without system fonts.
/// Licence: `assets/fonts/LICENSE-DejaVu.txt`.
pub(super) static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Font family every text style in this module asks for; the embedded font is
/// registered under this name.
pub(super) const FONT_FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters exactly once per process.
///
/// The outcome is cached, so a font that fails to parse is reported on every
/// call rather than only the first.
pub(super) fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the embedded DejaVu Sans font could not be parsed".to_owned())
        })
        .clone()
}

/// The family name SVG text asks for first; the embedded subset is declared
/// under this name followed by a fingerprint of its characters (see
/// [`embed_in_svg`]).
pub(super) const EMBEDDED_FAMILY: &str = "DejaVu Sans";

/// The characters of every `<text>` element of an SVG document, with the
/// five XML entities the SVG backend writes decoded.
fn text_chars(svg: &str) -> BTreeSet<char> {
    let mut chars = BTreeSet::new();
    for element in svg.split("<text").skip(1) {
        let (Some(start), Some(end)) = (element.find('>'), element.find("</text>")) else {
            continue;
        };
        let Some(content) = element.get(start + 1..end) else {
            continue;
        };
        let decoded = content
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        chars.extend(decoded.chars().filter(|c| !c.is_control()));
    }
    chars
}

/// Makes an SVG document carry its font: `DejaVu Sans`, subset to the
/// characters its text uses, as an `@font-face` with a `data:` URL in a
/// `<style>` element, and every text asking for that face (then for any
/// `DejaVu Sans`, then for the generic sans-serif).
///
/// The face's name ends with a fingerprint of its characters (FNV-1a), so
/// that several figures inlined into one HTML page, whose `@font-face` rules
/// are global there, never take glyphs from each other's subsets. If the
/// subsetter fails, the whole font is embedded instead.
pub(super) fn embed_in_svg(svg: &str) -> Result<String, String> {
    let chars = text_chars(svg);
    if chars.is_empty() {
        // No text, no font (and font-subset panics on an empty subset).
        return Ok(svg.to_owned());
    }
    let subset = with_os2_version_2(FONT_BYTES).ok_or(()).and_then(|font| {
        font_subset::Font::opentype(&font)
            .and_then(|font| font.subset(&chars))
            .map(|subset| subset.to_opentype())
            .map_err(|_| ())
    });
    let bytes: &[u8] = match &subset {
        Ok(bytes) => bytes,
        Err(_) => FONT_BYTES,
    };
    let fingerprint = chars.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, c| {
        (h ^ u64::from(u32::from(*c))).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let family = format!("{EMBEDDED_FAMILY} {:08x}", fingerprint >> 32);
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    let style = format!(
        "<defs><style>@font-face{{font-family:'{family}';\
         src:url(data:font/ttf;base64,{data}) format('truetype');}}</style></defs>\n"
    );
    let Some(open_end) = svg
        .find("<svg")
        .and_then(|at| svg[at..].find('>').map(|e| at + e + 1))
    else {
        return Err("the SVG backend wrote no <svg> element".to_owned());
    };
    let generic = format!("font-family=\"{FONT_FAMILY}\"");
    let named = format!("font-family=\"'{family}', '{EMBEDDED_FAMILY}', {FONT_FAMILY}\"");
    let mut out = String::with_capacity(svg.len() + style.len() + 64);
    out.push_str(&svg[..open_end]);
    out.push('\n');
    out.push_str(&style);
    out.push_str(&svg[open_end..].replace(&generic, &named));
    Ok(out)
}

/// The font with its `OS/2` table raised from version 1 to version 2, which the
/// subsetter requires (DejaVu Sans 2.37 still has version 1). Version 2 adds five
/// fields after the 86 bytes of version 1 (OpenType 1.9, "OS/2 — OS/2 and Windows
/// Metrics Table"): sxHeight and sCapHeight (DejaVu Sans: 1120 and 1493 units),
/// usDefaultChar 0, usBreakChar 32 (space) and usMaxContext 2 (pair kerning). The
/// tables are laid out again, each on a 4-byte boundary, with their checksums
/// and the font's (`head.checkSumAdjustment`); nothing else changes. `None` if the font is not laid out as expected.
fn with_os2_version_2(font: &[u8]) -> Option<Vec<u8>> {
    let u16_at = |at: usize| Some(u16::from_be_bytes(font.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_be_bytes(font.get(at..at + 4)?.try_into().ok()?));
    let n_tables = usize::from(u16_at(4)?);
    let mut tables = Vec::with_capacity(n_tables);
    for i in 0..n_tables {
        let record = 12 + 16 * i;
        let tag = font.get(record..record + 4)?;
        let (offset, len) = (u32_at(record + 8)? as usize, u32_at(record + 12)? as usize);
        let mut data = font.get(offset..offset + len)?.to_vec();
        if tag == b"OS/2" {
            if u16_at(offset)? != 1 || len != 86 {
                return None;
            }
            data[..2].copy_from_slice(&2u16.to_be_bytes());
            for field in [1120u16, 1493, 0, 32, 2] {
                data.extend_from_slice(&field.to_be_bytes());
            }
        }
        if tag == b"head" {
            // checkSumAdjustment, computed again below, counts as 0 in every checksum.
            data.get_mut(8..12)?.fill(0);
        }
        tables.push((tag, data));
    }
    let checksum = |data: &[u8]| {
        data.chunks(4).fold(0u32, |sum, chunk| {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            sum.wrapping_add(u32::from_be_bytes(word))
        })
    };
    let mut out = font.get(..12 + 16 * n_tables)?.to_vec();
    let mut head = None;
    for (i, (tag, data)) in tables.iter().enumerate() {
        if *tag == b"head" {
            head = Some(out.len());
        }
        let record = 12 + 16 * i;
        let offset = u32::try_from(out.len()).ok()?;
        let len = u32::try_from(data.len()).ok()?;
        out[record + 4..record + 8].copy_from_slice(&checksum(data).to_be_bytes());
        out[record + 8..record + 12].copy_from_slice(&offset.to_be_bytes());
        out[record + 12..record + 16].copy_from_slice(&len.to_be_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    let adjustment = 0xB1B0_AFBA_u32.wrapping_sub(checksum(&out));
    out.get_mut(head? + 8..head? + 12)?
        .copy_from_slice(&adjustment.to_be_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_embeds_a_subset_of_the_font_that_covers_its_text() {
        let svg = "<svg width=\"10\" height=\"10\">\n<text font-family=\"sans-serif\">\n€20 &amp; QALY\n</text>\n</svg>";
        let font = with_os2_version_2(FONT_BYTES).unwrap();
        let err = font_subset::Font::opentype(&font)
            .and_then(|font| font.subset(&text_chars(svg)))
            .err();
        assert!(err.is_none(), "{err:?}");
        let out = embed_in_svg(svg).unwrap();
        assert!(!out.contains("font-family=\"sans-serif\""));
        assert!(out.contains("font-family=\"'DejaVu Sans "));
        let data = out
            .split("base64,")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        assert!(bytes.len() < FONT_BYTES.len() / 10, "{} bytes", bytes.len());
        // The subset maps exactly the characters of the text (and space).
        let font = font_subset::Font::opentype(&bytes).unwrap();
        let covered: BTreeSet<char> = font
            .char_ranges()
            .flat_map(|r| r.collect::<Vec<_>>())
            .collect();
        for c in "€20 &QALY".chars() {
            assert!(covered.contains(&c), "{c:?} not in the subset");
        }
        assert!(!covered.contains(&'z'));
        // Same characters, same bytes.
        assert_eq!(embed_in_svg(svg).unwrap(), out);
    }
}
