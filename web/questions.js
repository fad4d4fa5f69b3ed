// FaultMaven web UI: follow-up questions. When the leading hypotheses are close, the server asks
// about an event one of them predicts ("Was there a deploy of checkout at 14:02 UTC?"); this file
// renders the questions with yes / no / don't know buttons. hypotheses.js owns the state and the
// request; it passes in its DOM builder, so every server string still reaches the page as text only.
"use strict";

window.FaultMavenQuestions = (function () {
  const ANSWERS = [
    { answer: "yes", label: "Yes" },
    { answer: "no", label: "No" },
    { answer: "unknown", label: "Don't know" },
  ];

  function hypothesisList(ids) {
    return (Array.isArray(ids) ? ids : []).map(String).join(", ");
  }

  /** One question: its text, what each answer would do, and the buttons (or the answer given). */
  function questionItem(question, element, onAnswer) {
    const id = String(question.id ?? "");
    const answered = typeof question.answer === "string";
    const effect = `Yes supports ${hypothesisList(question.supports_if_yes)}; no supports ${hypothesisList(question.weakens_if_yes)}.`;
    const controls = answered
      ? element("p", { class: "question-answered", text: `Answered: ${question.answer === "unknown" ? "don't know" : question.answer}` })
      : element(
        "div",
        { class: "feedback-buttons", role: "group", "aria-label": `Answer ${id}` },
        ANSWERS.map(({ answer, label }) => element("button", {
          type: "button",
          class: `button button-small question-${answer}`,
          "data-question-id": id,
          "data-answer": answer,
          text: label,
          onclick: () => onAnswer(id, answer),
        })),
      );
    return element(
      "li",
      { class: `question${answered ? " answered" : ""}`, "data-question-id": id },
      element("p", { class: "question-text" }, element("span", { class: "hypothesis-id", text: id }), " ", String(question.text ?? "")),
      element("p", { class: "question-effect muted", text: effect }),
      controls,
    );
  }

  /**
   * Fills `container` (a list) with the questions, open ones first, and shows or hides
   * `section`; returns the number of open questions.
   */
  function render(section, container, questions, element, onAnswer) {
    const all = Array.isArray(questions) ? questions : [];
    const open = all.filter((question) => typeof question.answer !== "string");
    const answered = all.filter((question) => typeof question.answer === "string");
    container.replaceChildren(...open.concat(answered).map((question) => questionItem(question, element, onAnswer)));
    section.hidden = all.length === 0;
    return open.length;
  }

  return { render };
})();
