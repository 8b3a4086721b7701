package dev.rlft.model;

/** Turns a problem statement into the text the policy continues. */
public enum PromptTemplate {
  /** The problem, then a newline; the completion is the solution. */
  PLAIN {
    @Override
    public String render(String problem) {
      return problem + "\n";
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

  /** BOS followed by the rendered prompt's tokens. */
  public int[] encode(Tokenizer tokenizer, String problem) {
    int[] body = tokenizer.encode(render(problem));
    int[] out = new int[body.length + 1];
    out[0] = tokenizer.bosId();
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }
}
