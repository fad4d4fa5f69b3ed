//! The application: query handling, orchestration, hypotheses, session learning.
