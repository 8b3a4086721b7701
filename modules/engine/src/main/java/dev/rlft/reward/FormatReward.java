package dev.rlft.reward;

import dev.rlft.data.Steps;
import java.util.List;

/**
 * The format reward: 1 when the completion's last step (see {@link Steps}) is a {@code \boxed{...}}
 * (or {@code \fbox{...}}) with non-blank content, and nothing else but {@code $}, blanks and a
 * trailing period; else 0. The answer is not checked, so it is weighted separately from {@link
 * BoxedAnswerReward}.
 *
 * <p>Reasons: {@code "boxed last step"} (reward 1), {@code "no boxed answer"}, {@code "empty boxed
 * answer"}, {@code "last step is not a boxed answer"}, {@code "too long"} (over {@link
 * BoxedAnswerReward#MAX_COMPLETION_CHARS} characters, not inspected).
 */
public final class FormatReward implements RewardFunction {

  public static final String NAME = "format";

  @Override
  public RewardResult score(String completion, String answer) {
    if (completion != null && completion.length() > BoxedAnswerReward.MAX_COMPLETION_CHARS) {
      return new RewardResult(0.0, false, null, "too long");
    }
    List<String> steps = completion == null ? List.of() : Steps.split(completion);
    if (steps.isEmpty()) {
      return new RewardResult(0.0, false, null, "no boxed answer");
    }
    String last = strip(steps.get(steps.size() - 1));
    BoxedAnswers.Box box = BoxedAnswers.lastBox(last);
    if (box == null) {
      BoxedAnswers.Box earlier = BoxedAnswers.lastBox(completion);
      return earlier == null
          ? new RewardResult(0.0, false, null, "no boxed answer")
          : new RewardResult(0.0, false, earlier.content(), "last step is not a boxed answer");
    }
    if (box.start() != 0 || box.end() != last.length()) {
      return new RewardResult(0.0, false, box.content(), "last step is not a boxed answer");
    }
    if (box.content().isBlank()) {
      return new RewardResult(0.0, false, box.content(), "empty boxed answer");
    }
    return new RewardResult(1.0, true, box.content(), "boxed last step");
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The step without surrounding blanks and {@code $}, and without trailing periods. */
  private static String strip(String step) {
    int start = 0;
    int end = step.length();
    while (start < end && (step.charAt(start) == '$' || Character.isWhitespace(step.charAt(start)))) {
      start++;
    }
    while (end > start) {
      char c = step.charAt(end - 1);
      if (c == '$' || c == '.' || Character.isWhitespace(c)) {
        end--;
      } else {
        break;
      }
    }
    return step.substring(start, end);
  }
}
