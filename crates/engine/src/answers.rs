//! Answers to follow-up questions: the engine's entry point that records an answer, moves the
//! hypotheses at once and asks what is still worth asking.

use crate::{follow_up, now, Engine, EngineError};
use faultmaven_model::{
    AnswerValue, FollowUpQuestion, Hypothesis, QuestionAnswer, QuestionId, SessionId,
};

/// Longest comment kept with an answer, in characters (the rest is cut before redaction).
const MAX_COMMENT_CHARS: usize = 2000;

/// The session after an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionOutcome {
    /// The session's hypotheses, re-ranked.
    pub hypotheses: Vec<Hypothesis>,
    /// The session's questions: the answered ones (this one included) and those still open.
    pub follow_up_questions: Vec<FollowUpQuestion>,
}

impl Engine {
    /// Records the answer to a follow-up question, moves the hypotheses it separates in
    /// log-odds space and returns them re-ranked with the questions still worth asking. A
    /// question is answered once: a second answer is refused, because the first has already
    /// moved the confidences.
    pub async fn answer_question(
        &self,
        session_id: &SessionId,
        question_id: QuestionId,
        value: AnswerValue,
        comment: Option<String>,
    ) -> Result<QuestionOutcome, EngineError> {
        let store = &self.inner.parts.store;
        let mut session = store
            .get(session_id, now())
            .await?
            .ok_or_else(|| EngineError::UnknownSession(session_id.clone()))?;
        let question = session
            .follow_up_questions
            .iter_mut()
            .find(|q| q.id == question_id)
            .ok_or(EngineError::UnknownQuestion(question_id))?;
        if question.answer.is_some() {
            return Err(EngineError::QuestionAlreadyAnswered(question_id));
        }
        let at = now();
        question.answer = Some(QuestionAnswer {
            value,
            comment: comment
                .map(|c| c.chars().take(MAX_COMMENT_CHARS).collect::<String>())
                .map(|c| self.redact(&c)),
            at,
        });
        let answered = question.clone();
        follow_up::apply_answer(&mut session.hypotheses, &answered, value);
        session.follow_up_questions = follow_up::refresh_questions(
            std::mem::take(&mut session.follow_up_questions),
            &session.hypotheses,
            &session.findings,
            &[],
        );
        session.updated_at = at;
        session.expires_at = self.expiry_from(at);
        store.put(&session).await?;
        Ok(QuestionOutcome {
            hypotheses: session.hypotheses,
            follow_up_questions: session.follow_up_questions,
        })
    }
}
