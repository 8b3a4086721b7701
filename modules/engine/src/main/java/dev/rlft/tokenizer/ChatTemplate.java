package dev.rlft.tokenizer;

import java.util.List;
import java.util.Objects;

/**
 * Turns a conversation into the text a model continues: {@link ChatMl} for chat-tuned models such as
 * Qwen2.5-Instruct, {@link Plain} for base models. {@link #render(String)} is the one-problem form a
 * {@code PromptTemplate} needs.
 */
public sealed interface ChatTemplate permits ChatTemplate.ChatMl, ChatTemplate.Plain {

  /** Qwen2.5's default system prompt, from the {@code chat_template} of its {@code tokenizer_config.json}. */
  String QWEN_DEFAULT_SYSTEM_PROMPT = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

  /**
   * Renders {@code conversation}; with {@code addGenerationPrompt} the text ends where the model's
   * (assistant's) reply begins.
   */
  String render(List<ChatMessage> conversation, boolean addGenerationPrompt);

  /** One user turn holding {@code problem}, followed by the generation prompt. */
  default String render(String problem) {
    return render(List.of(ChatMessage.user(problem)), true);
  }

  /** ChatML with Qwen2.5's default system prompt. */
  static ChatMl chatMl() {
    return new ChatMl(QWEN_DEFAULT_SYSTEM_PROMPT);
  }

  /** ChatML whose system turn says {@code systemPrompt} when the conversation brings none. */
  static ChatMl chatMl(String systemPrompt) {
    return new ChatMl(systemPrompt);
  }

  static Plain plain() {
    return new Plain();
  }

  /**
   * ChatML as Qwen2.5's {@code chat_template} writes it without tools: every turn is {@code
   * <|im_start|>role\ncontent<|im_end|>\n}; a conversation that does not open with a system turn
   * gets one saying {@code defaultSystemPrompt}; the generation prompt is {@code
   * <|im_start|>assistant\n}. The model ends its reply with {@code <|im_end|>} (Qwen2.5-Instruct's
   * EOS). Contents are written verbatim, so a content holding {@code <|im_end|>} is read as that
   * special token, as in Hugging Face.
   */
  record ChatMl(String defaultSystemPrompt) implements ChatTemplate {

    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";

    public ChatMl {
      Objects.requireNonNull(defaultSystemPrompt, "defaultSystemPrompt");
    }

    @Override
    public String render(List<ChatMessage> conversation, boolean addGenerationPrompt) {
      StringBuilder out = new StringBuilder();
      if (conversation.isEmpty() || conversation.get(0).role() != ChatMessage.Role.SYSTEM) {
        turn(out, ChatMessage.Role.SYSTEM, defaultSystemPrompt);
      }
      for (ChatMessage m : conversation) {
        turn(out, m.role(), m.content());
      }
      if (addGenerationPrompt) {
        out.append(IM_START).append(ChatMessage.Role.ASSISTANT.wireName()).append('\n');
      }
      return out.toString();
    }

    private static void turn(StringBuilder out, ChatMessage.Role role, String content) {
      out.append(IM_START).append(role.wireName()).append('\n').append(content).append(IM_END).append('\n');
    }
  }

  /**
   * No markup, for base models: each turn's content followed by a newline, roles unwritten; the
   * generation prompt adds nothing. A single problem renders as {@code problem + "\n"}, like {@code
   * PromptTemplate.PLAIN}.
   */
  record Plain() implements ChatTemplate {

    @Override
    public String render(List<ChatMessage> conversation, boolean addGenerationPrompt) {
      StringBuilder out = new StringBuilder();
      for (ChatMessage m : conversation) {
        out.append(m.content()).append('\n');
      }
      return out.toString();
    }
  }
}
