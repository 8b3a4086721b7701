package dev.rlft.prm;

import ai.djl.ndarray.NDManager;
import dev.rlft.data.Problem;
import dev.rlft.data.Steps;
import dev.rlft.model.Generation;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.NativeCompute;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.Sampler;
import dev.rlft.model.SamplingParams;
import dev.rlft.model.Tokenizer;
import dev.rlft.reward.RewardFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Automatic step labels by Monte-Carlo completion (Wang et al., Math-Shepherd, arXiv 2312.08935,
 * section 3.3): a step is as good as the chance that a completer, continuing the solution after it,
 * reaches the right answer.
 *
 * <p>For a solution of K steps and each k &lt; K, the completer draws {@code samples} completions of
 * the prefix {@code step_1 + sep + ... + step_k + sep}; completion j is correct when the reward
 * function accepts {@code prefix + completion_j} against the problem's answer. Then
 *
 * <pre>
 *   soft_k = (number of correct completions) / samples      (Math-Shepherd's SE)
 *   hard_k = soft_k &gt; 0                                    (Math-Shepherd's HE)
 * </pre>
 *
 * The last step is not rolled out: the solution as written either reaches the right answer or not,
 * so {@code soft_K = hard_K = reward(whole solution)}, 1 or 0.
 *
 * <p>All prefixes of all requests are laid out in order and cut into groups of {@code
 * prefixesPerCall}; each group is one completer call (one batched {@link Sampler} call of {@code
 * prefixesPerCall * samples} rows with {@link #samplerCompleter}), seeded with {@code seed + group *
 * 0x9E3779B97F4A7C15}. The labels are deterministic for a seed, a grouping and the completer's weights.
 */
public final class PrmLabeler {

  /**
   * A solution to label.
   *
   * @param id the output record's id
   * @param steps the solution's steps (a reference's, or a model's own), at least one
   * @param answer the ground-truth final answer
   */
  public record Request(String id, String problem, List<String> steps, String answer) {
    public Request {
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException("label request id must not be blank");
      }
      if (answer == null || answer.isBlank()) {
        throw new IllegalArgumentException("label request " + id + " needs a ground-truth answer");
      }
      steps = new StepSolution(problem, steps).steps();
      if (steps.isEmpty()) {
        throw new IllegalArgumentException("label request " + id + " has no steps");
      }
    }

    /** The problem's reference solution. */
    public static Request of(Problem p) {
      return new Request(p.id(), p.problem(), Steps.split(p.solution()), p.answer());
    }

    /** Another solution of the problem, e.g. a policy's sample, under its own id. */
    public static Request of(String id, Problem p, String solution) {
      return new Request(id, p.problem(), Steps.split(solution), p.answer());
    }
  }

  /**
   * A solution prefix to continue.
   *
   * @param problem the problem statement
   * @param solutionPrefix the first steps, each followed by the step separator
   */
  public record Prefix(String problem, String solutionPrefix) {}

  /** Draws completions of solution prefixes. */
  @FunctionalInterface
  public interface Completer {
    /**
     * Completes every prefix {@code samplesEach} times.
     *
     * @return {@code prefixes.size() * samplesEach} completion texts: those of prefix i at
     *     {@code i * samplesEach .. (i + 1) * samplesEach - 1}
     */
    List<String> complete(List<Prefix> prefixes, int samplesEach, long seed);
  }

  /**
   * Labeling settings.
   *
   * @param samples completions per prefix (Math-Shepherd's N), at least 1
   * @param prefixesPerCall prefixes per completer call, at least 1; the batch holds {@code
   *     prefixesPerCall * samples} sequences
   * @param seed seed of the first call
   * @param stepSeparator text between steps, also ending every prefix ({@code "\n\n"} as in {@link Steps})
   */
  public record Config(int samples, int prefixesPerCall, long seed, String stepSeparator) {
    public Config {
      if (samples < 1) {
        throw new IllegalArgumentException("prm label samples must be >= 1, got " + samples);
      }
      if (prefixesPerCall < 1) {
        throw new IllegalArgumentException("prm label prefixes-per-call must be >= 1, got " + prefixesPerCall);
      }
      if (stepSeparator == null || stepSeparator.isEmpty()) {
        throw new IllegalArgumentException("step separator must not be empty");
      }
    }

    /** {@code samples} completions, {@code prefixesPerCall} prefixes a call, blank-line separated steps. */
    public static Config of(int samples, int prefixesPerCall, long seed) {
      return new Config(samples, prefixesPerCall, seed, "\n\n");
    }
  }

  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  private final Completer completer;
  private final RewardFunction reward;
  private final Config config;

  public PrmLabeler(Completer completer, RewardFunction reward, Config config) {
    this.completer = completer;
    this.reward = reward;
    this.config = config;
  }

  /** Labels every request; one {@link PrmExample} per request, in order. */
  public List<PrmExample> label(List<Request> requests) {
    // every (request, k) with k < K - 1, in order
    List<int[]> slots = new ArrayList<>();
    float[][] soft = new float[requests.size()][];
    for (int r = 0; r < requests.size(); r++) {
      Request q = requests.get(r);
      int steps = q.steps().size();
      soft[r] = new float[steps];
      for (int k = 0; k < steps - 1; k++) {
        slots.add(new int[] {r, k});
      }
      String whole = String.join(config.stepSeparator(), q.steps());
      soft[r][steps - 1] = reward.score(whole, q.answer()).correct() ? 1f : 0f;
    }
    for (int from = 0, group = 0; from < slots.size(); from += config.prefixesPerCall(), group++) {
      List<int[]> chunk = slots.subList(from, Math.min(slots.size(), from + config.prefixesPerCall()));
      List<Prefix> prefixes = new ArrayList<>(chunk.size());
      List<String> prefixTexts = new ArrayList<>(chunk.size());
      for (int[] slot : chunk) {
        Request q = requests.get(slot[0]);
        String text = prefixText(q.steps(), slot[1] + 1);
        prefixes.add(new Prefix(q.problem(), text));
        prefixTexts.add(text);
      }
      List<String> completions = completer.complete(prefixes, config.samples(), config.seed() + group * GOLDEN_GAMMA);
      if (completions.size() != prefixes.size() * config.samples()) {
        throw new IllegalStateException("completer returned " + completions.size() + " completions for "
            + prefixes.size() + " prefixes x " + config.samples() + " samples");
      }
      for (int i = 0; i < chunk.size(); i++) {
        Request q = requests.get(chunk.get(i)[0]);
        int correct = 0;
        for (int j = 0; j < config.samples(); j++) {
          String completion = completions.get(i * config.samples() + j);
          if (reward.score(prefixTexts.get(i) + completion, q.answer()).correct()) {
            correct++;
          }
        }
        soft[chunk.get(i)[0]][chunk.get(i)[1]] = correct / (float) config.samples();
      }
    }
    List<PrmExample> out = new ArrayList<>(requests.size());
    for (int r = 0; r < requests.size(); r++) {
      boolean[] hard = new boolean[soft[r].length];
      for (int k = 0; k < hard.length; k++) {
        hard[k] = soft[r][k] > 0;
      }
      Request q = requests.get(r);
      out.add(new PrmExample(q.id(), q.problem(), q.steps(), soft[r], hard));
    }
    return out;
  }

  /** The first {@code n} steps, each followed by the separator. */
  private String prefixText(List<String> steps, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(steps.get(i)).append(config.stepSeparator());
    }
    return sb.toString();
  }

  /**
   * A completer that samples from {@code model}: the prompt is {@code template}'s encoding of the
   * problem followed by the prefix's tokens (as {@link dev.rlft.train.SftTrainer} lays out prompt
   * and solution), repeated {@code samplesEach} times in one {@link Sampler} call with {@code
   * params} at the call's seed. Completions end at EOS or the template's end of turn; the EOS token
   * is not part of the text.
   */
  public static Completer samplerCompleter(
      LlamaModel model, Tokenizer tokenizer, PromptTemplate template, SamplingParams params) {
    return (prefixes, samplesEach, seed) -> {
      List<int[]> prompts = new ArrayList<>(prefixes.size() * samplesEach);
      int max = model.config().maxSeqLen();
      for (int i = 0; i < prefixes.size(); i++) {
        Prefix p = prefixes.get(i);
        int[] head = template.encode(tokenizer, p.problem());
        int[] body = tokenizer.encode(p.solutionPrefix());
        int[] prompt = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, prompt, head.length, body.length);
        if (prompt.length + params.maxNewTokens() > max) {
          throw new IllegalArgumentException("prefix " + i + " of problem '" + abbreviate(p.problem()) + "' is "
              + prompt.length + " tokens; with " + params.maxNewTokens() + " new tokens it exceeds the completer's "
              + "max sequence length " + max);
        }
        for (int j = 0; j < samplesEach; j++) {
          prompts.add(prompt);
        }
      }
      List<List<String>> stops = new ArrayList<>();
      if (template.endOfTurn() != null) {
        for (int i = 0; i < prompts.size(); i++) {
          stops.add(List.of(template.endOfTurn()));
        }
      }
      Sampler.Stops stop = new Sampler.Stops(Set.of(tokenizer.eosId()), stops, tokenizer);
      List<Generation> gens = NativeCompute.run(() -> {
        try (NDManager scope = model.manager().getParentManager().newSubManager()) {
          return Sampler.generate(model, prompts, params.withSeed(seed), stop, scope);
        }
      });
      List<String> out = new ArrayList<>(gens.size());
      for (Generation g : gens) {
        int[] t = g.tokens();
        if (g.finish() == Generation.Finish.EOS) {
          t = Arrays.copyOf(t, t.length - 1);
        }
        out.add(tokenizer.decode(t));
      }
      return out;
    };
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
