//! The QR code of an `otpauth://` URI, as an SVG document (no images, no
//! fonts: safe to inline in a page).

/// The text does not fit in a QR code (far longer than any `otpauth://` URI).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the text is too long for a QR code")]
pub struct QrTooLong;

/// `text` as a QR code in SVG, at least 200 pixels wide.
pub fn svg(text: &str) -> Result<String, QrTooLong> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|_| QrTooLong)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_renders_as_svg() {
        let image =
            svg("otpauth://totp/Tessera:ada?secret=GEZDGNBVGY3TQOJQ&issuer=Tessera").unwrap();
        assert!(image.contains("<svg"), "{image}");
        assert!(!image.contains("<script"));
    }

    #[test]
    fn an_enormous_text_is_refused() {
        assert_eq!(svg(&"x".repeat(10_000)), Err(QrTooLong));
    }
}
