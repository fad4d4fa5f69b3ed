//! Format sniffing, streaming parsers and redaction: uploads in, normalized records out.
