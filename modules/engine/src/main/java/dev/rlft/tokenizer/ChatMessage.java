package dev.rlft.tokenizer;

import java.util.Locale;
import java.util.Objects;

/** One turn of a conversation: who speaks and what they say. */
public record ChatMessage(Role role, String content) {

  /** Who speaks a turn; {@link #wireName()} is the name chat templates write. */
  public enum Role {
    SYSTEM,
    USER,
    ASSISTANT;

    /** {@code "system"}, {@code "user"} or {@code "assistant"}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  public static ChatMessage system(String content) {
    return new ChatMessage(Role.SYSTEM, content);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage(Role.USER, content);
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage(Role.ASSISTANT, content);
  }
}
