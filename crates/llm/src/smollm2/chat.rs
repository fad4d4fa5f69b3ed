//! SmolLM2's ChatML template, as written in the GGUF's `tokenizer.chat_template`.

use crate::{ChatMessage, ChatRole};

/// Marks the start of a turn.
pub const IM_START: &str = "<|im_start|>";
/// Marks the end of a turn; the model emits it when its answer is complete.
pub const IM_END: &str = "<|im_end|>";

/// The system prompt SmolLM2's template inserts when a conversation does not start with one. The
/// model was tuned with it, so we keep it rather than send a conversation it has never seen.
pub const DEFAULT_SYSTEM_PROMPT: &str =
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// The messages the model actually sees: the request's, preceded by the default system prompt when
/// the first message is not a system message.
pub fn with_default_system(messages: &[ChatMessage]) -> Vec<ChatMessage> {
    let mut rendered = Vec::with_capacity(messages.len() + 1);
    if messages.first().map(|message| message.role) != Some(ChatRole::System) {
        rendered.push(ChatMessage::system(DEFAULT_SYSTEM_PROMPT));
    }
    rendered.extend_from_slice(messages);
    rendered
}

/// The text of one turn: `<|im_start|>role\ncontent<|im_end|>\n`.
pub fn render_turn(message: &ChatMessage) -> String {
    format!(
        "{IM_START}{}\n{}{IM_END}\n",
        message.role.as_str(),
        message.content
    )
}

/// What follows the turns so that the model answers: `<|im_start|>assistant\n`.
pub fn generation_prompt() -> String {
    format!("{IM_START}{}\n", ChatRole::Assistant.as_str())
}

/// The whole prompt as text, exactly as the model's own chat template renders it with
/// `add_generation_prompt = true`.
pub fn render_chat_prompt(messages: &[ChatMessage]) -> String {
    let mut prompt: String = with_default_system(messages)
        .iter()
        .map(render_turn)
        .collect();
    prompt.push_str(&generation_prompt());
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(messages: &[ChatMessage], expected: &str) {
        assert_eq!(render_chat_prompt(messages), expected);
    }

    #[test]
    fn renders_system_and_user() {
        check(
            &[
                ChatMessage::system("You explain incidents."),
                ChatMessage::user("Why is disk full?"),
            ],
            "<|im_start|>system\nYou explain incidents.<|im_end|>\n\
             <|im_start|>user\nWhy is disk full?<|im_end|>\n\
             <|im_start|>assistant\n",
        );
    }

    #[test]
    fn adds_the_default_system_prompt_when_missing() {
        check(
            &[ChatMessage::user("hi")],
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n\
             <|im_start|>user\nhi<|im_end|>\n\
             <|im_start|>assistant\n",
        );
    }

    #[test]
    fn renders_a_multi_turn_conversation() {
        check(
            &[
                ChatMessage::system("s"),
                ChatMessage::user("u1"),
                ChatMessage::assistant("a1\nline two"),
                ChatMessage::user("u2"),
            ],
            "<|im_start|>system\ns<|im_end|>\n\
             <|im_start|>user\nu1<|im_end|>\n\
             <|im_start|>assistant\na1\nline two<|im_end|>\n\
             <|im_start|>user\nu2<|im_end|>\n\
             <|im_start|>assistant\n",
        );
    }
}
