package dev.rlft.model;

/** Turns a problem statement into the text the policy continues. */
public enum PromptTemplate {
  /** The problem, then a newline; the completion is the solution. */
  PLAIN {
    @Override
    public String render(String problem) {
      return problem + "\n";
    }
  },
  /** Qwen's ChatML with its default system prompt; the reply ends with {@code <|im_end|>}. */
  CHATML {
    @Override
    public String render(String problem) {
      return dev.rlft.tokenizer.ChatTemplate.chatMl().render(problem);
    }
  };

  public abstract String render(String problem);

  public static PromptTemplate parse(String name) {
    for (PromptTemplate t : values()) {
      if (t.name().equalsIgnoreCase(name.replace('-', '_'))) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown prompt template '" + name + "'; valid: " + java.util.Arrays.toString(values()).toLowerCase());
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
}
