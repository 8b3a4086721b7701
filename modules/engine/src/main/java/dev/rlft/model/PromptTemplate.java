package dev.rlft.model;

import dev.rlft.tokenizer.ChatTemplate;
import java.util.Objects;

/**
 * Turns a problem statement into the text the policy continues: {@link #PLAIN} (the problem and a
 * newline) or a chat template with a configurable system prompt ({@link #chatMl(String)}: Qwen's
 * {@code <|im_start|>}/{@code <|im_end|>} format). Immutable.
 */
public final class PromptTemplate {

  /** The problem, then a newline; the completion is the solution. */
  public static final PromptTemplate PLAIN = new PromptTemplate("plain", null);

  /** Qwen's ChatML with its default system prompt; the reply ends with {@code <|im_end|>}. */
  public static final PromptTemplate CHATML = new PromptTemplate("chatml", ChatTemplate.chatMl());

  private final String name;
  private final ChatTemplate.ChatMl chat;

  private PromptTemplate(String name, ChatTemplate.ChatMl chat) {
    this.name = name;
    this.chat = chat;
  }

  /** ChatML whose system turn says {@code systemPrompt}. */
  public static PromptTemplate chatMl(String systemPrompt) {
    return new PromptTemplate("chatml", ChatTemplate.chatMl(systemPrompt));
  }

  public String render(String problem) {
    return chat == null ? problem + "\n" : chat.render(problem);
  }

  /** Text that ends the assistant's turn in this template ({@code <|im_end|>} for ChatML), or null. */
  public String endOfTurn() {
    return chat == null ? null : ChatTemplate.ChatMl.IM_END;
  }

  public String name() {
    return name;
  }

  /** {@code plain} or {@code chatml} (with Qwen's default system prompt). */
  public static PromptTemplate parse(String name) {
    return parse(name, null);
  }

  /** As {@link #parse(String)}; a non-null {@code systemPrompt} replaces ChatML's default one. */
  public static PromptTemplate parse(String name, String systemPrompt) {
    switch (name.toLowerCase().replace('_', '-')) {
      case "plain":
        if (systemPrompt != null && !systemPrompt.isEmpty()) {
          throw new IllegalArgumentException("the plain prompt template has no system prompt; use chatml");
        }
        return PLAIN;
      case "chatml":
        return systemPrompt == null ? CHATML : chatMl(systemPrompt);
      default:
        throw new IllegalArgumentException("unknown prompt template '" + name + "'; valid: [plain, chatml]");
    }
  }

  /** BOS (when the tokenizer has one) followed by the rendered prompt's tokens. */
  public int[] encode(Tokenizer tokenizer, String problem) {
    int[] body = tokenizer.encode(render(problem));
    if (tokenizer.bosId() < 0) {
      return body;
    }
    int[] out = new int[body.length + 1];
    out[0] = tokenizer.bosId();
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PromptTemplate p && p.name.equals(name) && Objects.equals(p.chat, chat);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, chat);
  }

  @Override
  public String toString() {
    return name;
  }
}
