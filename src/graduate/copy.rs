//! Rows in the text format of Postgres' `COPY ... FROM STDIN`: columns separated by tabs, rows
//! by newlines, `\N` for NULL, and backslash escapes for the characters that would break that.
//! COPY is how a million frames get in quickly: one statement, rows streamed in large chunks.

/// A buffer of COPY rows. Columns are appended in the order the COPY statement names them.
#[derive(Default)]
pub struct CopyText {
    buf: Vec<u8>,
    row_open: bool,
}

impl CopyText {
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Takes the rows written so far, leaving the buffer empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    fn sep(&mut self) {
        if self.row_open {
            self.buf.push(b'\t');
        }
        self.row_open = true;
    }

    pub fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.row_open = false;
    }

    pub fn null(&mut self) {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
    }

    /// Text (also jsonb, uuid and the other types Postgres parses from text).
    pub fn text(&mut self, s: &str) {
        self.sep();
        escape_into(&mut self.buf, s);
    }

    pub fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    pub fn int(&mut self, n: i64) {
        self.sep();
        self.buf.extend_from_slice(n.to_string().as_bytes());
    }

    pub fn opt_int(&mut self, n: Option<i64>) {
        match n {
            Some(n) => self.int(n),
            None => self.null(),
        }
    }

    pub fn float(&mut self, x: f64) {
        self.sep();
        let text = match x {
            x if x.is_nan() => "NaN".to_string(),
            x if x == f64::INFINITY => "Infinity".to_string(),
            x if x == f64::NEG_INFINITY => "-Infinity".to_string(),
            // Rust prints the shortest text that reads back as the same double.
            x => x.to_string(),
        };
        self.buf.extend_from_slice(text.as_bytes());
    }

    /// bytea in hex form (`\x0a1b`); its backslash is itself escaped for COPY.
    pub fn bytea(&mut self, bytes: Option<&[u8]>) {
        let Some(bytes) = bytes else { return self.null() };
        self.sep();
        self.buf.extend_from_slice(b"\\\\x");
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for b in bytes {
            self.buf.push(HEX[usize::from(b >> 4)]);
            self.buf.push(HEX[usize::from(b & 15)]);
        }
    }

    /// A `text[]` literal: `{"a","b"}`, each element quoted with `"` and `\` escaped.
    pub fn text_array(&mut self, items: &[String]) {
        let mut literal = String::from("{");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                literal.push(',');
            }
            literal.push('"');
            for c in item.chars() {
                if c == '"' || c == '\\' {
                    literal.push('\\');
                }
                literal.push(c);
            }
            literal.push('"');
        }
        literal.push('}');
        self.text(&literal);
    }
}

fn escape_into(buf: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            other => buf.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_escape_what_copy_reads_specially() {
        let mut c = CopyText::default();
        c.int(0);
        c.text("a\tb\\c\nd\re");
        c.null();
        c.bytea(Some(&[0, 0xab, 0xff]));
        c.text_array(&["gpu".into(), "q\"uo\\te".into()]);
        c.float(0.25);
        c.end_row();
        c.opt_int(None);
        c.end_row();
        let text = String::from_utf8(c.take()).unwrap();
        assert_eq!(
            text,
            "0\ta\\tb\\\\c\\nd\\re\t\\N\t\\\\x00abff\t{\"gpu\",\"q\\\\\"uo\\\\\\\\te\"}\t0.25\n\\N\n"
        );
        assert_eq!(c.len(), 0);
    }
}
