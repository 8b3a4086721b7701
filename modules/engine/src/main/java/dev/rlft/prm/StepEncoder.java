package dev.rlft.prm;

import dev.rlft.model.Tokenizer;
import java.util.Arrays;

/**
 * Turns a {@link StepSolution} into the token ids a PRM reads and the index of each step's read
 * position, in the PRM's own tokenization.
 *
 * <p><b>Text.</b> BOS (when the tokenizer has one), then {@code promptPrefix + problem +
 * promptSuffix}, then the steps joined with {@code stepSeparator}, each followed by the config's
 * {@code stepTag}. A step's read position is the index of its last token, or of its tag's last
 * token when there is a tag.
 *
 * <p><b>How positions are found.</b> The text is built piece by piece (the prompt, then each
 * separator plus step, then each tag), and after each piece the text so far is encoded again as a
 * whole. When the new encoding starts with the tokens already laid down, it replaces them: the
 * previous piece boundary is also a token boundary of the whole, so the tokens equal the joint
 * encoding of the text, which is what a model trained on whole texts has seen. When it does not (a
 * token would straddle the boundary, as Qwen's {@code ".\n\n"} does after a step ending in a full
 * stop), the boundary is kept by encoding the new piece on its own and appending it; joint encoding
 * then restarts from that piece. Either way each step's end is exactly a token boundary, the tokens
 * decode to the text, and no offset mapping from the tokenizer is needed. The cost is one encoding
 * of the text so far per piece: quadratic in the number of steps, negligible next to a forward pass.
 *
 * <p>A step tag whose text does not end in {@code stepTagId} where it lands (or a tag given only as
 * an id) is inserted as that id, and joint encoding restarts after it.
 */
public final class StepEncoder {

  /**
   * Token ids and read positions.
   *
   * @param tokens the ids, starting with BOS when the tokenizer has one
   * @param stepEnds for each step, the index into {@code tokens} of its read position; increasing
   */
  public record Encoded(int[] tokens, int[] stepEnds) {
    public Encoded {
      tokens = tokens.clone();
      stepEnds = stepEnds.clone();
    }

    @Override
    public int[] tokens() {
      return tokens.clone();
    }

    @Override
    public int[] stepEnds() {
      return stepEnds.clone();
    }
  }

  private StepEncoder() {}

  /** Encodes {@code solution} as {@code config} says, with {@code tokenizer}. */
  public static Encoded encode(Tokenizer tokenizer, PrmConfig config, StepSolution solution) {
    Builder b = new Builder(tokenizer);
    b.append(config.promptPrefix() + solution.problem() + config.promptSuffix());
    int[] ends = new int[solution.steps().size()];
    for (int k = 0; k < ends.length; k++) {
      b.append((k > 0 ? config.stepSeparator() : "") + solution.steps().get(k));
      if (!config.stepTag().isEmpty() || config.stepTagId() >= 0) {
        b.appendTag(config.stepTag(), config.stepTagId());
      }
      if (b.size == 0 || (k > 0 && b.size - 1 <= ends[k - 1])) {
        throw new IllegalArgumentException("step " + k + " encodes to no tokens: '" + solution.steps().get(k) + "'");
      }
      ends[k] = b.size - 1;
    }
    return new Encoded(Arrays.copyOf(b.ids, b.size), ends);
  }

  /** Token ids under construction; {@code ids[anchor..size)} is the joint encoding of {@code since}. */
  private static final class Builder {
    private final Tokenizer tokenizer;
    private int[] ids = new int[64];
    private int size;
    private int anchor;
    private String since = "";

    Builder(Tokenizer tokenizer) {
      this.tokenizer = tokenizer;
      if (tokenizer.bosId() >= 0) {
        add(tokenizer.bosId());
      }
      anchor = size;
    }

    void append(String piece) {
      if (piece.isEmpty()) {
        return;
      }
      String joined = since + piece;
      int[] whole = tokenizer.encode(joined);
      int laid = size - anchor;
      if (whole.length > laid && Arrays.equals(whole, 0, laid, ids, anchor, size)) {
        size = anchor;
        addAll(whole);
        since = joined;
      } else {
        anchor = size;
        addAll(tokenizer.encode(piece));
        since = piece;
      }
    }

    void appendTag(String text, int id) {
      int sizeBefore = size;
      int anchorBefore = anchor;
      String sinceBefore = since;
      append(text);
      if (id >= 0 && (size == sizeBefore || ids[size - 1] != id)) {
        size = sizeBefore;
        add(id);
        anchor = size;
        since = "";
      } else if (id < 0 && size == sizeBefore) {
        anchor = anchorBefore;
        since = sinceBefore;
      }
    }

    private void addAll(int[] more) {
      for (int t : more) {
        add(t);
      }
    }

    private void add(int t) {
      if (size == ids.length) {
        ids = Arrays.copyOf(ids, ids.length * 2);
      }
      ids[size++] = t;
    }
  }
}
