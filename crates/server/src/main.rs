//! The faultmaven binary.
fn main() {}
