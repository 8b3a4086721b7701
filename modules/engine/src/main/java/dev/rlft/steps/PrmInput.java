package dev.rlft.steps;

import dev.rlft.model.Tokenizer;
import java.util.List;
import java.util.Objects;

/**
 * The input a process reward model reads, built in its own tokenizer from step texts, and the
 * token positions where it scores each step; so a PRM whose tokenizer differs from the policy's
 * scores exactly the steps the policy's completion was cut into.
 *
 * <p>The text is {@code format.prefix() + step_1 + format.stepTag() + ... + step_n +
 * format.stepTag() + format.suffix()}, encoded in one piece (as PRMs are used: Qwen2.5-Math-PRM
 * puts {@code <extra_0>} after every step, Math-Shepherd {@code " ки"}, PURE's PRM {@code "\n"}).
 * The score position of step {@code j} is the PRM token holding the last character of {@code step_j
 * + stepTag} (of the step itself when the tag is empty), found with a {@link TokenAlignment} of the
 * encoded ids.
 *
 * <p>When the PRM tokenizer decodes its encoding back to the same text, positions are exact. When
 * it does not (normalisation such as NFKC, characters it cannot represent, collapsed whitespace),
 * each step end is carried over by re-encoding the text up to it: the end becomes the length of the
 * common prefix of {@code decode(encode(text[0..end)))} and the decoded whole, made non-decreasing.
 * That costs one extra encode and decode per step, only in that case.
 *
 * <p>Steps are inserted verbatim: a step that itself contains the tag (a policy that learned to
 * write {@code <extra_0>}) shows the PRM an extra tag, at which no score is read.
 *
 * @param ids the PRM's input ids
 * @param scorePositions per step, the index into {@code ids} where its score is read;
 *     non-decreasing
 * @param text the string that was encoded
 */
public record PrmInput(int[] ids, int[] scorePositions, String text) {

  /**
   * How steps are laid out for a PRM.
   *
   * @param prefix text before the first step (system prompt, question, chat template)
   * @param stepTag text after every step; its last character is where the score is read
   * @param suffix text after the last step's tag
   */
  public record Format(String prefix, String stepTag, String suffix) {

    public Format {
      Objects.requireNonNull(prefix, "prefix");
      Objects.requireNonNull(stepTag, "stepTag");
      Objects.requireNonNull(suffix, "suffix");
    }

    /** Steps after {@code prefix}, each followed by {@code stepTag}, nothing after. */
    public static Format tagged(String prefix, String stepTag) {
      return new Format(prefix, stepTag, "");
    }
  }

  public PrmInput {
    Objects.requireNonNull(ids, "ids");
    Objects.requireNonNull(scorePositions, "scorePositions");
    Objects.requireNonNull(text, "text");
    ids = ids.clone();
    scorePositions = scorePositions.clone();
    for (int i = 0; i < scorePositions.length; i++) {
      if (scorePositions[i] < 0 || scorePositions[i] >= ids.length) {
        throw new IllegalArgumentException(
            "scorePositions[" + i + "] = " + scorePositions[i] + " is outside the " + ids.length + " ids");
      }
      if (i > 0 && scorePositions[i] < scorePositions[i - 1]) {
        throw new IllegalArgumentException("scorePositions must be non-decreasing, got "
            + scorePositions[i - 1] + " then " + scorePositions[i] + " at " + i);
      }
    }
  }

  @Override
  public int[] ids() {
    return ids.clone();
  }

  @Override
  public int[] scorePositions() {
    return scorePositions.clone();
  }

  /**
   * Lays out {@code steps} with {@code format}, encodes the text with {@code prm} and finds each
   * step's score position.
   *
   * @param steps the step texts in order, e.g. {@link StepSegmenter.Step#text()}; each non-empty
   * @throws IllegalArgumentException if a step is empty
   * @throws IllegalStateException if {@code prm} encodes non-empty text to no tokens
   */
  public static PrmInput build(Tokenizer prm, Format format, List<String> steps) {
    Objects.requireNonNull(prm, "prm");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(steps, "steps");
    StringBuilder sb = new StringBuilder(format.prefix());
    int[] stepEnds = new int[steps.size()];
    for (int j = 0; j < steps.size(); j++) {
      String step = Objects.requireNonNull(steps.get(j), () -> "steps contains null");
      if (step.isEmpty()) {
        throw new IllegalArgumentException("steps[" + j + "] is empty");
      }
      sb.append(step).append(format.stepTag());
      stepEnds[j] = sb.length();
    }
    sb.append(format.suffix());
    String text = sb.toString();
    int[] ids = prm.encode(text);
    if (steps.isEmpty()) {
      return new PrmInput(ids, new int[0], text);
    }
    if (ids.length == 0) {
      throw new IllegalStateException("PRM tokenizer encoded " + text.length() + " characters to no tokens");
    }
    TokenAlignment alignment = TokenAlignment.of(prm, ids);
    String decoded = alignment.text();
    int[] ends = decoded.equals(text) ? stepEnds : carryOver(prm, text, stepEnds, decoded);
    int[] positions = new int[ends.length];
    for (int j = 0; j < ends.length; j++) {
      positions[j] = ends[j] < 1 ? 0 : alignment.tokenEndingAtOrAfter(Math.min(ends[j], decoded.length()));
    }
    return new PrmInput(ids, positions, text);
  }

  /** Step ends in {@code text} mapped into {@code decoded} by re-encoding each prefix. */
  private static int[] carryOver(Tokenizer prm, String text, int[] stepEnds, String decoded) {
    int[] out = new int[stepEnds.length];
    int previous = 0;
    for (int j = 0; j < stepEnds.length; j++) {
      String head = prm.decode(prm.encode(text.substring(0, stepEnds[j])));
      previous = Math.max(previous, TokenAlignment.commonPrefix(head, 0, decoded, 0));
      out[j] = previous;
    }
    return out;
  }
}
